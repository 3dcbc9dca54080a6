package delivery

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// TestStorm: 1,000 notifications in 10 seconds for one DingTalk robot, with the
// sandbox enforcing DingTalk's 20 a minute (and its 10-minute penalty). The group
// receives at most 20 messages in any rolling minute, the sandbox refuses nothing, and
// every notification is delivered itself or folded into a delivered digest that carries
// its alerts.
func TestStorm(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk, Secret: "generate", Keywords: []string{"ops"}}, "", 0)
	eng := e.engine(Options{PollInterval: time.Second})

	var ids []int64
	for step := 0; step < 100; step++ { // 10 every 100 ms for 10 s
		base := step * 10
		ids = append(ids, e.enqueue(r, fmt.Sprintf("storm-%03d", step), 10, func(i int, it *db.OutboxItem) {
			it.AlertIDs = []int64{int64(base + i + 1)}
			if (base+i)%4 == 3 {
				it.Kind = "resolved"
			}
		})...)
		eng.Wake()
		e.clk.Advance(100 * time.Millisecond)
		e.idle(eng)
	}
	// Let fake time run (5 s steps) until nothing is pending.
	settled := func() bool {
		depth, err := e.db.QueueDepth(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return depth[db.StateQueued]+depth[db.StateRetrying]+depth[db.StateSending] == 0
	}
	for i := 0; !settled(); i++ {
		if i > 400 {
			t.Fatalf("outbox not drained after %v of fake time", e.clk.Now().Sub(t0))
		}
		e.clk.Advance(5 * time.Second)
		e.idle(eng)
	}

	// The sandbox: no refusals, ≤ 20 accepted in any rolling minute.
	acc, rej := e.sb.Count(sr.Token)
	if rej != 0 {
		t.Fatalf("sandbox refused %d messages (rate limit tripped)", rej)
	}
	msgs := e.sb.MessagesFor(sr.Token)
	for i, m := range msgs {
		n := 0
		for _, o := range msgs {
			if o.Accepted && !o.At.After(m.At) && o.At.After(m.At.Add(-time.Minute)) {
				n++
			}
		}
		if n > 20 {
			t.Fatalf("message %d at %v: %d accepted in the minute before it, want ≤ 20", i, m.At.Sub(t0), n)
		}
	}
	if acc > 40 {
		t.Errorf("sandbox accepted %d messages for 1,000 notifications; the storm was not folded", acc)
	}

	// Every notification accounted for.
	delivered, folded := 0, 0
	digests := map[int64]bool{}
	for _, id := range ids {
		n := e.notification(id)
		switch n.State {
		case db.StateDelivered:
			delivered++
		case db.StateFolded:
			folded++
			dg := e.notification(n.DigestID)
			if dg.Kind != "digest" || dg.State != db.StateDelivered {
				t.Fatalf("notification %d folded into %d which is %s %s, want a delivered digest", id, dg.ID, dg.Kind, dg.State)
			}
			digests[dg.ID] = true
			as := e.attempts(id)
			if len(as) != 1 || as[0].Outcome != db.OutcomeFolded || !strings.Contains(as[0].Summary, fmt.Sprint(dg.ID)) {
				t.Fatalf("folded notification %d attempts = %+v", id, as)
			}
		default:
			t.Fatalf("notification %d ended %s", id, n.State)
		}
	}
	if delivered+folded != 1000 || folded == 0 {
		t.Fatalf("delivered %d + folded %d, want 1000 with some folded", delivered, folded)
	}
	if delivered+len(digests) != acc {
		t.Errorf("delivered %d + digests %d != accepted messages %d", delivered, len(digests), acc)
	}
	t.Logf("1,000 notifications: %d delivered as they were, %d folded into %d digests; %d messages reached the group over %v",
		delivered, folded, len(digests), acc, e.clk.Now().Sub(t0))
	// Digests carry every folded alert and say what they hold.
	alerts := 0
	for id := range digests {
		got, err := e.db.AlertIDsOf(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		alerts += len(got)
		dg := e.notification(id)
		if !strings.Contains(dg.Title, "notifications folded:") || !strings.Contains(dg.Body, "By severity:") ||
			!strings.Contains(dg.Body, "warning") {
			t.Errorf("digest %d: title %q body %q", id, dg.Title, dg.Body)
		}
	}
	if alerts != folded {
		t.Errorf("digests carry %d alerts, want the %d folded", alerts, folded)
	}
	// The digest that reached the group reads as one.
	var digestMsg *sandbox.Received
	for i := range msgs {
		if strings.Contains(msgs[i].Title, "notifications folded") {
			digestMsg = &msgs[i]
			break
		}
	}
	if digestMsg == nil {
		t.Fatalf("no digest among the %d messages", len(msgs))
	}
	if !strings.Contains(digestMsg.Text, "firing") || !strings.Contains(digestMsg.Text, "more") ||
		!strings.Contains(digestMsg.Text, "http://console.test/history/") {
		t.Errorf("digest text lacks counts, the … and N more line or the link:\n%s", digestMsg.Text)
	}
	if e.obs.folded != folded {
		t.Errorf("observer saw %d folded, want %d", e.obs.folded, folded)
	}
}

// TestDigestFitsBudget: with 3 sends left in the minute and 10 waiting, two go as they
// are and the other eight become one digest in the last slot.
func TestDigestFitsBudget(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.WeCom}, "", 0)
	warm := e.enqueue(r, "warm", 17, nil)
	eng := e.engine(Options{})
	for _, id := range warm {
		e.waitState(id, db.StateDelivered)
	}
	_ = eng.Close(context.Background())
	ids := e.enqueue(r, "burst", 10, nil)
	e.engine(Options{})
	e.waitState(ids[0], db.StateDelivered)
	e.waitState(ids[1], db.StateDelivered)
	n := e.waitState(ids[2], db.StateFolded)
	dg := e.waitState(n.DigestID, db.StateDelivered)
	for _, id := range ids[2:] {
		if got := e.notification(id); got.State != db.StateFolded || got.DigestID != dg.ID {
			t.Errorf("notification %d = %s into %d, want folded into %d", id, got.State, got.DigestID, dg.ID)
		}
	}
	if !strings.HasPrefix(dg.Title, "8 notifications folded: 8 firing, 0 resolved") {
		t.Errorf("digest title = %q", dg.Title)
	}
	if acc, rej := e.sb.Count(sr.Token); acc != 20 || rej != 0 {
		t.Errorf("sandbox accepted %d refused %d, want 20 and 0", acc, rej)
	}
}

// TestFeishuPacing: Feishu's 5 a second is kept without folding 20 notifications.
func TestFeishuPacing(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.Feishu}, "", 0)
	ids := e.enqueue(r, "pace", 20, nil)
	eng := e.engine(Options{})
	for i := 0; e.notification(ids[19]).State != db.StateDelivered; i++ {
		if i > 1000 {
			t.Fatalf("not delivered after %v of fake time", e.clk.Now().Sub(t0))
		}
		e.clk.Advance(200 * time.Millisecond)
		e.idle(eng)
	}
	for _, id := range ids {
		if n := e.notification(id); n.State != db.StateDelivered {
			t.Errorf("notification %d = %s", id, n.State)
		}
	}
	if acc, rej := e.sb.Count(sr.Token); acc != 20 || rej != 0 {
		t.Errorf("sandbox accepted %d refused %d, want 20 and 0", acc, rej)
	}
	if e.obs.waits == 0 {
		t.Errorf("the governor never waited")
	}
}

// BenchmarkEngineThroughput: 100 robots on an unthrottled sandbox (Unlimited, and the
// robots' per-minute override lifted), N notifications spread over them, from queued
// to recorded: claim → render → sign → send → classify → record.
func BenchmarkEngineThroughput(b *testing.B) {
	e := newEnv(b, envOpts{realClock: true})
	e.clk = nil
	var robots []db.Robot
	var tokens []string
	for i := 0; i < 100; i++ {
		p := []notify.Platform{notify.DingTalk, notify.Feishu, notify.WeCom}[i%3]
		cfg := sandbox.RobotConfig{Platform: p, Name: fmt.Sprintf("bench-%d", i), Unlimited: true}
		if p != notify.WeCom {
			cfg.Secret = "generate"
		}
		r, sr := e.robot(cfg, "", 1_000_000)
		robots = append(robots, r)
		tokens = append(tokens, sr.Token)
	}
	n := max(b.N, 2000)
	items := make([]db.OutboxItem, n)
	for i := range items {
		r := robots[i%len(robots)]
		items[i] = db.OutboxItem{Notification: db.Notification{TeamID: r.TeamID, RobotID: r.ID, Kind: "firing",
			Severity: "critical", Title: fmt.Sprintf("[FIRING:1] HighLatency api-%d", i),
			Body:     fmt.Sprintf("**HighLatency** on `api-%d`\n\n- p99 latency 2.3s > 1s for 5m\n- runbook: https://runbooks.example/latency", i),
			Mentions: db.Mentions{People: []notify.Person{{Name: "Alice", Mobile: "13800000000", FeishuOpenID: "ou_alice", WeComUserID: "alice"}}}},
			AlertIDs: []int64{int64(i + 1)}}
	}
	if _, err := e.db.Enqueue(e.ctx, items); err != nil {
		b.Fatal(err)
	}
	done := &doneObserver{want: int64(n), done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	eng := New(e.db, e.sender, Options{BaseURL: "http://console.test", Observer: done,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := eng.Start(e.ctx); err != nil {
		b.Fatal(err)
	}
	select {
	case <-done.done: // every outcome is committed before the observer hears of it
	case <-time.After(5 * time.Minute):
		b.Fatalf("only %d of %d delivered after 5 minutes", done.n.Load(), n)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	_ = eng.Close(context.Background())
	b.ReportMetric(float64(n)/elapsed.Seconds(), "notifications/s")
	b.ReportMetric(0, "ns/op")
	depth, err := e.db.QueueDepth(e.ctx)
	if err != nil {
		b.Fatal(err)
	}
	if left := depth[db.StateQueued] + depth[db.StateRetrying] + depth[db.StateSending]; left != 0 {
		b.Fatalf("%d notifications still pending", left)
	}
	acc := 0
	for _, tok := range tokens {
		a, _ := e.sb.Count(tok)
		acc += a
	}
	if acc < n {
		b.Fatalf("sandbox accepted %d of %d", acc, n)
	}
}

// doneObserver closes done when want deliveries were recorded.
type doneObserver struct {
	nopObserver
	n    atomic.Int64
	want int64
	done chan struct{}
}

func (o *doneObserver) Outcome(_ string, _ int64, outcome string, _ time.Duration) {
	if outcome == db.OutcomeDelivered && o.n.Add(1) == o.want {
		close(o.done)
	}
}
