package pipeline

import (
	"context"
	"errors"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/oncall"
)

// PostHandoffs queues, for every schedule with a hand-off robot, a notice of the latest
// change of who is on call since the last one announced: "On call in Primary: Bob, until
// Mon 09:00 (was Ann)", mentioning the person now on call. It runs on the pipeline's loop
// like the daily summaries; a change is announced once (db.PostHandoff), also across
// restarts, and only the latest when several passed while the console was down.
func (p *Pipeline) PostHandoffs(ctx context.Context) error {
	list, err := p.db.HandoffSchedules(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	queued := false
	for _, sc := range list {
		plan, err := sc.Plan()
		if err != nil || !sc.HandoffAt.Before(now) {
			continue
		}
		shifts := plan.Shifts(sc.HandoffAt, now.Add(1))
		if len(shifts) < 2 {
			continue // nobody changed since the last notice
		}
		cur, prev := shifts[len(shifts)-1], shifts[len(shifts)-2]
		robot, err := p.db.RobotByID(ctx, db.TeamScope(sc.TeamID), sc.HandoffRobotID)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !robot.Enabled {
			continue
		}
		title, people, err := p.handoffText(ctx, sc, plan, cur, prev)
		if err != nil {
			return err
		}
		posted, err := p.db.PostHandoff(ctx, sc.ID, cur.From, db.Notification{TeamID: sc.TeamID, RobotID: robot.ID,
			Kind: "firing", Severity: "info", Title: title, Body: title, Mentions: db.Mentions{People: people},
			Search: "hand-off " + sc.Name})
		if err != nil {
			return err
		}
		queued = queued || posted
	}
	if queued {
		p.waker.Wake()
	}
	return nil
}

func (p *Pipeline) handoffText(ctx context.Context, sc db.Schedule, plan oncall.Schedule, cur, prev oncall.Shift) (string, []notify.Person, error) {
	lang := p.composer.TeamLanguage(ctx, sc.TeamID)
	name := func(id int64) (string, []notify.Person, error) {
		if id == 0 {
			return say(lang, "messages.nobody"), nil, nil
		}
		people, err := p.db.PeopleToMention(ctx, db.TeamScope(sc.TeamID), []int64{id}, nil)
		if err != nil || len(people) == 0 {
			return say(lang, "messages.deleted_contact"), nil, err
		}
		return people[0].Name, people, nil
	}
	now, people, err := name(cur.Contact)
	if err != nil {
		return "", nil, err
	}
	was, _, err := name(prev.Contact)
	if err != nil {
		return "", nil, err
	}
	title := say(lang, "messages.handoff", "Schedule", sc.Name, "Name", now)
	if cur.Source == oncall.Gap {
		title = say(lang, "messages.handoff_gap", "Schedule", sc.Name)
		if sc.FallbackContactID != 0 {
			fb, fbPeople, err := name(sc.FallbackContactID)
			if err != nil {
				return "", nil, err
			}
			title += say(lang, "messages.handoff_fallback", "Name", fb)
			people = fbPeople
		}
	}
	if next, ok := plan.NextHandoff(cur.From, 60*24*time.Hour); ok {
		layout := "Mon 2006-01-02 15:04 MST"
		if lang == alerting.LangChinese {
			layout = "2006-01-02 15:04 MST"
		}
		title += say(lang, "messages.handoff_until", "Time", next.In(handoffZone(sc)).Format(layout))
	}
	return title + say(lang, "messages.handoff_was", "Name", was), people, nil
}

// handoffZone is the zone a notice words times in: the first layer's.
func handoffZone(sc db.Schedule) *time.Location {
	for _, l := range sc.Layers {
		if loc, err := time.LoadLocation(l.Zone); err == nil {
			return loc
		}
	}
	return time.UTC
}
