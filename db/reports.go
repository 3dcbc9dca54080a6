package db

import (
	"context"
	"database/sql"
	"time"
)

// IncidentTimes are the times of one incident a report counts.
type IncidentTimes struct {
	ID       int64
	TeamID   int64
	Team     string
	RuleID   int64
	Rule     string
	State    string
	Owner    string
	Title    string
	Opened   time.Time
	Acked    time.Time // zero: never acknowledged
	Ended    time.Time // resolved or closed, whichever came first; zero: still open
	RobotIDs []int64   // robots that carried a message of it
}

// IncidentsOpened lists the incidents in scope opened in [from, to), oldest first, with
// the robots that carried their messages.
func (d *DB) IncidentsOpened(ctx context.Context, s Scope, from, to time.Time) ([]IncidentTimes, error) {
	cond, args := s.clause("i.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT i.id, i.team_id, COALESCE(t.name, ''), COALESCE(i.rule_id, 0), i.rule_name,
		i.state, i.owner, i.title, i.opened_at, i.acked_at, i.resolved_at, i.closed_at
		FROM incidents i LEFT JOIN teams t ON t.id = i.team_id
		WHERE `+cond+` AND i.opened_at >= ? AND i.opened_at < ? ORDER BY i.opened_at, i.id`,
		append(args, ms(from), ms(to))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IncidentTimes
	index := map[int64]int{}
	for rows.Next() {
		var it IncidentTimes
		var opened int64
		var acked, resolved, closed sql.NullInt64
		if err := rows.Scan(&it.ID, &it.TeamID, &it.Team, &it.RuleID, &it.Rule, &it.State, &it.Owner, &it.Title, &opened,
			&acked, &resolved, &closed); err != nil {
			return nil, err
		}
		it.Opened, it.Acked = fromMS(opened), nullMS(acked)
		r, c := nullMS(resolved), nullMS(closed)
		switch {
		case !r.IsZero() && (c.IsZero() || r.Before(c)):
			it.Ended = r
		default:
			it.Ended = c
		}
		index[it.ID] = len(out)
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	robots, err := d.read.QueryContext(ctx, `SELECT DISTINCT n.incident_id, n.robot_id FROM notifications n
		JOIN incidents i ON i.id = n.incident_id
		WHERE i.opened_at >= ? AND i.opened_at < ? ORDER BY n.incident_id, n.robot_id`, ms(from), ms(to))
	if err != nil {
		return nil, err
	}
	defer robots.Close()
	for robots.Next() {
		var inc, robot int64
		if err := robots.Scan(&inc, &robot); err != nil {
			return nil, err
		}
		if i, ok := index[inc]; ok {
			out[i].RobotIDs = append(out[i].RobotIDs, robot)
		}
	}
	return out, robots.Err()
}

// NoisyAlertNames counts the firing alerts received in [from, to) in scope per alert
// name, most first, at most limit.
func (d *DB) NoisyAlertNames(ctx context.Context, s Scope, from, to time.Time, limit int) ([]NameCount, error) {
	q := `SELECT name, COUNT(*) FROM alerts a WHERE status = 'firing' AND received_at >= ? AND received_at < ?`
	args := []any{ms(from), ms(to)}
	if !s.All {
		q += ` AND a.team_id IN (0, ?)`
		args = append(args, s.TeamID)
	}
	rows, err := d.read.QueryContext(ctx, q+` GROUP BY name ORDER BY COUNT(*) DESC, name LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NameCount
	for rows.Next() {
		var nc NameCount
		if err := rows.Scan(&nc.Name, &nc.Count); err != nil {
			return nil, err
		}
		out = append(out, nc)
	}
	return out, rows.Err()
}

// MessagesPerRule counts the alert messages (not test-sends) written in [from, to) in
// scope per rule id.
func (d *DB) MessagesPerRule(ctx context.Context, s Scope, from, to time.Time) (map[int64]int, error) {
	cond, args := s.clause("team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT rule_id, COUNT(*) FROM notifications WHERE `+cond+`
		AND rule_id IS NOT NULL AND kind IN ('firing', 'resolved') AND purpose = '' AND created_at >= ? AND created_at < ? GROUP BY rule_id`,
		append(args, ms(from), ms(to))...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}
