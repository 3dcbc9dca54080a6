package db

import (
	"alertdesk/notify"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The SQL of the delivery engine (notify/outbox): recovery after a crash, which robots
// have work, claiming, recording outcomes in groups, folding a backlog into a digest,
// expiry, the send windows of the last minute and the queue depth.
//
// The engine owns a robot's pending rows while its worker runs, so these functions do
// not lock rows beyond SQLite's single writer; each write runs in one transaction.

// OutboxItem is one notification to enqueue, with the alerts it carries.
type OutboxItem struct {
	Notification
	AlertIDs []int64
}

// Enqueue writes notifications into the outbox (state queued unless set, due now unless
// NextAttemptAt is set) with their notification_alerts, in one transaction, and returns
// their ids in order. The pipeline calls Kick on the engine afterwards.
func (d *DB) Enqueue(ctx context.Context, items []OutboxItem) ([]int64, error) {
	now := d.now()
	ids := make([]int64, 0, len(items))
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range items {
			n := items[i].Notification
			if n.State == "" {
				n.State = StateQueued
			}
			if n.CreatedAt.IsZero() {
				n.CreatedAt = now
			}
			if n.UpdatedAt.IsZero() {
				n.UpdatedAt = n.CreatedAt
			}
			if n.NextAttemptAt.IsZero() {
				n.NextAttemptAt = n.CreatedAt
			}
			if n.AlertCount == 0 {
				n.AlertCount = len(items[i].AlertIDs)
			}
			if err := insertNotification(ctx, tx, &n); err != nil {
				return err
			}
			for _, a := range items[i].AlertIDs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO notification_alerts (notification_id, alert_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
					n.ID, a); err != nil {
					return fmt.Errorf("db: enqueue: notification alert: %w", err)
				}
			}
			ids = append(ids, n.ID)
		}
		return nil
	})
	return ids, mapErr(err)
}

// RecoverSending puts notifications left in state sending (by a process that stopped
// between claiming and recording) back into the queue. At-least-once: a message that
// was sent but not recorded is sent again.
func (d *DB) RecoverSending(ctx context.Context, now time.Time) (int, error) {
	robots, err := d.RecoverSendingByRobot(ctx, now)
	n := 0
	for _, k := range robots {
		n += k
	}
	return n, err
}

// RecoverSendingByRobot is RecoverSending saying how many notifications of each robot it
// queued again. The console that takes delivery over runs it: every claim left in state
// sending belongs to the previous holder, which stopped (or died) before its lease ended.
func (d *DB) RecoverSendingByRobot(ctx context.Context, now time.Time) (map[int64]int, error) {
	out := map[int64]int{}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET state = 'queued', claimed_at = NULL, claimed_by = NULL,
			lease_until = NULL, updated_at = ? WHERE state = 'sending' RETURNING robot_id`, ms(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			out[id]++
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("db: recover sending: %w", err)
	}
	return out, nil
}

// ReleaseClaimed puts claimed notifications that were not sent back into the queue
// (graceful shutdown, or a worker that stopped early).
func (d *DB) ReleaseClaimed(ctx context.Context, ids []int64, now time.Time) error {
	return d.ReleaseClaimedBy(ctx, ids, now, "")
}

// ReleaseClaimedBy is ReleaseClaimed for the claims holder made (ClaimFenced): rows another
// console claimed since are left alone.
func (d *DB) ReleaseClaimedBy(ctx context.Context, ids []int64, now time.Time, holder string) error {
	if len(ids) == 0 {
		return nil
	}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		q, args := inList(ids)
		_, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'queued', claimed_at = NULL, claimed_by = NULL,
			lease_until = NULL, updated_at = ? WHERE state = 'sending' AND COALESCE(claimed_by, '') = ? AND id IN (`+q+`)`, append([]any{ms(now), holder}, args...)...)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: release claimed: %w", err)
	}
	return nil
}

// PendingRobot is a robot with notifications waiting: when its oldest one is due.
type PendingRobot struct {
	RobotID        int64
	HeadDueAt      time.Time // next_attempt_at of the oldest pending notification
	ThrottledUntil time.Time
	Pending        int
}

// PendingRobots lists the enabled robots that have queued or retrying notifications.
// Notifications of disabled robots wait (they are only expired by age).
func (d *DB) PendingRobots(ctx context.Context) ([]PendingRobot, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT h.robot_id, n.next_attempt_at, r.throttled_until, h.cnt
		FROM (SELECT robot_id, MIN(id) AS head, COUNT(*) AS cnt FROM notifications
			WHERE state IN ('queued', 'retrying') GROUP BY robot_id) h
		JOIN notifications n ON n.id = h.head
		JOIN robots r ON r.id = h.robot_id
		WHERE r.enabled = 1`)
	if err != nil {
		return nil, fmt.Errorf("db: pending robots: %w", err)
	}
	defer rows.Close()
	var out []PendingRobot
	for rows.Next() {
		var p PendingRobot
		var head int64
		var throttled sql.NullInt64
		if err := rows.Scan(&p.RobotID, &head, &throttled, &p.Pending); err != nil {
			return nil, err
		}
		p.HeadDueAt, p.ThrottledUntil = fromMS(head), nullMS(throttled)
		out = append(out, p)
	}
	return out, rows.Err()
}

// DueRow is a pending notification in a robot's queue, as the governor sees it.
type DueRow struct {
	ID            int64
	Kind          string
	State         string
	NextAttemptAt time.Time
}

// DueForRobot returns up to limit (0 = all) of robot's pending notifications, oldest
// first, that are due at now: the queue is strictly ordered, so it stops at the first
// one that is not due yet, whose time is returned as waitUntil (zero when none).
func (d *DB) DueForRobot(ctx context.Context, robotID int64, now time.Time, limit int) (due []DueRow, waitUntil time.Time, err error) {
	q := `SELECT id, kind, state, next_attempt_at FROM notifications
		WHERE robot_id = ? AND state IN ('queued', 'retrying') ORDER BY id`
	args := []any{robotID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit+1)
	}
	rows, err := d.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("db: due for robot: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r DueRow
		var next int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.State, &next); err != nil {
			return nil, time.Time{}, err
		}
		r.NextAttemptAt = fromMS(next)
		if r.NextAttemptAt.After(now) {
			waitUntil = r.NextAttemptAt
			break
		}
		if limit > 0 && len(due) == limit {
			break
		}
		due = append(due, r)
	}
	return due, waitUntil, rows.Err()
}

const outboxCols = `id, team_id, robot_id, COALESCE(rule_id, 0), group_key, kind, severity, title, body, mentions, state,
	COALESCE(digest_id, 0), attempts, next_attempt_at, claimed_at, alert_count, search, last_outcome, last_summary, created_at, updated_at,
	COALESCE(incident_id, 0), actions`

func scanOutboxNotification(row interface{ Scan(...any) error }) (Notification, error) {
	var n Notification
	var mentions, actions string
	var next, created, updated int64
	var claimed sql.NullInt64
	err := row.Scan(&n.ID, &n.TeamID, &n.RobotID, &n.RuleID, &n.GroupKey, &n.Kind, &n.Severity, &n.Title, &n.Body, &mentions,
		&n.State, &n.DigestID, &n.Attempts, &next, &claimed, &n.AlertCount, &n.Search, &n.LastOutcome, &n.LastSummary,
		&created, &updated, &n.IncidentID, &actions)
	if err != nil {
		return n, err
	}
	_ = json.Unmarshal([]byte(mentions), &n.Mentions)
	if actions != "" {
		_ = json.Unmarshal([]byte(actions), &n.Actions)
	}
	n.NextAttemptAt, n.ClaimedAt, n.CreatedAt, n.UpdatedAt = fromMS(next), nullMS(claimed), fromMS(created), fromMS(updated)
	return n, nil
}

// Claim moves the given pending notifications of robot to state sending, in one
// transaction, and returns them in queue order. Rows that stopped being pending in the
// meantime are left out.
func (d *DB) Claim(ctx context.Context, robotID int64, ids []int64, now time.Time) ([]Notification, error) {
	return d.ClaimFenced(ctx, robotID, ids, now, Fence{}, 0)
}

// ErrFenced: the role's lease was taken over by another console; the caller must stop.
var ErrFenced = errors.New("db: this console no longer holds the role")

// ClaimFenced is Claim by the holder of a role tenure: the claim records the console
// (claimed_by) and how long it holds (lease_until = now+lease), and is refused with
// ErrFenced, claiming nothing, when the fence's epoch is no longer the role's (another
// console took delivery over). On PostgreSQL the rows are locked with FOR UPDATE SKIP
// LOCKED, so a row some other transaction holds is skipped rather than waited for. A zero
// fence checks nothing.
func (d *DB) ClaimFenced(ctx context.Context, robotID int64, ids []int64, now time.Time, f Fence, lease time.Duration) ([]Notification, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Notification
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		if err := checkFence(ctx, tx, f); err != nil {
			return err
		}
		q, args := inList(ids)
		pick := `id IN (` + q + `)`
		if d.dia.postgres {
			pick = `id IN (SELECT id FROM notifications WHERE id IN (` + q + `) FOR UPDATE SKIP LOCKED)`
		}
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET state = 'sending', claimed_at = ?, updated_at = ?,
			claimed_by = ?, lease_until = ?
			WHERE robot_id = ? AND state IN ('queued', 'retrying') AND `+pick+` RETURNING `+outboxCols,
			append([]any{ms(now), ms(now), f.Holder, ms(now.Add(lease)), robotID}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanOutboxNotification(rows)
			if err != nil {
				return err
			}
			out = append(out, n)
		}
		return rows.Err()
	})
	if errors.Is(err, ErrFenced) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("db: claim: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// NotificationByID returns one outbox row (any state).
func (d *DB) NotificationByID(ctx context.Context, id int64) (Notification, error) {
	n, err := scanOutboxNotification(d.read.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM notifications WHERE id = ?`, id))
	return n, mapErr(err)
}

// AttemptsOf returns the delivery attempts of a notification, oldest first.
func (d *DB) AttemptsOf(ctx context.Context, notificationID int64) ([]Attempt, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, notification_id, team_id, robot_id, rule_id, platform, kind, attempt, at,
		outcome, http_status, code, message, summary, latency_ms, request_url, request_body, response, search
		FROM delivery_attempts WHERE notification_id = ? ORDER BY id`, notificationID)
	if err != nil {
		return nil, fmt.Errorf("db: attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var at int64
		if err := rows.Scan(&a.ID, &a.NotificationID, &a.TeamID, &a.RobotID, &a.RuleID, &a.Platform, &a.Kind, &a.Attempt, &at,
			&a.Outcome, &a.HTTPStatus, &a.Code, &a.Message, &a.Summary, &a.LatencyMS, &a.RequestURL, &a.RequestBody,
			&a.Response, &a.Search); err != nil {
			return nil, err
		}
		a.At = fromMS(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeliveryResult is what became of one claimed notification: the attempt to record,
// the notification's new state, and the robot's health.
type DeliveryResult struct {
	Notification   Notification // as claimed: ids, kind, search and attempts before this one are copied
	Platform       string
	Attempt        Attempt   // Outcome, HTTPStatus, Code, Message, Summary, LatencyMS, RequestURL/Body, Response, At
	State          string    // StateDelivered, StateRetrying, StateFailed or StateExpired
	NextAttemptAt  time.Time // when State is StateRetrying
	ThrottledUntil time.Time // for rate-limited outcomes
	ClaimedBy      string    // the fence holder the notification was claimed under ("" without a fence)
}

// RecordResults writes many results in one transaction (the engine's group commit):
// per result the notification's state, one delivery_attempts row, and the robot's
// health. A notification that is no longer in state sending (deleted with its robot)
// is skipped, so one stale row cannot fail the group.
func (d *DB) RecordResults(ctx context.Context, rs []DeliveryResult) error {
	if len(rs) == 0 {
		return nil
	}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		upd, err := tx.PrepareContext(ctx, `UPDATE notifications SET state = ?, attempts = attempts + ?, next_attempt_at = ?,
			claimed_at = NULL, claimed_by = NULL, lease_until = NULL, last_outcome = ?, last_summary = ?, updated_at = ?
			WHERE id = ? AND state = 'sending' AND COALESCE(claimed_by, '') = ?`)
		if err != nil {
			return err
		}
		defer upd.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id, platform,
			kind, attempt, at, outcome, http_status, code, message, summary, latency_ms, request_url, request_body, response, search)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		// Robot health: the last outcome of each kind per robot is enough for its status;
		// the run of retryable failures (degraded) counts every send, in order.
		type healthKey struct {
			robot   int64
			outcome string
		}
		health := map[healthKey]DeliveryResult{}
		var order []healthKey
		runs := map[int64]*failureRun{}
		var runOrder []int64
		for _, r := range rs {
			n, a := r.Notification, r.Attempt
			inc, next := 1, n.NextAttemptAt
			if r.State == StateExpired {
				inc = 0 // not an attempt to send
			}
			if r.State == StateRetrying {
				next = r.NextAttemptAt
			}
			// Only the claim's own console records it: a console that lost delivery and
			// answers late finds the row queued again or claimed by its successor.
			res, err := upd.ExecContext(ctx, r.State, inc, ms(next), a.Outcome, a.Summary, ms(a.At), n.ID, r.ClaimedBy)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			attempt := n.Attempts + 1
			if r.State == StateExpired {
				attempt = n.Attempts
			}
			if _, err := ins.ExecContext(ctx, n.ID, n.TeamID, n.RobotID, n.RuleID, r.Platform, n.Kind, attempt, ms(a.At),
				a.Outcome, a.HTTPStatus, a.Code, a.Message, a.Summary, a.LatencyMS, a.RequestURL, a.RequestBody, a.Response,
				n.Search); err != nil {
				return err
			}
			if r.State != StateExpired {
				k := healthKey{n.RobotID, a.Outcome}
				if _, seen := health[k]; !seen {
					order = append(order, k)
				}
				health[k] = r
				run := runs[n.RobotID]
				if run == nil {
					run = &failureRun{}
					runs[n.RobotID] = run
					runOrder = append(runOrder, n.RobotID)
				}
				run.add(a.Outcome)
			}
		}
		for _, k := range order {
			r := health[k]
			if err := applyRobotOutcome(ctx, tx, k.robot, k.outcome, r.Attempt.Summary, r.Attempt.At, r.ThrottledUntil); err != nil {
				return err
			}
		}
		for _, id := range runOrder {
			if err := addFailureRun(ctx, tx, id, *runs[id]); err != nil {
				return err
			}
		}
		return recordMessageEvents(ctx, tx, rs)
	})
	if err != nil {
		return fmt.Errorf("db: record results: %w", err)
	}
	return nil
}

// DigestStats describe the notifications folded into one digest.
type DigestStats struct {
	DigestID   int64
	Total      int // notifications folded
	Alerts     int // alerts carried (sum of alert_count)
	Firing     int
	Resolved   int
	ByRule     []NameCount // by rule name, most first
	BySeverity []NameCount // by severity, most first
	Titles     []string    // titles of the folded notifications, oldest first (at most DigestTitleLimit)
	AlertNames []string    // names of the folded alerts, oldest notification first (at most DigestTitleLimit)
	Mentions   Mentions    // union of the folded notifications' mentions
}

// NameCount is one row of a breakdown.
type NameCount struct {
	Name  string
	Count int
}

// DigestTitleLimit is how many titles DigestStats keeps.
const DigestTitleLimit = 100

// FoldIntoDigest folds robot's pending notifications ids into one digest, in one
// transaction. When into is a pending digest of the robot, the notifications are added
// to it; otherwise (into = 0) a new digest (kind digest, state queued, due now) is
// created. Each folded row gets state folded, digest_id and a delivery_attempts row with
// outcome folded; folded digests hand their own folded rows over; notification_alerts
// are copied to the digest. render gets the digest's statistics over everything folded
// into it and returns its title and body. The digest is returned.
func (d *DB) FoldIntoDigest(ctx context.Context, robotID int64, into int64, ids []int64, now time.Time,
	render func(DigestStats) (title, body string)) (Notification, error) {
	var out Notification
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		var teamID int64
		var platform string
		if err := tx.QueryRowContext(ctx, `SELECT team_id, platform FROM robots WHERE id = ?`, robotID).Scan(&teamID, &platform); err != nil {
			return err
		}
		digestID := into
		if digestID != 0 {
			var kind, state string
			err := tx.QueryRowContext(ctx, `SELECT kind, state FROM notifications WHERE id = ? AND robot_id = ?`, digestID, robotID).
				Scan(&kind, &state)
			if err != nil {
				return err
			}
			if kind != "digest" || (state != StateQueued && state != StateRetrying) {
				return fmt.Errorf("notification %d is not a pending digest", digestID)
			}
		} else {
			n := Notification{TeamID: teamID, RobotID: robotID, Kind: "digest", Title: "digest", Body: "", State: StateQueued,
				NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
			if err := insertNotification(ctx, tx, &n); err != nil {
				return err
			}
			digestID = n.ID
		}
		q, args := inList(ids)
		// Folded digests pass their folded rows (and alerts) on.
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET digest_id = ? WHERE digest_id IN (`+q+`)`,
			append([]any{digestID}, args...)...); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET state = 'folded', digest_id = ?, claimed_at = NULL,
			last_outcome = 'folded', last_summary = ?, updated_at = ?
			WHERE robot_id = ? AND state IN ('queued', 'retrying') AND id IN (`+q+`) AND id != ?
			RETURNING id, team_id, COALESCE(rule_id, 0), kind, attempts, search`,
			append(append([]any{digestID, "Folded into digest #" + strconv.FormatInt(digestID, 10), ms(now), robotID}, args...), digestID)...)
		if err != nil {
			return err
		}
		var folded []Attempt
		for rows.Next() {
			var a Attempt
			if err := rows.Scan(&a.NotificationID, &a.TeamID, &a.RuleID, &a.Kind, &a.Attempt, &a.Search); err != nil {
				rows.Close()
				return err
			}
			folded = append(folded, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		summary := "Folded into digest #" + strconv.FormatInt(digestID, 10) +
			" because more was queued for this robot than its rate limit lets through"
		for i := range folded {
			a := &folded[i]
			a.RobotID, a.Platform, a.At, a.Outcome, a.Summary = robotID, platform, now, OutcomeFolded, summary
			a.Attempt++
			if err := insertAttempt(ctx, tx, a); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notification_alerts (notification_id, alert_id)
			SELECT ?, alert_id FROM notification_alerts WHERE notification_id IN (SELECT id FROM notifications WHERE digest_id = ?)
			ON CONFLICT DO NOTHING`,
			digestID, digestID); err != nil {
			return err
		}
		st, err := digestStats(ctx, tx, digestID)
		if err != nil {
			return err
		}
		title, body := render(st)
		search := "digest " + title
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET title = ?, body = ?, alert_count = ?, mentions = ?, search = ?,
			severity = ?, updated_at = ? WHERE id = ?`, title, body, st.Alerts, mentionsJSON(st.Mentions), cutString(search, 2000),
			topSeverity(st.BySeverity), ms(now), digestID); err != nil {
			return err
		}
		out, err = scanOutboxNotification(tx.QueryRowContext(ctx, `SELECT `+outboxCols+` FROM notifications WHERE id = ?`, digestID))
		return err
	})
	if err != nil {
		return out, fmt.Errorf("db: fold into digest: %w", mapErr(err))
	}
	return out, nil
}

func digestStats(ctx context.Context, q querier, digestID int64) (DigestStats, error) {
	st := DigestStats{DigestID: digestID}
	rows, err := q.QueryContext(ctx, `SELECT n.kind, n.severity, COALESCE(r.name, ''), n.title, n.alert_count, n.mentions
		FROM notifications n LEFT JOIN rules r ON r.id = n.rule_id WHERE n.digest_id = ? ORDER BY n.id`, digestID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	byRule, bySev := map[string]int{}, map[string]int{}
	seen := map[notify.Person]bool{}
	for rows.Next() {
		var kind, sev, rule, title, mentions string
		var alerts int
		if err := rows.Scan(&kind, &sev, &rule, &title, &alerts, &mentions); err != nil {
			return st, err
		}
		st.Total++
		st.Alerts += max(alerts, 1)
		switch kind {
		case "resolved":
			st.Resolved++
		default:
			st.Firing++
		}
		if rule == "" {
			rule = "(no rule)"
		}
		if sev == "" {
			sev = "unknown"
		}
		byRule[rule]++
		bySev[sev]++
		if len(st.Titles) < DigestTitleLimit {
			st.Titles = append(st.Titles, title)
		}
		var m Mentions
		if json.Unmarshal([]byte(mentions), &m) == nil {
			st.Mentions.AtAll = st.Mentions.AtAll || m.AtAll
			for _, p := range m.People {
				if !seen[p] && len(st.Mentions.People) < 50 {
					seen[p] = true
					st.Mentions.People = append(st.Mentions.People, p)
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	rows.Close()
	st.ByRule, st.BySeverity = sortedCounts(byRule), sortedCounts(bySev)
	names, err := q.QueryContext(ctx, `SELECT al.name, al.status, al.labels FROM notifications n
		JOIN notification_alerts na ON na.notification_id = n.id JOIN alerts al ON al.id = na.alert_id
		WHERE n.digest_id = ? ORDER BY n.id, al.id LIMIT ?`, digestID, DigestTitleLimit)
	if err != nil {
		return st, err
	}
	defer names.Close()
	for names.Next() {
		var name, status, labels string
		if err := names.Scan(&name, &status, &labels); err != nil {
			return st, err
		}
		if name == "" {
			name = "(unnamed alert)"
		}
		// Fifty lines of one alert name say nothing; the instance tells them apart.
		if inst := instanceOf(labels); inst != "" {
			name += " on " + inst
		}
		st.AlertNames = append(st.AlertNames, name+" ("+status+")")
	}
	return st, names.Err()
}

// instanceOf picks the label that names where an alert fires (instance, host, pod, node,
// service or job) from an alert's labels JSON; "" when it has none.
func instanceOf(labelsJSON string) string {
	var labels map[string]string
	if json.Unmarshal([]byte(labelsJSON), &labels) != nil {
		return ""
	}
	for _, k := range []string{"instance", "host", "hostname", "pod", "node", "service", "job"} {
		if v := labels[k]; v != "" {
			return v
		}
	}
	return ""
}

func sortedCounts(m map[string]int) []NameCount {
	out := make([]NameCount, 0, len(m))
	for k, v := range m {
		out = append(out, NameCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func topSeverity(by []NameCount) string {
	best, rank := "", 0
	for _, s := range by {
		r := map[string]int{"critical": 3, "warning": 2, "info": 1}[s.Name]
		if r > rank {
			best, rank = s.Name, r
		}
	}
	return best
}

func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// ExpiredRow is a notification ExpireOlderThan gave up on.
type ExpiredRow struct {
	ID       int64
	RobotID  int64
	Platform string
}

// ExpireOlderThan gives up on pending notifications (queued or retrying, of enabled and
// disabled robots alike) created before cutoff: state expired and a delivery_attempts row
// with outcome expired that says why, so nothing disappears silently. At most limit rows
// per call.
func (d *DB) ExpireOlderThan(ctx context.Context, cutoff, now time.Time, maxAge time.Duration, limit int) ([]ExpiredRow, error) {
	var out []ExpiredRow
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT n.id, n.team_id, n.robot_id, COALESCE(n.rule_id, 0), r.platform, n.kind,
			n.attempts, n.search, n.last_summary, r.enabled
			FROM notifications n JOIN robots r ON r.id = n.robot_id
			WHERE n.state IN ('queued', 'retrying') AND n.created_at < ? ORDER BY n.id LIMIT ?`, ms(cutoff), limit)
		if err != nil {
			return err
		}
		var as []Attempt
		for rows.Next() {
			var a Attempt
			var last string
			var enabled bool
			if err := rows.Scan(&a.NotificationID, &a.TeamID, &a.RobotID, &a.RuleID, &a.Platform, &a.Kind, &a.Attempt,
				&a.Search, &last, &enabled); err != nil {
				rows.Close()
				return err
			}
			a.Summary = "Not delivered within " + maxAge.String() + "; given up"
			switch {
			case !enabled:
				a.Summary += " (the robot is disabled)"
			case last != "":
				a.Summary += " (last attempt: " + last + ")"
			}
			as = append(as, a)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range as {
			a := &as[i]
			a.At, a.Outcome = now, OutcomeExpired
			if _, err := tx.ExecContext(ctx, `UPDATE notifications SET state = 'expired', last_outcome = 'expired',
				last_summary = ?, claimed_at = NULL, updated_at = ? WHERE id = ?`, cutString(a.Summary, 1000), ms(now), a.NotificationID); err != nil {
				return err
			}
			if err := insertAttempt(ctx, tx, a); err != nil {
				return err
			}
			out = append(out, ExpiredRow{ID: a.NotificationID, RobotID: a.RobotID, Platform: a.Platform})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("db: expire: %w", err)
	}
	return out, nil
}

// RecentSends returns, per robot, the times of requests that reached a platform since
// `since` (every attempt except folded, expired and muted decisions; test-sends count,
// they use the same budget), oldest first. The engine seeds its send windows from them
// so that a restart does not reset the robots' budgets.
func (d *DB) RecentSends(ctx context.Context, since time.Time) (map[int64][]time.Time, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT robot_id, at FROM delivery_attempts
		WHERE at >= ? AND outcome NOT IN ('folded', 'expired', 'muted') ORDER BY at, id`, ms(since))
	if err != nil {
		return nil, fmt.Errorf("db: recent sends: %w", err)
	}
	defer rows.Close()
	out := map[int64][]time.Time{}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = append(out[id], fromMS(at))
	}
	return out, rows.Err()
}

// QueueDepth counts the outbox's pending notifications by state (queued, retrying, sending).
func (d *DB) QueueDepth(ctx context.Context) (map[string]int, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM notifications
		WHERE state IN ('queued', 'retrying', 'sending') GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("db: queue depth: %w", err)
	}
	defer rows.Close()
	out := map[string]int{StateQueued: 0, StateRetrying: 0, StateSending: 0}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// NotificationsByState counts a robot's notifications by state (tests and diagnostics).
func (d *DB) NotificationsByState(ctx context.Context, robotID int64) (map[string]int, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT state, COUNT(*) FROM notifications WHERE robot_id = ? GROUP BY state`, robotID)
	if err != nil {
		return nil, fmt.Errorf("db: notifications by state: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// AlertIDsOf returns the alert ids a notification carries (digests: every folded alert).
func (d *DB) AlertIDsOf(ctx context.Context, notificationID int64) ([]int64, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT alert_id FROM notification_alerts WHERE notification_id = ? ORDER BY alert_id`,
		notificationID)
	if err != nil {
		return nil, fmt.Errorf("db: alerts of notification: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// inList returns "?, ?, …" and the args for ids.
func inList(ids []int64) (string, []any) {
	var b strings.Builder
	args := make([]any, len(ids))
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
		args[i] = id
	}
	return b.String(), args
}

// SendMark is one recorded send: its notification and when it was made.
type SendMark struct {
	NotificationID int64
	At             time.Time
}

// TestSendsSince lists robot's test-sends recorded since since (oldest first): the
// console holding delivery counts the ones other consoles made against the robot's budget.
func (d *DB) TestSendsSince(ctx context.Context, robotID int64, since time.Time) ([]SendMark, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT notification_id, at FROM delivery_attempts
		WHERE robot_id = ? AND at >= ? AND kind = 'test' AND outcome NOT IN ('folded', 'expired', 'muted') ORDER BY at, id`, robotID, ms(since))
	if err != nil {
		return nil, fmt.Errorf("db: recent test-sends: %w", err)
	}
	defer rows.Close()
	var out []SendMark
	for rows.Next() {
		var m SendMark
		var at int64
		if err := rows.Scan(&m.NotificationID, &at); err != nil {
			return nil, err
		}
		m.At = fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
