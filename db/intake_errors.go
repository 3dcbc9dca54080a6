package db

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Kinds of intake error.
const (
	IntakeRefused   = "refused"   // one alert left out of a body; the others were stored
	IntakeClamped   = "clamped"   // a resolve stored with its endsAt corrected
	IntakeBody      = "body"      // a body that could not be read at all: nothing stored
	IntakeTruncated = "truncated" // Alertmanager left alerts out of the body (max_alerts)
)

// IntakeErrorsKept is how many intake errors each team keeps (the global token counts as
// one team); older ones are pruned as new ones arrive, so a sender that keeps posting
// bad alerts cannot grow the table.
const IntakeErrorsKept = 10_000

// IntakeError is one refusal or correction of the intake.
type IntakeError struct {
	ID         int64
	TeamID     int64 // 0 = the global intake token
	TeamName   string
	At         time.Time
	Source     string
	Kind       string
	Field      string
	Reason     string
	AlertName  string
	AlertIndex int // -1: the whole body
	Alerts     int // alerts in the body; for IntakeTruncated, alerts left out
}

// RecordIntakeErrors stores errors for a team (all with the same team) and prunes the
// team's oldest beyond IntakeErrorsKept, in one transaction.
func (d *DB) RecordIntakeErrors(ctx context.Context, teamID int64, errs []IntakeError) error {
	if len(errs) == 0 {
		return nil
	}
	return d.WithTx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO intake_errors
			(team_id, at, source, kind, field, reason, alert_name, alert_index, alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		// A body can refuse more alerts than are kept: store only the newest that stay.
		if len(errs) > IntakeErrorsKept {
			errs = errs[len(errs)-IntakeErrorsKept:]
		}
		for _, e := range errs {
			if _, err := st.ExecContext(ctx, teamID, ms(e.At), e.Source, e.Kind, e.Field, e.Reason, e.AlertName, e.AlertIndex, e.Alerts); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM intake_errors WHERE team_id = ? AND id <= (
			SELECT id FROM intake_errors WHERE team_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, teamID, teamID, IntakeErrorsKept)
		return err
	})
}

// IntakeErrorFilter selects intake errors for the intake errors screen.
type IntakeErrorFilter struct {
	Kind   string // "" = every kind
	Before int64  // id cursor: only errors older than this one
	Limit  int
}

// IntakeErrors lists intake errors newest first. Members see their team's and those of
// the global token (whose alerts they also see).
func (d *DB) IntakeErrors(ctx context.Context, s Scope, f IntakeErrorFilter) ([]IntakeError, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var conds []string
	var args []any
	if !s.All {
		conds = append(conds, "e.team_id IN (0, ?)")
		args = append(args, s.TeamID)
	}
	if f.Kind != "" {
		conds = append(conds, "e.kind = ?")
		args = append(args, f.Kind)
	}
	if f.Before > 0 {
		conds = append(conds, "e.id < ?")
		args = append(args, f.Before)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := d.read.QueryContext(ctx, `SELECT e.id, e.team_id, COALESCE(t.name, ''), e.at, e.source, e.kind, e.field,
		e.reason, e.alert_name, e.alert_index, e.alerts
		FROM intake_errors e LEFT JOIN teams t ON t.id = e.team_id`+where+` ORDER BY e.id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []IntakeError
	for rows.Next() {
		var e IntakeError
		var at int64
		if err := rows.Scan(&e.ID, &e.TeamID, &e.TeamName, &at, &e.Source, &e.Kind, &e.Field, &e.Reason, &e.AlertName,
			&e.AlertIndex, &e.Alerts); err != nil {
			return nil, false, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, rows.Err()
	}
	return out, false, rows.Err()
}
