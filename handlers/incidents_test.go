package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/pipeline"
)

type incidentFixture struct {
	ts     *testServer
	links  *pipeline.LinkSigner
	a, b   db.Incident
	ctx    context.Context
	events map[int64]int
}

func newIncidentFixture(t *testing.T) *incidentFixture {
	t.Helper()
	ts := newTestServer(t)
	ts.Clock.Freeze()
	links := pipeline.NewLinkSigner([]byte("0123456789abcdef0123456789abcdef"), 0)
	ts.rebuild(func(d *handlers.Deps) {
		d.Links = links
		d.Composer = pipeline.NewActionComposer(ts.DB, d.Config.BaseURL, links, ts.Clock.Now)
	})
	ctx := context.Background()
	f := &incidentFixture{ts: ts, links: links, ctx: ctx}
	mk := func(key, host string) db.Incident {
		inc, err := ts.DB.IncidentFiring(ctx, db.IncidentFiring{TeamID: ts.TeamA.ID, GroupKey: key,
			GroupLabels: map[string]string{"alertname": "DiskFull", "instance": host}, Title: "DiskFull on " + host,
			Severity: "critical", Firing: 3, News: true, ReopenWindow: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return inc
	}
	f.a, f.b = mk("g1", "db-1"), mk("g2", "db-2")
	return f
}

// unchanged fails the test when incident id changed state or got a timeline line or an
// audit entry.
func (f *incidentFixture) unchanged(t *testing.T, id int64, what string) {
	t.Helper()
	inc, err := f.ts.DB.IncidentByID(f.ctx, db.AllTeams, id)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ := f.ts.DB.IncidentEvents(f.ctx, id)
	all, _, _ := f.ts.DB.AuditEvents(f.ctx, db.AuditFilter{Action: "incident"})
	audit := 0
	for _, e := range all {
		if e.ObjectID == id {
			audit++
		}
	}
	if inc.State != db.IncidentTriggered || len(evs) != 1 || audit != 0 {
		t.Errorf("%s changed incident #%d: state %s, %d timeline lines, %d audit entries", what, id, inc.State, len(evs), audit)
	}
}

func (f *incidentFixture) link(id int64, action string, at time.Time) string {
	return pipeline.ActionPath(id, f.links.Token(id, action, at))
}

func TestChatLinkGETNeverActs(t *testing.T) {
	f := newIncidentFixture(t)
	path := f.link(f.a.ID, db.ActAck, f.ts.Clock.Now())
	anon := f.ts.anon()
	rec := anon.get(t, path)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(bodyText(rec), "Sign in to Acknowledge") {
		t.Errorf("anonymous visitor of a team without card acting is not asked to sign in:\n%s", bodyText(rec))
	}
	alice := f.ts.login(t, "alice", testPassword)
	rec = alice.get(t, path)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `data-testid="act-confirm"`) || !strings.Contains(rec.Body.String(), `data-testid="act-as">alice<`) {
		t.Errorf("no confirmation button for alice:\n%s", bodyText(rec))
	}
	f.unchanged(t, f.a.ID, "GET")
}

func TestChatLinkRefusals(t *testing.T) {
	f := newIncidentFixture(t)
	now := f.ts.Clock.Now()
	good := f.link(f.a.ID, db.ActAck, now)
	tampered := strings.Replace(good, ".ack.", ".close.", 1)
	expired := f.link(f.a.ID, db.ActAck, now.Add(-8*24*time.Hour))
	otherIncident := pipeline.ActionPath(f.b.ID, f.links.Token(f.a.ID, db.ActAck, now))
	alice := f.ts.login(t, "alice", testPassword)
	for _, tc := range []struct {
		name, path string
		status     int
		says       string
	}{
		{"tampered", tampered, http.StatusForbidden, "damaged or was not made by this console"},
		{"bad signature", good[:len(good)-2] + "xx", http.StatusForbidden, "damaged or was not made by this console"},
		{"expired", expired, http.StatusGone, "This link has expired"},
		{"other incident", otherIncident, http.StatusForbidden, "made for incident #" + idStr(f.a.ID) + ", not #" + idStr(f.b.ID)},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := alice.get(t, tc.path)
			if method == http.MethodPost {
				tok := tc.path[strings.LastIndexByte(tc.path, '/')+1:]
				r = alice.postForm(t, tc.path, url.Values{"token": {tok}}, false)
			}
			if r.Code != tc.status || !strings.Contains(bodyText(r), tc.says) || !strings.Contains(bodyText(r), "Nothing was changed") {
				t.Errorf("%s %s: status %d, want %d saying %q:\n%s", tc.name, method, r.Code, tc.status, tc.says, bodyText(r))
			}
		}
	}
	f.unchanged(t, f.a.ID, "refused links")
	f.unchanged(t, f.b.ID, "refused links")
}

func TestChatLinkCrossSitePostRefused(t *testing.T) {
	f := newIncidentFixture(t)
	path := f.link(f.a.ID, db.ActAck, f.ts.Clock.Now())
	alice := f.ts.login(t, "alice", testPassword)
	alice.header = http.Header{"Sec-Fetch-Site": {"cross-site"}}
	rec := alice.postForm(t, path, url.Values{"token": {path[strings.LastIndexByte(path, '/')+1:]}}, false)
	wantStatus(t, rec, http.StatusForbidden)
	alice.header = http.Header{"Origin": {"https://evil.example"}}
	rec = alice.postForm(t, path, url.Values{"token": {path[strings.LastIndexByte(path, '/')+1:]}}, false)
	wantStatus(t, rec, http.StatusForbidden)
	f.unchanged(t, f.a.ID, "cross-site POST")
}

func TestChatLinkAcknowledge(t *testing.T) {
	f := newIncidentFixture(t)
	f.ts.Clock.Advance(4 * time.Minute)
	path := f.link(f.a.ID, db.ActAck, f.ts.Clock.Now())
	tok := path[strings.LastIndexByte(path, '/')+1:]
	alice := f.ts.login(t, "alice", testPassword)
	alice.get(t, path)
	rec := alice.postForm(t, path, url.Values{"token": {tok}}, false)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(bodyText(rec), "alice acknowledged DiskFull on db-1 (3 alerts) after 4 min") {
		t.Errorf("done page:\n%s", bodyText(rec))
	}
	inc, _ := f.ts.DB.IncidentByID(f.ctx, db.AllTeams, f.a.ID)
	if inc.State != db.IncidentAcknowledged || inc.AckedBy != "alice" {
		t.Errorf("incident %+v", inc)
	}
	evs, _ := f.ts.DB.IncidentEvents(f.ctx, f.a.ID)
	if last := evs[len(evs)-1]; last.Kind != "ack" || last.ActorKind != "user" || !strings.Contains(last.Text, "via chat link") {
		t.Errorf("timeline: %+v", last)
	}
	audit, _, _ := f.ts.DB.AuditEvents(f.ctx, db.AuditFilter{Action: "incident.ack"})
	if len(audit) != 1 || audit[0].Actor != "alice" {
		t.Errorf("audit: %+v", audit)
	}
	// Again: refused with the reason, nothing more recorded.
	rec = alice.postForm(t, path, url.Values{"token": {tok}}, false)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(bodyText(rec), "already acknowledged by alice") {
		t.Errorf("second ack:\n%s", bodyText(rec))
	}
	// bob (team beta) may not act on alpha's incident, and is told so.
	bob := f.ts.login(t, "bob", testPassword)
	rec = bob.postForm(t, f.link(f.b.ID, db.ActAck, f.ts.Clock.Now()), url.Values{"token": {f.links.Token(f.b.ID, db.ActAck, f.ts.Clock.Now())}}, false)
	wantStatus(t, rec, http.StatusForbidden)
	if !strings.Contains(bodyText(rec), "You are signed in as bob, who may not act on this team") {
		t.Errorf("bob:\n%s", bodyText(rec))
	}
	f.unchanged(t, f.b.ID, "another team's user")
}

func TestChatLinkContactCard(t *testing.T) {
	f := newIncidentFixture(t)
	ct, err := f.ts.DB.CreateContact(f.ctx, db.SystemActor, db.ContactInput{TeamID: f.ts.TeamA.ID, Name: "Carol Oncall", Mobile: "13800000001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ts.DB.SetContactActions(f.ctx, db.SystemActor, f.ts.TeamA.ID, true); err != nil {
		t.Fatal(err)
	}
	path := f.link(f.a.ID, db.ActClaim, f.ts.Clock.Now())
	tok := path[strings.LastIndexByte(path, '/')+1:]
	anon := f.ts.anon()
	rec := anon.get(t, path)
	if !strings.Contains(bodyText(rec), "Carol Oncall") {
		t.Fatalf("no contact cards to pick:\n%s", bodyText(rec))
	}
	rec = anon.postForm(t, path, url.Values{"token": {tok}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(bodyText(rec), "Pick your card") {
		t.Errorf("no card picked:\n%s", bodyText(rec))
	}
	rec = anon.postForm(t, path, url.Values{"token": {tok}, "contact": {idStr(ct.ID)}}, false)
	wantStatus(t, rec, http.StatusOK)
	inc, _ := f.ts.DB.IncidentByID(f.ctx, db.AllTeams, f.a.ID)
	if inc.Owner != "Carol Oncall" || inc.State != db.IncidentAcknowledged {
		t.Errorf("incident %+v", inc)
	}
	evs, _ := f.ts.DB.IncidentEvents(f.ctx, f.a.ID)
	if last := evs[len(evs)-1]; last.ActorKind != "contact" || !strings.Contains(last.Text, "contact card") {
		t.Errorf("timeline: %+v", last)
	}
}

func TestIncidentPagesAndConsoleActions(t *testing.T) {
	f := newIncidentFixture(t)
	alice := f.ts.login(t, "alice", testPassword)
	rec := alice.get(t, "/incidents?state=open")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(bodyText(rec), "DiskFull on db-1") || !strings.Contains(bodyText(rec), "DiskFull on db-2") {
		t.Errorf("list:\n%s", bodyText(rec))
	}
	wantStatus(t, alice.get(t, "/incidents?state=bogus"), http.StatusBadRequest)
	rec = alice.postForm(t, "/incidents/"+idStr(f.a.ID)+"/act", url.Values{"action": {"note"}, "note": {"  "}}, false)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(bodyText(rec), "A note needs some text") {
		t.Errorf("empty note:\n%s", bodyText(rec))
	}
	wantStatus(t, alice.postForm(t, "/incidents/"+idStr(f.a.ID)+"/act", url.Values{"action": {"close"}}, false), http.StatusSeeOther)
	rec = alice.get(t, "/incidents/"+idStr(f.a.ID))
	if !strings.Contains(bodyText(rec), "Closed by alice via console") {
		t.Errorf("timeline:\n%s", bodyText(rec))
	}
	// bob cannot see alpha's incident.
	bob := f.ts.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, "/incidents/"+idStr(f.a.ID)), http.StatusNotFound)
	wantStatus(t, bob.postForm(t, "/incidents/"+idStr(f.b.ID)+"/act", url.Values{"action": {"ack"}}, false), http.StatusNotFound)
}

func TestReportsPageAndCSV(t *testing.T) {
	f := newIncidentFixture(t)
	f.ts.Clock.Advance(6 * time.Minute)
	if _, err := f.ts.DB.ActOnIncident(f.ctx, db.AllTeams, db.IncidentAction{IncidentID: f.a.ID, Action: db.ActAck,
		Actor: db.Actor{Name: "alice"}, ActorKind: "user"}); err != nil {
		t.Fatal(err)
	}
	alice := f.ts.login(t, "alice", testPassword)
	rec := alice.get(t, "/reports")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	if !strings.Contains(body, `data-testid="reports-chart"`) || !strings.Contains(body, "<rect class=\"bar-ok\"") {
		t.Errorf("no chart with bars:\n%s", body)
	}
	if !strings.Contains(bodyText(rec), "2 incidents, 1 acknowledged (MTTA 6 min)") {
		t.Errorf("totals:\n%s", bodyText(rec))
	}
	rec = alice.get(t, "/reports?from=yesterday&to=2026-01-01")
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), `data-testid="err-from"`) || !strings.Contains(rec.Body.String(), `value="yesterday"`) {
		t.Errorf("bad date not answered next to the field with the input kept:\n%s", rec.Body.String())
	}
	rec = alice.get(t, "/reports.csv")
	wantStatus(t, rec, http.StatusOK)
	csv := rec.Body.String()
	if !strings.HasPrefix(csv, "group,name,incidents,acknowledged,resolved_or_closed,mtta_seconds,mttr_seconds\n") ||
		!strings.Contains(csv, "total,all,2,1,0,360,\n") || !strings.Contains(csv, "team,alpha,2,1,0,360,\n") {
		t.Errorf("csv:\n%s", csv)
	}
}

func TestIncidentSettings(t *testing.T) {
	f := newIncidentFixture(t)
	robot, err := f.ts.DB.CreateRobot(f.ctx, db.SystemActor, db.RobotInput{TeamID: f.ts.TeamA.ID, Name: "oncall group", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	other, err := f.ts.DB.CreateRobot(f.ctx, db.SystemActor, db.RobotInput{TeamID: f.ts.TeamB.ID, Name: "beta group", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k2", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := f.ts.login(t, "alice", testPassword)
	rec := alice.get(t, "/incidents/settings")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `data-testid="actions-on"`) || strings.Contains(bodyText(rec), "beta") {
		t.Errorf("settings page:\n%s", bodyText(rec))
	}
	path := "/incidents/settings/" + idStr(f.ts.TeamA.ID)
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{url.Values{"robot_id": {idStr(robot.ID)}, "times": {"09:00, 25:00"}, "time_zone": {"Asia/Shanghai"}}, "times"},
		{url.Values{"robot_id": {idStr(robot.ID)}, "times": {"09:00"}, "time_zone": {"Mars/Olympus"}}, "time_zone"},
		{url.Values{"robot_id": {idStr(other.ID)}, "times": {"09:00"}, "time_zone": {"UTC"}}, "robot_id"},
		{url.Values{"robot_id": {idStr(robot.ID)}, "times": {""}, "time_zone": {"UTC"}}, "times"},
	} {
		rec := alice.postForm(t, path+"/summary", tc.form, false)
		wantStatus(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), `data-testid="err-`+tc.field+`"`) {
			t.Errorf("%v: no error next to %s:\n%s", tc.form, tc.field, bodyText(rec))
		}
		if tz := tc.form.Get("time_zone"); !strings.Contains(rec.Body.String(), `value="`+tz+`"`) {
			t.Errorf("%v: input not kept", tc.form)
		}
	}
	wantStatus(t, alice.postForm(t, path+"/summary", url.Values{"robot_id": {idStr(robot.ID)}, "times": {"09:00,18:00"},
		"time_zone": {"Asia/Shanghai"}}, false), http.StatusSeeOther)
	wantStatus(t, alice.postForm(t, path, url.Values{"on": {"true"}}, false), http.StatusSeeOther)
	list, _ := f.ts.DB.TeamSummaries(f.ctx)
	for _, s := range list {
		if s.TeamID == f.ts.TeamA.ID && (s.RobotID != robot.ID || strings.Join(s.Times, ",") != "09:00,18:00" || s.TimeZone != "Asia/Shanghai") {
			t.Errorf("stored: %+v", s)
		}
	}
	if on, _ := f.ts.DB.ContactActions(f.ctx, f.ts.TeamA.ID); !on {
		t.Error("contact actions not turned on")
	}
	// bob may not change alpha's settings.
	bob := f.ts.login(t, "bob", testPassword)
	wantStatus(t, bob.postForm(t, path, url.Values{"on": {"false"}}, false), http.StatusForbidden)
}

func TestSilenceFromChatLink(t *testing.T) {
	f := newIncidentFixture(t)
	path := f.link(f.a.ID, db.ActSilence4h, f.ts.Clock.Now())
	alice := f.ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, path, url.Values{"token": {path[strings.LastIndexByte(path, '/')+1:]}}, false)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(bodyText(rec), "alice silenced DiskFull on db-1 (3 alerts) for 4h") {
		t.Errorf("done page:\n%s", bodyText(rec))
	}
	list, err := f.ts.DB.Silences(f.ctx, db.AllTeams)
	if err != nil || len(list) != 1 {
		t.Fatalf("silences: %+v, %v", list, err)
	}
	s := list[0]
	if s.TeamID != f.ts.TeamA.ID || s.EndsAt.Sub(s.StartsAt) != 4*time.Hour || len(s.Matchers) != 2 ||
		s.Matchers[0].String() != `alertname="DiskFull"` || s.Matchers[1].String() != `instance="db-1"` {
		t.Errorf("silence: %+v", s)
	}
	evs, _ := f.ts.DB.IncidentEvents(f.ctx, f.a.ID)
	if last := evs[len(evs)-1]; last.Kind != "silence" || !strings.Contains(last.Text, "Silenced for 4 h by alice") {
		t.Errorf("timeline: %+v", last)
	}
	// A second tap, or a 1 h silence within the 4 h one, adds nothing and says why.
	rec = alice.postForm(t, path, url.Values{"token": {path[strings.LastIndexByte(path, '/')+1:]}}, false)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(bodyText(rec), "already silenced until") {
		t.Errorf("second tap:\n%s", bodyText(rec))
	}
	short := f.link(f.a.ID, db.ActSilence1h, f.ts.Clock.Now())
	wantStatus(t, alice.postForm(t, short, url.Values{"token": {short[strings.LastIndexByte(short, '/')+1:]}}, false), http.StatusConflict)
	for _, action := range []string{"silence.create", "incident.silence4h"} {
		if audit, _, _ := f.ts.DB.AuditEvents(f.ctx, db.AuditFilter{Action: action}); len(audit) != 1 {
			t.Errorf("audit %s: %+v", action, audit)
		}
	}
}
