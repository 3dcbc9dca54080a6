package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Actor is who does a change, recorded in the audit log.
type Actor struct {
	UserID int64 // 0 for the system or an anonymous visitor
	Name   string
	IP     string
}

// SystemActor is used for changes the console makes on its own (first start, demo seed).
var SystemActor = Actor{Name: "system"}

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID         int64
	At         time.Time
	ActorID    int64
	Actor      string
	Action     string // e.g. "team.create", "user.login_failed"
	ObjectType string
	ObjectID   int64
	ObjectName string
	TeamID     int64
	Before     string // JSON, secrets redacted
	After      string
	IP         string
}

// Change describes one audited change; Before/After are marshalled to JSON.
type Change struct {
	Action     string
	ObjectType string
	ObjectID   int64
	ObjectName string
	TeamID     int64
	Before     any
	After      any
}

func jsonOrNull(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return string(b)
}

func insertAudit(ctx context.Context, q querier, now time.Time, a Actor, c Change) error {
	_, err := q.ExecContext(ctx, `INSERT INTO audit_events
		(at, actor_id, actor, action, object_type, object_id, object_name, team_id, before_json, after_json, ip)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(now), nullID(a.UserID), a.Name, c.Action, c.ObjectType, nullID(c.ObjectID), c.ObjectName,
		nullID(c.TeamID), jsonOrNull(c.Before), jsonOrNull(c.After), a.IP)
	if err != nil {
		return fmt.Errorf("db: audit %s: %w", c.Action, err)
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// RecordEvent writes a standalone audit event (logins, failed logins, test-sends, reveals).
func (d *DB) RecordEvent(ctx context.Context, a Actor, c Change) error {
	return d.WithTx(ctx, func(tx *sql.Tx) error { return insertAudit(ctx, tx, d.now(), a, c) })
}

// AuditFilter selects audit events; zero fields do not filter.
type AuditFilter struct {
	Actor      string
	Action     string // prefix match: "user" matches "user.create"
	ObjectType string
	From, To   time.Time
	TeamID     int64 // 0 = all teams
	Before     *AuditCursor
	Limit      int
}

// AuditCursor is the keyset position of the last row of a page.
type AuditCursor struct {
	At int64
	ID int64
}

func (f AuditFilter) where() (string, []any) {
	var conds []string
	var args []any
	if f.Actor != "" {
		conds = append(conds, "actor = ?")
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		conds = append(conds, "(action = ? OR action LIKE ? ESCAPE '\\')")
		args = append(args, f.Action, likeEscape(f.Action)+".%")
	}
	if f.ObjectType != "" {
		conds = append(conds, "object_type = ?")
		args = append(args, f.ObjectType)
	}
	if !f.From.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		conds = append(conds, "at < ?")
		args = append(args, ms(f.To))
	}
	if f.TeamID != 0 {
		conds = append(conds, "team_id = ?")
		args = append(args, f.TeamID)
	}
	if f.Before != nil {
		conds = append(conds, "(at < ? OR (at = ? AND id < ?))")
		args = append(args, f.Before.At, f.Before.At, f.Before.ID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

const auditCols = `id, at, COALESCE(actor_id, 0), actor, action, object_type, COALESCE(object_id, 0), object_name,
	COALESCE(team_id, 0), COALESCE(before_json, ''), COALESCE(after_json, ''), ip`

// AuditEvents lists events newest first, one page at a time (keyset pagination).
// more reports whether another page follows.
func (d *DB) AuditEvents(ctx context.Context, f AuditFilter) (events []AuditEvent, more bool, err error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where, args := f.where()
	rows, err := d.read.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events`+where+
		` ORDER BY at DESC, id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("db: audit events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, false, err
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(events) > f.Limit {
		return events[:f.Limit], true, nil
	}
	return events, false, nil
}

// EachAuditEvent streams every event matching f (ignoring Limit), newest first, for CSV export.
func (d *DB) EachAuditEvent(ctx context.Context, f AuditFilter, fn func(AuditEvent) error) error {
	where, args := f.where()
	rows, err := d.read.QueryContext(ctx, `SELECT `+auditCols+` FROM audit_events`+where+` ORDER BY at DESC, id DESC`, args...)
	if err != nil {
		return fmt.Errorf("db: audit export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditActions lists the distinct action names seen, for the filter's choices.
func (d *DB) AuditActions(ctx context.Context) ([]string, error) {
	return d.strings(ctx, `SELECT DISTINCT action FROM audit_events ORDER BY action`)
}

// AuditObjectTypes lists the distinct object types seen.
func (d *DB) AuditObjectTypes(ctx context.Context) ([]string, error) {
	return d.strings(ctx, `SELECT DISTINCT object_type FROM audit_events ORDER BY object_type`)
}

func (d *DB) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := d.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func scanAudit(rows *sql.Rows) (AuditEvent, error) {
	var e AuditEvent
	var at int64
	err := rows.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.Action, &e.ObjectType, &e.ObjectID, &e.ObjectName,
		&e.TeamID, &e.Before, &e.After, &e.IP)
	e.At = fromMS(at)
	return e, err
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
