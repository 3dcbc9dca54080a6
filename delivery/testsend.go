package delivery

import (
	"context"
	"strings"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
)

// TestSendResult is what a test-send did.
type TestSendResult struct {
	// Sent is false when the robot's budget was spent (or the platform asked it to wait):
	// nothing was sent and NextSlot says when a send is allowed again.
	Sent     bool
	NextSlot time.Time
	Prepared notify.Prepared
	Outcome  notify.Outcome
	// NotificationID is the history row of the test-send (0 when nothing was sent).
	NotificationID int64
}

// TestSend sends msg to robot now, through the robot's send governor: a test-send takes a
// slot of the robot's budget like any message, so pressing "test" during a storm cannot
// draw a platform's rate-limit penalty; when no slot is free it answers at once with when
// the next one is. The send is recorded as a test-send (notification, attempt, robot
// health, audit). ruleID is the rule of a "test rule", 0 for a robot's own test.
func (e *Engine) TestSend(ctx context.Context, a db.Actor, robot db.Robot, ruleID int64, msg notify.Message) (TestSendResult, error) {
	now := e.clock.Now()
	if robot.ThrottledUntil.After(now) {
		return TestSendResult{NextSlot: robot.ThrottledUntil}, nil
	}
	lim, g := limitOf(robot), e.governor(robot.ID)
	if !e.started.Load() {
		// A console that does not hold delivery (several consoles on one database) keeps
		// no send windows: it counts the robot's sends recorded in the last minute.
		sends, err := e.db.RecentSends(ctx, now.Add(-minuteWindow))
		if err != nil {
			return TestSendResult{}, err
		}
		g = &governor{}
		for _, t := range sends[robot.ID] {
			g.record(t)
		}
	}
	ok, next := g.reserve(now, lim)
	if !ok {
		e.obs.ThrottleWait(robot.Platform)
		return TestSendResult{NextSlot: next}, nil
	}
	nr := robot.Target()
	prep, out := e.sender.Send(ctx, nr, msg)
	answered := e.clock.Now()
	g.release(answered)
	out.Summary = testSendSummary(out.Summary)
	att := db.Attempt{RuleID: ruleID, Outcome: string(out.Class), HTTPStatus: out.HTTPStatus, Code: out.Code,
		Message: out.PlatformMessage, Summary: out.Summary, LatencyMS: out.Latency.Milliseconds(),
		RequestURL: prep.MaskedURL, RequestBody: string(prep.MaskedBody), Response: out.Response}
	ts := db.TestSend{Robot: robot, RuleID: ruleID, Title: msg.Title, Body: msg.Body,
		Mention: db.Mentions{People: msg.Mentions, AtAll: msg.AtAll}, Attempt: att}
	if out.Class == notify.RateLimited {
		ts.ThrottledUntil = answered.Add(rateLimitWait(g, lim, answered, out.RetryAfter))
	}
	id, err := e.db.RecordTestSend(ctx, a, ts)
	if err != nil {
		return TestSendResult{}, err
	}
	g.knowTest(id, answered) // counted already (by release): the worker must not count it again
	e.obs.Outcome(robot.Platform, robot.ID, string(out.Class), out.Latency)
	e.Wake() // the robot's worker may have been waiting for this slot
	return TestSendResult{Sent: true, Prepared: prep, Outcome: out, NotificationID: id}, nil
}

// retryClauses are the endings of the sender's summaries that promise another attempt.
var retryClauses = []string{"; the message will be retried", "; it will be retried shortly", "; it will be retried",
	" and will be retried", "; sending will resume"}

// testSendSummary words an outcome for a test-send, which is never retried: "will be
// retried" is said only of what the outbox retries.
func testSendSummary(summary string) string {
	for _, c := range retryClauses {
		if i := strings.Index(summary, c); i >= 0 {
			return summary[:i] + "; a test-send is not retried: try it again later"
		}
	}
	return summary
}
