package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// EscalationStep is one step of a policy: after AfterMS without an acknowledgement
// (counted from the previous step, or from the incident's start for the first), post to
// these robots mentioning these contacts, groups and whoever is on call in these schedules.
type EscalationStep struct {
	AfterMS     int64   `json:"after_ms"`
	RobotIDs    []int64 `json:"robots"`
	ContactIDs  []int64 `json:"contacts,omitempty"`
	GroupIDs    []int64 `json:"groups,omitempty"`
	ScheduleIDs []int64 `json:"schedules,omitempty"`
}

// After is the step's delay.
func (s EscalationStep) After() time.Duration { return time.Duration(s.AfterMS) * time.Millisecond }

// EscalationPolicy is a team's escalation policy.
type EscalationPolicy struct {
	ID        int64
	TeamID    int64
	TeamName  string
	Name      string
	Steps     []EscalationStep
	Repeats   int // the steps run 1 + Repeats times
	CreatedAt time.Time
	UpdatedAt time.Time
}

// EscalationPolicyInput is what CreatePolicy and UpdatePolicy store.
type EscalationPolicyInput struct {
	TeamID  int64 // read by CreatePolicy only
	Name    string
	Steps   []EscalationStep
	Repeats int
}

// PlannedStep is one step of a policy's run, at the time it falls due.
type PlannedStep struct {
	N     int // 1-based over the whole run
	Cycle int // 0 for the first run, 1.. for repeats
	Index int // into Steps
	At    time.Time
	EscalationStep
}

// Plan lays out every step of the run (repeats included) for an incident opened at from.
func (p EscalationPolicy) Plan(from time.Time) []PlannedStep {
	var out []PlannedStep
	at := from
	for c := 0; c <= p.Repeats; c++ {
		for i, s := range p.Steps {
			at = at.Add(s.After())
			out = append(out, PlannedStep{N: len(out) + 1, Cycle: c, Index: i, At: at, EscalationStep: s})
		}
	}
	return out
}

const policyCols = `p.id, p.team_id, t.name, p.name, p.steps, p.repeats, p.created_at, p.updated_at`

const policyFrom = ` FROM escalation_policies p JOIN teams t ON t.id = p.team_id AND p.deleted_at IS NULL`

func scanPolicy(row interface{ Scan(...any) error }) (EscalationPolicy, error) {
	var p EscalationPolicy
	var steps string
	var created, updated int64
	if err := row.Scan(&p.ID, &p.TeamID, &p.TeamName, &p.Name, &steps, &p.Repeats, &created, &updated); err != nil {
		return p, err
	}
	p.CreatedAt, p.UpdatedAt = fromMS(created), fromMS(updated)
	if err := json.Unmarshal([]byte(steps), &p.Steps); err != nil {
		return p, fmt.Errorf("db: policy %d steps: %w", p.ID, err)
	}
	return p, nil
}

// Policies lists the escalation policies visible in scope, by team and name.
func (d *DB) Policies(ctx context.Context, sc Scope) ([]EscalationPolicy, error) {
	cond, args := sc.clause("p.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+policyCols+policyFrom+` WHERE `+cond+
		` ORDER BY t.name, lower(p.name), p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: policies: %w", err)
	}
	defer rows.Close()
	var out []EscalationPolicy
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PolicyByID returns one policy; ErrNotFound outside scope.
func (d *DB) PolicyByID(ctx context.Context, sc Scope, id int64) (EscalationPolicy, error) {
	return policyByID(ctx, d.read, sc, id)
}

func policyByID(ctx context.Context, q querier, sc Scope, id int64) (EscalationPolicy, error) {
	p, err := scanPolicy(q.QueryRowContext(ctx, `SELECT `+policyCols+policyFrom+` WHERE p.id = ?`, id))
	if err != nil {
		return EscalationPolicy{}, mapErr(err)
	}
	if !sc.Allows(p.TeamID) {
		return EscalationPolicy{}, ErrNotFound
	}
	return p, nil
}

type policyAudit struct {
	Name    string           `json:"name"`
	TeamID  int64            `json:"team_id"`
	Steps   []EscalationStep `json:"steps"`
	Repeats int              `json:"repeats"`
}

func auditOfPolicy(p EscalationPolicy) policyAudit {
	return policyAudit{Name: p.Name, TeamID: p.TeamID, Steps: nonNilSlice(p.Steps), Repeats: p.Repeats}
}

// checkPolicyRefs returns a *ForeignRefError (ErrForeignRef) for the first robot, contact,
// group or schedule of the steps that is not an object of team.
func checkPolicyRefs(ctx context.Context, q querier, teamID int64, steps []EscalationStep) error {
	for _, s := range steps {
		for _, ref := range []struct {
			table, field string
			ids          []int64
		}{
			{"robots", "robot_id", s.RobotIDs}, {"contacts", "contact_id", s.ContactIDs},
			{"contact_groups", "group_id", s.GroupIDs}, {"schedules", "schedule_id", s.ScheduleIDs},
		} {
			if err := checkTeamRefs(ctx, q, ref.table, ref.field, teamID, ref.ids); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreatePolicy adds an escalation policy to in.TeamID.
func (d *DB) CreatePolicy(ctx context.Context, a Actor, in EscalationPolicyInput) (EscalationPolicy, error) {
	now := d.now()
	var p EscalationPolicy
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		if err := checkPolicyRefs(ctx, tx, in.TeamID, in.Steps); err != nil {
			return err
		}
		res, err := insertReturningID(ctx, tx, `INSERT INTO escalation_policies (team_id, name, steps, repeats, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, in.TeamID, in.Name, jsonText(nonNilSlice(in.Steps)), in.Repeats, ms(now), ms(now))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if p, err = policyByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "policy.create", ObjectType: "escalation_policy", ObjectID: id,
			ObjectName: p.Name, TeamID: p.TeamID, After: auditOfPolicy(p)})
	})
	return p, mapErr(err)
}

// UpdatePolicy changes a policy visible in scope (its team stays).
func (d *DB) UpdatePolicy(ctx context.Context, a Actor, sc Scope, id int64, in EscalationPolicyInput) (EscalationPolicy, error) {
	now := d.now()
	var p EscalationPolicy
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := policyByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := checkPolicyRefs(ctx, tx, old.TeamID, in.Steps); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE escalation_policies SET name = ?, steps = ?, repeats = ?, updated_at = ? WHERE id = ?`,
			in.Name, jsonText(nonNilSlice(in.Steps)), in.Repeats, ms(now), id); err != nil {
			return err
		}
		if p, err = policyByID(ctx, tx, AllTeams, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "policy.update", ObjectType: "escalation_policy", ObjectID: id,
			ObjectName: p.Name, TeamID: p.TeamID, Before: auditOfPolicy(old), After: auditOfPolicy(p)})
	})
	return p, mapErr(err)
}

// DeletePolicy deletes a policy visible in scope; ErrInUse while rules point at it.
func (d *DB) DeletePolicy(ctx context.Context, a Actor, sc Scope, id int64) error {
	now := d.now()
	return mapErr(d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := policyByID(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		var rules int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rules WHERE escalation_policy_id = ? AND deleted_at IS NULL`,
			id).Scan(&rules); err != nil {
			return err
		}
		if rules > 0 {
			return fmt.Errorf("%w: policy used by %d rules", ErrInUse, rules)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE escalation_policies SET deleted_at = ?, updated_at = ? WHERE id = ?`,
			ms(now), ms(now), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "policy.delete", ObjectType: "escalation_policy", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfPolicy(old)})
	}))
}

// DueEscalation is a triggered incident whose policy has a step due.
type DueEscalation struct {
	Incident Incident
	Policy   EscalationPolicy
	Step     PlannedStep
	Total    int       // steps in the whole run
	From     time.Time // when the run started: the incident's start or its last reopening
}

// DueEscalations lists the triggered incidents (not acknowledged, resolved or closed) whose
// rule's policy has its next step due at now. One step per incident: the next call finds
// the one after it, so a late tick still walks every step in order.
func (d *DB) DueEscalations(ctx context.Context, now time.Time) ([]DueEscalation, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT i.id, r.escalation_policy_id, i.escalation_done,
		COALESCE(i.escalation_from, i.opened_at) FROM incidents i
		JOIN rules r ON r.id = i.rule_id
		WHERE i.state = 'triggered' AND r.escalation_policy_id IS NOT NULL AND r.deleted_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("db: due escalations: %w", err)
	}
	type cand struct {
		incident, policy int64
		done             int
		from             int64
	}
	var cands []cand
	for rows.Next() {
		var c cand
		if err := rows.Scan(&c.incident, &c.policy, &c.done, &c.from); err != nil {
			rows.Close()
			return nil, err
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []DueEscalation
	for _, c := range cands {
		p, err := policyByID(ctx, d.read, AllTeams, c.policy)
		if err != nil {
			continue // deleted since: nothing to escalate to
		}
		inc, err := incidentByID(ctx, d.read, AllTeams, c.incident)
		if err != nil {
			return nil, err
		}
		plan := p.Plan(fromMS(c.from))
		if c.done >= len(plan) || plan[c.done].At.After(now) {
			continue
		}
		out = append(out, DueEscalation{Incident: inc, Policy: p, Step: plan[c.done], Total: len(plan), From: fromMS(c.from)})
	}
	return out, nil
}

// RecordEscalation queues a step's messages and puts the step on the incident's timeline,
// once: it does nothing (false) when the incident was acknowledged, resolved or closed
// meanwhile, or the step was already taken.
func (d *DB) RecordEscalation(ctx context.Context, e DueEscalation, items []OutboxItem, text string) (bool, error) {
	now := d.now()
	done := false
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE incidents SET escalation_done = ?, updated_at = ?
			WHERE id = ? AND escalation_done = ? AND state = 'triggered'`, e.Step.N, ms(now), e.Incident.ID, e.Step.N-1)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		var first int64
		for i := range items {
			n := items[i].Notification
			n.State, n.CreatedAt, n.UpdatedAt, n.NextAttemptAt = StateQueued, now, now, now
			if err := insertNotification(ctx, tx, &n); err != nil {
				return err
			}
			if first == 0 {
				first = n.ID
			}
		}
		return insertIncidentEvent(ctx, tx, IncidentEvent{IncidentID: e.Incident.ID, At: now, Kind: "escalation",
			ActorKind: "system", Text: text, NotificationID: first})
	})
	return done, mapErr(err)
}

// EscalationAhead is the rest of an incident's escalation run: its policy and the steps
// still to come (none once it is acknowledged, resolved or closed, or without a policy).
func (d *DB) EscalationAhead(ctx context.Context, inc Incident) (EscalationPolicy, []PlannedStep, error) {
	if inc.State != IncidentTriggered || inc.RuleID == 0 {
		return EscalationPolicy{}, nil, nil
	}
	var policyID, from int64
	var done int
	err := d.read.QueryRowContext(ctx, `SELECT COALESCE(r.escalation_policy_id, 0), i.escalation_done,
		COALESCE(i.escalation_from, i.opened_at) FROM incidents i JOIN rules r ON r.id = i.rule_id WHERE i.id = ?`,
		inc.ID).Scan(&policyID, &done, &from)
	if err != nil || policyID == 0 {
		return EscalationPolicy{}, nil, mapErr(ignoreNoRows(err))
	}
	p, err := policyByID(ctx, d.read, AllTeams, policyID)
	if err != nil {
		return EscalationPolicy{}, nil, ignoreNoRows(err)
	}
	plan := p.Plan(fromMS(from))
	if done >= len(plan) {
		return p, nil, nil
	}
	return p, plan[done:], nil
}

func ignoreNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
