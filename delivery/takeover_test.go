package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// A console taking delivery over from one that died mid-send: the dead console's claim is
// sent again (the one message per robot that may be duplicated), the robot's budget counts
// what the dead console sent — recorded sends and the unrecorded one in flight — so the
// platform never refuses a message for its rate limit, and the dead console's fence no
// longer claims anything.
func TestTakeoverKeepsBudgetAndFencesTheDeadConsole(t *testing.T) {
	e := newEnv(t, envOpts{})
	r, sr := e.robot(sandbox.RobotConfig{Platform: notify.DingTalk}, "", 0) // 20 a minute
	la, ok, err := e.db.TryLease(e.ctx, db.RoleDelivery, "A", t0, 5*time.Second)
	if err != nil || !ok {
		t.Fatal(err)
	}
	fa := db.Fence{Role: db.RoleDelivery, Holder: "A", Epoch: la.Epoch}
	first := e.enqueue(r, "first", 19, nil)
	a := e.engine(Options{Fence: fa})
	for _, id := range first {
		e.waitState(id, db.StateDelivered)
	}
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A claims its 20th and dies with the request at the platform, unrecorded.
	last := e.enqueue(r, "in-flight", 1, nil)
	claimed, err := e.db.ClaimFenced(e.ctx, r.ID, last, e.clk.Now(), fa, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if _, out := e.sender.Send(e.ctx, r.Target(), notify.Message{Title: "in-flight-0", Body: "b"}); out.Class != notify.Delivered {
		t.Fatalf("the in-flight send: %+v", out)
	}
	// B takes delivery over once A's lease ran out.
	e.clk.Advance(6 * time.Second)
	lb, ok, err := e.db.TryLease(e.ctx, db.RoleDelivery, "B", t0.Add(6*time.Second), 5*time.Second)
	if err != nil || !ok {
		t.Fatal(err)
	}
	more := e.enqueue(r, "more", 2, nil)
	b := e.engine(Options{Fence: db.Fence{Role: db.RoleDelivery, Holder: "B", Epoch: lb.Epoch}})
	e.idle(b)
	// The minute's budget is spent (19 recorded + 1 in flight): nothing goes out yet (the
	// backlog waits, folded into a digest, for the window to free).
	for _, id := range append(last, more...) {
		if n := e.notification(id); n.State == db.StateDelivered || n.State == db.StateSending {
			t.Fatalf("notification %d is %s within the spent minute", id, n.State)
		}
	}
	if acc, rej := e.sb.Count(sr.Token); acc != 20 || rej != 0 {
		t.Fatalf("sandbox accepted %d and refused %d within the minute, want 20 and none", acc, rej)
	}
	if _, err := e.db.ClaimFenced(e.ctx, r.ID, more, e.clk.Now(), fa, time.Minute); !errors.Is(err, db.ErrFenced) {
		t.Fatalf("the dead console's fence claimed: %v", err)
	}
	e.clk.Advance(61 * time.Second)
	b.Wake()
	waitFor(t, "the backlog to go out", func() bool {
		acc, _ := e.sb.Count(sr.Token)
		return acc > 20
	})
	e.idle(b)
	if _, rej := e.sb.Count(sr.Token); rej != 0 {
		t.Errorf("the platform refused %d messages after the takeover", rej)
	}
	for _, id := range append(last, more...) {
		if n := e.notification(id); n.State != db.StateDelivered && n.State != db.StateFolded {
			t.Errorf("notification %d is %s, want delivered or folded into the delivered digest", id, n.State)
		}
	}
}
