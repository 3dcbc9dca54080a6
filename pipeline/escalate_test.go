package pipeline

import (
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// An escalation policy on the fixture's fake clock: three steps of 5, 10 and 15 minutes
// without an acknowledgement, run twice; the incident is acknowledged from the signed
// link of the third step's message, after which nothing more is sent. Every step is on
// the timeline and in the outbox.
func TestEscalationWalksStepsAndStopsOnAck(t *testing.T) {
	f := newFixture(t)
	links := f.withActions()
	ding, wecom := f.robots[0], f.robots[1]
	ann, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Ann", Mobile: "13800000001"})
	if err != nil {
		t.Fatal(err)
	}
	boss, err := f.db.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Boss", Mobile: "13800000002"})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := f.db.CreateSchedule(f.ctx, db.SystemActor, db.ScheduleInput{TeamID: f.team.ID, Name: "Primary",
		Layers: []db.ScheduleLayer{{Members: []int64{ann.ID}, Length: 1, Unit: "weeks", Start: "2026-11-23T00:00", Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}
	min := func(n int64) int64 { return n * time.Minute.Milliseconds() }
	policy, err := f.db.CreatePolicy(f.ctx, db.SystemActor, db.EscalationPolicyInput{TeamID: f.team.ID, Name: "Wake people",
		Repeats: 1, Steps: []db.EscalationStep{
			{AfterMS: min(5), RobotIDs: []int64{ding.ID}, ScheduleIDs: []int64{sched.ID}},
			{AfterMS: min(10), RobotIDs: []int64{wecom.ID}, ContactIDs: []int64{boss.ID}},
			{AfterMS: min(15), RobotIDs: []int64{ding.ID, wecom.ID}, ContactIDs: []int64{boss.ID}, ScheduleIDs: []int64{sched.ID}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	// Repeat-until-ack is set too: the policy replaces it.
	f.rule(db.RuleInput{GroupBy: []string{"instance"}, GroupWait: 10 * time.Second, RepeatInterval: 4 * time.Hour,
		RepeatUnacked: 2 * time.Minute, EscalationPolicyID: policy.ID})
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, f.clock.Now()))
	f.clock.Add(10 * time.Second)
	f.flush()
	tick := func(d time.Duration) {
		t.Helper()
		f.clock.Add(d)
		f.flush()
		if err := f.p.Escalate(f.ctx); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int { return len(f.notifications()) }
	if count() != 1 {
		t.Fatalf("first message: %d", count())
	}
	tick(4 * time.Minute) // 4:10 after the alert; the incident opened at 0:10
	if count() != 1 {
		t.Fatalf("before the first step (and no repeat-until-ack): %d messages", count())
	}
	tick(time.Minute) // 5:10: step 1
	if count() != 2 {
		t.Fatalf("step 1: %d messages, want 2", count())
	}
	tick(9 * time.Minute) // 14:10
	if count() != 2 {
		t.Fatalf("before step 2: %d messages", count())
	}
	tick(time.Minute)      // 15:10: step 2
	tick(15 * time.Minute) // 30:10: step 3, to two robots
	if count() != 5 {
		t.Fatalf("after step 3: %d messages, want 5", count())
	}
	rows, err := rawQuery(f, `SELECT robot_id, title, mentions, incident_id FROM notifications WHERE id > 1 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		robot    int64
		title    string
		mentions []string
	}{
		{ding.ID, "Escalation 1: DiskFull on db-1 not acknowledged after 5 min", []string{"Ann (on call: Primary)"}},
		{wecom.ID, "Escalation 2: DiskFull on db-1 not acknowledged after 15 min", []string{"Boss"}},
		{ding.ID, "Escalation 3: DiskFull on db-1 not acknowledged after 30 min", []string{"Ann (on call: Primary)", "Boss"}},
		{wecom.ID, "Escalation 3: DiskFull on db-1 not acknowledged after 30 min", []string{"Ann (on call: Primary)", "Boss"}},
	}
	for i, w := range want {
		r := rows[i]
		if r[0] != itoa(w.robot) || r[1] != w.title {
			t.Errorf("message %d: robot %s %q, want robot %d %q", i+2, r[0], r[1], w.robot, w.title)
		}
		for _, m := range w.mentions {
			if !strings.Contains(r[2], m) {
				t.Errorf("message %d mentions %s, want %s", i+2, r[2], m)
			}
		}
	}
	inc := f.incidents()[0]
	var steps []string
	events, err := f.db.IncidentEvents(f.ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == "escalation" {
			steps = append(steps, e.Text)
		}
	}
	wantSteps := []string{
		"Escalation step 1 of 6: to dingtalk robot, mentioning Ann (on call: Primary)",
		"Escalation step 2 of 6: to wecom robot, mentioning Boss",
		"Escalation step 3 of 6: to dingtalk robot, wecom robot, mentioning Ann (on call: Primary), Boss",
	}
	if strings.Join(steps, "\n") != strings.Join(wantSteps, "\n") {
		t.Errorf("timeline steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(wantSteps, "\n"))
	}

	// Acknowledge from the signed link the third step's message carries.
	n, err := f.db.NotificationByID(f.ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	tok := n.Actions[0].URL[strings.LastIndexByte(n.Actions[0].URL, '/')+1:]
	claim, err := links.Verify(tok, f.clock.Now())
	if err != nil || claim.IncidentID != inc.ID || claim.Action != db.ActAck {
		t.Fatalf("link of the step message: %+v %v", claim, err)
	}
	if _, err := NewResponder(f.db, f.p.composer).Act(f.ctx, db.AllTeams, db.IncidentAction{IncidentID: claim.IncidentID,
		Action: claim.Action, Actor: db.Actor{Name: "Ann"}, ActorKind: "contact", Via: "chat link"}); err != nil {
		t.Fatal(err)
	}
	acked := count() // the follow-ups
	for i := 0; i < 8; i++ {
		tick(10 * time.Minute)
	}
	if count() != acked {
		t.Errorf("after the ack: %d messages, want %d (escalation stopped)", count(), acked)
	}
	if got := f.incidents()[0]; got.State != db.IncidentAcknowledged {
		t.Errorf("incident state %s", got.State)
	}

	// Resolved, then firing again within the reopen window: the run starts afresh.
	f.ingest(0, alert("DiskFull", alerting.StatusResolved, map[string]string{"instance": "db-1"}, f.clock.Now()))
	tick(11 * time.Second)
	f.ingest(0, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": "db-1"}, f.clock.Now()))
	tick(11 * time.Second)
	if got := f.incidents(); len(got) != 1 || got[0].State != db.IncidentTriggered {
		t.Fatalf("after firing again: %+v", got)
	}
	before := count()
	tick(4 * time.Minute)
	if count() != before {
		t.Fatalf("a reopened incident escalated at once: %d messages, want %d", count(), before)
	}
	tick(time.Minute)
	rows, err = rawQuery(f, `SELECT title FROM notifications ORDER BY id DESC LIMIT 1`)
	if err != nil || len(rows) == 0 || rows[0][0] != "Escalation 1: DiskFull on db-1 not acknowledged after 5 min" {
		t.Errorf("after reopening, step 1 again 5 min later: %v %v", rows, err)
	}
}
