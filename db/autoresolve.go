package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"alertdesk/alerting"
)

// ArmAutoResolve sets (or moves) the time at which each of a team's firing alerts is
// resolved unless the tool sends it again or resolves it first.
func (d *DB) ArmAutoResolve(ctx context.Context, teamID int64, alerts []alerting.Alert, at time.Time) error {
	if len(alerts) == 0 {
		return nil
	}
	return d.WithTx(ctx, func(tx *sql.Tx) error {
		for _, a := range alerts {
			raw, err := json.Marshal(a)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO auto_resolve (team_id, fingerprint, resolve_at, alert) VALUES (?, ?, ?, ?)
				ON CONFLICT (team_id, fingerprint) DO UPDATE SET resolve_at = excluded.resolve_at, alert = excluded.alert`,
				teamID, a.Fingerprint, ms(at), string(raw)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DisarmAutoResolve forgets alerts the tool resolved itself.
func (d *DB) DisarmAutoResolve(ctx context.Context, teamID int64, fingerprints []string) error {
	if len(fingerprints) == 0 {
		return nil
	}
	return d.WithTx(ctx, func(tx *sql.Tx) error {
		for _, fp := range fingerprints {
			if _, err := tx.ExecContext(ctx, `DELETE FROM auto_resolve WHERE team_id = ? AND fingerprint = ?`, teamID, fp); err != nil {
				return err
			}
		}
		return nil
	})
}

// AutoResolveDue is an armed alert whose time has come, as it was last received.
type AutoResolveDue struct {
	TeamID    int64
	ResolveAt time.Time
	Alert     alerting.Alert
}

// DueAutoResolves lists armed alerts due at now, at most limit.
func (d *DB) DueAutoResolves(ctx context.Context, now time.Time, limit int) ([]AutoResolveDue, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT team_id, resolve_at, alert FROM auto_resolve
		WHERE resolve_at <= ? ORDER BY resolve_at LIMIT ?`, ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AutoResolveDue
	for rows.Next() {
		var due AutoResolveDue
		var at int64
		var raw string
		if err := rows.Scan(&due.TeamID, &at, &raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(raw), &due.Alert); err != nil {
			return nil, err
		}
		due.ResolveAt = fromMS(at)
		out = append(out, due)
	}
	return out, rows.Err()
}

// AutoResolved forgets an armed alert once it was resolved, unless it was armed again
// meanwhile (a new receipt moved its time).
func (d *DB) AutoResolved(ctx context.Context, teamID int64, fingerprint string, at time.Time) error {
	_, err := d.write.ExecContext(ctx, `DELETE FROM auto_resolve WHERE team_id = ? AND fingerprint = ? AND resolve_at = ?`,
		teamID, fingerprint, ms(at))
	return err
}
