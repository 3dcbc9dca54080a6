package db

import (
	"alertdesk/oncall"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ScheduleLayer is one rotation of a schedule as stored (JSON in schedules.layers).
type ScheduleLayer struct {
	Members []int64 `json:"members"` // contact ids in rotation order
	Length  int     `json:"length"`
	Unit    string  `json:"unit"`           // oncall.Hours, Days or Weeks
	Start   string  `json:"start"`          // first hand-off, wall clock in Zone: 2006-01-02T15:04
	Zone    string  `json:"zone"`           // IANA time zone
	Days    string  `json:"days,omitempty"` // restriction: "" (around the clock), weekdays, weekends, daily
	From    string  `json:"from,omitempty"` // restricted hours "15:04"; From == To is the whole day
	To      string  `json:"to,omitempty"`
}

// LayerStartLayout is how ScheduleLayer.Start is written.
const LayerStartLayout = "2006-01-02T15:04"

// RestrictDays are the accepted ScheduleLayer.Days values.
var RestrictDays = map[string][]time.Weekday{
	"weekdays": {time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
	"weekends": {time.Saturday, time.Sunday},
	"daily":    {time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday},
}

// Layer turns the stored layer into the oncall package's; the error names the bad part.
func (l ScheduleLayer) Layer() (oncall.Layer, error) {
	loc, err := time.LoadLocation(l.Zone)
	if err != nil || l.Zone == "" {
		return oncall.Layer{}, fmt.Errorf("db: unknown time zone %q", l.Zone)
	}
	start, err := time.ParseInLocation(LayerStartLayout, l.Start, loc)
	if err != nil {
		return oncall.Layer{}, fmt.Errorf("db: layer start %q: %w", l.Start, err)
	}
	unit := oncall.Unit(l.Unit)
	if !unit.Valid() || l.Length < 1 {
		return oncall.Layer{}, fmt.Errorf("db: shift length %d %s", l.Length, l.Unit)
	}
	out := oncall.Layer{Members: l.Members, ShiftLength: l.Length, Unit: unit, Start: start, Location: loc}
	if l.Days != "" {
		days, ok := RestrictDays[l.Days]
		if !ok {
			return oncall.Layer{}, fmt.Errorf("db: restriction days %q", l.Days)
		}
		from, err1 := clockMinutes(l.From)
		to, err2 := clockMinutes(l.To)
		if err1 != nil || err2 != nil {
			return oncall.Layer{}, fmt.Errorf("db: restricted hours %q–%q", l.From, l.To)
		}
		if to == from {
			from, to = 0, 24*60
		}
		for _, d := range days {
			out.Restrict = append(out.Restrict, oncall.Window{Day: d, Start: from, End: to})
		}
	}
	return out, nil
}

func clockMinutes(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Schedule is a team's on-call schedule.
type Schedule struct {
	ID                int64
	TeamID            int64
	TeamName          string
	Name              string
	Layers            []ScheduleLayer // highest first
	FallbackContactID int64
	HandoffRobotID    int64              // hand-off notices go to this robot (0 = none)
	HandoffAt         time.Time          // the last change of shift announced
	Overrides         []ScheduleOverride // by start
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// ScheduleOverride puts a contact on call for [From, To).
type ScheduleOverride struct {
	ID        int64
	ContactID int64
	From, To  time.Time
}

// ScheduleInput is what CreateSchedule and UpdateSchedule store.
type ScheduleInput struct {
	TeamID            int64 // read by CreateSchedule only
	Name              string
	Layers            []ScheduleLayer
	FallbackContactID int64
	HandoffRobotID    int64
}

// Plan is the schedule as the oncall package computes it.
func (s Schedule) Plan() (oncall.Schedule, error) {
	var p oncall.Schedule
	for i, l := range s.Layers {
		ol, err := l.Layer()
		if err != nil {
			return p, fmt.Errorf("layer %d: %w", i+1, err)
		}
		p.Layers = append(p.Layers, ol)
	}
	for _, o := range s.Overrides {
		p.Overrides = append(p.Overrides, oncall.Override{Contact: o.ContactID, From: o.From, To: o.To})
	}
	return p, nil
}

// Contacts returns every contact id the schedule names (layers, overrides, fallback).
func (s Schedule) Contacts() []int64 {
	var ids []int64
	for _, l := range s.Layers {
		ids = append(ids, l.Members...)
	}
	for _, o := range s.Overrides {
		ids = append(ids, o.ContactID)
	}
	if s.FallbackContactID != 0 {
		ids = append(ids, s.FallbackContactID)
	}
	return ids
}

const scheduleCols = `s.id, s.team_id, t.name, s.name, s.layers, COALESCE(s.fallback_contact_id, 0), s.created_at, s.updated_at,
	COALESCE(s.handoff_robot_id, 0), COALESCE(s.handoff_at, 0)`

const scheduleFrom = ` FROM schedules s JOIN teams t ON t.id = s.team_id AND s.deleted_at IS NULL`

func scanSchedule(row interface{ Scan(...any) error }) (Schedule, error) {
	var s Schedule
	var layers string
	var created, updated, handoff int64
	if err := row.Scan(&s.ID, &s.TeamID, &s.TeamName, &s.Name, &layers, &s.FallbackContactID, &created, &updated,
		&s.HandoffRobotID, &handoff); err != nil {
		return s, err
	}
	s.CreatedAt, s.UpdatedAt = fromMS(created), fromMS(updated)
	if handoff != 0 {
		s.HandoffAt = fromMS(handoff)
	}
	if err := json.Unmarshal([]byte(layers), &s.Layers); err != nil {
		return s, fmt.Errorf("db: schedule %d layers: %w", s.ID, err)
	}
	return s, nil
}

func loadOverrides(ctx context.Context, q querier, s *Schedule) error {
	rows, err := q.QueryContext(ctx, `SELECT id, contact_id, starts_at, ends_at FROM schedule_overrides
		WHERE schedule_id = ? ORDER BY starts_at, id`, s.ID)
	if err != nil {
		return fmt.Errorf("db: schedule overrides: %w", err)
	}
	defer rows.Close()
	s.Overrides = nil
	for rows.Next() {
		var o ScheduleOverride
		var from, to int64
		if err := rows.Scan(&o.ID, &o.ContactID, &from, &to); err != nil {
			return err
		}
		o.From, o.To = fromMS(from), fromMS(to)
		s.Overrides = append(s.Overrides, o)
	}
	return rows.Err()
}

// Schedules lists the schedules visible in scope, overrides included, by team and name.
func (d *DB) Schedules(ctx context.Context, sc Scope) ([]Schedule, error) {
	cond, args := sc.clause("s.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+scheduleCols+scheduleFrom+` WHERE `+cond+
		` ORDER BY t.name, lower(s.name), s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: schedules: %w", err)
	}
	var out []Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadOverrides(ctx, d.read, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ScheduleByID returns one schedule with its overrides; ErrNotFound outside scope.
func (d *DB) ScheduleByID(ctx context.Context, sc Scope, id int64) (Schedule, error) {
	return scheduleByID(ctx, d.read, sc, id)
}

func scheduleByID(ctx context.Context, q querier, sc Scope, id int64) (Schedule, error) {
	s, err := scanSchedule(q.QueryRowContext(ctx, `SELECT `+scheduleCols+scheduleFrom+` WHERE s.id = ?`, id))
	if err != nil {
		return Schedule{}, mapErr(err)
	}
	if !sc.Allows(s.TeamID) {
		return Schedule{}, ErrNotFound
	}
	return s, loadOverrides(ctx, q, &s)
}

// scheduleAudit is what the audit log records of a schedule.
type scheduleAudit struct {
	Name              string          `json:"name"`
	TeamID            int64           `json:"team_id"`
	Layers            []ScheduleLayer `json:"layers"`
	FallbackContactID int64           `json:"fallback_contact_id,omitempty"`
	HandoffRobotID    int64           `json:"handoff_robot_id,omitempty"`
}

func auditOfSchedule(s Schedule) scheduleAudit {
	return scheduleAudit{Name: s.Name, TeamID: s.TeamID, Layers: s.Layers, FallbackContactID: s.FallbackContactID,
		HandoffRobotID: s.HandoffRobotID}
}

// checkTeamContacts returns ErrForeignMember when one of ids is not a live contact of team.
func checkTeamContacts(ctx context.Context, q querier, teamID int64, ids []int64) error {
	for _, id := range ids {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE id = ? AND team_id = ? AND deleted_at IS NULL`,
			id, teamID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrForeignMember
		}
	}
	return nil
}

func checkScheduleInput(ctx context.Context, q querier, teamID int64, in ScheduleInput) error {
	ids := []int64{}
	for _, l := range in.Layers {
		if _, err := l.Layer(); err != nil {
			return err
		}
		ids = append(ids, l.Members...)
	}
	if in.FallbackContactID != 0 {
		ids = append(ids, in.FallbackContactID)
	}
	if in.HandoffRobotID != 0 {
		if err := checkTeamRefs(ctx, q, "robots", "handoff_robot_id", teamID, []int64{in.HandoffRobotID}); err != nil {
			return err
		}
	}
	return checkTeamContacts(ctx, q, teamID, ids)
}

func layersJSON(ls []ScheduleLayer) (string, error) {
	if ls == nil {
		ls = []ScheduleLayer{}
	}
	b, err := json.Marshal(ls)
	return string(b), err
}

// CreateSchedule adds a schedule to in.TeamID. ErrForeignMember when a layer or the
// fallback names a contact of another team; ErrConflict on a duplicate name.
func (d *DB) CreateSchedule(ctx context.Context, a Actor, in ScheduleInput) (Schedule, error) {
	now := d.now()
	var s Schedule
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		if err := checkScheduleInput(ctx, tx, in.TeamID, in); err != nil {
			return err
		}
		layers, err := layersJSON(in.Layers)
		if err != nil {
			return err
		}
		// Notices start from now: no announcement of shifts that changed before.
		res, err := insertReturningID(ctx, tx, `INSERT INTO schedules (team_id, name, layers, fallback_contact_id, handoff_robot_id,
			handoff_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			in.TeamID, in.Name, layers, nullID(in.FallbackContactID), nullID(in.HandoffRobotID), ms(now), ms(now), ms(now))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if s, err = scheduleByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "schedule.create", ObjectType: "schedule", ObjectID: id,
			ObjectName: s.Name, TeamID: s.TeamID, After: auditOfSchedule(s)})
	})
	return s, mapErr(err)
}

// UpdateSchedule changes a schedule visible in scope (its team stays).
func (d *DB) UpdateSchedule(ctx context.Context, a Actor, sc Scope, id int64, in ScheduleInput) (Schedule, error) {
	now := d.now()
	var s Schedule
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := scheduleByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := checkScheduleInput(ctx, tx, old.TeamID, in); err != nil {
			return err
		}
		layers, err := layersJSON(in.Layers)
		if err != nil {
			return err
		}
		// A change of layers is not a hand-off: notices count from now again.
		if _, err := tx.ExecContext(ctx, `UPDATE schedules SET name = ?, layers = ?, fallback_contact_id = ?, handoff_robot_id = ?,
			handoff_at = ?, updated_at = ? WHERE id = ?`, in.Name, layers, nullID(in.FallbackContactID), nullID(in.HandoffRobotID),
			ms(now), ms(now), id); err != nil {
			return err
		}
		if s, err = scheduleByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "schedule.update", ObjectType: "schedule", ObjectID: id,
			ObjectName: s.Name, TeamID: s.TeamID, Before: auditOfSchedule(old), After: auditOfSchedule(s)})
	})
	return s, mapErr(err)
}

// DeleteSchedule deletes a schedule visible in scope (softly: audit entries keep its name).
// ErrInUse while rules still mention whoever is on call in it.
func (d *DB) DeleteSchedule(ctx context.Context, a Actor, sc Scope, id int64) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := scheduleByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		var rules int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rule_schedules l JOIN rules r ON r.id = l.rule_id
			WHERE l.schedule_id = ? AND r.deleted_at IS NULL`, id).Scan(&rules); err != nil {
			return err
		}
		if rules > 0 {
			return fmt.Errorf("%w: schedule mentioned by %d rules", ErrInUse, rules)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_group_schedules WHERE schedule_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE schedules SET deleted_at = ?, updated_at = ? WHERE id = ?`, ms(now), ms(now), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "schedule.delete", ObjectType: "schedule", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfSchedule(old)})
	}))
}

type overrideAudit struct {
	ContactID int64     `json:"contact_id"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
}

// AddOverride puts contactID on call in a schedule visible in scope for [from, to).
// ErrForeignMember when the contact is not of the schedule's team.
func (d *DB) AddOverride(ctx context.Context, a Actor, sc Scope, scheduleID, contactID int64, from, to time.Time) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		s, err := scheduleByID(ctx, tx, sc, scheduleID)
		if err != nil {
			return err
		}
		if err := checkTeamContacts(ctx, tx, s.TeamID, []int64{contactID}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schedule_overrides (schedule_id, contact_id, starts_at, ends_at, created_at)
			VALUES (?, ?, ?, ?, ?)`, scheduleID, contactID, ms(from), ms(to), ms(now)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "schedule.override.create", ObjectType: "schedule", ObjectID: s.ID,
			ObjectName: s.Name, TeamID: s.TeamID, After: overrideAudit{ContactID: contactID, From: from.UTC(), To: to.UTC()}})
	}))
}

// DeleteOverride removes one override of a schedule visible in scope.
func (d *DB) DeleteOverride(ctx context.Context, a Actor, sc Scope, scheduleID, overrideID int64) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		s, err := scheduleByID(ctx, tx, sc, scheduleID)
		if err != nil {
			return err
		}
		for _, o := range s.Overrides {
			if o.ID != overrideID {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM schedule_overrides WHERE id = ?`, o.ID); err != nil {
				return err
			}
			return insertAudit(ctx, tx, now, a, Change{Action: "schedule.override.delete", ObjectType: "schedule", ObjectID: s.ID,
				ObjectName: s.Name, TeamID: s.TeamID, Before: overrideAudit{ContactID: o.ContactID, From: o.From.UTC(), To: o.To.UTC()}})
		}
		return ErrNotFound
	}))
}

// OnCall is who a schedule puts on call at an instant: a contact of a layer or an
// override, or the fallback in a gap (Contact 0 when there is no fallback either).
type OnCall struct {
	Schedule Schedule
	Contact  int64
	Fallback bool // nobody is on shift; Contact is the fallback
}

// OnCallAt resolves the schedules (of the scope; others are left out) at t. A schedule
// whose layers cannot be computed counts as a gap.
func (d *DB) OnCallAt(ctx context.Context, sc Scope, scheduleIDs []int64, t time.Time) ([]OnCall, error) {
	var out []OnCall
	for _, id := range scheduleIDs {
		s, err := scheduleByID(ctx, d.read, sc, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		oc := OnCall{Schedule: s}
		if plan, err := s.Plan(); err == nil {
			oc.Contact = plan.At(t).Contact
		}
		if oc.Contact == 0 {
			oc.Contact, oc.Fallback = s.FallbackContactID, true
		}
		out = append(out, oc)
	}
	return out, nil
}

// RuleNamesMentioningSchedule names the rules that mention whoever is on call in a schedule.
func (d *DB) RuleNamesMentioningSchedule(ctx context.Context, scheduleID int64) ([]string, error) {
	return d.strings(ctx, `SELECT r.name FROM rule_schedules l JOIN rules r ON r.id = l.rule_id
		WHERE l.schedule_id = ? AND r.deleted_at IS NULL ORDER BY lower(r.name)`, scheduleID)
}

// HandoffSchedules lists every schedule that posts hand-off notices.
func (d *DB) HandoffSchedules(ctx context.Context) ([]Schedule, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+scheduleCols+scheduleFrom+` WHERE s.handoff_robot_id IS NOT NULL ORDER BY s.id`)
	if err != nil {
		return nil, fmt.Errorf("db: hand-off schedules: %w", err)
	}
	var out []Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := loadOverrides(ctx, d.read, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// PostHandoff queues the notice of the change of shift at at, once: false when a change
// at or after at was already announced.
func (d *DB) PostHandoff(ctx context.Context, scheduleID int64, at time.Time, n Notification) (bool, error) {
	now := d.now()
	posted := false
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE schedules SET handoff_at = ? WHERE id = ? AND COALESCE(handoff_at, 0) < ?`,
			ms(at), scheduleID, ms(at))
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return nil
		}
		posted = true
		n.State, n.CreatedAt, n.UpdatedAt, n.NextAttemptAt = StateQueued, now, now, now
		return insertNotification(ctx, tx, &n)
	})
	return posted, mapErr(err)
}

// groupScheduleIDs are the schedules the groups (of the scope) mention, each once.
func groupScheduleIDs(ctx context.Context, q querier, sc Scope, groupIDs []int64) ([]int64, error) {
	marks, args := contactIDArgs(groupIDs)
	cond, sargs := sc.clause("g.team_id")
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT l.schedule_id FROM contact_group_schedules l
		JOIN contact_groups g ON g.id = l.group_id WHERE l.group_id IN (`+marks+`) AND `+cond+` ORDER BY l.schedule_id`,
		append(args, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("db: group schedules: %w", err)
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

// GroupSchedules are the schedules a contact group of the scope mentions.
func (d *DB) GroupSchedules(ctx context.Context, sc Scope, groupID int64) ([]int64, error) {
	return groupScheduleIDs(ctx, d.read, sc, []int64{groupID})
}

// SetGroupSchedules makes a contact group of the scope mention whoever is on call in the
// schedules (of its team: a *ForeignRefError otherwise), audited.
func (d *DB) SetGroupSchedules(ctx context.Context, a Actor, sc Scope, groupID int64, scheduleIDs []int64) error {
	now := d.now()
	scheduleIDs = uniqueIDs(scheduleIDs)
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		var teamID int64
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT team_id, name FROM contact_groups WHERE id = ?`, groupID).Scan(&teamID, &name); err != nil {
			return err
		}
		if !sc.Allows(teamID) {
			return ErrNotFound
		}
		before, err := groupScheduleIDs(ctx, tx, AllTeams, []int64{groupID})
		if err != nil {
			return err
		}
		if slices.Equal(before, scheduleIDs) {
			return nil
		}
		if err := checkTeamRefs(ctx, tx, "schedules", "schedule_id", teamID, scheduleIDs); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contact_group_schedules WHERE group_id = ?`, groupID); err != nil {
			return err
		}
		for _, id := range scheduleIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO contact_group_schedules (group_id, schedule_id) VALUES (?, ?)`,
				groupID, id); err != nil {
				return err
			}
		}
		type groupSchedules struct {
			Schedules []int64 `json:"schedules"`
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "contact_group.schedules", ObjectType: "contact_group",
			ObjectID: groupID, ObjectName: name, TeamID: teamID, Before: groupSchedules{nonNilSlice(before)},
			After: groupSchedules{nonNilSlice(scheduleIDs)}})
	}))
}

// ScheduleNamesUsingContact names the schedules of the contact's team whose layers,
// overrides or fallback name the contact.
func (d *DB) ScheduleNamesUsingContact(ctx context.Context, teamID, contactID int64) ([]string, error) {
	return scheduleNamesUsingContact(ctx, d.read, teamID, contactID)
}

func scheduleNamesUsingContact(ctx context.Context, q querier, teamID, contactID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+scheduleCols+scheduleFrom+` WHERE s.team_id = ? ORDER BY s.name`, teamID)
	if err != nil {
		return nil, fmt.Errorf("db: schedules of contact: %w", err)
	}
	var list []Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		list = append(list, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var names []string
	for i := range list {
		if err := loadOverrides(ctx, q, &list[i]); err != nil {
			return nil, err
		}
		if slices.Contains(list[i].Contacts(), contactID) {
			names = append(names, list[i].Name)
		}
	}
	return names, nil
}
