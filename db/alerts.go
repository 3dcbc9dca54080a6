package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// StoredAlert is one received alert as stored.
type StoredAlert struct {
	ID           int64
	TeamID       int64 // the token's team; 0 = a global token
	Source       string
	Fingerprint  string
	Status       string
	Name         string
	Labels       map[string]string
	Annotations  map[string]string
	Values       map[string]float64
	StartsAt     time.Time
	EndsAt       time.Time
	GeneratorURL string
	ReceivedAt   time.Time
	MatchedRules []int64
}

// IntakeTx is the write transaction the alert pipeline runs a batch of requests in.
// Statements are prepared once per transaction; SAVEPOINTs isolate one request's work
// so a failing request does not undo the others committed with it.
type IntakeTx struct {
	ctx   context.Context
	db    *DB
	tx    *sql.Tx
	Now   time.Time
	stmts map[string]*sql.Stmt
	// missing lists the statements this transaction had to prepare for itself.
	missing []string
}

// Intake runs fn in one write transaction.
func (d *DB) Intake(ctx context.Context, fn func(t *IntakeTx) error) error {
	var missing []string
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		t := &IntakeTx{ctx: ctx, db: d, tx: tx, Now: d.now(), stmts: map[string]*sql.Stmt{}}
		defer func() {
			for _, s := range t.stmts {
				s.Close()
			}
			missing = t.missing
		}()
		return fn(t)
	})
	for _, q := range missing {
		if perr := d.keepPrepared(ctx, q); perr != nil {
			break // only a missed optimisation: the next transaction prepares it again
		}
	}
	return err
}

// stmt returns query prepared for this transaction. Intake statements are few and run
// thousands of times a second, so they are kept prepared on the writer connection: binding
// a kept statement to the transaction costs no new prepare (the writer pool has the one
// connection it was prepared on). A statement not kept yet is prepared for this
// transaction only and kept once the transaction has released the connection.
func (t *IntakeTx) stmt(query string) (*sql.Stmt, error) {
	if s, ok := t.stmts[query]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if base, ok := t.db.writerStmts.Load(query); ok {
		s = t.tx.StmtContext(t.ctx, base.(*sql.Stmt))
	} else {
		var err error
		if s, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
		t.missing = append(t.missing, query)
	}
	t.stmts[query] = s
	return s, nil
}

// keepPrepared prepares queries on the writer pool for later transactions; call it only
// while no transaction holds the writer connection.
func (d *DB) keepPrepared(ctx context.Context, query string) error {
	if _, ok := d.writerStmts.Load(query); ok {
		return nil
	}
	s, err := d.write.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	if _, loaded := d.writerStmts.LoadOrStore(query, s); loaded {
		s.Close()
	}
	return nil
}

// Savepoint, RollbackTo and Release bracket one request's work.
func (t *IntakeTx) Savepoint(name string) error {
	_, err := t.tx.ExecContext(t.ctx, "SAVEPOINT "+name)
	return err
}

func (t *IntakeTx) RollbackTo(name string) error {
	_, err := t.tx.ExecContext(t.ctx, "ROLLBACK TO "+name)
	if err == nil {
		_, err = t.tx.ExecContext(t.ctx, "RELEASE "+name)
	}
	return err
}

func (t *IntakeTx) Release(name string) error {
	_, err := t.tx.ExecContext(t.ctx, "RELEASE "+name)
	return err
}

func idsString(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

func parseIDs(s string) []int64 {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// InsertAlert stores a received alert. inserted is false for a redelivery (same scope,
// fingerprint, status and start): it changes nothing.
func (t *IntakeTx) InsertAlert(a *StoredAlert, labelsJSON, annotationsJSON, valuesJSON string) (inserted bool, err error) {
	s, err := t.stmt(`INSERT INTO alerts (team_id, source, fingerprint, status, name, labels, annotations, alert_values,
		starts_at, ends_at, generator_url, received_at, matched_rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (team_id, starts_at, fingerprint, status) DO NOTHING RETURNING id`)
	if err != nil {
		return false, err
	}
	var ends int64
	if !a.EndsAt.IsZero() {
		ends = ms(a.EndsAt)
	}
	// RETURNING gives no row for a redelivery (the conflict did nothing).
	err = s.QueryRowContext(t.ctx, a.TeamID, a.Source, a.Fingerprint, a.Status, a.Name, labelsJSON, annotationsJSON, valuesJSON,
		ms(a.StartsAt), ends, a.GeneratorURL, ms(a.ReceivedAt), idsString(a.MatchedRules)).Scan(&a.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("db: insert alert: %w", err)
	}
	return true, nil
}

// NewAlert is one alert to store with InsertAlerts, its maps already JSON.
type NewAlert struct {
	Alert                       *StoredAlert
	Labels, Annotations, Values string
	Inserted                    bool // set by InsertAlerts: false for a redelivery
}

// InsertAlerts stores many alerts with multi-row statements (far cheaper than one
// statement each at high intake rates) and marks which were new. Redeliveries (same
// scope, fingerprint, status and start) are left untouched.
func (t *IntakeTx) InsertAlerts(alerts []NewAlert) error {
	const cols = 13
	const chunk = 500 // 6,500 bound parameters, well under SQLite's limit
	for start := 0; start < len(alerts); start += chunk {
		part := alerts[start:min(start+chunk, len(alerts))]
		var q strings.Builder
		q.WriteString(`INSERT INTO alerts (team_id, source, fingerprint, status, name, labels, annotations, alert_values,
			starts_at, ends_at, generator_url, received_at, matched_rules) VALUES `)
		args := make([]any, 0, len(part)*cols)
		type key struct {
			starts     int64
			fp, status string
		}
		index := make(map[key]int, len(part))
		for i, na := range part {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
			a := na.Alert
			var ends int64
			if !a.EndsAt.IsZero() {
				ends = ms(a.EndsAt)
			}
			k := key{ms(a.StartsAt), a.Fingerprint, a.Status}
			if _, dup := index[k]; !dup {
				index[k] = i
			}
			args = append(args, a.TeamID, a.Source, a.Fingerprint, a.Status, a.Name, na.Labels, na.Annotations, na.Values,
				k.starts, ends, a.GeneratorURL, ms(a.ReceivedAt), idsString(a.MatchedRules))
		}
		q.WriteString(` ON CONFLICT (team_id, starts_at, fingerprint, status) DO NOTHING RETURNING id, starts_at, fingerprint, status`)
		// Prepared once per transaction and row count: requests of the same size share it.
		st, err := t.stmt(q.String())
		if err != nil {
			return fmt.Errorf("db: insert alerts: %w", err)
		}
		rows, err := st.QueryContext(t.ctx, args...)
		if err != nil {
			return fmt.Errorf("db: insert alerts: %w", err)
		}
		for rows.Next() {
			var id int64
			var k key
			if err := rows.Scan(&id, &k.starts, &k.fp, &k.status); err != nil {
				rows.Close()
				return err
			}
			if i, ok := index[k]; ok {
				part[i].Alert.ID, part[i].Inserted = id, true
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("db: insert alerts: %w", err)
		}
	}
	return nil
}

// Series is a threshold rule's state for one series.
type Series struct {
	RuleID       int64
	Fingerprint  string
	PendingSince time.Time
	Firing       bool
	LastValue    float64
	AlertID      int64
}

// Series loads a series' state; found is false for a new series.
func (t *IntakeTx) Series(ruleID int64, fp string) (Series, bool, error) {
	s, err := t.stmt(`SELECT pending_since, firing, last_value, alert_id FROM series_state WHERE rule_id = ? AND fingerprint = ?`)
	if err != nil {
		return Series{}, false, err
	}
	var pending int64
	sr := Series{RuleID: ruleID, Fingerprint: fp}
	err = s.QueryRowContext(t.ctx, ruleID, fp).Scan(&pending, &sr.Firing, &sr.LastValue, &sr.AlertID)
	if err == sql.ErrNoRows {
		return sr, false, nil
	}
	if pending > 0 {
		sr.PendingSince = fromMS(pending)
	}
	return sr, err == nil, err
}

// SaveSeries writes a series' state; a series neither pending nor firing is deleted.
func (t *IntakeTx) SaveSeries(sr Series) error {
	if sr.PendingSince.IsZero() && !sr.Firing {
		s, err := t.stmt(`DELETE FROM series_state WHERE rule_id = ? AND fingerprint = ?`)
		if err != nil {
			return err
		}
		_, err = s.ExecContext(t.ctx, sr.RuleID, sr.Fingerprint)
		return err
	}
	s, err := t.stmt(`INSERT INTO series_state (rule_id, fingerprint, pending_since, firing, last_value, alert_id, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (rule_id, fingerprint) DO UPDATE SET pending_since = excluded.pending_since,
		firing = excluded.firing, last_value = excluded.last_value, alert_id = excluded.alert_id, updated_at = excluded.updated_at`)
	if err != nil {
		return err
	}
	var pending int64
	if !sr.PendingSince.IsZero() {
		pending = ms(sr.PendingSince)
	}
	_, err = s.ExecContext(t.ctx, sr.RuleID, sr.Fingerprint, pending, sr.Firing, sr.LastValue, sr.AlertID, ms(t.Now))
	return err
}

// PendingSeries lists threshold series that are pending (not yet firing), for the timer check.
func (d *DB) PendingSeries(ctx context.Context) ([]Series, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT rule_id, fingerprint, pending_since, last_value, alert_id
		FROM series_state WHERE firing = 0 AND pending_since > 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Series
	for rows.Next() {
		var sr Series
		var pending int64
		if err := rows.Scan(&sr.RuleID, &sr.Fingerprint, &pending, &sr.LastValue, &sr.AlertID); err != nil {
			return nil, err
		}
		sr.PendingSince = fromMS(pending)
		out = append(out, sr)
	}
	return out, rows.Err()
}

// SeriesOf returns the threshold state of a series for the "why" page.
func (d *DB) SeriesOf(ctx context.Context, ruleID int64, fp string) (Series, bool, error) {
	var sr Series
	var pending int64
	err := d.read.QueryRowContext(ctx, `SELECT pending_since, firing, last_value, alert_id FROM series_state WHERE rule_id = ? AND fingerprint = ?`,
		ruleID, fp).Scan(&pending, &sr.Firing, &sr.LastValue, &sr.AlertID)
	if err == sql.ErrNoRows {
		return sr, false, nil
	}
	if pending > 0 {
		sr.PendingSince = fromMS(pending)
	}
	return sr, err == nil, err
}

// GroupJoin is one alert's new state in a group.
type GroupJoin struct {
	Fingerprint string
	AlertID     int64
	Status      string // firing | resolved
}

// JoinGroup puts alerts into one of a rule's groups (creating the group) and schedules
// the group's next notification no later than flushAt. It reports whether any alert's
// state in the group is new, so the group has something to say. The changes take the
// group's next version (see FlushGroup). One call per group and request keeps a storm of
// one alert name to one group write per request instead of two per alert.
//
// sourceTruncated is the count of alerts the sender left out of the body (Alertmanager's
// truncatedAlerts); the group keeps the latest body's.
func (t *IntakeTx) JoinGroup(ruleID int64, key, groupLabelsJSON string, joins []GroupJoin, sourceTruncated int, flushAt time.Time) (changed bool, err error) {
	s, err := t.stmt(`INSERT INTO alert_groups (rule_id, group_key, group_labels, created_at, source_truncated) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (rule_id, group_key) DO UPDATE SET source_truncated = excluded.source_truncated RETURNING id, version`)
	if err != nil {
		return false, err
	}
	var gid, version int64
	if err := s.QueryRowContext(t.ctx, ruleID, key, groupLabelsJSON, ms(t.Now), sourceTruncated).Scan(&gid, &version); err != nil {
		return false, fmt.Errorf("db: group: %w", err)
	}
	next := version + 1
	// An alert's state in the group is news when the row is new or its status changed
	// (notified drops to 0); a resolved alert that never fired here is no news at all.
	// A member keeps its version while its state is not news, so a flush that read it
	// still accounts for it.
	upd, err := t.stmt(`UPDATE group_alerts SET alert_id = ?, status = ?,
		notified = CASE WHEN status = ? THEN notified ELSE 0 END,
		version = CASE WHEN status = ? AND notified = 1 THEN version ELSE ? END
		WHERE group_id = ? AND fingerprint = ? RETURNING notified`)
	if err != nil {
		return false, err
	}
	// Firing alerts are upserted many rows per statement (a storm's request is one group);
	// a resolve updates its row alone. Rows keep their order: a firing and a resolve of
	// the same alert in one request apply in turn.
	for i := 0; i < len(joins); {
		if joins[i].Status != "firing" {
			j := joins[i]
			i++
			var notified bool
			switch err := upd.QueryRowContext(t.ctx, j.AlertID, j.Status, j.Status, j.Status, next, gid, j.Fingerprint).Scan(&notified); {
			case err == sql.ErrNoRows:
				continue
			case err != nil:
				return false, err
			}
			changed = changed || !notified
			continue
		}
		end := i
		for end < len(joins) && end-i < joinRowsPerStatement && joins[end].Status == "firing" {
			end++
		}
		c, err := t.upsertFiring(gid, next, joins[i:end])
		if err != nil {
			return false, err
		}
		changed = changed || c
		i = end
	}
	if changed {
		sched, err := t.stmt(`UPDATE alert_groups SET changed = 1, version = ?,
			flush_at = CASE WHEN flush_at IS NULL OR flush_at > ? THEN ? ELSE flush_at END WHERE id = ?`)
		if err != nil {
			return false, err
		}
		if _, err := sched.ExecContext(t.ctx, next, ms(flushAt), ms(flushAt), gid); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// joinRowsPerStatement bounds a multi-row upsert (5 parameters a row, far below SQLite's
// 32,766).
const joinRowsPerStatement = 200

// upsertFiring puts firing alerts into group gid in one statement and reports whether any
// of them is news (new, or its status changed).
func (t *IntakeTx) upsertFiring(gid, version int64, joins []GroupJoin) (changed bool, err error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO group_alerts (group_id, fingerprint, alert_id, status, notified, version) VALUES `)
	args := make([]any, 0, 4*len(joins))
	for i, j := range joins {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?, ?, ?, 'firing', 0, ?)")
		args = append(args, gid, j.Fingerprint, j.AlertID, version)
	}
	q.WriteString(` ON CONFLICT (group_id, fingerprint) DO UPDATE SET alert_id = excluded.alert_id, status = excluded.status,
		notified = CASE WHEN group_alerts.status = excluded.status THEN group_alerts.notified ELSE 0 END,
		version = CASE WHEN group_alerts.status = excluded.status AND group_alerts.notified = 1
			THEN group_alerts.version ELSE excluded.version END
		RETURNING notified`)
	s, err := t.stmt(q.String())
	if err != nil {
		return false, err
	}
	rows, err := s.QueryContext(t.ctx, args...)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var notified bool
		if err := rows.Scan(&notified); err != nil {
			return false, err
		}
		changed = changed || !notified
	}
	return changed, rows.Err()
}

// AlertGroup is a rule's aggregation group.
type AlertGroup struct {
	ID          int64
	RuleID      int64
	Key         string
	GroupLabels map[string]string
	FlushAt     time.Time
	Changed     bool
	LastSentAt  time.Time
	// FlushFailures counts flushes that failed in a row; LastError says why the last one did.
	FlushFailures int
	LastError     string
	LastErrorAt   time.Time
}

// GroupMember is an alert in a group with its latest state.
type GroupMember struct {
	Alert    StoredAlert
	Notified bool
}

// DueGroups lists groups whose next notification is due at now.
func (d *DB) DueGroups(ctx context.Context, now time.Time, limit int) ([]AlertGroup, error) {
	return d.alertGroups(ctx, `SELECT `+alertGroupCols+`
		FROM alert_groups WHERE flush_at IS NOT NULL AND flush_at <= ? ORDER BY flush_at LIMIT ?`, ms(now), limit)
}

const alertGroupCols = `id, rule_id, group_key, group_labels, COALESCE(flush_at, 0), changed, COALESCE(last_sent_at, 0),
	flush_failures, last_error, COALESCE(last_error_at, 0)`

func scanAlertGroup(row interface{ Scan(...any) error }) (AlertGroup, error) {
	var g AlertGroup
	var labels string
	var flush, last, errAt int64
	if err := row.Scan(&g.ID, &g.RuleID, &g.Key, &labels, &flush, &g.Changed, &last, &g.FlushFailures, &g.LastError, &errAt); err != nil {
		return g, err
	}
	_ = json.Unmarshal([]byte(labels), &g.GroupLabels)
	if flush > 0 {
		g.FlushAt = fromMS(flush)
	}
	if last > 0 {
		g.LastSentAt = fromMS(last)
	}
	if errAt > 0 {
		g.LastErrorAt = fromMS(errAt)
	}
	return g, nil
}

// NextGroupFlush is the earliest scheduled group flush (zero when none).
func (d *DB) NextGroupFlush(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := d.read.QueryRowContext(ctx, `SELECT MIN(flush_at) FROM alert_groups WHERE flush_at IS NOT NULL`).Scan(&v)
	return nullMS(v), err
}

const storedAlertCols = `a.id, a.team_id, a.source, a.fingerprint, a.status, a.name, a.labels, a.annotations, a.alert_values,
	a.starts_at, a.ends_at, a.generator_url, a.received_at, a.matched_rules`

func scanStoredAlert(row interface{ Scan(...any) error }, extra ...any) (StoredAlert, error) {
	var a StoredAlert
	var labels, annotations, values, matched string
	var starts, ends, received int64
	dst := append([]any{&a.ID, &a.TeamID, &a.Source, &a.Fingerprint, &a.Status, &a.Name, &labels, &annotations, &values,
		&starts, &ends, &a.GeneratorURL, &received, &matched}, extra...)
	if err := row.Scan(dst...); err != nil {
		return a, err
	}
	_ = json.Unmarshal([]byte(labels), &a.Labels)
	_ = json.Unmarshal([]byte(annotations), &a.Annotations)
	_ = json.Unmarshal([]byte(values), &a.Values)
	a.StartsAt, a.ReceivedAt = fromMS(starts), fromMS(received)
	if ends > 0 {
		a.EndsAt = fromMS(ends)
	}
	a.MatchedRules = parseIDs(matched)
	return a, nil
}

// GroupSnapshot is what a flush reads of a group, all at one version: the first alerts
// of each kind (bounded, so a group of 100,000 alerts flushes in bounded time and memory)
// and the totals counted in SQL.
type GroupSnapshot struct {
	Version int64
	// Firing are the first firing alerts (oldest first); FiringTotal counts them all.
	Firing      []StoredAlert
	FiringTotal int
	// Resolved are the first resolved alerts whose resolve was not sent yet; ResolvedTotal
	// counts them all.
	Resolved      []StoredAlert
	ResolvedTotal int
	// Changed: some member's state at this version has not been notified.
	Changed bool
	// SourceTruncated: alerts of the group the sender left out of its last body.
	SourceTruncated int
}

// SnapshotGroup reads group at its current version, with at most show alerts of each kind.
// The group's status of an alert wins over the stored alert's: a threshold rule resolves a
// series whose source still says firing.
func (d *DB) SnapshotGroup(ctx context.Context, groupID int64, show int) (GroupSnapshot, error) {
	var snap GroupSnapshot
	tx, err := d.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return snap, err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT version, source_truncated FROM alert_groups WHERE id = ?`, groupID).
		Scan(&snap.Version, &snap.SourceTruncated); err != nil {
		return snap, mapErr(err)
	}
	err = tx.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(CASE WHEN status = 'firing' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = 'resolved' AND notified = 0 THEN 1 ELSE 0 END), 0),
			COALESCE(MAX(CASE WHEN notified = 0 THEN 1 ELSE 0 END), 0)
		FROM group_alerts WHERE group_id = ? AND version <= ?`, groupID, snap.Version).
		Scan(&snap.FiringTotal, &snap.ResolvedTotal, &snap.Changed)
	if err != nil {
		return snap, err
	}
	list := func(cond string) ([]StoredAlert, error) {
		rows, err := tx.QueryContext(ctx, `SELECT `+storedAlertCols+`, g.status FROM group_alerts g JOIN alerts a ON a.id = g.alert_id
			WHERE g.group_id = ? AND g.version <= ? AND `+cond+` ORDER BY a.starts_at, a.id LIMIT ?`, groupID, snap.Version, show)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []StoredAlert
		for rows.Next() {
			var status string
			a, err := scanStoredAlert(rows, &status)
			if err != nil {
				return nil, err
			}
			a.Status = status
			out = append(out, a)
		}
		return out, rows.Err()
	}
	if snap.Firing, err = list(`g.status = 'firing'`); err != nil {
		return snap, err
	}
	if snap.Resolved, err = list(`g.status = 'resolved' AND g.notified = 0`); err != nil {
		return snap, err
	}
	return snap, nil
}

// Outgoing is one notification a group flush writes, with the alerts it shows. A muted
// one is written in state muted with an attempt row that says why.
type Outgoing struct {
	Notification Notification
	AlertIDs     []int64
	Platform     string
	MutedBecause string
}

// GroupFlush is the outcome of one group flush, written in one transaction.
type GroupFlush struct {
	GroupID int64
	// Version is the version the flush read (GroupSnapshot.Version): exactly the members
	// at or below it went into the message, shown or counted.
	Version  int64
	Outgoing []Outgoing
	// NextFlush is when the group speaks again if nothing changes (its repeat); zero:
	// nothing left to say, the group is removed once it has no members.
	NextFlush time.Time
	// Again is when the group is due if members joined or changed while it flushed.
	Again time.Time
	// Fence, when set, is the pipeline role's tenure the flush runs under: the flush is
	// refused (ErrFenced) once another console took the pipeline over.
	Fence Fence
}

// FlushGroup writes the notifications of a group flush into the outbox and accounts for
// the members it carried, atomically.
//
// Invariant: a member is marked notified, or (a resolve) forgotten, only if its state at
// or below f.Version went into the message; a member that joined or changed after the
// flush read the group has a higher version, stays unnotified, keeps the group changed
// and is in the next message. Each outgoing notification records the alerts whose state
// it announces (and those it shows), so every alert can name the message that carried it.
func (d *DB) FlushGroup(ctx context.Context, f GroupFlush) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		if err := checkFence(ctx, tx, f.Fence); err != nil {
			return err
		}
		for _, o := range f.Outgoing {
			n := o.Notification
			n.CreatedAt, n.UpdatedAt = now, now
			if n.NextAttemptAt.IsZero() {
				n.NextAttemptAt = now
			}
			if err := insertNotification(ctx, tx, &n); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_alerts (notification_id, alert_id)
				SELECT ?, alert_id FROM group_alerts WHERE group_id = ? AND version <= ? AND notified = 0
				ON CONFLICT DO NOTHING`, n.ID, f.GroupID, f.Version); err != nil {
				return err
			}
			for _, id := range o.AlertIDs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO notification_alerts (notification_id, alert_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, n.ID, id); err != nil {
					return err
				}
			}
			if o.MutedBecause != "" {
				at := Attempt{NotificationID: n.ID, TeamID: n.TeamID, RobotID: n.RobotID, RuleID: n.RuleID, Platform: o.Platform,
					Kind: n.Kind, Attempt: 0, At: now, Outcome: OutcomeMuted, Summary: o.MutedBecause, Search: n.Search}
				if err := insertAttempt(ctx, tx, &at); err != nil {
					return err
				}
				if n.IncidentID != 0 {
					if err := insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: n.IncidentID, At: now, Kind: "message",
						ActorKind: "system", Text: "Message to robot #" + strconv.FormatInt(n.RobotID, 10) + " not sent: " + o.MutedBecause,
						NotificationID: n.ID}); err != nil {
						return err
					}
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE group_alerts SET notified = 1 WHERE group_id = ? AND version <= ? AND notified = 0`,
			f.GroupID, f.Version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM group_alerts WHERE group_id = ? AND version <= ? AND status = 'resolved'`,
			f.GroupID, f.Version); err != nil {
			return err
		}
		var pending, left int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN notified = 0 THEN 1 ELSE 0 END), 0), COUNT(*) FROM group_alerts WHERE group_id = ?`,
			f.GroupID).Scan(&pending, &left); err != nil {
			return err
		}
		next := f.NextFlush
		if pending > 0 {
			next = f.Again // something joined or changed meanwhile: it is news, due after the group wait
		} else if next.IsZero() && left == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM alert_groups WHERE id = ?`, f.GroupID)
			return err
		}
		sent := sql.NullInt64{}
		if len(f.Outgoing) > 0 {
			sent = sql.NullInt64{Int64: ms(now), Valid: true}
		}
		_, err := tx.ExecContext(ctx, `UPDATE alert_groups SET changed = ?, flush_at = ?, last_sent_at = COALESCE(?, last_sent_at),
			flush_failures = 0, last_error = '', last_error_at = NULL WHERE id = ?`,
			pending > 0, nullTime(next), sent, f.GroupID)
		return err
	}))
}

// GroupFlushFailed records that a group could not be flushed and when to try again; the
// group keeps its members and its change.
func (d *DB) GroupFlushFailed(ctx context.Context, groupID int64, reason string, retryAt time.Time) error {
	_, err := d.write.ExecContext(ctx, `UPDATE alert_groups SET flush_failures = flush_failures + 1, last_error = ?,
		last_error_at = ?, flush_at = ? WHERE id = ?`, cutString(reason, 1000), ms(d.now()), ms(retryAt), groupID)
	return err
}

// FailingGroups lists the groups whose last flush failed (s limits them to a team's rules).
func (d *DB) FailingGroups(ctx context.Context, s Scope, ruleID int64) ([]AlertGroup, error) {
	q := `SELECT ` + prefixCols("g.", alertGroupCols) + ` FROM alert_groups g JOIN rules r ON r.id = g.rule_id WHERE g.flush_failures > 0`
	var args []any
	if !s.All {
		q += ` AND r.team_id = ?`
		args = append(args, s.TeamID)
	}
	if ruleID != 0 {
		q += ` AND g.rule_id = ?`
		args = append(args, ruleID)
	}
	return d.alertGroups(ctx, q+` ORDER BY g.last_error_at DESC LIMIT 100`, args...)
}

// alertGroups runs a query selecting alertGroupCols.
func (d *DB) alertGroups(ctx context.Context, q string, args ...any) ([]AlertGroup, error) {
	rows, err := d.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AlertGroup
	for rows.Next() {
		g, err := scanAlertGroup(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// AlertGroupByID returns one group with its rule's name (s limits it to a team's rules).
func (d *DB) AlertGroupByID(ctx context.Context, s Scope, id int64) (AlertGroup, string, error) {
	q := `SELECT ` + prefixCols("g.", alertGroupCols) + `, r.name FROM alert_groups g JOIN rules r ON r.id = g.rule_id WHERE g.id = ?`
	args := []any{id}
	if !s.All {
		q += ` AND r.team_id = ?`
		args = append(args, s.TeamID)
	}
	var rule string
	g, err := scanAlertGroup(rowWithExtra{d.read.QueryRowContext(ctx, q, args...), &rule})
	return g, rule, mapErr(err)
}

// rowWithExtra scans a row's leading columns with scanAlertGroup and the rest into extra.
type rowWithExtra struct {
	row   *sql.Row
	extra *string
}

func (r rowWithExtra) Scan(dst ...any) error { return r.row.Scan(append(dst, r.extra)...) }

// LastTemplateFailure is the newest notification of rule whose template failed on its
// group (the platform's default was sent instead): why, and when (zero when none).
func (d *DB) LastTemplateFailure(ctx context.Context, ruleID int64) (string, time.Time, error) {
	var why string
	var at int64
	err := d.read.QueryRowContext(ctx, `SELECT template_failure, created_at FROM notifications
		WHERE rule_id = ? AND template_failure <> '' ORDER BY id DESC LIMIT 1`, ruleID).Scan(&why, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, nil
	}
	return why, fromMS(at), err
}

// GroupsOfAlert lists the groups an alert is a member of now (for the why page).
func (d *DB) GroupsOfAlert(ctx context.Context, alertID int64) ([]AlertGroup, error) {
	return d.alertGroups(ctx, `SELECT `+prefixCols("g.", alertGroupCols)+` FROM alert_groups g
		JOIN group_alerts m ON m.group_id = g.id WHERE m.alert_id = ?`, alertID)
}

// prefixCols qualifies a column list with a table alias ("id, x" → "g.id, g.x"), leaving
// function calls such as COALESCE(x, 0) qualified inside.
func prefixCols(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if strings.HasPrefix(p, "COALESCE(") {
			p = "COALESCE(" + prefix + strings.TrimPrefix(p, "COALESCE(")
		} else if !strings.HasSuffix(p, ")") {
			p = prefix + p
		}
		parts[i] = p
	}
	return strings.Join(parts, ", ")
}

// AlertByID returns one stored alert. Members see their team's alerts and those of
// global tokens.
func (d *DB) AlertByID(ctx context.Context, s Scope, id int64) (StoredAlert, error) {
	q := `SELECT ` + storedAlertCols + ` FROM alerts a WHERE a.id = ?`
	args := []any{id}
	if !s.All {
		q += ` AND a.team_id IN (0, ?)`
		args = append(args, s.TeamID)
	}
	a, err := scanStoredAlert(d.read.QueryRowContext(ctx, q, args...))
	return a, mapErr(err)
}

// AlertFilter selects alerts for the alert list.
type AlertFilter struct {
	Query  string // alert name prefix or fingerprint
	Status string
	// GroupID lists the alerts in one notification group now (0 = every alert).
	GroupID int64
	Before  *AuditCursor
	Limit   int
}

// Alerts lists received alerts newest first, keyset-paginated.
func (d *DB) Alerts(ctx context.Context, s Scope, f AlertFilter) ([]StoredAlert, bool, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var conds []string
	var args []any
	if !s.All {
		conds = append(conds, "a.team_id IN (0, ?)")
		args = append(args, s.TeamID)
	}
	if f.Query != "" {
		conds = append(conds, "(a.name "+d.dia.like()+" ? ESCAPE '\\' OR a.fingerprint = ?)")
		args = append(args, likeEscape(f.Query)+"%", f.Query)
	}
	if f.Status != "" {
		conds = append(conds, "a.status = ?")
		args = append(args, f.Status)
	}
	if f.GroupID != 0 {
		conds = append(conds, "a.id IN (SELECT alert_id FROM group_alerts WHERE group_id = ?)")
		args = append(args, f.GroupID)
	}
	if f.Before != nil {
		conds = append(conds, "(a.received_at < ? OR (a.received_at = ? AND a.id < ?))")
		args = append(args, f.Before.At, f.Before.At, f.Before.ID)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := d.read.QueryContext(ctx, `SELECT `+storedAlertCols+` FROM alerts a`+where+
		` ORDER BY a.received_at DESC, a.id DESC LIMIT ?`, append(args, f.Limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []StoredAlert
	for rows.Next() {
		a, err := scanStoredAlert(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, a)
	}
	if len(out) > f.Limit {
		return out[:f.Limit], true, rows.Err()
	}
	return out, false, rows.Err()
}

// NotificationsForAlert lists the notifications that carried an alert.
func (d *DB) NotificationsForAlert(ctx context.Context, alertID int64) ([]Notification, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT n.id, n.team_id, n.robot_id, COALESCE(n.rule_id, 0), n.kind, n.state, n.title,
		n.last_outcome, n.last_summary, n.created_at, COALESCE(n.digest_id, 0)
		FROM notification_alerts na JOIN notifications n ON n.id = na.notification_id WHERE na.alert_id = ? ORDER BY n.id`, alertID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.TeamID, &n.RobotID, &n.RuleID, &n.Kind, &n.State, &n.Title, &n.LastOutcome, &n.LastSummary,
			&created, &n.DigestID); err != nil {
			return nil, err
		}
		n.CreatedAt = fromMS(created)
		out = append(out, n)
	}
	return out, rows.Err()
}
