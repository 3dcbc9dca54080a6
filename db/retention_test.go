package db_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"alertdesk/db"
)

func (f *historyFix) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.raw.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPruneBefore(t *testing.T) {
	f := newHistoryFix(t)
	ctx := context.Background()
	cutoff := f.now.Add(-90 * 24 * time.Hour)
	old, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)

	var oldDone []int64
	for range 7 {
		oldDone = append(oldDone, f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "old", old, "retry", "delivered"))
	}
	oldFailed := f.notification(t, f.robotB, f.ruleB, db.StateFailed, "old", old, "rejected")
	oldQueued := f.notification(t, f.robotA, f.ruleA, db.StateRetrying, "old, still in the outbox", old, "retry")
	resent := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "old but resent", old, "rejected")
	if _, err := f.raw.Exec(`INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id, platform, kind, attempt,
		at, outcome) VALUES (?, ?, ?, ?, 'dingtalk', 'firing', 2, ?, 'delivered')`, resent, f.teamA.ID, f.robotA.ID, f.ruleA,
		recent.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	keep := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "recent", recent, "delivered")
	oldAlert := f.alert(t, f.teamA.ID, "old alert", old, oldDone[0], oldDone[1])
	keptByQueued := f.alert(t, f.teamA.ID, "old alert of a queued notification", old, oldQueued)
	loneOld := f.alert(t, f.teamA.ID, "old alert nobody carried", old)
	recentAlert := f.alert(t, f.teamA.ID, "recent alert", recent, keep)

	deleted, err := f.d.PruneBefore(ctx, cutoff, 3) // small batches: many transactions
	if err != nil {
		t.Fatal(err)
	}
	// 7×2 + 1 + 1 + 1 attempts, 7 + 1 notifications (with 2 links), 2 alerts
	if want := 17 + 8 + 2; deleted != want {
		t.Errorf("deleted = %d, want %d", deleted, want)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM delivery_attempts WHERE at < ?`, cutoff.UnixMilli()); n != 0 {
		t.Errorf("%d old attempts left", n)
	}
	for _, id := range append(oldDone, oldFailed) {
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE id = ?`, id); n != 0 {
			t.Errorf("old finished notification %d kept", id)
		}
	}
	for name, id := range map[string]int64{"queued": oldQueued, "resent": resent, "recent": keep} {
		if n := f.count(t, `SELECT COUNT(*) FROM notifications WHERE id = ?`, id); n != 1 {
			t.Errorf("%s notification %d was deleted", name, id)
		}
	}
	if n := f.count(t, `SELECT COUNT(*) FROM delivery_attempts WHERE notification_id = ?`, resent); n != 1 {
		t.Errorf("the resent notification has %d attempts, want its recent one", n)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM notification_alerts WHERE alert_id = ?`, oldAlert); n != 0 {
		t.Errorf("%d links to pruned notifications left", n)
	}
	for name, id := range map[string]int64{"old": oldAlert, "lone": loneOld} {
		if n := f.count(t, `SELECT COUNT(*) FROM alerts WHERE id = ?`, id); n != 0 {
			t.Errorf("%s alert %d kept", name, id)
		}
	}
	for name, id := range map[string]int64{"carried by a queued notification": keptByQueued, "recent": recentAlert} {
		if n := f.count(t, `SELECT COUNT(*) FROM alerts WHERE id = ?`, id); n != 1 {
			t.Errorf("%s alert %d was deleted", name, id)
		}
	}
	again, err := f.d.PruneBefore(ctx, cutoff, 3)
	if err != nil || again != 0 {
		t.Errorf("second prune deleted %d (%v), want 0", again, err)
	}
}

func TestRunRetentionStopsWithContext(t *testing.T) {
	f := newHistoryFix(t)
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "old", f.now.Add(-100*24*time.Hour), "delivered")
	// The newest row of a table is never pruned (it keeps ids from being reused); this
	// one is recent anyway.
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "new", f.now, "delivered")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.d.RunRetention(ctx, 90*24*time.Hour, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for f.count(t, `SELECT COUNT(*) FROM delivery_attempts`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first round did not prune right away")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunRetention did not return after the context ended")
	}
}
