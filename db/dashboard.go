package db

import (
	"context"
	"fmt"
	"time"
)

// HourCount is one hour's counts on the dashboard.
type HourCount struct {
	Hour      time.Time // start of the hour
	Alerts    int
	Delivered int
	Failed    int
}

// Dashboard is the dashboard's 24-hour summary.
type Dashboard struct {
	Hours     []HourCount // oldest first, one per hour, ending with the current hour
	Alerts    int
	Delivered int     // sends the platform took
	Failed    int     // sends it did not take (each failed attempt)
	Expired   int     // notifications given up without a send: not counted as sends
	Robots    []Robot // failing, degraded or throttled now
	Latest    []HistoryRow
}

// DashboardQueries are the aggregate queries of the dashboard on SQLite (exported for the
// query-plan tests).
func DashboardQueries(s Scope, since time.Time) (attempts string, attemptArgs []any, alerts string, alertArgs []any) {
	return dashboardQueries(dialect{}, s, since)
}

func dashboardQueries(dia dialect, s Scope, since time.Time) (attempts string, attemptArgs []any, alerts string, alertArgs []any) {
	cond, args := s.clause("team_id")
	// INDEXED BY: the covering index of migration 0005 answers the whole query; without it
	// the planner may prefer attempts_team and fetch every row of the team's day.
	attempts = `SELECT at / 3600000, SUM(CASE WHEN outcome = 'delivered' THEN 1 ELSE 0 END),
		SUM(CASE WHEN outcome IN (` + failedOutcomes + `) THEN 1 ELSE 0 END),
		SUM(CASE WHEN outcome = 'expired' THEN 1 ELSE 0 END)
		FROM delivery_attempts` + dia.indexedBy("attempts_dashboard") + ` WHERE at >= ? AND kind != 'test' AND ` + cond + ` GROUP BY 1`
	attemptArgs = append([]any{ms(since)}, args...)
	if s.All {
		alerts = `SELECT received_at / 3600000, COUNT(*) FROM alerts WHERE received_at >= ? GROUP BY 1`
		alertArgs = []any{ms(since)}
		return
	}
	// A member's alerts: those sent with the team's tokens, and those global-token alerts
	// the team's notifications carried.
	alerts = `SELECT received_at / 3600000, COUNT(*) FROM alerts WHERE received_at >= ? AND (team_id = ? OR id IN (
		SELECT na.alert_id FROM notifications n JOIN notification_alerts na ON na.notification_id = n.id
		WHERE n.created_at >= ? AND n.team_id = ?)) GROUP BY 1`
	alertArgs = []any{ms(since), s.TeamID, ms(since), s.TeamID}
	return
}

// DashboardSummary counts alerts received and notifications delivered and failed per hour
// over the 24 hours up to now, lists the robots failing or throttled, and the latest
// deliveries. The counts are range scans on the time indexes.
func (d *DB) DashboardSummary(ctx context.Context, s Scope, now time.Time, latest int) (Dashboard, error) {
	var out Dashboard
	first := now.Truncate(time.Hour).Add(-23 * time.Hour)
	idx := map[int64]int{}
	for i := range 24 {
		h := first.Add(time.Duration(i) * time.Hour)
		out.Hours = append(out.Hours, HourCount{Hour: h})
		idx[h.UnixMilli()/3600000] = i
	}
	attQ, attArgs, alQ, alArgs := dashboardQueries(d.dia, s, first)
	rows, err := d.read.QueryContext(ctx, attQ, attArgs...)
	if err != nil {
		return out, fmt.Errorf("db: dashboard: %w", err)
	}
	for rows.Next() {
		var hour int64
		var ok, bad, expired int
		if err := rows.Scan(&hour, &ok, &bad, &expired); err != nil {
			rows.Close()
			return out, err
		}
		if i, found := idx[hour]; found {
			out.Hours[i].Delivered, out.Hours[i].Failed = ok, bad
			out.Delivered += ok
			out.Failed += bad
			out.Expired += expired
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}
	rows, err = d.read.QueryContext(ctx, alQ, alArgs...)
	if err != nil {
		return out, fmt.Errorf("db: dashboard alerts: %w", err)
	}
	for rows.Next() {
		var hour int64
		var n int
		if err := rows.Scan(&hour, &n); err != nil {
			rows.Close()
			return out, err
		}
		if i, found := idx[hour]; found {
			out.Hours[i].Alerts = n
			out.Alerts += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, err
	}

	cond, args := s.clause("r.team_id")
	rs, err := d.read.QueryContext(ctx, `SELECT `+robotCols+robotFrom+` WHERE (r.status = 'failing' OR r.throttled_until > ?
		OR r.consecutive_failures >= ?) AND `+liveRobot+` AND `+cond+` ORDER BY t.name, r.name LIMIT 100`,
		append([]any{ms(now), DegradedAfter}, args...)...)
	if err != nil {
		return out, fmt.Errorf("db: dashboard robots: %w", err)
	}
	for rs.Next() {
		r, err := d.scanRobot(rs)
		if err != nil {
			rs.Close()
			return out, err
		}
		r.WebhookURL, r.Secret = "", "" // the dashboard never needs the credentials
		out.Robots = append(out.Robots, r)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return out, err
	}
	if latest > 0 {
		out.Latest, _, err = d.History(ctx, HistoryFilter{Scope: s, Limit: latest})
	}
	return out, err
}

// FirstRun is how far a team (or, for admins and auditors, the console) has come through
// the first-run steps: each count is of live objects in scope.
type FirstRun struct {
	Teams          int // teams in scope (a member always has one)
	Robots         int
	VerifiedRobots int // robots that ever delivered (a test-send or a real alert)
	Rules          int
	Tokens         int // live API tokens of the scope's teams, or global ones
	Alerts         int // alerts received (capped at 1: only "any?" matters)
	Delivered      int // non-test notifications the platform took (capped at 1)
}

// FirstRunState counts what the dashboard's first-run checklist ticks off.
func (d *DB) FirstRunState(ctx context.Context, s Scope) (FirstRun, error) {
	var f FirstRun
	cond, args := s.clause("team_id")
	teamsQ := `SELECT COUNT(*) FROM teams WHERE deleted_at IS NULL`
	var teamArgs []any
	if !s.All {
		teamsQ += ` AND id = ?`
		teamArgs = []any{s.TeamID}
	}
	tokenCond := cond
	if !s.All {
		tokenCond = "(" + cond + " OR team_id IS NULL)"
	}
	for _, q := range []struct {
		sql  string
		args []any
		dst  *int
	}{
		{teamsQ, teamArgs, &f.Teams},
		{`SELECT COUNT(*) FROM robots WHERE deleted_at IS NULL AND ` + cond, args, &f.Robots},
		{`SELECT COUNT(*) FROM robots WHERE deleted_at IS NULL AND last_success_at IS NOT NULL AND ` + cond, args, &f.VerifiedRobots},
		{`SELECT COUNT(*) FROM rules WHERE deleted_at IS NULL AND ` + cond, args, &f.Rules},
		{`SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NULL AND ` + tokenCond, args, &f.Tokens},
		{`SELECT COUNT(*) FROM (SELECT 1 FROM alerts WHERE ` + cond + ` LIMIT 1) x`, args, &f.Alerts},
		{`SELECT COUNT(*) FROM (SELECT 1 FROM delivery_attempts WHERE outcome = 'delivered' AND kind != 'test' AND ` +
			cond + ` LIMIT 1) x`, args, &f.Delivered},
	} {
		if err := d.read.QueryRowContext(ctx, q.sql, q.args...).Scan(q.dst); err != nil {
			return f, fmt.Errorf("db: first run: %w", err)
		}
	}
	return f, nil
}
