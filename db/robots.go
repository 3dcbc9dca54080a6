package db

import (
	"alertdesk/notify"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Robot statuses.
const (
	RobotUnverified = "unverified"
	RobotVerified   = "verified"
	RobotFailing    = "failing"
)

// Robot is a chat-group robot webhook: a notification object.
type Robot struct {
	ID             int64
	TeamID         int64
	TeamName       string
	Name           string
	Platform       string
	WebhookURL     string // decrypted; never shown in full, never logged
	WebhookHint    string // "…a3f9"
	Secret         string // decrypted signing secret, "" when none
	SecretHint     string
	Keywords       []string
	Enabled        bool
	Status         string
	StatusReason   string
	LastSuccessAt  time.Time
	LastFailureAt  time.Time
	LastFailure    string
	ThrottledUntil time.Time
	PerMinute      int // 0 = the platform's limit
	PerSecond      int
	// ConsecutiveFailures counts retryable failures (5xx, timeouts, connection errors)
	// since the robot last delivered; see Degraded.
	ConsecutiveFailures int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Target is the robot as the platform adapters see it (credentials decrypted).
func (r Robot) Target() notify.Robot {
	return notify.Robot{Platform: notify.Platform(r.Platform), WebhookURL: r.WebhookURL, Secret: r.Secret, Keywords: r.Keywords}
}

// DegradedAfter is how many retryable failures in a row make a robot degraded: the
// platform is reachable in principle (not failing: no configuration or content refusal)
// but has not taken a message for a while. One delivery ends it.
const DegradedAfter = 3

// Degraded reports whether the robot's last DegradedAfter or more sends all failed with
// a retryable error.
func (r Robot) Degraded() bool { return r.ConsecutiveFailures >= DegradedAfter }

// RobotInput creates or edits a robot. On edit, an empty WebhookURL or Secret keeps the
// stored one (users replace credentials, they never read them back); ClearSecret removes it.
type RobotInput struct {
	TeamID      int64
	Name        string
	Platform    string
	WebhookURL  string
	WebhookHint string
	Secret      string
	SecretHint  string
	ClearSecret bool
	Keywords    []string
	Enabled     bool
	PerMinute   int
	PerSecond   int
}

// robotAudit is what the audit log keeps of a robot: hints, never credentials.
type robotAudit struct {
	Name      string   `json:"name"`
	Platform  string   `json:"platform"`
	Webhook   string   `json:"webhook"`
	Secret    string   `json:"secret,omitempty"`
	Keywords  []string `json:"keywords"`
	Enabled   bool     `json:"enabled"`
	PerMinute int      `json:"per_minute,omitempty"`
	PerSecond int      `json:"per_second,omitempty"`
}

func auditOfRobot(r Robot) robotAudit {
	return robotAudit{Name: r.Name, Platform: r.Platform, Webhook: "[redacted " + r.WebhookHint + "]",
		Secret: redactedHint(r.SecretHint), Keywords: r.Keywords, Enabled: r.Enabled, PerMinute: r.PerMinute, PerSecond: r.PerSecond}
}

func redactedHint(h string) string {
	if h == "" {
		return ""
	}
	return "[redacted " + h + "]"
}

const robotCols = `r.id, r.team_id, t.name, r.name, r.platform, r.webhook_enc, r.webhook_hint, r.secret_enc, r.secret_hint,
	r.keywords, r.enabled, r.status, r.status_reason, r.last_success_at, r.last_failure_at, r.last_failure,
	r.throttled_until, r.per_minute, r.per_second, r.consecutive_failures, r.created_at, r.updated_at`

const robotFrom = ` FROM robots r JOIN teams t ON t.id = r.team_id`

// liveRobot leaves deleted robots out: their rows stay only for the history.
const liveRobot = `r.deleted_at IS NULL`

func (d *DB) scanRobot(row interface{ Scan(...any) error }) (Robot, error) {
	var r Robot
	var webhook, secret []byte
	var keywords string
	var success, failure, throttled sql.NullInt64
	var created, updated int64
	err := row.Scan(&r.ID, &r.TeamID, &r.TeamName, &r.Name, &r.Platform, &webhook, &r.WebhookHint, &secret, &r.SecretHint,
		&keywords, &r.Enabled, &r.Status, &r.StatusReason, &success, &failure, &r.LastFailure, &throttled,
		&r.PerMinute, &r.PerSecond, &r.ConsecutiveFailures, &created, &updated)
	if err != nil {
		return r, err
	}
	r.LastSuccessAt, r.LastFailureAt, r.ThrottledUntil = nullMS(success), nullMS(failure), nullMS(throttled)
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	_ = json.Unmarshal([]byte(keywords), &r.Keywords)
	if r.WebhookURL, err = d.seal.open(webhook, "robot.webhook"); err != nil {
		return r, err
	}
	if len(secret) > 0 {
		if r.Secret, err = d.seal.open(secret, "robot.secret"); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Robots lists the robots visible in scope, by team and name.
func (d *DB) Robots(ctx context.Context, s Scope) ([]Robot, error) {
	cond, args := s.clause("r.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+robotCols+robotFrom+` WHERE `+liveRobot+` AND `+cond+` ORDER BY t.name, r.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: robots: %w", err)
	}
	defer rows.Close()
	var out []Robot
	for rows.Next() {
		r, err := d.scanRobot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RobotByID returns a robot in scope; ErrNotFound for another team's robot.
func (d *DB) RobotByID(ctx context.Context, s Scope, id int64) (Robot, error) {
	return d.robotByID(ctx, d.read, s, id)
}

func (d *DB) robotByID(ctx context.Context, q querier, s Scope, id int64) (Robot, error) {
	cond, args := s.clause("r.team_id")
	r, err := d.scanRobot(q.QueryRowContext(ctx, `SELECT `+robotCols+robotFrom+` WHERE r.id = ? AND `+liveRobot+` AND `+cond, append([]any{id}, args...)...))
	return r, mapErr(err)
}

func keywordsJSON(k []string) string {
	if k == nil {
		k = []string{}
	}
	b, _ := json.Marshal(k)
	return string(b)
}

// CreateRobot stores a new, unverified robot.
func (d *DB) CreateRobot(ctx context.Context, a Actor, in RobotInput) (Robot, error) {
	now := d.now()
	var r Robot
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		var secret any
		if in.Secret != "" {
			secret = d.seal.seal(in.Secret, "robot.secret")
		}
		res, err := insertReturningID(ctx, tx, `INSERT INTO robots (team_id, name, platform, webhook_enc, webhook_hint, secret_enc,
			secret_hint, keywords, enabled, per_minute, per_second, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.TeamID, in.Name, in.Platform, d.seal.seal(in.WebhookURL, "robot.webhook"), in.WebhookHint, secret, in.SecretHint,
			keywordsJSON(in.Keywords), in.Enabled, in.PerMinute, in.PerSecond, ms(now), ms(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if r, err = d.robotByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "robot.create", ObjectType: "robot", ObjectID: id,
			ObjectName: r.Name, TeamID: r.TeamID, After: auditOfRobot(r)})
	})
	return r, mapErr(err)
}

// UpdateRobot edits a robot in scope. Changing the webhook or secret makes it unverified again.
func (d *DB) UpdateRobot(ctx context.Context, a Actor, s Scope, id int64, in RobotInput) (Robot, error) {
	now := d.now()
	var r Robot
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := d.robotByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		credsChanged := false
		webhook, webhookHint := d.seal.seal(old.WebhookURL, "robot.webhook"), old.WebhookHint
		if in.WebhookURL != "" && in.WebhookURL != old.WebhookURL {
			webhook, webhookHint, credsChanged = d.seal.seal(in.WebhookURL, "robot.webhook"), in.WebhookHint, true
		}
		var secret any
		secretHint := old.SecretHint
		if old.Secret != "" {
			secret = d.seal.seal(old.Secret, "robot.secret")
		}
		switch {
		case in.ClearSecret:
			secret, secretHint, credsChanged = nil, "", credsChanged || old.Secret != ""
		case in.Secret != "" && in.Secret != old.Secret:
			secret, secretHint, credsChanged = d.seal.seal(in.Secret, "robot.secret"), in.SecretHint, true
		}
		status, reason := old.Status, old.StatusReason
		if credsChanged || in.Platform != old.Platform {
			status, reason = RobotUnverified, ""
		}
		_, err = tx.ExecContext(ctx, `UPDATE robots SET name = ?, platform = ?, webhook_enc = ?, webhook_hint = ?, secret_enc = ?,
			secret_hint = ?, keywords = ?, enabled = ?, per_minute = ?, per_second = ?, status = ?, status_reason = ?, updated_at = ?
			WHERE id = ?`, in.Name, in.Platform, webhook, webhookHint, secret, secretHint, keywordsJSON(in.Keywords), in.Enabled,
			in.PerMinute, in.PerSecond, status, reason, ms(now), id)
		if err != nil {
			return err
		}
		if r, err = d.robotByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "robot.update", ObjectType: "robot", ObjectID: id,
			ObjectName: r.Name, TeamID: r.TeamID, Before: auditOfRobot(old), After: auditOfRobot(r)})
	})
	return r, mapErr(err)
}

// SetRobotEnabled enables or disables a robot in scope.
func (d *DB) SetRobotEnabled(ctx context.Context, a Actor, s Scope, id int64, enabled bool) (Robot, error) {
	now := d.now()
	var r Robot
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := d.robotByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE robots SET enabled = ?, updated_at = ? WHERE id = ?`, enabled, ms(now), id); err != nil {
			return err
		}
		r = old
		r.Enabled = enabled
		action := "robot.disable"
		if enabled {
			action = "robot.enable"
		}
		return insertAudit(ctx, tx, now, a, Change{Action: action, ObjectType: "robot", ObjectID: id, ObjectName: r.Name,
			TeamID: r.TeamID, Before: auditOfRobot(old), After: auditOfRobot(r)})
	})
	return r, mapErr(err)
}

// RobotInUseError is DeleteRobot's answer while alert rules send to the robot: which ones.
type RobotInUseError struct {
	Rules []RuleUse
}

func (e *RobotInUseError) Error() string {
	return fmt.Sprintf("db: robot used by %d rules", len(e.Rules))
}

func (e *RobotInUseError) Unwrap() error { return ErrInUse }

// RuleUse is a rule that sends to a robot.
type RuleUse struct {
	ID      int64
	Name    string
	Enabled bool
	// LastRobot: the robot is the rule's only one, so removing it leaves the rule
	// without robots, and an enabled rule is then disabled.
	LastRobot bool
}

// RulesUsingRobot lists the rules that send to a robot, by name.
func (d *DB) RulesUsingRobot(ctx context.Context, robotID int64) ([]RuleUse, error) {
	return rulesUsingRobot(ctx, d.read, robotID)
}

func rulesUsingRobot(ctx context.Context, q querier, robotID int64) ([]RuleUse, error) {
	rows, err := q.QueryContext(ctx, `SELECT r.id, r.name, r.enabled,
		(SELECT COUNT(*) FROM rule_robots o WHERE o.rule_id = r.id) = 1
		FROM rule_robots l JOIN rules r ON r.id = l.rule_id
		WHERE l.robot_id = ? AND r.deleted_at IS NULL ORDER BY lower(r.name), r.id`, robotID)
	if err != nil {
		return nil, fmt.Errorf("db: rules using robot: %w", err)
	}
	defer rows.Close()
	var out []RuleUse
	for rows.Next() {
		var u RuleUse
		if err := rows.Scan(&u.ID, &u.Name, &u.Enabled, &u.LastRobot); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteRobot deletes a robot in scope that no alert rule sends to; while one does, a
// *RobotInUseError (ErrInUse) names them.
func (d *DB) DeleteRobot(ctx context.Context, a Actor, s Scope, id int64) error {
	_, err := d.DeleteRobotFromRules(ctx, a, s, id, nil)
	return err
}

// DeleteRobotFromRules removes a robot in scope from the rules ruleIDs and deletes it, in
// one transaction: what the "remove from these N rules" confirmation posts. ruleIDs must be
// exactly the rules that send to the robot now; when they are not (a rule started using it
// after the confirmation was shown), nothing changes and a *RobotInUseError lists the
// current ones. Each rule's change is audited; a rule left without robots is disabled,
// since an enabled rule needs somewhere to send. It returns the rules it changed.
//
// The delete is soft: the row stays with deleted_at set, so the delivery history keeps
// naming the robot and its id is never handed out again; it leaves every list and picker
// and its name is free. Its notifications still waiting to be sent are given up, each
// with an attempt that says why.
func (d *DB) DeleteRobotFromRules(ctx context.Context, a Actor, s Scope, id int64, ruleIDs []int64) ([]RuleUse, error) {
	now := d.now()
	var uses []RuleUse
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := d.robotByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		uses, err = rulesUsingRobot(ctx, tx, id)
		if err != nil {
			return err
		}
		if !sameRules(uses, ruleIDs) {
			return &RobotInUseError{Rules: uses}
		}
		for _, u := range uses {
			if err := detachRobot(ctx, tx, now, a, u, old); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE robots SET deleted_at = ?, enabled = 0, updated_at = ? WHERE id = ?`,
			ms(now), ms(now), id); err != nil {
			return err
		}
		if err := giveUpPending(ctx, tx, old, now); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "robot.delete", ObjectType: "robot", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfRobot(old)})
	})
	var inUse *RobotInUseError
	if errors.As(err, &inUse) {
		return nil, err
	}
	if err != nil {
		return nil, mapErr(err)
	}
	return uses, nil
}

func sameRules(uses []RuleUse, ids []int64) bool {
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	if len(want) != len(uses) {
		return false
	}
	for _, u := range uses {
		if !want[u.ID] {
			return false
		}
	}
	return true
}

// detachRobot removes robot from rule u (disabling the rule when it was its last robot)
// and audits the change as an update of the rule.
func detachRobot(ctx context.Context, tx *sql.Tx, now time.Time, a Actor, u RuleUse, robot Robot) error {
	rule, err := ruleByID(ctx, tx, AllTeams, u.ID)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM rule_robots WHERE rule_id = ? AND robot_id = ?`, u.ID, robot.ID); err != nil {
		return err
	}
	after := rule
	after.RobotIDs = nil
	for _, rid := range rule.RobotIDs {
		if rid != robot.ID {
			after.RobotIDs = append(after.RobotIDs, rid)
		}
	}
	if len(after.RobotIDs) == 0 && after.Enabled {
		after.Enabled = false
	}
	if _, err := tx.ExecContext(ctx, `UPDATE rules SET enabled = ?, updated_at = ? WHERE id = ?`, after.Enabled, ms(now), u.ID); err != nil {
		return err
	}
	return insertAudit(ctx, tx, now, a, Change{Action: "rule.update", ObjectType: "rule", ObjectID: rule.ID,
		ObjectName: rule.Name, TeamID: rule.TeamID, Before: auditOfRule(rule), After: auditOfRule(after)})
}

// giveUpPending ends the robot's queued and retrying notifications as expired, each with
// an attempt saying the robot was deleted, so nothing it owed disappears silently. A
// notification being sent right now is recorded by the engine as usual.
func giveUpPending(ctx context.Context, tx *sql.Tx, robot Robot, now time.Time) error {
	const summary = "Not sent: the robot was deleted"
	rows, err := tx.QueryContext(ctx, `UPDATE notifications SET state = 'expired', last_outcome = 'expired', last_summary = ?,
		claimed_at = NULL, updated_at = ? WHERE robot_id = ? AND state IN ('queued', 'retrying')
		RETURNING id, team_id, COALESCE(rule_id, 0), kind, attempts, search`, summary, ms(now), robot.ID)
	if err != nil {
		return err
	}
	var as []Attempt
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.NotificationID, &a.TeamID, &a.RuleID, &a.Kind, &a.Attempt, &a.Search); err != nil {
			rows.Close()
			return err
		}
		as = append(as, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range as {
		a := &as[i]
		a.RobotID, a.Platform, a.At, a.Outcome, a.Summary = robot.ID, robot.Platform, now, OutcomeExpired, summary
		if err := insertAttempt(ctx, tx, a); err != nil {
			return err
		}
	}
	return nil
}

// RobotHealth is a robot's delivery record over the last 24 hours. Only sends count:
// requests that reached (or tried to reach) the platform. Folded, expired and muted
// notifications were never sent and are not in these numbers.
type RobotHealth struct {
	Sends, Failures int
}

// RobotHealth24h counts sends and failed sends per robot since `since` (test-sends left out).
func (d *DB) RobotHealth24h(ctx context.Context, s Scope, since time.Time) (map[int64]RobotHealth, error) {
	cond, args := s.clause("team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT robot_id, COUNT(*), SUM(CASE WHEN outcome != 'delivered' THEN 1 ELSE 0 END)
		FROM delivery_attempts WHERE at >= ? AND kind != 'test' AND outcome NOT IN ('folded', 'expired', 'muted')
		AND `+cond+` GROUP BY robot_id`, append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("db: robot health: %w", err)
	}
	defer rows.Close()
	out := map[int64]RobotHealth{}
	for rows.Next() {
		var id int64
		var h RobotHealth
		if err := rows.Scan(&id, &h.Sends, &h.Failures); err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, rows.Err()
}
