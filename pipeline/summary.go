package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

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
		title, body := SummaryText(t.Team, slot, counts, now, p.composer.IncidentURL)
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
	title = fmt.Sprintf("Daily summary of %s: %d open %s", team, len(c.Open), plural(len(c.Open), "incident", "incidents"))
	var b strings.Builder
	fmt.Fprintf(&b, "**Today** (since 00:00 %s): %d triggered, %d acknowledged, %d resolved or closed; %d still open.\n\n",
		slot.Location(), c.Triggered, c.Acknowledged, c.Ended, len(c.Open))
	if len(c.Open) > 0 {
		owners := map[string]int{}
		for _, i := range c.Open {
			owner := i.Owner
			if owner == "" {
				owner = "nobody"
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
		b.WriteString("**Open by owner**: " + strings.Join(parts, ", ") + "\n\n**Oldest open incidents**\n")
		for k, i := range c.Open {
			if k == summaryShown {
				fmt.Fprintf(&b, "- … and %d more\n", len(c.Open)-summaryShown)
				break
			}
			fmt.Fprintf(&b, "- [#%d %s](%s): open %s, %s", i.ID, i.Title, incidentURL(i.ID), Minutes(now.Sub(i.OpenedAt)), i.State)
			if i.Owner != "" {
				b.WriteString(", owner " + i.Owner)
			}
			b.WriteString("\n")
		}
	}
	return title, strings.TrimRight(b.String(), "\n")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
