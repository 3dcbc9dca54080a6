package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"alertdesk/alerting"
)

// Incident states.
const (
	IncidentTriggered    = "triggered"
	IncidentAcknowledged = "acknowledged"
	IncidentResolved     = "resolved"
	IncidentClosed       = "closed"
)

// Actions a person can take on an incident (from the console, a chat link or the API).
const (
	ActAck        = "ack"
	ActClaim      = "claim"
	ActClose      = "close"
	ActSilence1h  = "silence1h"
	ActSilence4h  = "silence4h"
	ActSilence24h = "silence24h"
	ActNote       = "note"
)

// SilenceFor is how long each silence action mutes the incident's alerts.
var SilenceFor = map[string]time.Duration{ActSilence1h: time.Hour, ActSilence4h: 4 * time.Hour, ActSilence24h: 24 * time.Hour}

// ErrIncidentState: the action does not apply to the incident in its current state
// (acknowledging a closed incident); the error says why in words.
var ErrIncidentState = errors.New("db: incident state")

// Incident is a notification group with a state, an owner and a timeline.
type Incident struct {
	ID           int64
	TeamID       int64
	TeamName     string
	RuleID       int64
	RuleName     string
	GroupKey     string
	GroupLabels  map[string]string
	Title        string
	Severity     string
	State        string
	Owner        string
	AlertCount   int
	OpenedAt     time.Time
	AckedAt      time.Time
	AckedBy      string
	ResolvedAt   time.Time
	ClosedAt     time.Time
	ReopenWindow time.Duration
	Reopens      int
	UpdatedAt    time.Time
}

// Open reports whether the incident still needs someone (triggered or acknowledged).
func (i Incident) Open() bool {
	return i.State == IncidentTriggered || i.State == IncidentAcknowledged
}

// IncidentEvent is one line of an incident's timeline.
type IncidentEvent struct {
	ID             int64
	IncidentID     int64
	At             time.Time
	Kind           string // opened alerts resolved message ack claim close silence note reopen
	Actor          string
	ActorKind      string // system user contact token
	Text           string
	NotificationID int64
}

const incidentCols = `i.id, i.team_id, COALESCE(t.name, ''), COALESCE(i.rule_id, 0), i.rule_name, i.group_key, i.group_labels,
	i.title, i.severity, i.state, i.owner, i.alert_count, i.opened_at, i.acked_at, i.acked_by, i.resolved_at, i.closed_at,
	i.reopen_window_ms, i.reopens, i.updated_at`

const incidentFrom = ` FROM incidents i LEFT JOIN teams t ON t.id = i.team_id`

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var i Incident
	var labels string
	var opened, updated, window int64
	var acked, resolved, closed sql.NullInt64
	err := row.Scan(&i.ID, &i.TeamID, &i.TeamName, &i.RuleID, &i.RuleName, &i.GroupKey, &labels, &i.Title, &i.Severity,
		&i.State, &i.Owner, &i.AlertCount, &opened, &acked, &i.AckedBy, &resolved, &closed, &window, &i.Reopens, &updated)
	if err != nil {
		return i, err
	}
	_ = json.Unmarshal([]byte(labels), &i.GroupLabels)
	i.OpenedAt, i.UpdatedAt = fromMS(opened), fromMS(updated)
	i.AckedAt, i.ResolvedAt, i.ClosedAt = nullMS(acked), nullMS(resolved), nullMS(closed)
	i.ReopenWindow = time.Duration(window) * time.Millisecond
	return i, nil
}

// IncidentFiring is what a group flush knows of a group that has firing alerts.
type IncidentFiring struct {
	TeamID      int64
	RuleID      int64
	RuleName    string
	GroupKey    string
	GroupLabels map[string]string
	Title       string
	Severity    string
	Firing      int
	Resolved    int  // alerts of the group resolved since the last message
	News        bool // alerts joined or changed since the last flush
	// Silenced: every firing alert is silenced. An open incident goes on; none is opened
	// or reopened for alerts nobody is to be told about.
	Silenced     bool
	ReopenWindow time.Duration
}

// IncidentFiring finds the incident of a firing group, or makes one: the open incident of
// the group; else its last one reopened, when it ended less than its reopen window ago;
// else a new incident. It is the one place group flushes touch incidents while firing.
func (d *DB) IncidentFiring(ctx context.Context, in IncidentFiring) (Incident, error) {
	now := d.now()
	var out Incident
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		last, err := scanIncident(tx.QueryRowContext(ctx, `SELECT `+incidentCols+incidentFrom+`
			WHERE i.rule_id = ? AND i.group_key = ? ORDER BY i.id DESC LIMIT 1`, in.RuleID, in.GroupKey))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		found := err == nil
		event := func(id int64, kind, text string) error {
			return insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: id, At: now, Kind: kind, ActorKind: "system", Text: text})
		}
		alerts := fmt.Sprintf("%d %s firing", in.Firing, plural(in.Firing, "alert", "alerts"))
		switch {
		case in.Silenced && !(found && last.Open()):
			return nil // out stays the zero Incident
		case found && !last.Open() && !in.News:
			// Closed by a person while its alerts still fire (a repeat): it stays closed;
			// only alerts firing anew reopen it.
			out = last
			return nil
		case found && last.Open():
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET alert_count = ?, updated_at = ? WHERE id = ?`,
				in.Firing, ms(now), last.ID); err != nil {
				return err
			}
			if in.News {
				text := "Alerts joined or changed: " + alerts
				if in.Resolved > 0 {
					text += fmt.Sprintf(", %d resolved", in.Resolved)
				}
				if err := event(last.ID, "alerts", text); err != nil {
					return err
				}
			}
		case found && now.Sub(incidentEnd(last)) < last.ReopenWindow:
			// A reopened incident escalates afresh, from now.
			if _, err := tx.ExecContext(ctx, `UPDATE incidents SET state = 'triggered', resolved_at = NULL, closed_at = NULL,
				reopens = reopens + 1, alert_count = ?, updated_at = ?, escalation_done = 0, escalation_from = ? WHERE id = ?`,
				in.Firing, ms(now), ms(now), last.ID); err != nil {
				return err
			}
			if err := event(last.ID, "reopen", fmt.Sprintf("Reopened: firing again %s after it was %s (%s)",
				roundDuration(now.Sub(incidentEnd(last))), last.State, alerts)); err != nil {
				return err
			}
		default:
			res, err := insertReturningID(ctx, tx, `INSERT INTO incidents (team_id, rule_id, rule_name, group_key, group_labels, title,
				severity, state, alert_count, opened_at, reopen_window_ms, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'triggered', ?, ?, ?, ?)`, in.TeamID, nullID(in.RuleID), in.RuleName, in.GroupKey,
				jsonText(in.GroupLabels), in.Title, in.Severity, in.Firing, ms(now), in.ReopenWindow.Milliseconds(), ms(now))
			if err != nil {
				return err
			}
			id, _ := res.LastInsertId()
			if err := event(id, "opened", "Opened: "+alerts); err != nil {
				return err
			}
			last.ID = id
		}
		out, err = incidentByID(ctx, tx, AllTeams, last.ID)
		return err
	})
	return out, mapErr(err)
}

// IncidentResolved marks the open incident of a group resolved: all its alerts resolved.
// It returns the incident the group's resolve message speaks of: the one just resolved,
// or the group's last incident when none was open (0 when the group never had one).
func (d *DB) IncidentResolved(ctx context.Context, ruleID int64, groupKey string, resolved int) (int64, error) {
	now := d.now()
	var id int64
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, `SELECT id, state FROM incidents WHERE rule_id = ? AND group_key = ?
			ORDER BY id DESC LIMIT 1`, ruleID, groupKey).Scan(&id, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || (state != IncidentTriggered && state != IncidentAcknowledged) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET state = 'resolved', resolved_at = ?, alert_count = 0, updated_at = ?
			WHERE id = ?`, ms(now), ms(now), id); err != nil {
			return err
		}
		return insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: id, At: now, Kind: "resolved", ActorKind: "system",
			Text: fmt.Sprintf("Resolved: all alerts resolved (%d in the last flush)", resolved)})
	})
	return id, mapErr(err)
}

// incidentEnd is when an ended incident ended (resolved or closed, whichever was first).
func incidentEnd(i Incident) time.Time {
	switch {
	case !i.ClosedAt.IsZero() && (i.ResolvedAt.IsZero() || i.ClosedAt.Before(i.ResolvedAt)):
		return i.ClosedAt
	case !i.ResolvedAt.IsZero():
		return i.ResolvedAt
	}
	return i.UpdatedAt
}

func insertIncidentEvent(ctx context.Context, q querier, e IncidentEvent) error {
	_, err := q.ExecContext(ctx, `INSERT INTO incident_events (incident_id, at, kind, actor, actor_kind, text, notification_id)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, e.IncidentID, ms(e.At), e.Kind, e.Actor, e.ActorKind, e.Text, nullID(e.NotificationID))
	if err != nil {
		return fmt.Errorf("db: incident event: %w", err)
	}
	return nil
}

// recordMessageEvents puts each sent message of an incident and the platform's answer on
// its timeline; RecordResults calls it in its transaction.
func recordMessageEvents(ctx context.Context, tx *sql.Tx, rs []DeliveryResult) error {
	for _, r := range rs {
		n := r.Notification
		if n.IncidentID == 0 {
			continue
		}
		robot := fmt.Sprintf("robot #%d", n.RobotID)
		var name string
		if tx.QueryRowContext(ctx, `SELECT name FROM robots WHERE id = ?`, n.RobotID).Scan(&name) == nil {
			robot = name
		}
		text := fmt.Sprintf("Message %q to %s: %s", cutString(n.Title, 80), robot, r.Attempt.Outcome)
		if r.Attempt.Summary != "" {
			text += " — " + r.Attempt.Summary
		}
		if err := insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: n.IncidentID, At: r.Attempt.At, Kind: "message",
			ActorKind: "system", Text: text, NotificationID: n.ID}); err != nil {
			return err
		}
	}
	return nil
}

// IncidentByID returns an incident visible in scope.
func (d *DB) IncidentByID(ctx context.Context, s Scope, id int64) (Incident, error) {
	return incidentByID(ctx, d.read, s, id)
}

func incidentByID(ctx context.Context, q querier, s Scope, id int64) (Incident, error) {
	cond, args := s.clause("i.team_id")
	i, err := scanIncident(q.QueryRowContext(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE i.id = ? AND `+cond,
		append([]any{id}, args...)...))
	return i, mapErr(err)
}

// IncidentFilter narrows the incidents list; zero fields do not filter.
type IncidentFilter struct {
	TeamID   int64
	RuleID   int64
	State    string // a state, or "open" for triggered and acknowledged
	Severity string
	Owner    string
	Limit    int // default 200
}

// Incidents lists incidents in scope, open ones first, then newest first.
func (d *DB) Incidents(ctx context.Context, s Scope, f IncidentFilter) ([]Incident, error) {
	cond, args := s.clause("i.team_id")
	where := []string{cond}
	add := func(c string, v any) {
		where = append(where, c)
		args = append(args, v)
	}
	if f.TeamID != 0 {
		add("i.team_id = ?", f.TeamID)
	}
	if f.RuleID != 0 {
		add("i.rule_id = ?", f.RuleID)
	}
	switch f.State {
	case "":
	case "open":
		where = append(where, "i.state IN ('triggered', 'acknowledged')")
	default:
		add("i.state = ?", f.State)
	}
	if f.Severity != "" {
		add("i.severity = ?", f.Severity)
	}
	if f.Owner != "" {
		add("i.owner = ?", f.Owner)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	rows, err := d.read.QueryContext(ctx, `SELECT `+incidentCols+incidentFrom+` WHERE `+strings.Join(where, " AND ")+`
		ORDER BY i.state IN ('triggered', 'acknowledged') DESC, i.opened_at DESC, i.id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		i, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// IncidentEvents is the timeline of an incident, oldest first.
func (d *DB) IncidentEvents(ctx context.Context, incidentID int64) ([]IncidentEvent, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, incident_id, at, kind, actor, actor_kind, text, COALESCE(notification_id, 0)
		FROM incident_events WHERE incident_id = ? ORDER BY id`, incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IncidentEvent
	for rows.Next() {
		var e IncidentEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.IncidentID, &at, &e.Kind, &e.Actor, &e.ActorKind, &e.Text, &e.NotificationID); err != nil {
			return nil, err
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// IncidentOfAlert is the incident the latest notification carrying alert belonged to;
// 0 when none did.
func (d *DB) IncidentOfAlert(ctx context.Context, alertID int64) (int64, error) {
	var id int64
	err := d.read.QueryRowContext(ctx, `SELECT COALESCE(n.incident_id, 0) FROM notification_alerts na
		JOIN notifications n ON n.id = na.notification_id WHERE na.alert_id = ? AND n.incident_id IS NOT NULL
		ORDER BY n.id DESC LIMIT 1`, alertID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// IncidentsOfAlerts is IncidentOfAlert for a page of alerts, in one query.
func (d *DB) IncidentsOfAlerts(ctx context.Context, alertIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(alertIDs) == 0 {
		return out, nil
	}
	q, args := inList(alertIDs)
	rows, err := d.read.QueryContext(ctx, `SELECT na.alert_id, n.incident_id FROM notification_alerts na
		JOIN notifications n ON n.id = na.notification_id
		WHERE na.alert_id IN (`+q+`) AND n.incident_id IS NOT NULL ORDER BY n.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var alert, incident int64
		if err := rows.Scan(&alert, &incident); err != nil {
			return nil, err
		}
		out[alert] = incident // ordered by notification: the latest wins
	}
	return out, rows.Err()
}

// IncidentAction is one person's action on an incident.
type IncidentAction struct {
	IncidentID int64
	Action     string // Act*
	Actor      Actor
	// ActorKind says how the actor was identified: "user" (signed in), "contact" (picked
	// their contact card on a chat link's page) or "token" (API).
	ActorKind string
	Via       string // "console", "chat link", "API": recorded in the timeline and audit log
	Note      string // the note's text (ActNote)
	// FollowUp composes the short messages that tell the group what happened; it runs in
	// the action's transaction, so the action and its follow-ups are written together.
	FollowUp func(before, after Incident) []OutboxItem
}

// ActOnIncident applies an action: the incident's state, a timeline line, an audit entry,
// a silence for the silence actions, and the follow-up messages, in one transaction.
// ErrIncidentState (wrapped with words) when the action does not apply.
func (d *DB) ActOnIncident(ctx context.Context, s Scope, in IncidentAction) (Incident, error) {
	now := d.now()
	var after Incident
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		before, err := incidentByID(ctx, tx, s, in.IncidentID)
		if err != nil {
			return err
		}
		who := in.Actor.Name
		var set, text string
		var args []any
		switch in.Action {
		case ActAck:
			if before.State != IncidentTriggered {
				return stateError(before, "acknowledged")
			}
			set, args = `state = 'acknowledged', acked_at = COALESCE(acked_at, ?), acked_by = ?`, []any{ms(now), who}
			text = "Acknowledged by " + who
		case ActClaim:
			if !before.Open() {
				return stateError(before, "claimed")
			}
			if before.Owner == who {
				return fmt.Errorf("%w: %s already owns this incident", ErrIncidentState, who)
			}
			set, args = `owner = ?, state = 'acknowledged', acked_at = COALESCE(acked_at, ?),
				acked_by = CASE WHEN acked_by = '' THEN ? ELSE acked_by END`, []any{who, ms(now), who}
			text = "Claimed by " + who
			if before.Owner != "" {
				text += " (was " + before.Owner + ")"
			}
		case ActClose:
			if before.State == IncidentClosed {
				return stateError(before, "closed")
			}
			set, args = `state = 'closed', closed_at = ?`, []any{ms(now)}
			text = "Closed by " + who
		case ActSilence1h, ActSilence4h, ActSilence24h:
			if err := silenceIncident(ctx, tx, now, in, before); err != nil {
				return err
			}
			text = fmt.Sprintf("Silenced for %s by %s (%s)", shortDuration(SilenceFor[in.Action]), who, labelsText(before.GroupLabels))
		case ActNote:
			note := strings.TrimSpace(in.Note)
			if note == "" {
				return fmt.Errorf("%w: a note needs some text", ErrIncidentState)
			}
			text = who + ": " + cutString(note, 2000)
		default:
			return fmt.Errorf("%w: unknown action %q", ErrIncidentState, in.Action)
		}
		if set != "" {
			set += ", "
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET `+set+`updated_at = ? WHERE id = ?`,
			append(args, ms(now), before.ID)...); err != nil {
			return err
		}
		if in.Via != "" {
			text += " via " + in.Via
		}
		if in.ActorKind == "contact" {
			text += " (identified by picking their contact card)"
		}
		kind := in.Action
		if strings.HasPrefix(kind, "silence") {
			kind = "silence"
		}
		if err := insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: before.ID, At: now, Kind: kind, Actor: who,
			ActorKind: in.ActorKind, Text: text}); err != nil {
			return err
		}
		if after, err = incidentByID(ctx, tx, AllTeams, before.ID); err != nil {
			return err
		}
		type auditState struct {
			State, Owner, Via, ActorKind, Note string
		}
		if err := insertAudit(ctx, tx, now, in.Actor, Change{Action: "incident." + in.Action, ObjectType: "incident",
			ObjectID: before.ID, ObjectName: before.Title, TeamID: before.TeamID,
			Before: auditState{State: before.State, Owner: before.Owner},
			After:  auditState{State: after.State, Owner: after.Owner, Via: in.Via, ActorKind: in.ActorKind, Note: in.Note}}); err != nil {
			return err
		}
		if in.FollowUp == nil {
			return nil
		}
		for _, item := range in.FollowUp(before, after) {
			n := item.Notification
			n.IncidentID = before.ID
			if n.State == "" {
				n.State = StateQueued
			}
			n.CreatedAt, n.UpdatedAt, n.NextAttemptAt = now, now, now
			if err := insertNotification(ctx, tx, &n); err != nil {
				return err
			}
		}
		return nil
	})
	return after, mapErr(err)
}

func stateError(i Incident, verb string) error {
	switch {
	case i.State == IncidentAcknowledged && verb == "acknowledged":
		return fmt.Errorf("%w: this incident was already acknowledged by %s", ErrIncidentState, orSomeone(i.AckedBy))
	case i.State == IncidentClosed:
		return fmt.Errorf("%w: this incident is closed; it cannot be %s any more", ErrIncidentState, verb)
	case i.State == IncidentResolved:
		return fmt.Errorf("%w: this incident is resolved (its alerts stopped firing); it cannot be %s", ErrIncidentState, verb)
	}
	return fmt.Errorf("%w: this incident is %s; it cannot be %s", ErrIncidentState, i.State, verb)
}

func orSomeone(s string) string {
	if s == "" {
		return "someone"
	}
	return s
}

// silenceIncident mutes the incident's group: one equality matcher per group label.
func silenceIncident(ctx context.Context, tx *sql.Tx, now time.Time, in IncidentAction, inc Incident) error {
	var matchers alerting.Matchers
	for _, k := range sortedLabelKeys(inc.GroupLabels) {
		matchers = append(matchers, alerting.Matcher{Name: k, Op: alerting.MatchEqual, Value: inc.GroupLabels[k]})
	}
	if len(matchers) == 0 {
		return fmt.Errorf("%w: this incident's group has no labels to silence it by; create a silence on the silences page", ErrIncidentState)
	}
	sil := Silence{TeamID: inc.TeamID, Matchers: matchers, StartsAt: now, EndsAt: now.Add(SilenceFor[in.Action]),
		Comment: fmt.Sprintf("Incident #%d %s", inc.ID, inc.Title), CreatedBy: in.Actor.Name}
	// A second tap on the same link (or a shorter silence after a longer one) adds nothing.
	var until sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MAX(ends_at) FROM silences WHERE team_id = ? AND matchers = ? AND starts_at <= ?
		AND ends_at >= ?`, sil.TeamID, jsonText(sil.Matchers), ms(now), ms(sil.EndsAt)).Scan(&until)
	if err != nil {
		return err
	}
	if until.Valid {
		return fmt.Errorf("%w: this incident is already silenced until %s", ErrIncidentState, fromMS(until.Int64).UTC().Format("2006-01-02 15:04 UTC"))
	}
	res, err := insertReturningID(ctx, tx, `INSERT INTO silences (team_id, matchers, starts_at, ends_at, comment, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, nullID(sil.TeamID), jsonText(sil.Matchers), ms(sil.StartsAt), ms(sil.EndsAt),
		sil.Comment, sil.CreatedBy, ms(now))
	if err != nil {
		return err
	}
	sil.ID, _ = res.LastInsertId()
	return insertAudit(ctx, tx, now, in.Actor, Change{Action: "silence.create", ObjectType: "silence", ObjectID: sil.ID,
		ObjectName: silenceName(sil), TeamID: sil.TeamID, After: auditOfSilence(sil)})
}

func labelsText(labels map[string]string) string {
	parts := make([]string, 0, len(labels))
	for _, k := range sortedLabelKeys(labels) {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ", ")
}

func sortedLabelKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// roundDuration words a duration for a timeline line: "4 min", "2 h 5 min", "30 s".
func roundDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

func shortDuration(d time.Duration) string {
	return fmt.Sprintf("%d h", int(d.Hours()))
}

// ContactActions reports whether people of team may act from chat links by picking their
// contact card (without signing in).
func (d *DB) ContactActions(ctx context.Context, teamID int64) (bool, error) {
	var on bool
	err := d.read.QueryRowContext(ctx, `SELECT contact_actions FROM teams WHERE id = ?`, teamID).Scan(&on)
	return on, mapErr(err)
}

// SetContactActions turns acting by contact card on or off for a team.
func (d *DB) SetContactActions(ctx context.Context, a Actor, teamID int64, on bool) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		t, err := teamByID(ctx, tx, teamID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET contact_actions = ? WHERE id = ?`, on, teamID); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "team.contact_actions", ObjectType: "team", ObjectID: t.ID,
			ObjectName: t.Name, TeamID: t.ID, After: map[string]bool{"contact_actions": on}})
	}))
}

// FiringAlerts are the alerts firing now in a group of a rule of team (0: every team in
// scope), newest first, at most limit: what a new silence would mute at once.
func (d *DB) FiringAlerts(ctx context.Context, s Scope, teamID int64, limit int) ([]StoredAlert, error) {
	cond, args := s.clause("r.team_id")
	if teamID != 0 {
		cond += " AND r.team_id = ?"
		args = append(args, teamID)
	}
	rows, err := d.read.QueryContext(ctx, `SELECT `+storedAlertCols+` FROM alerts a WHERE a.id IN (
		SELECT ga.alert_id FROM group_alerts ga JOIN alert_groups g ON g.id = ga.group_id JOIN rules r ON r.id = g.rule_id
		WHERE ga.status = 'firing' AND `+cond+`) ORDER BY a.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredAlert
	for rows.Next() {
		a, err := scanStoredAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// IncidentAlerts are the alerts in the incident's group now (firing first, newest first),
// at most limit; none once the group is gone (all resolved and told).
func (d *DB) IncidentAlerts(ctx context.Context, inc Incident, limit int) ([]StoredAlert, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+storedAlertCols+`, ga.status FROM group_alerts ga
		JOIN alert_groups g ON g.id = ga.group_id JOIN alerts a ON a.id = ga.alert_id
		WHERE g.rule_id = ? AND g.group_key = ? ORDER BY ga.status = 'firing' DESC, a.id DESC LIMIT ?`,
		inc.RuleID, inc.GroupKey, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredAlert
	for rows.Next() {
		var status string // the group's status of the alert wins (a threshold resolve)
		a, err := scanStoredAlert(rows, &status)
		if err != nil {
			return nil, err
		}
		a.Status = status
		out = append(out, a)
	}
	return out, rows.Err()
}
