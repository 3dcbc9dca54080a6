package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

func TestEscalationPolicyForm(t *testing.T) {
	f := newRulesFixture(t)
	f.Clock.Freeze()
	ctx := context.Background()
	alice := f.login(t, "alice", testPassword)
	start := f.Clock.Now().UTC().Add(-time.Hour).Format(db.LayerStartLayout)
	sched, err := f.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: f.TeamA.ID, Name: "Primary",
		Layers: []db.ScheduleLayer{{Members: []int64{f.alice.ID}, Length: 1, Unit: "weeks", Start: start, Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"team_id": {idStr(f.TeamA.ID)}, "name": {"Wake people"}, "repeats": {"1"},
		"step_row": {"a", "b"}, "step_after_a": {"5m"}, "step_robot_a": {idStr(f.ding.ID)}, "step_mention_a": {"s:" + idStr(sched.ID)},
		"step_after_b": {"10m"}, "step_robot_b": {idStr(f.wecom.ID)}, "step_mention_b": {"c:" + idStr(f.noIDs.ID)}}

	for _, tc := range []struct {
		change func(url.Values)
		want   string
	}{
		{func(v url.Values) { v.Set("step_after_b", "20s") }, "Step 2: the wait is from 1m to 24h."},
		{func(v url.Values) { v.Del("step_robot_a") }, "Step 1: pick at least one robot to post to."},
		{func(v url.Values) { v.Set("step_robot_a", idStr(f.robotB.ID)) }, "A step names a robot, contact, group or schedule of another team"},
		{func(v url.Values) { v.Set("repeats", "12") }, "Enter a whole number from 0 to 9."},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = append([]string(nil), v...)
		}
		tc.change(bad)
		rec := alice.postForm(t, "/escalation", bad, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if body := bodyText(rec); !strings.Contains(body, tc.want) || !strings.Contains(body, "Wake people") {
			t.Errorf("want %q with the input kept:\n%s", tc.want, body)
		}
	}
	if ps, _ := f.DB.Policies(ctx, db.AllTeams); len(ps) != 0 {
		t.Fatalf("bad input stored a policy: %+v", ps)
	}

	rec := alice.postForm(t, "/escalation", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	ps, _ := f.DB.Policies(ctx, db.AllTeams)
	if len(ps) != 1 || len(ps[0].Steps) != 2 || ps[0].Repeats != 1 || ps[0].Steps[1].ContactIDs[0] != f.noIDs.ID {
		t.Fatalf("policies = %+v", ps)
	}
	path := rec.Header().Get("Location")
	body := bodyText(alice.get(t, path))
	if strings.Contains(body, "Warning") {
		t.Errorf("Alice has a mobile, which DingTalk mentions: no warning expected:\n%s", body)
	}
	now := f.Clock.Now()
	for _, want := range []string{
		"At " + now.Add(5*time.Minute).Local().Format("15:04") + " (in 5m): Escalation step 1 of 4: to ops-ding, mentioning Alice (on call: Primary)",
		"At " + now.Add(15*time.Minute).Local().Format("15:04") + " (in 15m): Escalation step 2 of 4: to ops-wecom, mentioning Carol",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q:\n%s", want, body)
		}
	}

	// A rule points at it; the policy cannot be deleted then.
	rf := f.ruleForm("disk")
	rf.Set("escalation_policy_id", idStr(ps[0].ID))
	wantStatus(t, alice.postForm(t, "/rules", rf, false), http.StatusSeeOther)
	if rules := f.rules(t); len(rules) != 1 || rules[0].EscalationPolicyID != ps[0].ID {
		t.Fatalf("rule's policy: %+v", rules)
	}
	rec = alice.postForm(t, path+"/delete", url.Values{}, false)
	if body := bodyText(alice.get(t, rec.Header().Get("Location"))); !strings.Contains(body, "is still used by rules") {
		t.Errorf("deleting a policy in use:\n%s", body)
	}
	bob := f.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, path), http.StatusNotFound)

	events, _, err := f.DB.AuditEvents(ctx, db.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range events {
		found = found || e.Action == "policy.create"
	}
	if !found {
		t.Error("audit log lacks policy.create")
	}
}

func TestScheduleAndStepRows(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	rec := alice.getHTMX(t, "/schedules/layer-row")
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, `name="layer_members"`) || !strings.Contains(body, `name="layer_zone"`) {
		t.Errorf("layer row:\n%s", body)
	}
	rec = alice.getHTMX(t, "/escalation/step-row?team_id="+idStr(f.TeamA.ID))
	wantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, "ops-ding") || strings.Contains(body, "beta-ding") {
		t.Errorf("step row should offer team alpha's robots only:\n%s", body)
	}
	wantStatus(t, alice.getHTMX(t, "/escalation/step-row?team_id="+idStr(f.TeamB.ID)), http.StatusNotFound)
}

func TestIncidentPageShowsEscalationAhead(t *testing.T) {
	f := newRulesFixture(t)
	f.Clock.Freeze()
	ctx := context.Background()
	alice := f.login(t, "alice", testPassword)
	p, err := f.DB.CreatePolicy(ctx, db.SystemActor, db.EscalationPolicyInput{TeamID: f.TeamA.ID, Name: "Wake",
		Steps: []db.EscalationStep{{AfterMS: (5 * time.Minute).Milliseconds(), RobotIDs: []int64{f.ding.ID}, ContactIDs: []int64{f.alice.ID}}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: f.TeamA.ID, Name: "disk", Enabled: true, Severity: "critical",
		RepeatInterval: time.Hour, RobotIDs: []int64{f.ding.ID}, EscalationPolicyID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := f.DB.IncidentFiring(ctx, db.IncidentFiring{TeamID: f.TeamA.ID, RuleID: r.ID, RuleName: r.Name, GroupKey: "k",
		Title: "DiskFull on db-1", Severity: "critical", Firing: 1, News: true, ReopenWindow: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	at := inc.OpenedAt.Add(5 * time.Minute).Local().Format("15:04")
	body := bodyText(alice.get(t, "/incidents/"+idStr(inc.ID)))
	if !strings.Contains(body, "At "+at+": Escalation step 1 of 1: to ops-ding, mentioning Alice") {
		t.Errorf("the incident page should preview the next step:\n%s", body)
	}
}
