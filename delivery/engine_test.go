package delivery

import (
	"context"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

func TestDeliversInOrderWithMentionsAndRecords(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "dt", Secret: "generate", Keywords: []string{"ops"}}, "", 0)
	ids := e.enqueue(r, "order", 5, func(i int, it *db.OutboxItem) {
		it.Mentions = db.Mentions{People: []notify.Person{{Name: "Alice", Mobile: "13800000000"}}}
		it.AlertIDs = []int64{int64(100 + i)}
	})
	e.engine(Options{})
	for _, id := range ids {
		e.waitState(id, db.StateDelivered)
	}
	msgs := e.sb.MessagesFor(sr.Token) // newest first
	if len(msgs) != 5 {
		t.Fatalf("sandbox got %d messages, want 5", len(msgs))
	}
	for i := range msgs {
		m := msgs[len(msgs)-1-i]
		if !m.Accepted {
			t.Fatalf("message %d refused: %d %s", i, m.Code, m.ErrMsg)
		}
		if want := "order-" + string(rune('0'+i)); !strings.Contains(m.Title, want) {
			t.Errorf("message %d title %q, want it to contain %q (order)", i, m.Title, want)
		}
		if len(m.Mentions) == 0 || !strings.Contains(strings.Join(m.Mentions, ","), "13800000000") {
			t.Errorf("message %d mentions = %v, want the mobile", i, m.Mentions)
		}
	}
	as := e.attempts(ids[0])
	if len(as) != 1 {
		t.Fatalf("attempts = %d, want 1", len(as))
	}
	a := as[0]
	if a.Outcome != db.OutcomeDelivered || a.HTTPStatus != 200 || a.Code != "0" || a.Attempt != 1 || a.Platform != "dingtalk" ||
		a.Kind != "firing" || a.TeamID != e.team.ID || a.RobotID != r.ID || a.Search != "order-0" || !strings.HasPrefix(a.Summary, "Delivered") {
		t.Errorf("attempt = %+v", a)
	}
	if strings.Contains(a.RequestURL, sr.Token) || !strings.Contains(a.RequestURL, "access_token=…") {
		t.Errorf("request URL not masked: %s", a.RequestURL)
	}
	if !strings.Contains(a.RequestBody, "order-0") || a.Response == "" {
		t.Errorf("request body %q / response %q not recorded", a.RequestBody, a.Response)
	}
	rob := e.robotNow(r.ID)
	if rob.Status != db.RobotVerified || !rob.LastSuccessAt.Equal(t0) {
		t.Errorf("robot health = %s, last success %v; want verified at %v", rob.Status, rob.LastSuccessAt, t0)
	}
	if n := e.notification(ids[0]); n.Attempts != 1 || n.LastOutcome != db.OutcomeDelivered || !n.ClaimedAt.IsZero() {
		t.Errorf("notification after delivery = %+v", n)
	}
}

func TestRetryClasses(t *testing.T) {
	tests := []struct {
		name       string
		platform   notify.Platform
		fault      sandbox.Fault
		wrongSign  bool
		outcome    string
		state      string
		minWait    time.Duration // next attempt at least this far away (retrying)
		maxWait    time.Duration
		throttled  bool
		robotState string
	}{
		{name: "busy", platform: notify.DingTalk, fault: sandbox.FaultBusy, outcome: db.OutcomeRetry, state: db.StateRetrying,
			minWait: 1600 * time.Millisecond, maxWait: 2400 * time.Millisecond, robotState: db.RobotUnverified},
		{name: "server_error", platform: notify.WeCom, fault: sandbox.FaultServerError, outcome: db.OutcomeRetry,
			state: db.StateRetrying, minWait: 1600 * time.Millisecond, maxWait: 2400 * time.Millisecond, robotState: db.RobotUnverified},
		{name: "hang", platform: notify.Feishu, fault: sandbox.FaultHang, outcome: db.OutcomeRetry, state: db.StateRetrying,
			minWait: 1600 * time.Millisecond, maxWait: 2400 * time.Millisecond, robotState: db.RobotUnverified},
		{name: "rate_limited dingtalk", platform: notify.DingTalk, fault: sandbox.FaultRateLimited, outcome: db.OutcomeRateLimited,
			state: db.StateRetrying, minWait: 60 * time.Second, maxWait: 60 * time.Second, throttled: true, robotState: db.RobotUnverified},
		{name: "rate_limited feishu", platform: notify.Feishu, fault: sandbox.FaultRateLimited, outcome: db.OutcomeRateLimited,
			state: db.StateRetrying, minWait: time.Second, maxWait: time.Second, throttled: true, robotState: db.RobotUnverified},
		{name: "wrong sign", platform: notify.DingTalk, wrongSign: true, outcome: db.OutcomeMisconfigured, state: db.StateFailed,
			robotState: db.RobotFailing},
		{name: "removed", platform: notify.WeCom, fault: sandbox.FaultRemoved, outcome: db.OutcomeMisconfigured,
			state: db.StateFailed, robotState: db.RobotFailing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOpts{senderTimeout: 300 * time.Millisecond, hangFor: 5 * time.Second})
			cfg := sandbox.RobotConfig{Platform: tt.platform, Fault: tt.fault}
			secret := ""
			if tt.platform != notify.WeCom {
				cfg.Secret = "generate"
			}
			if tt.wrongSign {
				secret = "SECwrongwrongwrongwrongwrong"
			}
			r, sr := e.robot(cfg, secret, 0)
			ids := e.enqueue(r, tt.name, 2, nil)
			eng := e.engine(Options{})
			n := e.waitState(ids[0], tt.state)
			as := e.attempts(ids[0])
			if len(as) != 1 || as[0].Outcome != tt.outcome || as[0].Attempt != 1 {
				t.Fatalf("attempts = %+v, want one with outcome %s", as, tt.outcome)
			}
			if as[0].Summary == "" {
				t.Errorf("attempt has no summary")
			}
			rob := e.robotNow(r.ID)
			if rob.Status != tt.robotState {
				t.Errorf("robot status = %s, want %s", rob.Status, tt.robotState)
			}
			if rob.LastFailure != as[0].Summary || !rob.LastFailureAt.Equal(as[0].At) {
				t.Errorf("robot last failure = %q at %v, want %q at %v", rob.LastFailure, rob.LastFailureAt, as[0].Summary, as[0].At)
			}
			if tt.state == db.StateFailed {
				if rob.StatusReason != as[0].Summary {
					t.Errorf("robot status reason = %q, want %q", rob.StatusReason, as[0].Summary)
				}
				// Stopped at once, not retried; the next notification is tried and fails too.
				e.waitState(ids[1], db.StateFailed)
				if got := len(e.attempts(ids[0])); got != 1 {
					t.Errorf("failed notification has %d attempts, want 1", got)
				}
				return
			}
			wait := n.NextAttemptAt.Sub(as[0].At)
			if wait < tt.minWait || wait > tt.maxWait {
				t.Errorf("next attempt in %v, want between %v and %v", wait, tt.minWait, tt.maxWait)
			}
			if tt.throttled && !rob.ThrottledUntil.Equal(n.NextAttemptAt) {
				t.Errorf("robot throttled until %v, want %v", rob.ThrottledUntil, n.NextAttemptAt)
			}
			// The queue is ordered: the second notification waits behind the first.
			// (Released back to queued right after the first one's outcome is recorded.)
			if n2 := e.waitState(ids[1], db.StateQueued); n2.Attempts != 0 {
				t.Errorf("second notification = %s with %d attempts, want queued and untried", n2.State, n2.Attempts)
			}
			// Not before its time...
			e.clk.Advance(wait / 2)
			e.idle(eng)
			if got := len(e.attempts(ids[0])); got != 1 {
				t.Fatalf("retried before its time: %d attempts", got)
			}
			// ...and delivered once the platform recovers.
			e.sb.SetFault(sr.Token, sandbox.FaultNone)
			e.clk.Advance(wait)
			e.waitState(ids[0], db.StateDelivered)
			e.waitState(ids[1], db.StateDelivered)
			as = e.attempts(ids[0])
			if len(as) != 2 || as[1].Outcome != db.OutcomeDelivered || as[1].Attempt != 2 {
				t.Errorf("attempts after recovery = %+v", as)
			}
			if rob := e.robotNow(r.ID); rob.Status != db.RobotVerified {
				t.Errorf("robot status after recovery = %s, want verified", rob.Status)
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	e := &Engine{opts: Options{BackoffBase: 2 * time.Second, BackoffMax: 5 * time.Minute, Jitter: 0.2, Rand: func() float64 { return 0.5 }}}
	for n, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second} {
		if got := e.backoff(n); got != want {
			t.Errorf("backoff(%d) = %v, want %v", n, got, want)
		}
	}
	if got := e.backoff(30); got != 5*time.Minute {
		t.Errorf("backoff(30) = %v, want the 5m cap", got)
	}
	e.opts.Rand = func() float64 { return 0 }
	if got := e.backoff(0); got != 1600*time.Millisecond {
		t.Errorf("backoff(0) with jitter low = %v, want 1.6s", got)
	}
	e.opts.Rand = func() float64 { return 1 }
	if got := e.backoff(0); got != 2400*time.Millisecond {
		t.Errorf("backoff(0) with jitter high = %v, want 2.4s", got)
	}
}

func TestExpiresOldAndDisabledWaits(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.WeCom}, "", 0)
	old := e.enqueue(r, "old", 1, func(_ int, it *db.OutboxItem) { it.CreatedAt = t0.Add(-25 * time.Hour) })
	off, offSB := e.robot(sandbox.RobotConfig{Platform: notify.WeCom, Name: "off"}, "", 0)
	if _, err := e.db.SetRobotEnabled(e.ctx, db.SystemActor, db.AllTeams, off.ID, false); err != nil {
		t.Fatal(err)
	}
	waiting := e.enqueue(off, "waiting", 2, nil)
	eng := e.engine(Options{MaxAge: 24 * time.Hour, ExpireInterval: time.Minute, PollInterval: time.Second})

	n := e.waitState(old[0], db.StateExpired)
	as := e.attempts(old[0])
	if len(as) != 1 || as[0].Outcome != db.OutcomeExpired || !strings.Contains(as[0].Summary, "24h") {
		t.Fatalf("expired attempts = %+v", as)
	}
	if n.LastOutcome != db.OutcomeExpired {
		t.Errorf("last outcome = %q", n.LastOutcome)
	}
	if acc, rej := e.sb.Count(sr.Token); acc+rej != 0 {
		t.Errorf("an expired notification was sent")
	}
	// The disabled robot's notifications wait: not sent, not failed.
	e.clk.Advance(10 * time.Second)
	e.idle(eng)
	for _, id := range waiting {
		if n := e.notification(id); n.State != db.StateQueued {
			t.Fatalf("notification of a disabled robot is %s, want queued", n.State)
		}
	}
	// Until they are too old.
	e.clk.Advance(25 * time.Hour)
	for _, id := range waiting {
		e.waitState(id, db.StateExpired)
		as := e.attempts(id)
		if len(as) != 1 || !strings.Contains(as[0].Summary, "disabled") {
			t.Errorf("attempts = %+v, want an expiry that names the disabled robot", as)
		}
	}
	if acc, rej := e.sb.Count(offSB.Token); acc+rej != 0 {
		t.Errorf("a disabled robot was sent to")
	}
	if e.obs.count(db.OutcomeExpired) != 3 {
		t.Errorf("observer saw %d expiries, want 3", e.obs.count(db.OutcomeExpired))
	}
}

func TestRecoversSendingOnStart(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.Feishu}, "", 0)
	ids := e.enqueue(r, "crashed", 3, nil)
	// A previous process claimed two and died before recording.
	if _, err := e.db.Claim(e.ctx, r.ID, ids[:2], t0); err != nil {
		t.Fatal(err)
	}
	e.engine(Options{})
	for _, id := range ids {
		e.waitState(id, db.StateDelivered)
	}
	if acc, _ := e.sb.Count(sr.Token); acc != 3 {
		t.Errorf("sandbox accepted %d, want 3", acc)
	}
}

func TestCloseFinishesInFlightAndLeavesRestQueued(t *testing.T) {
	e := newEnv(t, envOpts{senderTimeout: 5 * time.Second, hangFor: 400 * time.Millisecond})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk, Fault: sandbox.FaultHang}, "", 0)
	ids := e.enqueue(r, "close", 3, nil)
	eng := e.engine(Options{})
	waitFor(t, "the first send to be in flight", func() bool { return e.notification(ids[0]).State == db.StateSending })
	// In flight means at the platform: the sandbox has the request and hangs on it.
	rctx, rcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer rcancel()
	if err := e.sb.WaitRecorded(rctx, sr.Token, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := eng.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := e.notification(ids[0]); n.State != db.StateDelivered {
		t.Errorf("in-flight notification = %s, want delivered (finished before Close returned)", n.State)
	}
	for _, id := range ids[1:] {
		if n := e.notification(id); n.State != db.StateQueued || n.Attempts != 0 {
			t.Errorf("notification %d = %s with %d attempts, want queued", id, n.State, n.Attempts)
		}
	}
	if acc, _ := e.sb.Count(sr.Token); acc != 1 {
		t.Errorf("sandbox accepted %d, want 1", acc)
	}
}

func TestRestartKeepsBudget(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk}, "", 0)
	first := e.enqueue(r, "first", 20, nil)
	eng := e.engine(Options{})
	for _, id := range first {
		e.waitState(id, db.StateDelivered)
	}
	if err := eng.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(10 * time.Second)
	more := e.enqueue(r, "more", 1, nil)
	e.idle(e.engine(Options{})) // a new process: its window comes from delivery_attempts
	if n := e.notification(more[0]); n.State != db.StateQueued {
		t.Fatalf("after a restart the 21st message in a minute is %s, want queued (budget spent)", n.State)
	}
	e.clk.Advance(55 * time.Second)
	e.waitState(more[0], db.StateDelivered)
	if _, rej := e.sb.Count(sr.Token); rej != 0 {
		t.Errorf("sandbox refused %d messages", rej)
	}
}

// A test-send is never retried, so its outcome does not say it will be.
func TestTestSendSummaryPromisesNoRetry(t *testing.T) {
	for _, in := range []string{
		"WeCom is busy; the message will be retried",
		"Feishu is rate limiting this bot (more than 5 a second or 100 a minute); it will be retried shortly",
		"DingTalk did not answer within 10s; the message may still have been delivered and will be retried",
		"WeCom is rate limiting this robot (more than 20 messages a minute); sending will resume after a minute",
		"Sending to WeCom failed (EOF); it will be retried",
	} {
		got := testSendSummary(in)
		if strings.Contains(got, "will be retried") || strings.Contains(got, "will resume") || !strings.Contains(got, "not retried") {
			t.Errorf("testSendSummary(%q) = %q", in, got)
		}
	}
	if got := testSendSummary("Delivered in 12 ms"); got != "Delivered in 12 ms" {
		t.Errorf("a delivery's summary changed: %q", got)
	}
}

// Test-sends take slots of the robot's budget: past it, a test answers at once with the
// next free slot and sends nothing, so the platform never refuses one and queued alerts
// keep their slots.
func TestTestSendWithinTheGovernor(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.WeCom}, "", 0)
	eng := e.engine(Options{})
	msg := notify.Message{Title: "test", Body: "test-send"}
	for i := range 20 {
		res, err := eng.TestSend(e.ctx, db.SystemActor, r, 0, msg)
		if err != nil || !res.Sent || res.Outcome.Class != notify.Delivered {
			t.Fatalf("test-send %d: %+v, %v", i+1, res, err)
		}
		e.clk.Advance(time.Second)
	}
	res, err := eng.TestSend(e.ctx, db.SystemActor, r, 0, msg)
	if err != nil || res.Sent || res.NextSlot.IsZero() || !res.NextSlot.After(e.clk.Now()) {
		t.Fatalf("21st test-send in a minute: %+v, %v; want not sent, with the next free slot", res, err)
	}
	if acc, rej := e.sb.Count(sr.Token); acc != 20 || rej != 0 {
		t.Errorf("sandbox accepted %d, refused %d; want 20 and none", acc, rej)
	}
	e.clk.Set(res.NextSlot)
	if res, err := eng.TestSend(e.ctx, db.SystemActor, r, 0, msg); err != nil || !res.Sent {
		t.Errorf("at the next slot: %+v, %v; want sent", res, err)
	}
}

// A rate-limit answer waits out the window that was hit: 1 s after a Feishu per-second
// refusal, the rest of the minute after a per-minute one, the minute on DingTalk.
func TestRateLimitWaitFollowsTheWindowHit(t *testing.T) {
	now := t0
	feishu := notify.Limit{PerSecond: 5, PerMinute: 100}
	g := &governor{}
	for i := range 5 {
		g.record(now.Add(-time.Duration(i) * 100 * time.Millisecond))
	}
	if got := rateLimitWait(g, feishu, now, time.Second); got != time.Second {
		t.Errorf("Feishu per-second refusal: wait %s, want 1s", got)
	}
	g = &governor{}
	for i := range 100 {
		g.record(now.Add(-50*time.Second + time.Duration(i)*100*time.Millisecond))
	}
	if got := rateLimitWait(g, feishu, now, time.Second); got < 5*time.Second || got > 15*time.Second {
		t.Errorf("Feishu per-minute refusal: wait %s, want the rest of the minute (about 11 s)", got)
	}
	if got := rateLimitWait(&governor{}, notify.Limit{PerMinute: 20}, now, time.Minute); got != time.Minute {
		t.Errorf("DingTalk refusal: wait %s, want a minute", got)
	}
}
