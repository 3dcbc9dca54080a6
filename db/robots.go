package db

import (
	"alertdesk/notify"
	"context"
	"database/sql"
	"encoding/json"
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
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Target is the robot as the platform adapters see it (credentials decrypted).
func (r Robot) Target() notify.Robot {
	return notify.Robot{Platform: notify.Platform(r.Platform), WebhookURL: r.WebhookURL, Secret: r.Secret, Keywords: r.Keywords}
}

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
	r.throttled_until, r.per_minute, r.per_second, r.created_at, r.updated_at`

const robotFrom = ` FROM robots r JOIN teams t ON t.id = r.team_id`

func (d *DB) scanRobot(row interface{ Scan(...any) error }) (Robot, error) {
	var r Robot
	var webhook, secret []byte
	var keywords string
	var success, failure, throttled sql.NullInt64
	var created, updated int64
	err := row.Scan(&r.ID, &r.TeamID, &r.TeamName, &r.Name, &r.Platform, &webhook, &r.WebhookHint, &secret, &r.SecretHint,
		&keywords, &r.Enabled, &r.Status, &r.StatusReason, &success, &failure, &r.LastFailure, &throttled,
		&r.PerMinute, &r.PerSecond, &created, &updated)
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
	rows, err := d.read.QueryContext(ctx, `SELECT `+robotCols+robotFrom+` WHERE `+cond+` ORDER BY t.name, r.name`, args...)
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
	r, err := d.scanRobot(q.QueryRowContext(ctx, `SELECT `+robotCols+robotFrom+` WHERE r.id = ? AND `+cond, append([]any{id}, args...)...))
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
		res, err := tx.ExecContext(ctx, `INSERT INTO robots (team_id, name, platform, webhook_enc, webhook_hint, secret_enc,
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

// DeleteRobot removes a robot in scope. ErrInUse while an alert rule still sends to it.
func (d *DB) DeleteRobot(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := d.robotByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM robots WHERE id = ?`, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "robot.delete", ObjectType: "robot", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfRobot(old)})
	})
	return mapErr(err)
}

// RobotHealth is a robot's delivery record over the last 24 hours.
type RobotHealth struct {
	Attempts, Failures int
}

// RobotHealth24h counts attempts and failures per robot since `since`.
func (d *DB) RobotHealth24h(ctx context.Context, s Scope, since time.Time) (map[int64]RobotHealth, error) {
	cond, args := s.clause("team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT robot_id, COUNT(*), SUM(outcome NOT IN ('delivered', 'muted', 'folded'))
		FROM delivery_attempts WHERE at >= ? AND kind != 'test' AND `+cond+` GROUP BY robot_id`, append([]any{ms(since)}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("db: robot health: %w", err)
	}
	defer rows.Close()
	out := map[int64]RobotHealth{}
	for rows.Next() {
		var id int64
		var h RobotHealth
		if err := rows.Scan(&id, &h.Attempts, &h.Failures); err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, rows.Err()
}
