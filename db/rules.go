package db

import (
	"alertdesk/alerting"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rule is an alert rule: which alerts matter and which robots they go to.
type Rule struct {
	ID             int64
	TeamID         int64
	TeamName       string
	Name           string
	Description    string
	Enabled        bool
	Severity       string // critical, warning, info
	Source         string // "" = any, alertmanager, grafana, api
	Matchers       alerting.Matchers
	Condition      *alerting.Condition // nil = no threshold
	AtAll          bool
	TitleTemplate  string // "" = the platform's default
	BodyTemplate   string
	GroupBy        []string // label names; ["..."] = all labels
	GroupWait      time.Duration
	RepeatInterval time.Duration
	// RepeatUnacked re-notifies an unacknowledged incident this often instead of the
	// repeat interval (0 = off); an ack, close or resolve stops it.
	RepeatUnacked time.Duration
	SendResolved  bool
	QuietHours    []alerting.QuietWindow
	RobotIDs      []int64
	ContactIDs    []int64
	GroupIDs      []int64
	ScheduleIDs   []int64 // mention whoever is on call in these schedules
	// EscalationPolicyID: the policy that escalates its unacknowledged incidents (0 = none);
	// it replaces RepeatUnacked.
	EscalationPolicyID int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// RuleInput is what CreateRule and UpdateRule store. UpdateRule keeps the rule's team
// and ignores TeamID.
type RuleInput struct {
	TeamID             int64
	Name               string
	Description        string
	Enabled            bool
	Severity           string
	Source             string
	Matchers           alerting.Matchers
	Condition          *alerting.Condition
	AtAll              bool
	TitleTemplate      string
	BodyTemplate       string
	GroupBy            []string
	GroupWait          time.Duration
	RepeatInterval     time.Duration
	RepeatUnacked      time.Duration
	SendResolved       bool
	QuietHours         []alerting.QuietWindow
	RobotIDs           []int64
	ContactIDs         []int64
	GroupIDs           []int64
	ScheduleIDs        []int64
	EscalationPolicyID int64
}

// Input returns the editable fields of r, e.g. to clone it.
func (r Rule) Input() RuleInput {
	return RuleInput{TeamID: r.TeamID, Name: r.Name, Description: r.Description, Enabled: r.Enabled,
		Severity: r.Severity, Source: r.Source, Matchers: slices.Clone(r.Matchers), Condition: r.Condition,
		AtAll: r.AtAll, TitleTemplate: r.TitleTemplate, BodyTemplate: r.BodyTemplate, GroupBy: slices.Clone(r.GroupBy),
		GroupWait: r.GroupWait, RepeatInterval: r.RepeatInterval, RepeatUnacked: r.RepeatUnacked, SendResolved: r.SendResolved,
		QuietHours: slices.Clone(r.QuietHours), RobotIDs: slices.Clone(r.RobotIDs),
		ContactIDs: slices.Clone(r.ContactIDs), GroupIDs: slices.Clone(r.GroupIDs), ScheduleIDs: slices.Clone(r.ScheduleIDs),
		EscalationPolicyID: r.EscalationPolicyID}
}

// ErrForeignRef: a rule names a robot, contact or contact group that does not exist or
// belongs to another team. Errors of this kind are *ForeignRefError.
var ErrForeignRef = errors.New("db: not an object of the rule's team")

// ForeignRefError names the first id of a rule that is not an object of its team.
type ForeignRefError struct {
	Field string // the form field: "robot_id", "contact_id" or "group_id"
	ID    int64
}

func (e *ForeignRefError) Error() string {
	return fmt.Sprintf("db: %s %d is not an object of the rule's team", e.Field, e.ID)
}

// Unwrap lets errors.Is(err, ErrForeignRef) match.
func (e *ForeignRefError) Unwrap() error { return ErrForeignRef }

// ruleAudit is what the audit log keeps of a rule.
type ruleAudit struct {
	Name             string                 `json:"name"`
	Description      string                 `json:"description,omitempty"`
	Enabled          bool                   `json:"enabled"`
	Severity         string                 `json:"severity"`
	Source           string                 `json:"source,omitempty"`
	Matchers         alerting.Matchers      `json:"matchers"`
	Condition        *alerting.Condition    `json:"condition,omitempty"`
	AtAll            bool                   `json:"at_all,omitempty"`
	TitleTemplate    string                 `json:"title_template,omitempty"`
	BodyTemplate     string                 `json:"body_template,omitempty"`
	GroupBy          []string               `json:"group_by"`
	GroupWaitMS      int64                  `json:"group_wait_ms"`
	RepeatIntervalMS int64                  `json:"repeat_interval_ms"`
	RepeatUnackedMS  int64                  `json:"repeat_unacked_ms,omitempty"`
	SendResolved     bool                   `json:"send_resolved"`
	QuietHours       []alerting.QuietWindow `json:"quiet_hours,omitempty"`
	Robots           []int64                `json:"robots"`
	Contacts         []int64                `json:"contacts,omitempty"`
	Groups           []int64                `json:"groups,omitempty"`
	Schedules        []int64                `json:"schedules,omitempty"`
	EscalationPolicy int64                  `json:"escalation_policy,omitempty"`
}

func auditOfRule(r Rule) ruleAudit {
	return ruleAudit{Name: r.Name, Description: r.Description, Enabled: r.Enabled, Severity: r.Severity, Source: r.Source,
		Matchers: nonNilSlice(r.Matchers), Condition: r.Condition, AtAll: r.AtAll, TitleTemplate: r.TitleTemplate,
		BodyTemplate: r.BodyTemplate, GroupBy: nonNilSlice(r.GroupBy), GroupWaitMS: r.GroupWait.Milliseconds(),
		RepeatIntervalMS: r.RepeatInterval.Milliseconds(), RepeatUnackedMS: r.RepeatUnacked.Milliseconds(), SendResolved: r.SendResolved, QuietHours: r.QuietHours,
		Robots: nonNilSlice(r.RobotIDs), Contacts: r.ContactIDs, Groups: r.GroupIDs,
		Schedules: r.ScheduleIDs, EscalationPolicy: r.EscalationPolicyID}
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

const ruleCols = `r.id, r.team_id, t.name, r.name, r.description, r.enabled, r.severity, r.source, r.matchers, r.condition,
	r.at_all, r.title_template, r.body_template, r.group_by, r.group_wait_ms, r.repeat_interval_ms, r.send_resolved,
	r.quiet_hours, r.created_at, r.updated_at, r.repeat_unacked_ms, COALESCE(r.escalation_policy_id, 0)`

const ruleFrom = ` FROM rules r JOIN teams t ON t.id = r.team_id`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	var matchers, cond, groupBy, quiet string
	var wait, repeat, created, updated, unacked int64
	err := row.Scan(&r.ID, &r.TeamID, &r.TeamName, &r.Name, &r.Description, &r.Enabled, &r.Severity, &r.Source,
		&matchers, &cond, &r.AtAll, &r.TitleTemplate, &r.BodyTemplate, &groupBy, &wait, &repeat, &r.SendResolved,
		&quiet, &created, &updated, &unacked, &r.EscalationPolicyID)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(matchers), &r.Matchers); err != nil {
		return r, fmt.Errorf("db: rule %d matchers: %w", r.ID, err)
	}
	if cond != "" {
		r.Condition = &alerting.Condition{}
		if err := json.Unmarshal([]byte(cond), r.Condition); err != nil {
			return r, fmt.Errorf("db: rule %d condition: %w", r.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(groupBy), &r.GroupBy); err != nil {
		return r, fmt.Errorf("db: rule %d group_by: %w", r.ID, err)
	}
	if err := json.Unmarshal([]byte(quiet), &r.QuietHours); err != nil {
		return r, fmt.Errorf("db: rule %d quiet_hours: %w", r.ID, err)
	}
	r.GroupWait, r.RepeatInterval = time.Duration(wait)*time.Millisecond, time.Duration(repeat)*time.Millisecond
	r.RepeatUnacked = time.Duration(unacked) * time.Millisecond
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return r, nil
}

// queryRules loads the rules matching cond (a condition on r) with their robots, contacts
// and groups: four queries whatever the number of rules.
func queryRules(ctx context.Context, q querier, cond string, args ...any) ([]Rule, error) {
	// Deleted rules keep their row only for the history's sake.
	cond = "r.deleted_at IS NULL AND (" + cond + ")"
	rows, err := q.QueryContext(ctx, `SELECT `+ruleCols+ruleFrom+` WHERE `+cond+` ORDER BY t.name, lower(r.name), r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: rules: %w", err)
	}
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	idx := make(map[int64]int, len(out))
	for i, r := range out {
		idx[r.ID] = i
	}
	for _, link := range []struct {
		table, col string
		dst        func(*Rule) *[]int64
	}{
		{"rule_robots", "robot_id", func(r *Rule) *[]int64 { return &r.RobotIDs }},
		{"rule_contacts", "contact_id", func(r *Rule) *[]int64 { return &r.ContactIDs }},
		{"rule_contact_groups", "group_id", func(r *Rule) *[]int64 { return &r.GroupIDs }},
		{"rule_schedules", "schedule_id", func(r *Rule) *[]int64 { return &r.ScheduleIDs }},
	} {
		// table and col are fixed names above, never user input.
		lrows, err := q.QueryContext(ctx, `SELECT l.rule_id, l.`+link.col+` FROM `+link.table+` l
			JOIN rules r ON r.id = l.rule_id JOIN teams t ON t.id = r.team_id WHERE `+cond+` ORDER BY l.rule_id, l.`+link.col, args...)
		if err != nil {
			return nil, fmt.Errorf("db: rule %s: %w", link.table, err)
		}
		for lrows.Next() {
			var rid, id int64
			if err := lrows.Scan(&rid, &id); err != nil {
				lrows.Close()
				return nil, err
			}
			if i, ok := idx[rid]; ok {
				p := link.dst(&out[i])
				*p = append(*p, id)
			}
		}
		lrows.Close()
		if err := lrows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Rules lists the rules visible in scope, by team and name.
func (d *DB) Rules(ctx context.Context, s Scope) ([]Rule, error) {
	cond, args := s.clause("r.team_id")
	return queryRules(ctx, d.read, cond, args...)
}

// RuleByID returns one rule; ErrNotFound when it does not exist or is outside scope.
func (d *DB) RuleByID(ctx context.Context, s Scope, id int64) (Rule, error) {
	return ruleByID(ctx, d.read, s, id)
}

func ruleByID(ctx context.Context, q querier, s Scope, id int64) (Rule, error) {
	cond, args := s.clause("r.team_id")
	rules, err := queryRules(ctx, q, "r.id = ? AND "+cond, append([]any{id}, args...)...)
	if err != nil {
		return Rule{}, err
	}
	if len(rules) == 0 {
		return Rule{}, ErrNotFound
	}
	return rules[0], nil
}

// EnabledRules lists every team's enabled rules with their robots, contacts and groups,
// for the alert pipeline.
func (d *DB) EnabledRules(ctx context.Context) ([]Rule, error) {
	return queryRules(ctx, d.read, "r.enabled = 1")
}

func idMarks(ids []int64) (string, []any) {
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i], args[i] = "?", id
	}
	return strings.Join(marks, ", "), args
}

func uniqueIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkTeamRefs makes sure every id is a row of table owned by team teamID; the first
// one that is not (unknown or another team's) comes back as a *ForeignRefError.
func checkTeamRefs(ctx context.Context, q querier, table, field string, teamID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	marks, args := idMarks(ids)
	live := ""
	if table == "robots" || table == "contacts" || table == "schedules" || table == "escalation_policies" {
		live = " AND deleted_at IS NULL"
	}
	// table is one of the fixed names passed by setRuleLinks, never user input.
	rows, err := q.QueryContext(ctx, `SELECT id FROM `+table+` WHERE team_id = ? AND id IN (`+marks+`)`+live,
		append([]any{teamID}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	ok := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ok[id] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if !ok[id] {
			return &ForeignRefError{Field: field, ID: id}
		}
	}
	return nil
}

// setRuleLinks replaces the robots, contacts and groups of a rule of team teamID after
// checking that they all belong to that team.
func setRuleLinks(ctx context.Context, q querier, ruleID, teamID int64, in *RuleInput) error {
	in.RobotIDs, in.ContactIDs, in.GroupIDs = uniqueIDs(in.RobotIDs), uniqueIDs(in.ContactIDs), uniqueIDs(in.GroupIDs)
	in.ScheduleIDs = uniqueIDs(in.ScheduleIDs)
	links := []struct {
		link, col, table, field string
		ids                     []int64
	}{
		{"rule_robots", "robot_id", "robots", "robot_id", in.RobotIDs},
		{"rule_contacts", "contact_id", "contacts", "contact_id", in.ContactIDs},
		{"rule_contact_groups", "group_id", "contact_groups", "group_id", in.GroupIDs},
		{"rule_schedules", "schedule_id", "schedules", "schedule_id", in.ScheduleIDs},
	}
	for _, l := range links {
		if err := checkTeamRefs(ctx, q, l.table, l.field, teamID, l.ids); err != nil {
			return err
		}
	}
	if in.EscalationPolicyID != 0 {
		if err := checkTeamRefs(ctx, q, "escalation_policies", "escalation_policy_id", teamID, []int64{in.EscalationPolicyID}); err != nil {
			return err
		}
	}
	for _, l := range links {
		if _, err := q.ExecContext(ctx, `DELETE FROM `+l.link+` WHERE rule_id = ?`, ruleID); err != nil {
			return err
		}
		for _, id := range l.ids {
			if _, err := q.ExecContext(ctx, `INSERT INTO `+l.link+` (rule_id, `+l.col+`) VALUES (?, ?)`, ruleID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// ruleValues are the rules columns CreateRule and UpdateRule write, in ruleSetCols order.
func ruleValues(in RuleInput) []any {
	cond := ""
	if in.Condition != nil {
		cond = jsonText(in.Condition)
	}
	return []any{in.Name, in.Description, in.Enabled, in.Severity, in.Source, jsonText(nonNilSlice(in.Matchers)), cond,
		in.AtAll, in.TitleTemplate, in.BodyTemplate, jsonText(nonNilSlice(in.GroupBy)), in.GroupWait.Milliseconds(),
		in.RepeatInterval.Milliseconds(), in.SendResolved, jsonText(nonNilSlice(in.QuietHours)), in.RepeatUnacked.Milliseconds(),
		nullID(in.EscalationPolicyID)}
}

const ruleSetCols = `name, description, enabled, severity, source, matchers, condition, at_all, title_template,
	body_template, group_by, group_wait_ms, repeat_interval_ms, send_resolved, quiet_hours, repeat_unacked_ms,
	escalation_policy_id`

// ErrRuleNeedsRobot: an enabled rule must send to at least one robot (a disabled one may
// have none, e.g. after its last robot was deleted).
var ErrRuleNeedsRobot = errors.New("db: an enabled rule needs a robot")

// CreateRule stores a new rule of in.TeamID. Its robots, contacts and groups must be
// objects of that team: otherwise a *ForeignRefError (ErrForeignRef) names the first
// that is not, and nothing is stored. ErrConflict when the team has a rule of that name.
func (d *DB) CreateRule(ctx context.Context, a Actor, in RuleInput) (Rule, error) {
	now := d.now()
	var r Rule
	if in.Enabled && len(in.RobotIDs) == 0 {
		return r, ErrRuleNeedsRobot
	}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		args := append([]any{in.TeamID}, ruleValues(in)...)
		res, err := insertReturningID(ctx, tx, `INSERT INTO rules (team_id, `+ruleSetCols+`, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(args, ms(now), ms(now))...)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if err := setRuleLinks(ctx, tx, id, in.TeamID, &in); err != nil {
			return err
		}
		if r, err = ruleByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "rule.create", ObjectType: "rule", ObjectID: id,
			ObjectName: r.Name, TeamID: r.TeamID, After: auditOfRule(r)})
	})
	return r, mapRuleErr(err)
}

// UpdateRule changes a rule visible in scope; it stays in its team (in.TeamID is ignored)
// and its robots, contacts and groups must be of that team (*ForeignRefError otherwise).
func (d *DB) UpdateRule(ctx context.Context, a Actor, s Scope, id int64, in RuleInput) (Rule, error) {
	now := d.now()
	var r Rule
	if in.Enabled && len(in.RobotIDs) == 0 {
		return r, ErrRuleNeedsRobot
	}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := ruleByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		args := append(ruleValues(in), ms(now), id)
		if _, err := tx.ExecContext(ctx, `UPDATE rules SET (`+ruleSetCols+`, updated_at)
			= (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?`, args...); err != nil {
			return err
		}
		if err := setRuleLinks(ctx, tx, id, old.TeamID, &in); err != nil {
			return err
		}
		if r, err = ruleByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "rule.update", ObjectType: "rule", ObjectID: id,
			ObjectName: r.Name, TeamID: r.TeamID, Before: auditOfRule(old), After: auditOfRule(r)})
	})
	return r, mapRuleErr(err)
}

// mapRuleErr keeps *ForeignRefError and ErrRuleNeedsRobot as they are and maps the rest
// like mapErr.
func mapRuleErr(err error) error {
	if errors.Is(err, ErrForeignRef) || errors.Is(err, ErrRuleNeedsRobot) {
		return err
	}
	return mapErr(err)
}

// SetRuleEnabled switches a rule visible in scope on or off; ErrRuleNeedsRobot when a rule
// without robots is switched on.
func (d *DB) SetRuleEnabled(ctx context.Context, a Actor, s Scope, id int64, on bool) (Rule, error) {
	now := d.now()
	var r Rule
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := ruleByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		if on && len(old.RobotIDs) == 0 {
			return ErrRuleNeedsRobot
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rules SET enabled = ?, updated_at = ? WHERE id = ?`, on, ms(now), id); err != nil {
			return err
		}
		r = old
		r.Enabled, r.UpdatedAt = on, fromMS(ms(now))
		action := "rule.disable"
		if on {
			action = "rule.enable"
		}
		return insertAudit(ctx, tx, now, a, Change{Action: action, ObjectType: "rule", ObjectID: id, ObjectName: r.Name,
			TeamID: r.TeamID, Before: auditOfRule(old), After: auditOfRule(r)})
	})
	return r, mapRuleErr(err)
}

// DeleteRule deletes a rule visible in scope with its links and aggregation state. The
// delete is soft: the row stays with deleted_at set, so the history keeps naming the rule
// and its id is never handed out again; it leaves every list and picker, the pipeline no
// longer matches it, and its name is free. Notifications it already queued are still sent.
func (d *DB) DeleteRule(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := ruleByID(ctx, tx, s, id)
		if err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM rule_robots WHERE rule_id = ?`,
			`DELETE FROM rule_contacts WHERE rule_id = ?`,
			`DELETE FROM rule_contact_groups WHERE rule_id = ?`,
			`DELETE FROM rule_schedules WHERE rule_id = ?`,
			`DELETE FROM alert_groups WHERE rule_id = ?`, // their group_alerts go by ON DELETE CASCADE
			`DELETE FROM series_state WHERE rule_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rules SET deleted_at = ?, enabled = 0, updated_at = ? WHERE id = ?`,
			ms(now), ms(now), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "rule.delete", ObjectType: "rule", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfRule(old)})
	})
	return mapErr(err)
}

// RuleNamesUsingRobot names the rules that send to a robot, for "still used by" messages.
func (d *DB) RuleNamesUsingRobot(ctx context.Context, robotID int64) ([]string, error) {
	return d.strings(ctx, `SELECT r.name FROM rule_robots l JOIN rules r ON r.id = l.rule_id
		WHERE l.robot_id = ? AND r.deleted_at IS NULL ORDER BY lower(r.name)`, robotID)
}

// RuleNamesMentioningContact names the rules that @-mention a contact.
func (d *DB) RuleNamesMentioningContact(ctx context.Context, contactID int64) ([]string, error) {
	return d.strings(ctx, `SELECT r.name FROM rule_contacts l JOIN rules r ON r.id = l.rule_id
		WHERE l.contact_id = ? AND r.deleted_at IS NULL ORDER BY lower(r.name)`, contactID)
}

// RuleNamesMentioningGroup names the rules that @-mention a contact group.
func (d *DB) RuleNamesMentioningGroup(ctx context.Context, groupID int64) ([]string, error) {
	return d.strings(ctx, `SELECT r.name FROM rule_contact_groups l JOIN rules r ON r.id = l.rule_id
		WHERE l.group_id = ? AND r.deleted_at IS NULL ORDER BY lower(r.name)`, groupID)
}

// RuleState is what a rule is doing: alerts firing in its groups now, when it last sent a
// firing message and when a message of it was last delivered.
type RuleState struct {
	Firing        int // capped at RuleStateFiringCap
	LastFired     time.Time
	LastDelivered time.Time
}

// RuleStateFiringCap bounds the count of firing alerts per rule on the rules list: in a
// storm the list says "10000+" rather than counting every alert.
const RuleStateFiringCap = 10000

// RuleStates reads the state of each rule; the queries walk the rule's own index ranges.
func (d *DB) RuleStates(ctx context.Context, ids []int64) (map[int64]RuleState, error) {
	out := make(map[int64]RuleState, len(ids))
	for _, id := range ids {
		var st RuleState
		var fired, delivered sql.NullInt64
		if err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM alert_groups g
			JOIN group_alerts ga ON ga.group_id = g.id WHERE g.rule_id = ? AND ga.status = 'firing' LIMIT ?) x`,
			id, RuleStateFiringCap).Scan(&st.Firing); err != nil {
			return nil, fmt.Errorf("db: rule state: %w", err)
		}
		if err := d.read.QueryRowContext(ctx, `SELECT MAX(at) FROM (SELECT at FROM delivery_attempts
			WHERE rule_id = ? AND kind = 'firing' ORDER BY at DESC LIMIT 1) x`, id).Scan(&fired); err != nil {
			return nil, fmt.Errorf("db: rule state: %w", err)
		}
		if err := d.read.QueryRowContext(ctx, `SELECT MAX(at) FROM (SELECT at FROM delivery_attempts
			WHERE rule_id = ? AND outcome = 'delivered' ORDER BY at DESC LIMIT 1) x`, id).Scan(&delivered); err != nil {
			return nil, fmt.Errorf("db: rule state: %w", err)
		}
		st.LastFired, st.LastDelivered = nullMS(fired), nullMS(delivered)
		out[id] = st
	}
	return out, nil
}
