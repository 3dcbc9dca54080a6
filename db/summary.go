package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// TeamSummary is a team's daily summary setting.
type TeamSummary struct {
	TeamID   int64
	Team     string
	RobotID  int64    // 0 = off
	Times    []string // "09:00", in TimeZone
	TimeZone string
	LastAt   time.Time // the last slot posted
}

// TeamSummaries lists every team's summary setting.
func (d *DB) TeamSummaries(ctx context.Context) ([]TeamSummary, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, name, COALESCE(summary_robot_id, 0), summary_times, time_zone,
		summary_last_at FROM teams ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TeamSummary
	for rows.Next() {
		var ts TeamSummary
		var times string
		var last sql.NullInt64
		if err := rows.Scan(&ts.TeamID, &ts.Team, &ts.RobotID, &times, &ts.TimeZone, &last); err != nil {
			return nil, err
		}
		if times != "" {
			ts.Times = strings.Split(times, ",")
		}
		ts.LastAt = nullMS(last)
		out = append(out, ts)
	}
	return out, rows.Err()
}

// SetTeamSummary stores a team's summary robot (0 = off), times and time zone. The caller
// validates them; the robot must be one of the team's (ErrForeignRef otherwise).
func (d *DB) SetTeamSummary(ctx context.Context, a Actor, teamID, robotID int64, times []string, tz string) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		t, err := teamByID(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if robotID != 0 {
			var owner int64
			if err := tx.QueryRowContext(ctx, `SELECT team_id FROM robots WHERE id = ?`, robotID).Scan(&owner); err != nil || owner != teamID {
				return ErrForeignRef
			}
		}
		// A new setting counts from now: a slot that passed before it is not posted late.
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET summary_robot_id = ?, summary_times = ?, time_zone = ?,
			summary_last_at = ? WHERE id = ?`, nullID(robotID), strings.Join(times, ","), tz, ms(now), teamID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "team.summary", ObjectType: "team", ObjectID: t.ID, ObjectName: t.Name,
			TeamID: t.ID, After: map[string]any{"robot_id": robotID, "times": times, "time_zone": tz}})
	}))
}

// DayCounts are a team's incident numbers since a moment (the start of its day).
type DayCounts struct {
	Triggered, Acknowledged, Ended int
	Open                           []Incident // oldest first
}

// TeamDay counts a team's incidents opened, acknowledged and ended since since, and lists
// its open incidents, oldest first.
func (d *DB) TeamDay(ctx context.Context, teamID int64, since time.Time) (DayCounts, error) {
	var c DayCounts
	err := d.read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN opened_at >= ? THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN acked_at >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN resolved_at >= ? OR closed_at >= ? THEN 1 ELSE 0 END), 0)
		FROM incidents WHERE team_id = ?`, ms(since), ms(since), ms(since), ms(since), teamID).
		Scan(&c.Triggered, &c.Acknowledged, &c.Ended)
	if err != nil {
		return c, err
	}
	rows, err := d.read.QueryContext(ctx, `SELECT `+incidentCols+incidentFrom+`
		WHERE i.team_id = ? AND i.state IN ('triggered', 'acknowledged') ORDER BY i.opened_at, i.id`, teamID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return c, err
		}
		c.Open = append(c.Open, i)
	}
	return c, rows.Err()
}

// PostSummary queues a team's summary for slot, once: a slot already posted (by another
// tick, or before a restart) is skipped and posted reports false.
func (d *DB) PostSummary(ctx context.Context, teamID int64, slot time.Time, n Notification) (posted bool, err error) {
	now := d.now()
	err = d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE teams SET summary_last_at = ? WHERE id = ?
			AND (summary_last_at IS NULL OR summary_last_at < ?)`, ms(slot), teamID, ms(slot))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		n.TeamID = teamID
		n.State, n.CreatedAt, n.UpdatedAt, n.NextAttemptAt = StateQueued, now, now, now
		if err := insertNotification(ctx, tx, &n); err != nil {
			return err
		}
		posted = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("db: post summary: %w", err)
	}
	return posted, nil
}
