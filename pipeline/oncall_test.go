package pipeline

import (
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// A rule that mentions a schedule mentions whoever is on call when the message is
// composed, named as on call; in a gap, the fallback.
func TestRuleMentionsWhoeverIsOnCall(t *testing.T) {
	f := newFixture(t)
	ann, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Ann", Mobile: "13800000001"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Bob", Mobile: "13800000002"})
	if err != nil {
		t.Fatal(err)
	}
	fallback, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Lead", Mobile: "13800000009"})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's clock starts Monday 2026-11-23 10:00 UTC. Ann's shift runs from 09:00 UTC
	// until 12:00 (three-hour shifts), then Bob's; nobody between 18:00 and 09:00.
	sched, err := f.db.CreateSchedule(f.ctx, db.SystemActor, db.ScheduleInput{TeamID: f.team.ID, Name: "Primary",
		FallbackContactID: fallback.ID, Layers: []db.ScheduleLayer{{Members: []int64{ann.ID, bob.ID}, Length: 3, Unit: "hours",
			Start: "2026-11-23T09:00", Zone: "UTC", Days: "daily", From: "09:00", To: "18:00"}}})
	if err != nil {
		t.Fatal(err)
	}
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 3 * time.Hour,
		ScheduleIDs: []int64{sched.ID}})

	mentions := func() string {
		t.Helper()
		f.notifications() // barrier
		rows, err := rawQuery(f, `SELECT mentions FROM notifications ORDER BY id DESC LIMIT 1`)
		if err != nil || len(rows) == 0 {
			t.Fatalf("no notification: %v", err)
		}
		return rows[0][0]
	}
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, f.clock.Now()))
	f.clock.Add(11 * time.Second)
	f.flush()
	if m := mentions(); !strings.Contains(m, "Ann (on call: Primary)") || strings.Contains(m, "Bob") {
		t.Errorf("at 10:00 the message should mention Ann as on call: %s", m)
	}
	if got := f.notifications(); !strings.HasSuffix(got[0].body, "\n\nOn call: Ann (Primary)") {
		t.Errorf("the message should say who is on call: %q", got[0].body)
	}
	f.clock.Add(3 * time.Hour) // 13:00: Bob's shift; the repeat is composed now
	f.flush()
	if m := mentions(); !strings.Contains(m, "Bob (on call: Primary)") || strings.Contains(m, "Ann") {
		t.Errorf("at 13:00 the repeat should mention Bob: %s", m)
	}
	f.clock.Add(9 * time.Hour) // 22:00: nobody on shift
	f.flush()
	if m := mentions(); !strings.Contains(m, "Lead (fallback of Primary, nobody on shift)") {
		t.Errorf("in a gap the fallback should be mentioned: %s", m)
	}
}

// A schedule with a hand-off robot posts one notice per change of shift, mentioning the
// person now on call, and none when nothing changed.
func TestHandoffNotices(t *testing.T) {
	f := newFixture(t)
	ann, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Ann", Mobile: "13800000001"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Bob", Mobile: "13800000002"})
	if err != nil {
		t.Fatal(err)
	}
	// 10:00 now; twelve-hour shifts from 08:00 Shanghai (00:00 UTC): Ann until 12:00 UTC, then Bob.
	if _, err := f.db.CreateSchedule(f.ctx, db.SystemActor, db.ScheduleInput{TeamID: f.team.ID, Name: "Primary",
		HandoffRobotID: f.robots[0].ID, Layers: []db.ScheduleLayer{{Members: []int64{ann.ID, bob.ID}, Length: 12, Unit: "hours",
			Start: "2026-11-23T08:00", Zone: "Asia/Shanghai"}}}); err != nil {
		t.Fatal(err)
	}
	post := func() {
		t.Helper()
		if err := f.p.PostHandoffs(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	post()
	f.clock.Add(time.Hour)
	post()
	if n := len(f.notifications()); n != 0 {
		t.Fatalf("no change of shift yet: %d notices", n)
	}
	f.clock.Add(90 * time.Minute) // 12:30 UTC: Bob since 12:00
	post()
	post()
	got := f.notifications()
	if len(got) != 1 || got[0].title != "On call in Primary: Bob, until Tue 2026-11-24 08:00 CST (was Ann)" {
		t.Fatalf("notices: %+v", got)
	}
	rows, err := rawQuery(f, `SELECT mentions FROM notifications`)
	if err != nil || !strings.Contains(rows[0][0], "13800000002") {
		t.Errorf("the notice should mention Bob: %v %v", rows, err)
	}
}
