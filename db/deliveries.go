package db

import (
	"alertdesk/notify"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Notification states.
const (
	StateQueued    = "queued"
	StateSending   = "sending"
	StateRetrying  = "retrying"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateExpired   = "expired"
	StateMuted     = "muted"
	StateFolded    = "folded"
)

// Mentions is who a notification @-mentions.
type Mentions struct {
	People []notify.Person `json:"people,omitempty"`
	AtAll  bool            `json:"all,omitempty"`
}

// Notification is one outbox row: a rendered message for one robot.
type Notification struct {
	ID            int64
	TeamID        int64
	RobotID       int64
	RuleID        int64
	GroupKey      string
	Kind          string
	Severity      string
	Title         string
	Body          string
	Mentions      Mentions
	State         string
	DigestID      int64
	Attempts      int
	NextAttemptAt time.Time
	ClaimedAt     time.Time
	AlertCount    int
	Search        string
	LastOutcome   string
	LastSummary   string
	// TemplateFailure: the rule's template failed on this group and the platform's default
	// was used; why (never part of the message).
	TemplateFailure string
	// IncidentID is the incident the message speaks of (0: none, e.g. a test-send).
	IncidentID int64
	// Actions are the links to act on the incident the message carries.
	Actions []notify.Action
	// Purpose: PurposeFollowUp or PurposeSummary; "" for alert messages.
	Purpose   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Attempt is one row of the delivery history.
type Attempt struct {
	ID             int64
	NotificationID int64
	TeamID         int64
	RobotID        int64
	RuleID         int64
	Platform       string
	Kind           string
	Attempt        int
	At             time.Time
	Outcome        string
	HTTPStatus     int
	Code           string
	Message        string
	Summary        string
	LatencyMS      int64
	RequestURL     string
	RequestBody    string
	Response       string
	Search         string
}

func mentionsJSON(m Mentions) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func insertNotification(ctx context.Context, q querier, n *Notification) error {
	res, err := insertReturningID(ctx, q, `INSERT INTO notifications (team_id, robot_id, rule_id, group_key, kind, severity, title, body,
		mentions, state, digest_id, attempts, next_attempt_at, alert_count, search, last_outcome, last_summary, created_at, updated_at,
		template_failure, incident_id, actions, purpose)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.TeamID, n.RobotID, nullID(n.RuleID), n.GroupKey, n.Kind, n.Severity, n.Title, n.Body, mentionsJSON(n.Mentions),
		n.State, nullID(n.DigestID), n.Attempts, ms(n.NextAttemptAt), n.AlertCount, n.Search, n.LastOutcome, n.LastSummary,
		ms(n.CreatedAt), ms(n.UpdatedAt), n.TemplateFailure, nullID(n.IncidentID), actionsJSON(n.Actions), n.Purpose)
	if err != nil {
		return fmt.Errorf("db: insert notification: %w", err)
	}
	n.ID, _ = res.LastInsertId()
	return nil
}

// Notification purposes besides alert messages.
const (
	PurposeFollowUp = "followup"
	PurposeSummary  = "summary"
)

func actionsJSON(as []notify.Action) string {
	if len(as) == 0 {
		return ""
	}
	b, _ := json.Marshal(as)
	return string(b)
}

func insertAttempt(ctx context.Context, q querier, a *Attempt) error {
	res, err := insertReturningID(ctx, q, `INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id, platform, kind,
		attempt, at, outcome, http_status, code, message, summary, latency_ms, request_url, request_body, response, search)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.NotificationID, a.TeamID, a.RobotID, a.RuleID, a.Platform, a.Kind, a.Attempt, ms(a.At), a.Outcome, a.HTTPStatus,
		a.Code, a.Message, a.Summary, a.LatencyMS, a.RequestURL, a.RequestBody, a.Response, a.Search)
	if err != nil {
		return fmt.Errorf("db: insert attempt: %w", err)
	}
	a.ID, _ = res.LastInsertId()
	return nil
}

// Outcomes as stored. A platform's answer is stored as its notify.Class (one definition of
// those words); muted, expired and folded are the console's own decisions, made without
// asking a platform.
const (
	OutcomeDelivered     = string(notify.Delivered)
	OutcomeRetry         = string(notify.Retry)
	OutcomeRateLimited   = string(notify.RateLimited)
	OutcomeMisconfigured = string(notify.Misconfigured)
	OutcomeRejected      = string(notify.Rejected)
	OutcomeMuted         = "muted"
	OutcomeExpired       = "expired"
	OutcomeFolded        = "folded"
)

// applyRobotOutcome keeps a robot's health in step with what its platform answered:
// success verifies it, configuration and content refusals mark it failing with the reason,
// rate limits record until when it is throttled. The run of retryable failures (what
// makes a robot degraded) is kept by addFailureRun.
func applyRobotOutcome(ctx context.Context, q querier, robotID int64, outcome, summary string, at, throttledUntil time.Time) error {
	var err error
	switch outcome {
	case OutcomeDelivered:
		_, err = q.ExecContext(ctx, `UPDATE robots SET last_success_at = ?, status = 'verified', status_reason = '' WHERE id = ?`,
			ms(at), robotID)
	case OutcomeMisconfigured, OutcomeRejected:
		_, err = q.ExecContext(ctx, `UPDATE robots SET last_failure_at = ?, last_failure = ?, status = 'failing', status_reason = ?
			WHERE id = ?`, ms(at), summary, summary, robotID)
	case OutcomeRateLimited:
		_, err = q.ExecContext(ctx, `UPDATE robots SET last_failure_at = ?, last_failure = ?, throttled_until = ? WHERE id = ?`,
			ms(at), summary, nullTime(throttledUntil), robotID)
	case OutcomeRetry:
		_, err = q.ExecContext(ctx, `UPDATE robots SET last_failure_at = ?, last_failure = ? WHERE id = ?`, ms(at), summary, robotID)
	}
	return err
}

// failureRun is what a batch of sends did to a robot's run of retryable failures: ended
// by a delivery (reset), then lengthened by n more.
type failureRun struct {
	reset bool
	n     int
}

// add folds one more send's outcome into the run. Only real sends reach it: folded,
// expired and muted decisions are not sends. Rate limits and refusals leave the run as it
// is (a refusal makes the robot failing, a rate limit throttled).
func (f *failureRun) add(outcome string) {
	switch outcome {
	case OutcomeDelivered:
		f.reset, f.n = true, 0
	case OutcomeRetry:
		f.n++
	}
}

// addFailureRun applies a batch's failureRun to the robot's consecutive_failures.
func addFailureRun(ctx context.Context, q querier, robotID int64, f failureRun) error {
	if !f.reset && f.n == 0 {
		return nil
	}
	_, err := q.ExecContext(ctx, `UPDATE robots SET consecutive_failures = CASE WHEN ? = 1 THEN ? ELSE consecutive_failures + ? END
		WHERE id = ?`, f.reset, f.n, f.n, robotID)
	return err
}

// TestSend is the record of one test-send: the message and what the platform answered.
type TestSend struct {
	Robot   Robot
	RuleID  int64 // the rule of a "test rule"; 0 for a robot's own test-send
	Title   string
	Body    string
	Mention Mentions
	Attempt Attempt // Outcome, HTTP status, code, message, summary, latency, masked request, response
	// ThrottledUntil: after a rate-limit answer, when the robot may send again.
	ThrottledUntil time.Time
}

// RecordTestSend stores a test-send as a notification with one attempt, updates the robot's
// health and writes the audit event, in one transaction. It returns the notification id.
func (d *DB) RecordTestSend(ctx context.Context, a Actor, t TestSend) (int64, error) {
	now := d.now()
	var id int64
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		state := StateFailed
		if t.Attempt.Outcome == OutcomeDelivered {
			state = StateDelivered
		}
		n := Notification{TeamID: t.Robot.TeamID, RobotID: t.Robot.ID, RuleID: t.RuleID, Kind: "test", Title: t.Title, Body: t.Body,
			Mentions: t.Mention, State: state, Attempts: 1, NextAttemptAt: now, Search: "test " + t.Robot.Name,
			LastOutcome: t.Attempt.Outcome, LastSummary: t.Attempt.Summary, CreatedAt: now, UpdatedAt: now}
		if err := insertNotification(ctx, tx, &n); err != nil {
			return err
		}
		id = n.ID
		at := t.Attempt
		at.NotificationID, at.TeamID, at.RobotID, at.Platform, at.Kind, at.Attempt, at.At, at.Search =
			n.ID, t.Robot.TeamID, t.Robot.ID, t.Robot.Platform, "test", 1, now, n.Search
		if err := insertAttempt(ctx, tx, &at); err != nil {
			return err
		}
		if err := applyRobotOutcome(ctx, tx, t.Robot.ID, at.Outcome, at.Summary, now, t.ThrottledUntil); err != nil {
			return err
		}
		var run failureRun
		run.add(at.Outcome)
		if err := addFailureRun(ctx, tx, t.Robot.ID, run); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "robot.test_send", ObjectType: "robot", ObjectID: t.Robot.ID,
			ObjectName: t.Robot.Name, TeamID: t.Robot.TeamID,
			After: map[string]any{"outcome": at.Outcome, "summary": at.Summary, "notification": n.ID}})
	})
	return id, mapErr(err)
}
