package pipeline

import (
	"testing"
	"time"

	"alertdesk/db"
)

// MTTA and MTTR against values worked out by hand, on the fixture's fake clock:
//
//	A opened 10:00, acknowledged 10:04, closed 10:34   → TTA 4 min,  TTR 34 min
//	B opened 10:10, acknowledged 10:30, still open      → TTA 20 min
//	C opened 10:40, never acknowledged, closed 11:40     → TTR 60 min
//	D opened the next day: outside the period
//
// Team: 3 incidents, MTTA (4+20)/2 = 12 min, MTTR (34+60)/2 = 47 min.
// Rule r1 (A, C): MTTA 4 min, MTTR 47 min; rule r2 (B): MTTA 20 min, no MTTR.
func TestMTTAAndMTTRHandComputed(t *testing.T) {
	f := newFixture(t)
	start := f.clock.Now() // 10:00
	open := func(rule, key string) db.Incident {
		inc, err := f.db.IncidentFiring(f.ctx, db.IncidentFiring{TeamID: f.team.ID, RuleName: rule, GroupKey: key,
			Title: key, Firing: 1, News: true, ReopenWindow: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	act := func(inc db.Incident, action string) {
		if _, err := f.db.ActOnIncident(f.ctx, db.AllTeams, db.IncidentAction{IncidentID: inc.ID, Action: action,
			Actor: db.Actor{Name: "Alice"}, ActorKind: "user"}); err != nil {
			t.Fatal(err)
		}
	}
	at := func(min int) { f.clock.Add(start.Add(time.Duration(min) * time.Minute).Sub(f.clock.Now())) }

	a := open("r1", "a")
	at(4)
	act(a, db.ActAck)
	at(10)
	b := open("r2", "b")
	at(30)
	act(b, db.ActAck)
	at(34)
	act(a, db.ActClose)
	at(40)
	open("r1", "c")
	at(100)
	// IncidentResolved looks an incident up by rule and key and these have no rule, so C
	// ends by a close at 11:40 instead: the numbers are the same.
	cInc, err := f.db.Incidents(f.ctx, db.AllTeams, db.IncidentFilter{State: db.IncidentTriggered})
	if err != nil || len(cInc) != 1 {
		t.Fatalf("open incidents: %+v, %v", cInc, err)
	}
	act(cInc[0], db.ActClose)
	at(24 * 60)
	open("r1", "d")

	list, err := f.db.IncidentsOpened(f.ctx, db.AllTeams, start, start.Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("incidents in the period: %d, want 3", len(list))
	}
	team := IncidentNumbers(list, func(it db.IncidentTimes) []string { return []string{it.Team} })
	want := Numbers{Key: "payments", Incidents: 3, Acked: 2, Ended: 2, MTTA: 12 * time.Minute, MTTR: 47 * time.Minute}
	if len(team) != 1 || team[0] != want {
		t.Errorf("team numbers %+v, want %+v", team, want)
	}
	rules := IncidentNumbers(list, func(it db.IncidentTimes) []string { return []string{it.Rule} })
	wantRules := []Numbers{
		{Key: "r1", Incidents: 2, Acked: 1, Ended: 2, MTTA: 4 * time.Minute, MTTR: 47 * time.Minute},
		{Key: "r2", Incidents: 1, Acked: 1, Ended: 0, MTTA: 20 * time.Minute},
	}
	if len(rules) != 2 || rules[0] != wantRules[0] || rules[1] != wantRules[1] {
		t.Errorf("rule numbers %+v, want %+v", rules, wantRules)
	}
}
