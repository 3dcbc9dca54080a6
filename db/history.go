package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrWrongState: the object is not in a state that allows the operation (e.g. resending
// a delivered notification).
var ErrWrongState = errors.New("db: wrong state")

// ErrRobotDeleted: the notification's robot has been deleted, so it cannot be sent again.
var ErrRobotDeleted = errors.New("db: the robot was deleted")

// Outcomes lists every stored attempt outcome, for filters and validation.
var Outcomes = []string{OutcomeDelivered, OutcomeRetry, OutcomeRateLimited, OutcomeMisconfigured, OutcomeRejected,
	OutcomeMuted, OutcomeExpired, OutcomeFolded}

// failedOutcomes are the sends the platform did not take. Muted, folded and expired are
// decisions not to send, not failed sends: the dashboard counts expired ones apart.
const failedOutcomes = `'retry', 'rate_limited', 'misconfigured', 'rejected'`

// HistoryFilter selects delivery attempts. Zero fields do not filter; Scope always does.
type HistoryFilter struct {
	Scope    Scope
	From, To time.Time
	TeamID   int64 // narrows an all-teams scope to one team
	RuleID   int64 // > 0: that rule
	TestOnly bool  // only test-sends (rule_id 0)
	RobotID  int64
	Platform string
	Outcome  string
	Query    string // substring of the alert names and labels (the search column)
	Before   *HistoryCursor
	Limit    int
}

// HistoryCursor is the keyset position (at, id) of the last row of a page.
type HistoryCursor struct {
	At int64
	ID int64
}

// HistoryRow is one attempt with the names the history shows next to it.
type HistoryRow struct {
	Attempt
	TeamName  string
	RobotName string // "" when the robot was deleted before deletes kept it (migration 0006)
	RuleName  string // "" for test-sends and rules deleted before migration 0006
	// RobotDeleted, RuleDeleted: the robot or rule has been deleted since; the names are
	// the ones it had.
	RobotDeleted bool
	RuleDeleted  bool
	TeamDeleted  bool
	// IncidentID is the incident the message spoke of (0: none).
	IncidentID int64
	AlertName  string // the first alert the notification carried, "" for test-sends and digests
}

func (f HistoryFilter) where(dia dialect) (string, []any) {
	cond, args := f.Scope.clause("a.team_id")
	conds := []string{cond}
	add := func(c string, v ...any) {
		conds = append(conds, c)
		args = append(args, v...)
	}
	if !f.From.IsZero() {
		add("a.at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		add("a.at < ?", ms(f.To))
	}
	if f.TeamID != 0 {
		add("a.team_id = ?", f.TeamID)
	}
	switch {
	case f.TestOnly:
		add("a.rule_id = 0")
	case f.RuleID > 0:
		add("a.rule_id = ?", f.RuleID)
	}
	if f.RobotID != 0 {
		add("a.robot_id = ?", f.RobotID)
	}
	if f.Platform != "" {
		add("a.platform = ?", f.Platform)
	}
	if f.Outcome != "" {
		add("a.outcome = ?", f.Outcome)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add(`a.search `+dia.like()+` ? ESCAPE '\'`, "%"+likeEscape(q)+"%")
	}
	if f.Before != nil {
		// "a.at <= ?" is a range the (…, at DESC, id DESC) indexes can seek to; the OR settles ties.
		add("a.at <= ? AND (a.at < ? OR a.id < ?)", f.Before.At, f.Before.At, f.Before.ID)
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const historyCols = `a.id, a.notification_id, a.team_id, a.robot_id, a.rule_id, a.platform, a.kind, a.attempt, a.at,
	a.outcome, a.http_status, a.code, a.message, a.summary, a.latency_ms, COALESCE(t.name, ''), COALESCE(r.name, ''),
	COALESCE(ru.name, ''), r.id IS NULL OR r.deleted_at IS NOT NULL, a.rule_id != 0 AND (ru.id IS NULL OR ru.deleted_at IS NOT NULL),
	t.deleted_at IS NOT NULL,
	COALESCE((SELECT n.incident_id FROM notifications n WHERE n.id = a.notification_id), 0),
	COALESCE((SELECT al.name FROM notification_alerts na JOIN alerts al ON al.id = na.alert_id
		WHERE na.notification_id = a.notification_id ORDER BY na.alert_id LIMIT 1), '')`

// LEFT JOINs keep delivery_attempts the outer loop, so the filters' indexes drive the plan.
const historyFrom = ` FROM delivery_attempts a
	LEFT JOIN teams t ON t.id = a.team_id
	LEFT JOIN robots r ON r.id = a.robot_id
	LEFT JOIN rules ru ON ru.id = a.rule_id AND a.rule_id != 0`

// HistoryQuery returns the SQL and arguments of a history page on SQLite (exported for the
// query-plan tests).
func (f HistoryFilter) HistoryQuery() (string, []any) { return f.query(dialect{}) }

func (f HistoryFilter) query(dia dialect) (string, []any) {
	where, args := f.where(dia)
	q := `SELECT ` + historyCols + historyFrom + where + ` ORDER BY a.at DESC, a.id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit+1)
	}
	return q, args
}

func scanHistory(rows *sql.Rows) (HistoryRow, error) {
	var h HistoryRow
	var at int64
	err := rows.Scan(&h.ID, &h.NotificationID, &h.TeamID, &h.RobotID, &h.RuleID, &h.Platform, &h.Kind, &h.Attempt.Attempt,
		&at, &h.Outcome, &h.HTTPStatus, &h.Code, &h.Message, &h.Summary, &h.LatencyMS, &h.TeamName, &h.RobotName, &h.RuleName,
		&h.RobotDeleted, &h.RuleDeleted, &h.TeamDeleted, &h.IncidentID, &h.AlertName)
	h.At = fromMS(at)
	return h, err
}

// History lists delivery attempts newest first, one page at a time (keyset pagination on
// (at, id), never OFFSET). more reports whether another page follows.
func (d *DB) History(ctx context.Context, f HistoryFilter) (rows []HistoryRow, more bool, err error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	q, args := f.query(d.dia)
	rs, err := d.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("db: history: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		h, err := scanHistory(rs)
		if err != nil {
			return nil, false, fmt.Errorf("db: history: %w", err)
		}
		rows = append(rows, h)
	}
	if err := rs.Err(); err != nil {
		return nil, false, fmt.Errorf("db: history: %w", err)
	}
	if len(rows) > f.Limit {
		return rows[:f.Limit], true, nil
	}
	return rows, false, nil
}

// EachHistoryRow streams every attempt matching f (ignoring Limit and Before), newest
// first, one row at a time: memory stays flat whatever the size (CSV export).
func (d *DB) EachHistoryRow(ctx context.Context, f HistoryFilter, fn func(HistoryRow) error) error {
	f.Limit, f.Before = 0, nil
	q, args := f.query(d.dia)
	rs, err := d.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("db: history export: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		h, err := scanHistory(rs)
		if err != nil {
			return fmt.Errorf("db: history export: %w", err)
		}
		if err := fn(h); err != nil {
			return err
		}
	}
	return rs.Err()
}

// NotificationDetail is one notification with everything its detail page shows.
type NotificationDetail struct {
	Notification
	TeamName     string
	RobotName    string
	Platform     string
	RuleName     string
	RobotDeleted bool // the robot has been deleted since (RobotName is the name it had)
	RuleDeleted  bool
	TeamDeleted  bool
	Attempts     []Attempt // oldest first, with the masked request and the response
	Alerts       []CarriedAlert
	Folded       []Notification // for digests: the notifications folded into it
	DigestOf     int64          // for folded notifications: the digest that carried them (= DigestID)
}

// CarriedAlert is an alert a notification carried.
type CarriedAlert struct {
	ID         int64
	Name       string
	Status     string
	Labels     string // JSON object
	StartsAt   time.Time
	ReceivedAt time.Time
}

const notificationCols = `n.id, n.team_id, n.robot_id, COALESCE(n.rule_id, 0), n.group_key, n.kind, n.severity, n.title,
	n.body, n.state, COALESCE(n.digest_id, 0), n.attempts, n.next_attempt_at, n.claimed_at, n.alert_count, n.search,
	n.last_outcome, n.last_summary, n.created_at, n.updated_at, n.template_failure`

func scanNotification(row interface{ Scan(...any) error }, extra ...any) (Notification, error) {
	var n Notification
	var next, created, updated int64
	var claimed sql.NullInt64
	dest := []any{&n.ID, &n.TeamID, &n.RobotID, &n.RuleID, &n.GroupKey, &n.Kind, &n.Severity, &n.Title, &n.Body, &n.State,
		&n.DigestID, &n.Attempts, &next, &claimed, &n.AlertCount, &n.Search, &n.LastOutcome, &n.LastSummary, &created, &updated,
		&n.TemplateFailure}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return n, err
	}
	n.NextAttemptAt, n.ClaimedAt, n.CreatedAt, n.UpdatedAt = fromMS(next), nullMS(claimed), fromMS(created), fromMS(updated)
	return n, nil
}

// NotificationDetail returns a notification in scope with its attempts, alerts and folded
// notifications; ErrNotFound for another team's.
func (d *DB) NotificationDetail(ctx context.Context, s Scope, id int64) (NotificationDetail, error) {
	var nd NotificationDetail
	cond, args := s.clause("n.team_id")
	row := d.read.QueryRowContext(ctx, `SELECT `+notificationCols+`, COALESCE(t.name, ''), COALESCE(r.name, ''),
		COALESCE(r.platform, ''), COALESCE(ru.name, ''), r.id IS NULL OR r.deleted_at IS NOT NULL,
		n.rule_id IS NOT NULL AND (ru.id IS NULL OR ru.deleted_at IS NOT NULL), t.deleted_at IS NOT NULL, n.mentions
		FROM notifications n LEFT JOIN teams t ON t.id = n.team_id LEFT JOIN robots r ON r.id = n.robot_id
		LEFT JOIN rules ru ON ru.id = n.rule_id
		WHERE n.id = ? AND `+cond, append([]any{id}, args...)...)
	var mentions string
	n, err := scanNotification(row, &nd.TeamName, &nd.RobotName, &nd.Platform, &nd.RuleName, &nd.RobotDeleted, &nd.RuleDeleted,
		&nd.TeamDeleted, &mentions)
	if err != nil {
		return nd, mapErr(err)
	}
	_ = json.Unmarshal([]byte(mentions), &n.Mentions) // who it mentioned, shown on the history page
	nd.Notification, nd.DigestOf = n, n.DigestID

	rows, err := d.read.QueryContext(ctx, `SELECT id, notification_id, team_id, robot_id, rule_id, platform, kind, attempt, at,
		outcome, http_status, code, message, summary, latency_ms, request_url, request_body, response, search
		FROM delivery_attempts WHERE notification_id = ? ORDER BY id`, id)
	if err != nil {
		return nd, fmt.Errorf("db: notification attempts: %w", err)
	}
	for rows.Next() {
		var a Attempt
		var at int64
		if err := rows.Scan(&a.ID, &a.NotificationID, &a.TeamID, &a.RobotID, &a.RuleID, &a.Platform, &a.Kind, &a.Attempt, &at,
			&a.Outcome, &a.HTTPStatus, &a.Code, &a.Message, &a.Summary, &a.LatencyMS, &a.RequestURL, &a.RequestBody,
			&a.Response, &a.Search); err != nil {
			rows.Close()
			return nd, err
		}
		a.At = fromMS(at)
		nd.Attempts = append(nd.Attempts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nd, err
	}

	rows, err = d.read.QueryContext(ctx, `SELECT al.id, al.name, al.status, al.labels, al.starts_at, al.received_at
		FROM notification_alerts na JOIN alerts al ON al.id = na.alert_id
		WHERE na.notification_id = ? ORDER BY al.received_at, al.id LIMIT 500`, id)
	if err != nil {
		return nd, fmt.Errorf("db: notification alerts: %w", err)
	}
	for rows.Next() {
		var a CarriedAlert
		var starts, received int64
		if err := rows.Scan(&a.ID, &a.Name, &a.Status, &a.Labels, &starts, &received); err != nil {
			rows.Close()
			return nd, err
		}
		a.StartsAt, a.ReceivedAt = fromMS(starts), fromMS(received)
		nd.Alerts = append(nd.Alerts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nd, err
	}

	if n.Kind == "digest" {
		rows, err = d.read.QueryContext(ctx, `SELECT `+notificationCols+` FROM notifications n
			WHERE n.digest_id = ? ORDER BY n.id LIMIT 500`, id)
		if err != nil {
			return nd, fmt.Errorf("db: folded notifications: %w", err)
		}
		for rows.Next() {
			f, err := scanNotification(rows)
			if err != nil {
				rows.Close()
				return nd, err
			}
			nd.Folded = append(nd.Folded, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nd, err
		}
	}
	return nd, nil
}

// ResendNotification puts a failed or expired notification in scope back into the outbox:
// state queued, due now, attempts kept. Other states give ErrWrongState (the returned
// notification tells which state it is in), a deleted robot's ErrRobotDeleted; another
// team's gives ErrNotFound.
func (d *DB) ResendNotification(ctx context.Context, a Actor, s Scope, id int64) (Notification, error) {
	now := d.now()
	var n Notification
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		cond, args := s.clause("n.team_id")
		var err error
		n, err = scanNotification(tx.QueryRowContext(ctx, `SELECT `+notificationCols+` FROM notifications n
			WHERE n.id = ? AND `+cond, append([]any{id}, args...)...))
		if err != nil {
			return err
		}
		if n.State != StateFailed && n.State != StateExpired {
			return ErrWrongState
		}
		var robotDeleted bool
		if err := tx.QueryRowContext(ctx, `SELECT deleted_at IS NOT NULL FROM robots WHERE id = ?`, n.RobotID).Scan(&robotDeleted); err != nil {
			return err
		}
		if robotDeleted {
			return ErrRobotDeleted
		}
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'queued', next_attempt_at = ?, claimed_at = NULL,
			updated_at = ? WHERE id = ?`, ms(now), ms(now), id); err != nil {
			return err
		}
		before := n.State
		n.State, n.NextAttemptAt, n.ClaimedAt, n.UpdatedAt = StateQueued, now, time.Time{}, now
		return insertAudit(ctx, tx, now, a, Change{Action: "notification.resend", ObjectType: "notification", ObjectID: id,
			ObjectName: n.Title, TeamID: n.TeamID,
			Before: map[string]any{"state": before, "attempts": n.Attempts, "last_outcome": n.LastOutcome},
			After:  map[string]any{"state": StateQueued}})
	})
	if errors.Is(err, ErrWrongState) || errors.Is(err, ErrRobotDeleted) {
		return n, err
	}
	return n, mapErr(err)
}

// ExplainQueryPlan returns the lines of EXPLAIN QUERY PLAN for a query (tests and tuning).
func (d *DB) ExplainQueryPlan(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := d.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, err
		}
		out = append(out, detail)
	}
	return out, rows.Err()
}

// NamedID is an object's id and name, for filter choices.
type NamedID struct {
	ID       int64
	TeamID   int64
	TeamName string
	Name     string
	Platform string // robots only
	Deleted  bool   // kept for the history's filters
}

func (d *DB) namedIDs(ctx context.Context, query string, args ...any) ([]NamedID, error) {
	rows, err := d.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NamedID
	for rows.Next() {
		var n NamedID
		if err := rows.Scan(&n.ID, &n.TeamID, &n.TeamName, &n.Name, &n.Platform, &n.Deleted); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RobotNames lists the robots in scope (no credentials) for the history's filters, by team
// and name, live ones first: deleted robots are in it too, since their history is.
func (d *DB) RobotNames(ctx context.Context, s Scope) ([]NamedID, error) {
	cond, args := s.clause("r.team_id")
	out, err := d.namedIDs(ctx, `SELECT r.id, r.team_id, t.name, r.name, r.platform, r.deleted_at IS NOT NULL
		FROM robots r JOIN teams t ON t.id = r.team_id
		WHERE `+cond+` ORDER BY r.deleted_at IS NOT NULL, t.name, r.name, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: robot names: %w", err)
	}
	return out, nil
}

// TeamNames lists every team for the history's filters, live ones first, deleted ones
// after (their history stays).
func (d *DB) TeamNames(ctx context.Context) ([]NamedID, error) {
	out, err := d.namedIDs(ctx, `SELECT id, id, name, name, '', deleted_at IS NOT NULL FROM teams
		ORDER BY deleted_at IS NOT NULL, name, id`)
	if err != nil {
		return nil, fmt.Errorf("db: team names: %w", err)
	}
	return out, nil
}

// RuleNames lists the alert rules in scope for the history's filters, by team and name,
// live ones first, deleted ones after (their history stays).
func (d *DB) RuleNames(ctx context.Context, s Scope) ([]NamedID, error) {
	cond, args := s.clause("ru.team_id")
	out, err := d.namedIDs(ctx, `SELECT ru.id, ru.team_id, t.name, ru.name, '', ru.deleted_at IS NOT NULL
		FROM rules ru JOIN teams t ON t.id = ru.team_id
		WHERE `+cond+` ORDER BY ru.deleted_at IS NOT NULL, t.name, ru.name, ru.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: rule names: %w", err)
	}
	return out, nil
}

// NewestAttemptsSince returns the time of the n-th newest attempt in scope: a free-text
// search bounded to [that time, now] reads at most about n rows. Zero when there are fewer.
func (d *DB) NewestAttemptsSince(ctx context.Context, s Scope, n int) (time.Time, error) {
	cond, args := s.clause("team_id")
	var at int64
	err := d.read.QueryRowContext(ctx, `SELECT at FROM delivery_attempts WHERE `+cond+
		` ORDER BY at DESC LIMIT 1 OFFSET ?`, append(args, n)...).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("db: newest attempts: %w", err)
	}
	return fromMS(at), nil
}
