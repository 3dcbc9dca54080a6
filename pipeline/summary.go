package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// summaryShown is how many of the oldest open incidents a daily summary lists.
const summaryShown = 5

// PostSummaries queues the daily summary of every team whose set time (in its time zone)
// has come since its last summary, through the outbox like any message. A slot is posted
// once, also across restarts (db.PostSummary).
func (p *Pipeline) PostSummaries(ctx context.Context) error {
	teams, err := p.db.TeamSummaries(ctx)
	if err != nil {
		return err
	}
	now := p.now()
	queued := false
	for _, t := range teams {
		if t.RobotID == 0 || len(t.Times) == 0 {
			continue
		}
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		slot := LatestSlot(now.In(loc), t.Times)
		if slot.IsZero() || !slot.After(t.LastAt) {
			continue
		}
		robot, err := p.db.RobotByID(ctx, db.TeamScope(t.TeamID), t.RobotID)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !robot.Enabled {
			continue
		}
		day := time.Date(slot.Year(), slot.Month(), slot.Day(), 0, 0, 0, 0, loc)
		counts, err := p.db.TeamDay(ctx, t.TeamID, day)
		if err != nil {
			return err
		}
		title, body := SummaryTextIn(p.composer.TeamLanguage(ctx, t.TeamID), t.Team, slot, counts, now, p.composer.IncidentURL)
		posted, err := p.db.PostSummary(ctx, t.TeamID, slot, db.Notification{RobotID: robot.ID, Kind: "firing",
			Severity: "info", Title: title, Body: body, Search: "daily summary " + t.Team, Purpose: db.PurposeSummary})
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

// LatestSlot is the latest of times ("09:00") today or yesterday in now's location that
// is not after now; zero when times holds none.
func LatestSlot(now time.Time, times []string) time.Time {
	var best time.Time
	for _, back := range []int{0, -1} {
		y, m, d := now.AddDate(0, 0, back).Date()
		for _, hm := range times {
			t, err := time.Parse("15:04", strings.TrimSpace(hm))
			if err != nil {
				continue
			}
			at := time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, now.Location())
			if !at.After(now) && at.After(best) {
				best = at
			}
		}
	}
	return best
}

// SummaryText is a daily summary: the day's counts, who owns what is open, and the oldest
// open incidents with links.
func SummaryText(team string, slot time.Time, c db.DayCounts, now time.Time, incidentURL func(int64) string) (title, body string) {
	return SummaryTextIn(alerting.LangEnglish, team, slot, c, now, incidentURL)
}

// SummaryTextIn is SummaryText in lang (the team's language).
func SummaryTextIn(lang, team string, slot time.Time, c db.DayCounts, now time.Time, incidentURL func(int64) string) (title, body string) {
	title = say(lang, "messages.summary_title", "Team", team, "Count", len(c.Open))
	var b strings.Builder
	b.WriteString(say(lang, "messages.summary_today", "Zone", slot.Location().String(), "Triggered", c.Triggered,
		"Acknowledged", c.Acknowledged, "Ended", c.Ended, "Open", len(c.Open)) + "\n\n")
	if len(c.Open) > 0 {
		owners := map[string]int{}
		for _, i := range c.Open {
			owner := i.Owner
			if owner == "" {
				owner = say(lang, "messages.nobody")
			}
			owners[owner]++
		}
		names := make([]string, 0, len(owners))
		for o := range owners {
			names = append(names, o)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, o := range names {
			parts[i] = fmt.Sprintf("%s %d", o, owners[o])
		}
		b.WriteString(say(lang, "messages.summary_by_owner", "Owners", strings.Join(parts, say(lang, "messages.separator"))) +
			"\n\n" + say(lang, "messages.summary_oldest") + "\n")
		for k, i := range c.Open {
			if k == summaryShown {
				b.WriteString(say(lang, "messages.summary_more", "Count", len(c.Open)-summaryShown) + "\n")
				break
			}
			b.WriteString(say(lang, "messages.summary_item", "ID", i.ID, "Title", i.Title, "URL", incidentURL(i.ID),
				"Age", MinutesIn(lang, now.Sub(i.OpenedAt)), "State", i.State))
			if i.Owner != "" {
				b.WriteString(say(lang, "messages.summary_owner", "Owner", i.Owner))
			}
			b.WriteString("\n")
		}
	}
	return title, strings.TrimRight(b.String(), "\n")
}
