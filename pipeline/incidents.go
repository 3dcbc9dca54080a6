package pipeline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// DefaultReopenWindow: a group firing again this soon after its incident resolved or was
// closed reopens that incident; later, it opens a new one.
const DefaultReopenWindow = time.Hour

// trackIncident is the one place a group flush touches incidents: a firing group has an
// open incident (found, reopened or new); a group whose alerts all resolved resolves it.
// It returns the incident the flush's messages speak of (zero when there is none).
func (p *Pipeline) trackIncident(ctx context.Context, r *compiledRule, g db.AlertGroup, snap db.GroupSnapshot, silenced bool) (db.Incident, error) {
	if snap.FiringTotal == 0 {
		if snap.ResolvedTotal == 0 {
			return db.Incident{}, nil
		}
		id, err := p.db.IncidentResolved(ctx, r.ID, g.Key, snap.ResolvedTotal)
		return db.Incident{ID: id, State: db.IncidentResolved}, err
	}
	window := p.reopenWindow
	if window <= 0 {
		window = DefaultReopenWindow
	}
	return p.db.IncidentFiring(ctx, db.IncidentFiring{TeamID: r.TeamID, RuleID: r.ID, RuleName: r.Name, GroupKey: g.Key,
		GroupLabels: g.GroupLabels, Title: incidentTitle(snap, g.GroupLabels), Severity: r.Severity, Firing: snap.FiringTotal,
		Resolved: snap.ResolvedTotal, News: snap.Changed, ReopenWindow: window, Silenced: silenced})
}

// targetLabels name what an alert is about, most specific first.
var targetLabels = []string{"instance", "host", "hostname", "node", "pod", "service", "job"}

// incidentTitle is "DiskFull on db-1": the first firing alert's name and what it is about.
func incidentTitle(snap db.GroupSnapshot, groupLabels map[string]string) string {
	if len(snap.Firing) == 0 {
		return "Incident"
	}
	a := snap.Firing[0]
	name := a.Name
	if name == "" {
		name = a.Labels["alertname"]
	}
	for _, k := range targetLabels {
		if v := groupLabels[k]; v != "" {
			return name + " on " + v
		}
	}
	for _, k := range targetLabels {
		if v := a.Labels[k]; v != "" {
			return name + " on " + v
		}
	}
	return name
}

// Responder applies people's actions on incidents (from the console, chat links and the
// API) and tells the incident's chat groups through the outbox, so the follow-up is sent
// within the send governor's budget like any message.
type Responder struct {
	db       *db.DB
	composer *Composer
}

// NewResponder returns a responder whose follow-ups link to the console via composer.
func NewResponder(d *db.DB, composer *Composer) *Responder {
	return &Responder{db: d, composer: composer}
}

// Act applies in (in.FollowUp is set here) and returns the incident afterwards. The
// caller wakes the delivery engine.
func (r *Responder) Act(ctx context.Context, s db.Scope, in db.IncidentAction) (db.Incident, error) {
	inc, err := r.db.IncidentByID(ctx, s, in.IncidentID)
	if err != nil {
		return inc, err
	}
	robots, err := r.robotsOf(ctx, inc)
	if err != nil {
		return inc, err
	}
	in.FollowUp = func(before, after db.Incident) []db.OutboxItem {
		if in.Action == db.ActNote {
			return nil // a note is for the console, not the group
		}
		text := FollowUpText(in.Actor.Name, in.Action, before, after.UpdatedAt)
		body := text + "\n\n[Open the incident](" + r.composer.IncidentURL(before.ID) + ")"
		out := make([]db.OutboxItem, 0, len(robots))
		for _, rb := range robots {
			out = append(out, db.OutboxItem{Notification: db.Notification{TeamID: before.TeamID, RobotID: rb.ID,
				RuleID: before.RuleID, GroupKey: before.GroupKey, Kind: "firing", Severity: before.Severity,
				Title: text, Body: body, Search: before.Title, Purpose: db.PurposeFollowUp}})
		}
		return out
	}
	return r.db.ActOnIncident(ctx, s, in)
}

// robotsOf are the enabled robots of the incident's rule: the groups that were told.
func (r *Responder) robotsOf(ctx context.Context, inc db.Incident) ([]db.Robot, error) {
	if inc.RuleID == 0 {
		return nil, nil
	}
	rule, err := r.db.RuleByID(ctx, db.AllTeams, inc.RuleID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []db.Robot
	for _, id := range rule.RobotIDs {
		rb, err := r.db.RobotByID(ctx, db.TeamScope(rule.TeamID), id)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if rb.Enabled {
			out = append(out, rb)
		}
	}
	return out, nil
}

// FollowUpText is the short line a group receives after an action:
// "Alice acknowledged DiskFull on db-1 (3 alerts) after 4 min".
func FollowUpText(who, action string, inc db.Incident, at time.Time) string {
	alerts := fmt.Sprintf("%d alerts", inc.AlertCount)
	if inc.AlertCount == 1 {
		alerts = "1 alert"
	}
	what := inc.Title + " (" + alerts + ")"
	after := Minutes(at.Sub(inc.OpenedAt))
	switch action {
	case db.ActAck:
		return fmt.Sprintf("%s acknowledged %s after %s", who, what, after)
	case db.ActClaim:
		return fmt.Sprintf("%s claimed %s after %s", who, what, after)
	case db.ActClose:
		return fmt.Sprintf("%s closed %s after %s", who, what, after)
	case db.ActSilence1h, db.ActSilence4h, db.ActSilence24h:
		return fmt.Sprintf("%s silenced %s for %s", who, what, strings.TrimPrefix(ActionLabel(action), "Silence "))
	}
	return fmt.Sprintf("%s updated %s", who, what)
}

// Minutes words a duration for people: "45 s", "4 min", "2 h 5 min".
// MinutesIn is Minutes in lang: "12 分钟", "3 小时 4 分钟".
func MinutesIn(lang string, d time.Duration) string {
	if lang != alerting.LangChinese {
		return Minutes(d)
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d 秒", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	}
	return fmt.Sprintf("%d 小时 %d 分钟", int(d.Hours()), int(d.Minutes())%60)
}

func Minutes(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}
