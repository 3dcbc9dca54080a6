package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
)

// Escalate takes every escalation step that has fallen due: for a triggered incident
// whose rule has a policy, after each step's time without an acknowledgement, the step's
// robots get a message mentioning its people (whoever is on call when it is written).
// Messages go through the outbox like any other, so the send governor paces them; each
// step is on the incident's timeline. An ack, close or resolve stops the run: only
// triggered incidents are looked at, and db.RecordEscalation re-checks in its transaction.
func (p *Pipeline) Escalate(ctx context.Context) error {
	now := p.now()
	due, err := p.db.DueEscalations(ctx, now)
	if err != nil || len(due) == 0 {
		return err
	}
	queued := false
	for _, e := range due {
		robots, people, err := p.composer.EscalationTargets(ctx, e.Policy, e.Step.EscalationStep, now)
		if err != nil {
			return err
		}
		inc := e.Incident
		lang := p.composer.TeamLanguage(ctx, inc.TeamID)
		title := say(lang, "messages.escalation_title", "Step", e.Step.N, "Title", inc.Title, "Age", MinutesIn(lang, now.Sub(e.From)))
		body := say(lang, "messages.escalation_body", "Title", inc.Title, "Severity", inc.Severity,
			"Opened", inc.OpenedAt.Format("2006-01-02 15:04 MST"), "Step", e.Step.N, "Policy", e.Policy.Name,
			"URL", p.composer.IncidentURL(inc.ID)) + OnCallLineIn(lang, people)
		var items []db.OutboxItem
		for _, rb := range robots {
			items = append(items, db.OutboxItem{Notification: db.Notification{TeamID: inc.TeamID, RobotID: rb.ID,
				RuleID: inc.RuleID, GroupKey: inc.GroupKey, Kind: "firing", Severity: inc.Severity, Title: title, Body: body,
				Mentions: db.Mentions{People: people}, IncidentID: inc.ID, Actions: p.composer.actionsFor(lang, "firing", inc.ID),
				AlertCount: inc.AlertCount, Search: "escalation " + inc.Title}})
		}
		ok, err := p.db.RecordEscalation(ctx, e, items, EscalationText(e.Step, robots, people, e.Total))
		if err != nil {
			return err
		}
		queued = queued || (ok && len(items) > 0)
	}
	if queued {
		p.waker.Wake()
	}
	return nil
}

// EscalationText is the timeline's line for a step: "Escalation step 2 of 3: to ops-wecom,
// mentioning Ann (on call: Primary)".
func EscalationText(step db.PlannedStep, robots []db.Robot, people []notify.Person, total int) string {
	text := fmt.Sprintf("Escalation step %d of %d: ", step.N, total)
	if len(robots) == 0 {
		text += "no enabled robot to post to"
	} else {
		names := make([]string, len(robots))
		for i, r := range robots {
			names[i] = r.Name
		}
		text += "to " + strings.Join(names, ", ")
	}
	if len(people) > 0 {
		names := make([]string, len(people))
		for i, pe := range people {
			names[i] = pe.Name
		}
		text += ", mentioning " + strings.Join(names, ", ")
	} else {
		text += ", mentioning nobody"
	}
	return text
}

// EscalationTargets resolves a step of policy at t: its enabled robots and the people it
// mentions (schedules resolve to whoever is on call at t, the fallback in a gap).
func (c *Composer) EscalationTargets(ctx context.Context, policy db.EscalationPolicy, step db.EscalationStep, t time.Time) ([]db.Robot, []notify.Person, error) {
	sc := db.TeamScope(policy.TeamID)
	var robots []db.Robot
	for _, id := range step.RobotIDs {
		rb, err := c.db.RobotByID(ctx, sc, id)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if rb.Enabled {
			robots = append(robots, rb)
		}
	}
	people, err := c.db.PeopleToMentionAt(ctx, sc, step.ContactIDs, step.GroupIDs, step.ScheduleIDs, t)
	return robots, people, err
}
