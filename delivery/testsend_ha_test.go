package delivery

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// Test-sends made on a console without the delivery role (its standby engine) use the
// robot's budget: the console holding delivery counts them before it sends, so a storm
// right after them does not overrun the platform's limit.
func TestHolderCountsTestSendsMadeElsewhere(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk}, "", 0) // 20 a minute
	l, ok, err := e.db.TryLease(e.ctx, db.RoleDelivery, "A", t0, time.Hour)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	holder := e.engine(Options{Fence: db.Fence{Role: db.RoleDelivery, Holder: "A", Epoch: l.Epoch}})
	e.idle(holder)
	// Console B, without the role, test-sends five times through its standby engine.
	standby := New(e.db, e.sender, Options{Clock: e.clk, Observer: e.obs, BaseURL: "http://console.test",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	for i := range 5 {
		res, err := standby.TestSend(e.ctx, db.SystemActor, r, 0, notify.Message{Title: "test", Body: "test-send"})
		if err != nil || !res.Sent {
			t.Fatalf("test-send %d on the standby console: %+v, %v", i+1, res, err)
		}
		e.clk.Advance(time.Second)
	}
	// A storm for the robot on the holder: it has 15 sends left in this minute, not 20.
	e.enqueue(r, "storm", 20, nil)
	holder.Wake()
	e.idle(holder)
	acc, rej := e.sb.Count(sr.Token)
	if rej != 0 || acc > 20 {
		t.Fatalf("the sandbox accepted %d and refused %d within the minute; want at most 20 and no refusal", acc, rej)
	}
	if acc <= 5 {
		t.Fatalf("the holder sent nothing (sandbox accepted %d)", acc)
	}
	// The holder's own test-sends are counted once, not again when it reads the records.
	e.clk.Advance(2 * time.Minute)
	holder.Wake()
	e.idle(holder)
	before, _ := e.sb.Count(sr.Token)
	for i := range 3 {
		if res, err := holder.TestSend(e.ctx, db.SystemActor, r, 0, notify.Message{Title: "test", Body: "own"}); err != nil || !res.Sent {
			t.Fatalf("holder's test-send %d: %+v, %v", i+1, res, err)
		}
	}
	g := holder.governor(r.ID)
	marks, err := e.db.TestSendsSince(e.ctx, r.ID, e.clk.Now().Add(-minuteWindow))
	if err != nil || len(marks) != 3 {
		t.Fatalf("recorded test-sends: %v, %v", marks, err)
	}
	g.learnTests(marks, e.clk.Now(), holder.seeded)
	if n := g.countSince(e.clk.Now().Add(-minuteWindow)); n != 3 {
		after, _ := e.sb.Count(sr.Token)
		t.Fatalf("the governor counts %d sends in the window after 3 own test-sends (sandbox: %d new)", n, after-before)
	}
}
