package pipeline

import (
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

// The daily summary on the fixture's fake clock: at 09:00 and 18:00 in the team's time
// zone (Asia/Shanghai, UTC+8), once per slot, with the day's counts and the oldest open
// incidents linked.
func TestDailySummaryAtSetTimes(t *testing.T) {
	f := newFixture(t)
	f.withActions()
	// 2026-11-23 10:00 UTC is 18:00 in Shanghai: the setting starts now, this slot is not posted late.
	if err := f.db.SetTeamSummary(f.ctx, db.SystemActor, f.team.ID, f.robots[0].ID, []string{"09:00", "18:00"}, "Asia/Shanghai"); err != nil {
		t.Fatal(err)
	}
	summaries := func() []sent {
		var out []sent
		for _, n := range f.notifications() {
			if strings.HasPrefix(n.title, "Daily summary") {
				out = append(out, n)
			}
		}
		return out
	}
	post := func() {
		t.Helper()
		if err := f.p.PostSummaries(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	post()
	if n := len(summaries()); n != 0 {
		t.Fatalf("posted %d summaries at the moment it was set up, want 0", n)
	}
	// Incidents of the next Shanghai day (it starts at 16:00 UTC): one acknowledged and owned, one not.
	f.clock.Add(7 * time.Hour) // 17:00 UTC, 01:00 in Shanghai
	open := func(key string) db.Incident {
		inc, err := f.db.IncidentFiring(f.ctx, db.IncidentFiring{TeamID: f.team.ID, RuleName: "r", GroupKey: key,
			Title: "DiskFull on " + key, Firing: 1, News: true, ReopenWindow: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	a := open("db-1")
	f.clock.Add(time.Hour)
	open("db-2")
	if _, err := f.db.ActOnIncident(f.ctx, db.AllTeams, db.IncidentAction{IncidentID: a.ID, Action: db.ActClaim,
		Actor: db.Actor{Name: "Alice"}, ActorKind: "user"}); err != nil {
		t.Fatal(err)
	}
	post()
	if n := len(summaries()); n != 0 {
		t.Fatalf("02:00 in Shanghai: %d summaries, want 0", n)
	}
	f.clock.Add(7 * time.Hour) // 01:00 UTC = 09:00 in Shanghai
	post()
	post() // the same slot again: nothing more
	got := summaries()
	if len(got) != 1 {
		t.Fatalf("at 09:00: %d summaries, want 1", len(got))
	}
	for _, want := range []string{"Daily summary of payments: 2 open incidents", "2 triggered, 1 acknowledged, 0 resolved or closed; 2 still open",
		"Alice 1, nobody 1", "[#1 DiskFull on db-1](https://console.example/incidents/1): open 8 h 0 min, acknowledged, owner Alice",
		"[#2 DiskFull on db-2](https://console.example/incidents/2): open 7 h 0 min, triggered"} {
		if !strings.Contains(got[0].title+"\n"+got[0].body, want) {
			t.Errorf("summary lacks %q:\n%s\n%s", want, got[0].title, got[0].body)
		}
	}
	f.clock.Add(9 * time.Hour) // 18:00 in Shanghai
	post()
	if n := len(summaries()); n != 2 {
		t.Fatalf("at 18:00: %d summaries, want 2", n)
	}
}

func TestLatestSlot(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 11, 24, 8, 59, 0, 0, sh)
	if got := LatestSlot(now, []string{"09:00", "18:00"}); !got.Equal(time.Date(2026, 11, 23, 18, 0, 0, 0, sh)) {
		t.Errorf("before 09:00: %v, want yesterday 18:00", got)
	}
	if got := LatestSlot(now, []string{"bogus"}); !got.IsZero() {
		t.Errorf("no valid time: %v", got)
	}
}
