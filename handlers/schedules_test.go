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

func TestSchedulesCreateEditOverride(t *testing.T) {
	ts := newTestServer(t)
	ts.Clock.Freeze()
	ctx := context.Background()
	contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	amy := contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Amy Alpha", Mobile: "13700000000"})
	contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamB.ID, Name: "Bert Beta", Mobile: "13900000000"})
	alice := ts.login(t, "alice", testPassword)

	// Daily rotation from midnight UTC ten days ago: shift 10 today, Ann's (even).
	now := ts.Clock.Now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day()-10, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04")
	layer := func(members, days string) url.Values {
		return url.Values{"name": {"Primary"}, "layer_members": {members}, "layer_length": {"1"}, "layer_unit": {"days"},
			"layer_start": {start}, "layer_zone": {"UTC"}, "layer_days": {days}, "layer_from": {"00:00"}, "layer_to": {"12:00"}}
	}

	// Bad input: a name of another team's contact, an unknown zone; kept as typed, nothing stored.
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{layer("Ann Alpha, Bert Beta", ""), `Layer 1: no contact of this team is called "Bert Beta".`},
		{func() url.Values { v := layer("Ann Alpha", ""); v.Set("layer_zone", "Mars/Olympus"); return v }(), `"Mars/Olympus" is not a time zone`},
		{func() url.Values { v := layer("Ann Alpha", ""); v.Set("layer_length", "0"); return v }(), "the shift length is a whole number"},
		{func() url.Values { v := layer("Ann Alpha", ""); v.Set("name", ""); return v }(), ""},
	} {
		rec := alice.postForm(t, "/schedules", tc.form, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if body := bodyText(rec); !strings.Contains(body, tc.want) || !strings.Contains(body, tc.form.Get("layer_members")) {
			t.Errorf("want %q with the input kept:\n%s", tc.want, body)
		}
	}
	if list, _ := ts.DB.Schedules(ctx, db.AllTeams); len(list) != 0 {
		t.Fatalf("bad input stored a schedule: %+v", list)
	}

	rec := alice.postForm(t, "/schedules", layer("Ann Alpha, Amy Alpha", ""), false)
	wantStatus(t, rec, http.StatusSeeOther)
	list, _ := ts.DB.Schedules(ctx, db.AllTeams)
	if len(list) != 1 || list[0].TeamID != ts.TeamA.ID {
		t.Fatalf("schedules = %+v", list)
	}
	path := "/schedules/" + idStr(list[0].ID)
	rec = alice.get(t, path)
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	if !strings.Contains(body, `data-testid="schedule-now-name">Ann Alpha<`) || strings.Contains(body, `data-testid="schedule-gaps"`) {
		t.Errorf("on call now should be Ann with no gaps:\n%s", body)
	}
	if n := strings.Count(body, `data-testid="calendar-shift"`); n < 14 {
		t.Errorf("calendar has %d shifts, want one a day at least", n)
	}
	rec = alice.get(t, "/schedules")
	if body := bodyText(rec); !strings.Contains(body, "Primary") || !strings.Contains(body, "Ann Alpha") {
		t.Errorf("list should show who is on call:\n%s", body)
	}

	if body := bodyText(alice.get(t, "/")); !strings.Contains(body, `data-testid="dashboard-oncall-row"`) || !strings.Contains(body, "Ann Alpha") {
		t.Errorf("the dashboard should say who is on call:\n%s", body)
	}

	// An override puts Amy on call now.
	from := now.Add(-time.Hour).Format("2006-01-02T15:04")
	to := now.Add(time.Hour).Format("2006-01-02T15:04")
	rec = alice.postForm(t, path+"/overrides", url.Values{"contact_id": {idStr(amy.ID)}, "from": {from}, "to": {to}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rec = alice.get(t, path)
	if body := bodyText(rec); !strings.Contains(body, `data-testid="schedule-now-name">Amy Alpha<`) || !strings.Contains(body, "(override)") {
		t.Errorf("override should put Amy on call:\n%s", body)
	}

	// Restricted to mornings: the page says there are gaps, and that nobody is the fallback.
	rec = alice.postForm(t, path, layer("Ann Alpha, Amy Alpha", "daily"), false)
	wantStatus(t, rec, http.StatusSeeOther)
	rec = alice.get(t, path)
	if body := bodyText(rec); !strings.Contains(body, `data-testid="schedule-gaps"`) {
		t.Errorf("a schedule with gaps should say so:\n%s", body)
	}

	// A contact in a rotation cannot be deleted.
	rec = alice.postForm(t, "/contacts/"+idStr(amy.ID)+"/delete", url.Values{}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if body := bodyText(alice.get(t, rec.Header().Get("Location"))); !strings.Contains(body, "Amy Alpha is still on call in schedule Primary") {
		t.Errorf("deleting a contact on call:\n%s", body)
	}

	// Team beta sees nothing of it.
	bob := ts.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, path), http.StatusNotFound)
	wantStatus(t, bob.postForm(t, path+"/delete", url.Values{}, false), http.StatusNotFound)

	rec = alice.postForm(t, path+"/delete", url.Values{}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	events, _, err := ts.DB.AuditEvents(ctx, db.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Action] = true
	}
	for _, a := range []string{"schedule.create", "schedule.update", "schedule.override.create", "schedule.delete"} {
		if !seen[a] {
			t.Errorf("audit log lacks %s", a)
		}
	}
}

func TestMyShiftsOnAccount(t *testing.T) {
	ts := newTestServer(t)
	ts.Clock.Freeze()
	ctx := context.Background()
	alice := ts.login(t, "alice", testPassword)
	if body := bodyText(alice.get(t, "/account")); !strings.Contains(body, "Link your contact card") {
		t.Errorf("without a card, My account should say how to see shifts:\n%s", body)
	}
	card, err := ts.DB.SaveOwnContact(ctx, db.SystemActor, ts.MemberA, db.ContactInput{Name: "Alice", Mobile: "13800000000"})
	if err != nil {
		t.Fatal(err)
	}
	now := ts.Clock.Now().UTC()
	if _, err := ts.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: ts.TeamA.ID, Name: "Nights",
		Layers: []db.ScheduleLayer{{Members: []int64{card.ID}, Length: 1, Unit: "weeks", Zone: "UTC",
			Start: now.Add(-time.Hour).Format(db.LayerStartLayout)}}}); err != nil {
		t.Fatal(err)
	}
	body := bodyText(alice.get(t, "/account"))
	if !strings.Contains(body, `data-testid="my-shift"`) || !strings.Contains(body, "Nights") {
		t.Errorf("My account should list the shift:\n%s", body)
	}
}

func TestRuleMentionsSchedule(t *testing.T) {
	f := newRulesFixture(t)
	f.Clock.Freeze()
	ctx := context.Background()
	alice := f.login(t, "alice", testPassword)
	start := f.Clock.Now().UTC().Add(-time.Hour).Format(db.LayerStartLayout)
	// Alice is on shift now (the first of two weekly shifts); Carol, next, has no chat identity.
	sched, err := f.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: f.TeamA.ID, Name: "Primary",
		Layers: []db.ScheduleLayer{{Members: []int64{f.alice.ID, f.noIDs.ID}, Length: 1, Unit: "weeks", Start: start, Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}
	schedB, err := f.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: f.TeamB.ID, Name: "Beta",
		Layers: []db.ScheduleLayer{{Members: []int64{f.contactB.ID}, Length: 1, Unit: "weeks", Start: start, Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}

	rec := alice.get(t, "/rules/new")
	if body := bodyText(rec); !strings.Contains(body, "Whoever is on call in Primary") || strings.Contains(body, "Beta") {
		t.Errorf("the rule form should offer team alpha's schedule only:\n%s", body)
	}

	form := f.ruleForm("disk")
	form.Set("schedule_id", idStr(schedB.ID))
	rec = alice.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if body := bodyText(rec); !strings.Contains(body, "The schedule with id "+idStr(schedB.ID)+" is not one of this team's") {
		t.Errorf("another team's schedule:\n%s", body)
	}

	form.Set("schedule_id", idStr(sched.ID))
	form["robot_id"] = []string{idStr(f.wecom.ID)}
	rec = alice.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	body := bodyText(alice.get(t, rec.Header().Get("Location")))
	if !strings.Contains(body, "Warning: when on call, Carol (Primary) has no WeCom userid") {
		t.Errorf("saving should warn that Carol cannot be mentioned on WeCom:\n%s", body)
	}
	rules := f.rules(t)
	if len(rules) != 1 || len(rules[0].ScheduleIDs) != 1 || rules[0].ScheduleIDs[0] != sched.ID {
		t.Fatalf("rules = %+v", rules)
	}

	form.Set("team_id", idStr(f.TeamA.ID))
	rec = alice.postForm(t, "/rules/preview", form, true)
	if body := bodyText(rec); !strings.Contains(body, "Alice (on call: Primary)") {
		t.Errorf("the preview should mention Alice as on call:\n%s", body)
	}

	rec = alice.postForm(t, "/schedules/"+idStr(sched.ID)+"/delete", url.Values{}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if body := bodyText(alice.get(t, rec.Header().Get("Location"))); !strings.Contains(body, "is still mentioned by rules: disk") {
		t.Errorf("deleting a mentioned schedule should say which rules mention it:\n%s", body)
	}
	if _, err := f.DB.ScheduleByID(ctx, db.AllTeams, sched.ID); err != nil {
		t.Errorf("a schedule a rule mentions was deleted: %v", err)
	}
}

func TestScheduleHandoffRobot(t *testing.T) {
	f := newRulesFixture(t)
	f.Clock.Freeze()
	ctx := context.Background()
	alice := f.login(t, "alice", testPassword)
	form := url.Values{"name": {"Primary"}, "layer_members": {"Alice"}, "layer_length": {"1"}, "layer_unit": {"weeks"},
		"layer_start": {"2026-01-05T09:00"}, "layer_zone": {"UTC"}, "handoff": {idStr(f.robotB.ID)}}
	rec := alice.postForm(t, "/schedules", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if body := bodyText(rec); !strings.Contains(body, "Pick one of the team's robots.") {
		t.Errorf("another team's robot:\n%s", body)
	}
	form.Set("handoff", idStr(f.wecom.ID))
	wantStatus(t, alice.postForm(t, "/schedules", form, false), http.StatusSeeOther)
	list, _ := f.DB.Schedules(ctx, db.AllTeams)
	if len(list) != 1 || list[0].HandoffRobotID != f.wecom.ID {
		t.Fatalf("schedules = %+v", list)
	}
}

func TestGroupMentionsSchedule(t *testing.T) {
	f := newRulesFixture(t)
	f.Clock.Freeze()
	ctx := context.Background()
	alice := f.login(t, "alice", testPassword)
	start := f.Clock.Now().UTC().Add(-time.Hour).Format(db.LayerStartLayout)
	sched, err := f.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: f.TeamA.ID, Name: "Primary",
		Layers: []db.ScheduleLayer{{Members: []int64{f.noIDs.ID}, Length: 1, Unit: "weeks", Start: start, Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}
	schedB, err := f.DB.CreateSchedule(ctx, db.SystemActor, db.ScheduleInput{TeamID: f.TeamB.ID, Name: "Beta",
		Layers: []db.ScheduleLayer{{Members: []int64{f.contactB.ID}, Length: 1, Unit: "weeks", Start: start, Zone: "UTC"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := "/contacts/groups/" + idStr(f.groupA.ID)
	if body := bodyText(alice.get(t, path)); !strings.Contains(body, `data-testid="group-schedules"`) || strings.Contains(body, "Beta") {
		t.Errorf("the group page should offer team alpha's schedules:\n%s", body)
	}
	rec := alice.postForm(t, path, url.Values{"name": {"renamed"}, "member_id": {idStr(f.alice.ID)},
		"schedule_id": {idStr(schedB.ID)}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if g, _ := f.DB.ContactGroupByID(ctx, db.AllTeams, f.groupA.ID); g.Name != "oncall" {
		t.Errorf("a refused schedule still saved the name: %q", g.Name)
	}
	rec = alice.postForm(t, path, url.Values{"name": {"oncall"}, "member_id": {idStr(f.alice.ID)},
		"schedule_id": {idStr(sched.ID)}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	people, err := f.DB.PeopleToMention(ctx, db.TeamScope(f.TeamA.ID), nil, []int64{f.groupA.ID})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range people {
		names = append(names, p.Name)
	}
	if strings.Join(names, ", ") != "Carol (on call: Primary), Alice" {
		t.Errorf("the group mentions %v, want its member and whoever is on call", names)
	}
}
