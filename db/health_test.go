package db_test

import (
	"context"
	"testing"
	"time"

	"alertdesk/db"
)

// sendBatch records one engine batch for robot r: one claimed notification per outcome,
// in order, as RecordResults receives them.
func (f *historyFix) sendBatch(t *testing.T, r db.Robot, outcomes ...string) {
	t.Helper()
	var rs []db.DeliveryResult
	for _, o := range outcomes {
		id := f.notification(t, r, f.ruleA, db.StateSending, "x", f.now)
		state := map[string]string{db.OutcomeDelivered: db.StateDelivered, db.OutcomeRetry: db.StateRetrying,
			db.OutcomeRateLimited: db.StateRetrying, db.OutcomeRejected: db.StateFailed, db.OutcomeExpired: db.StateExpired}[o]
		rs = append(rs, db.DeliveryResult{Notification: db.Notification{ID: id, TeamID: r.TeamID, RobotID: r.ID, RuleID: f.ruleA,
			Kind: "firing"}, Platform: r.Platform, State: state, NextAttemptAt: f.now.Add(time.Minute),
			Attempt: db.Attempt{Outcome: o, At: f.now, Summary: "answered " + o}})
	}
	if err := f.d.RecordResults(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func (f *historyFix) robotNow(t *testing.T, id int64) db.Robot {
	t.Helper()
	r, err := f.d.RobotByID(context.Background(), db.AllTeams, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRobotDegradedAfterRetryableFailuresInARow: db.DegradedAfter retryable failures
// (5xx, timeouts) in a row, counted across and within batches, make a robot degraded; a
// delivery ends it; rate limits and expiries neither count nor end it.
func TestRobotDegradedAfterRetryableFailuresInARow(t *testing.T) {
	f := newHistoryFix(t)
	r := f.robotA
	steps := []struct {
		batch    []string
		failures int
	}{
		{[]string{"retry", "retry"}, 2},
		{[]string{"rate_limited", "expired"}, 2},
		{[]string{"retry"}, 3},
		{[]string{"retry", "delivered", "retry"}, 1},
		{[]string{"retry", "retry", "retry", "retry"}, 5},
		{[]string{"delivered"}, 0},
	}
	for i, s := range steps {
		f.sendBatch(t, r, s.batch...)
		got := f.robotNow(t, r.ID)
		if got.ConsecutiveFailures != s.failures || got.Degraded() != (s.failures >= db.DegradedAfter) {
			t.Errorf("after batch %d %v: %d failures in a row (degraded %v), want %d", i, s.batch, got.ConsecutiveFailures,
				got.Degraded(), s.failures)
		}
	}

	// A failing test-send counts too, a delivered one ends the run.
	for range db.DegradedAfter {
		if _, err := f.d.RecordTestSend(context.Background(), historyActor, db.TestSend{Robot: r, Title: "t", Body: "b",
			Attempt: db.Attempt{Outcome: db.OutcomeRetry, HTTPStatus: 502, Summary: "bad gateway"}}); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.robotNow(t, r.ID); !got.Degraded() {
		t.Errorf("after %d failed test-sends the robot is not degraded (%d)", db.DegradedAfter, got.ConsecutiveFailures)
	}
	sum, err := f.d.DashboardSummary(context.Background(), db.AllTeams, f.now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Robots) != 1 || sum.Robots[0].ID != r.ID || !sum.Robots[0].Degraded() {
		t.Errorf("dashboard robots = %+v, want the degraded one", sum.Robots)
	}
}

// TestHealthCountsOnlySends: folded, expired and muted notifications were never sent, so
// they are neither sends nor failures, on the robots list and on the dashboard.
func TestHealthCountsOnlySends(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	at := f.now.Add(-time.Hour)
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "a", at, "retry", "delivered")
	f.notification(t, f.robotA, f.ruleA, db.StateFolded, "b", at, "folded")
	f.notification(t, f.robotA, f.ruleA, db.StateExpired, "c", at, "rate_limited", "expired")
	f.notification(t, f.robotA, f.ruleA, db.StateMuted, "d", at, "muted")

	health, err := f.d.RobotHealth24h(ctx, db.AllTeams, f.now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if h := health[f.robotA.ID]; h.Sends != 3 || h.Failures != 2 {
		t.Errorf("health = %+v, want 3 sends (retry, delivered, rate-limited) of which 2 failed", h)
	}
	sum, err := f.d.DashboardSummary(ctx, db.AllTeams, f.now, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Delivered != 1 || sum.Failed != 2 || sum.Expired != 1 {
		t.Errorf("dashboard delivered %d, failed %d, expired %d; want 1, 2 and 1 apart", sum.Delivered, sum.Failed, sum.Expired)
	}
}
