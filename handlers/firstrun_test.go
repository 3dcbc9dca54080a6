package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/db/dbtest"
	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/password"
)

// newFreshServer is the console as a first start leaves it: one administrator with a
// generated password and nothing else, links pointing at the loopback default.
func newFreshServer(t *testing.T) *testServer {
	t.Helper()
	clock := &fakeClock{}
	d := dbtest.Open(t, db.Options{Now: clock.Now})
	hash, err := password.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := d.CreateUser(context.Background(), db.SystemActor, db.NewUser{Username: "admin", DisplayName: "Administrator",
		PasswordHash: hash, Role: db.RoleAdmin, MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte("0123456789abcdef0123456789abcdef")
	ts := &testServer{DB: d, Clock: clock, Admin: admin}
	ts.deps = handlers.Deps{DB: d, Log: discardLog(), Static: staticFS(), Webhooks: notify.HostPolicy{},
		Config: handlers.Config{BaseURL: "http://127.0.0.1:8080", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key},
		Clock:  clock.Now}
	ts.Server = handlers.New(ts.deps)
	return ts
}

// On a fresh install the dashboard walks the newcomer: a checklist whose first step is the
// team, no "every robot is fine" over zero robots, a banner asking for a new password
// and a warning that chat links would be dead.
func TestFreshDashboardGuidesTheNewcomer(t *testing.T) {
	ts := newFreshServer(t)
	admin := ts.login(t, "admin", testPassword)
	rec := admin.get(t, "/")
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	for _, want := range []string{`data-testid="first-run"`, `data-testid="change-password-banner"`,
		`data-testid="base-url-warning"`, "No robots yet"} {
		if !strings.Contains(body, want) {
			t.Errorf("fresh dashboard lacks %s", want)
		}
	}
	if strings.Contains(body, "Every robot is fine.") {
		t.Error(`dashboard says "Every robot is fine." with zero robots`)
	}
	if n := strings.Count(body, `data-done="false"`); n != 6 {
		t.Errorf("%d open steps on a fresh install, want 6", n)
	}
	if !strings.Contains(body, `href="/admin/teams" data-testid="first-run-next"`) {
		t.Error("the next step of a fresh install is not the team")
	}

	// The password banner goes once the password is changed.
	rec = admin.postForm(t, "/account/password", url.Values{"current": {testPassword},
		"password": {"a much better passphrase 42"}, "password2": {"a much better passphrase 42"}}, false)
	wantStatus(t, rec, http.StatusOK)
	if body := bodyText(admin.get(t, "/")); strings.Contains(body, "change-password-banner") {
		t.Error("the banner stays after the password was changed")
	}
}

// A fresh admin creating a robot sees why a team is needed and names it in the same form;
// a refused form keeps every typed value, the webhook URL and secret included, and opens
// the collapsed section that holds an error.
func TestRobotFormCreatesTheTeamInlineAndKeepsInput(t *testing.T) {
	ts := newFreshServer(t)
	admin := ts.login(t, "admin", testPassword)
	page := bodyText(admin.get(t, "/robots/new"))
	if !strings.Contains(page, `data-testid="no-team-hint"`) || !strings.Contains(page, `name="new_team"`) {
		t.Fatal("the robot form of a console without teams neither says why nor offers a team field")
	}
	const hook = "https://oapi.dingtalk.com/robot/send?access_token=typed-by-hand-1234"
	form := url.Values{"name": {"ops"}, "platform": {"dingtalk"}, "webhook_url": {hook}, "secret": {"SECtyped"},
		"keywords": {"alert"}, "enabled": {"1"}, "per_minute": {"5000"}}
	rec := admin.postForm(t, "/robots", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := bodyText(rec)
	for _, want := range []string{`value="` + hook + `"`, `value="SECtyped"`, `data-testid="err-new_team"`,
		`data-testid="err-per_minute"`, `href="#err-new_team"`, `href="#err-per_minute"`, `data-testid="error-summary"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused robot form lacks %s", want)
		}
	}
	if !strings.Contains(body, `<details class="small" open>`) {
		t.Error("the rate-limit section holding an error stays collapsed")
	}

	form.Set("new_team", "payments")
	form.Set("per_minute", "")
	rec = admin.postForm(t, "/robots", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	robots, err := ts.DB.Robots(context.Background(), db.AllTeams)
	if err != nil || len(robots) != 1 || robots[0].TeamName != "payments" {
		t.Fatalf("robots = %+v (%v), want one in the new team payments", robots, err)
	}
	if body := bodyText(admin.get(t, "/")); strings.Count(body, `data-done="true"`) != 2 {
		t.Errorf("after team and robot, the checklist should tick two steps")
	}
}

// The token page's sample request used to send an alert no rule matched; now its labels
// satisfy a rule of the token's team, and the page names that rule.
func TestTokenSampleAlertHitsARule(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/tokens", url.Values{"team_id": {idStr(ts.TeamA.ID)}, "name": {"before"}, "scope": {"intake"}}, false)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(bodyText(rec), "No enabled rule with a robot takes this token's alerts yet") {
		t.Error("without a rule, the token page does not say the sample goes nowhere")
	}

	robot, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: ts.TeamA.ID, Name: "ops", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	ms, err := alerting.ParseMatchers(`service=~"pay(ments)?-[a-z]+", env!="", team="core"`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: "Payments down", Enabled: true,
		Severity: "critical", Matchers: ms, RobotIDs: []int64{robot.ID}}); err != nil {
		t.Fatal(err)
	}
	rec = alice.postForm(t, "/tokens", url.Values{"team_id": {idStr(ts.TeamA.ID)}, "name": {"after"}, "scope": {"intake"}}, false)
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	if !strings.Contains(body, `data-testid="token-sample-rule">This sample alert hits the rule`) || !strings.Contains(body, "Payments down") {
		t.Fatalf("token page does not name the rule the sample hits:\n%s", body)
	}
	i := strings.Index(body, "-d '")
	if i < 0 {
		t.Fatal("no sample body in the curl command")
	}
	raw := body[i+4:]
	raw = raw[:strings.Index(raw, "'")]
	var sample struct {
		Labels map[string]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(raw), &sample); err != nil {
		t.Fatalf("sample body %q: %v", raw, err)
	}
	if ok, _ := ms.Match(sample.Labels); !ok {
		t.Errorf("sample labels %v do not match the rule's matchers", sample.Labels)
	}
}

// Only the first bad matcher row and the first bad quiet-hours window were reported; now
// every one is, and the summary at the top of the form links to them.
func TestRuleFormReportsEveryBadRow(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/rules", url.Values{"team_id": {idStr(ts.TeamA.ID)}, "name": {"rows"}, "severity": {"warning"},
		"matcher_name": {"instance", "job", "env"}, "matcher_op": {"=~", "=", "=~"}, "matcher_value": {"db-(", "ok", "[z-a]"},
		"qh_row": {"a", "b"}, "qh_from": {"25:00", "08:00"}, "qh_to": {"06:00", "09:00"}, "qh_tz": {"UTC", "Mars/Olympus"},
		"qh_days_a": {"1"}, "qh_days_b": {"2"}, "group_wait": {"30s"}, "repeat_interval": {"4h"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := bodyText(rec)
	for _, want := range []string{"row 1:", "row 3:", "window 1:", "window 2:", `href="#err-matchers"`, `href="#err-quiet_hours"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused rule form lacks %q", want)
		}
	}
	if strings.Contains(body, "row 2:") {
		t.Error("the valid row 2 is reported as bad")
	}
}

// Team rename showed the browser's own bubble (required) and then a flash; now the form
// has no browser validation and a refused name comes back under its row, as typed.
func TestTeamRenameErrorInConsoleStyle(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	page := admin.get(t, "/admin/teams").Body.String()
	if strings.Contains(page, " required") || !strings.Contains(page, `novalidate data-testid="team-rename"`) {
		t.Error("the rename form still asks the browser to validate")
	}
	rec := admin.postForm(t, "/admin/teams/"+idStr(ts.TeamA.ID), url.Values{"name": {"beta"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := bodyText(rec)
	if !strings.Contains(body, `data-testid="err-rename" role="alert">A team named beta already exists.`) ||
		!strings.Contains(body, `value="beta" aria-label="Name of team alpha"`) {
		t.Errorf("refused rename lacks its error or the typed name:\n%s", body)
	}
}

// The rules list searches and filters, and shows each rule's state.
func TestRulesListSearchAndState(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for _, r := range []db.RuleInput{{TeamID: ts.TeamA.ID, Name: "Payments down", Severity: "critical"},
		{TeamID: ts.TeamA.ID, Name: "Disk full", Severity: "warning"}} {
		if _, err := ts.DB.CreateRule(ctx, db.SystemActor, r); err != nil {
			t.Fatal(err)
		}
	}
	alice := ts.login(t, "alice", testPassword)
	body := bodyText(alice.get(t, "/rules?q=payM"))
	if !strings.Contains(body, "Payments down") || strings.Contains(body, "Disk full") {
		t.Error("searching the rules for payM does not show exactly Payments down")
	}
	if !strings.Contains(body, `data-testid="rule-state"`) || !strings.Contains(body, "Last delivered: —") {
		t.Error("the rules list shows no state per rule")
	}
	if body := bodyText(alice.get(t, "/rules?q=nothing-like-this")); !strings.Contains(body, "No rule matches this search.") {
		t.Error("an empty search result says nothing")
	}
	if body := bodyText(alice.get(t, "/rules?enabled=enabled")); strings.Contains(body, "Payments down") {
		t.Error("the enabled filter shows disabled rules")
	}
}

// The robots list searches by name, team or platform and filters by status.
func TestRobotsListSearch(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	for _, r := range []db.RobotInput{
		{TeamID: ts.TeamA.ID, Name: "payments group", Platform: "wecom", WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a", WebhookHint: "…", Enabled: true},
		{TeamID: ts.TeamA.ID, Name: "infra group", Platform: "dingtalk", WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=b", WebhookHint: "…", Enabled: false},
	} {
		if _, err := ts.DB.CreateRobot(ctx, db.SystemActor, r); err != nil {
			t.Fatal(err)
		}
	}
	alice := ts.login(t, "alice", testPassword)
	if body := bodyText(alice.get(t, "/robots?q=wecom")); !strings.Contains(body, "payments group") || strings.Contains(body, "infra group") {
		t.Error("searching robots for wecom does not show exactly the WeCom robot")
	}
	if body := bodyText(alice.get(t, "/robots?status=disabled")); strings.Contains(body, "payments group") || !strings.Contains(body, "infra group") {
		t.Error("the disabled filter does not show exactly the disabled robot")
	}
}

// Bulk actions on the robots and rules lists: the ticked objects of the user's team are
// switched or deleted; another team's id and a rule without robots are refused in words.
func TestBulkActions(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	mk := func(team int64, name string) db.Robot {
		r, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team, Name: name, Platform: "wecom",
			WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + name, WebhookHint: "…", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a1, a2, b1 := mk(ts.TeamA.ID, "a1"), mk(ts.TeamA.ID, "a2"), mk(ts.TeamB.ID, "b1")
	alice := ts.login(t, "alice", testPassword)
	if body := bodyText(alice.get(t, "/robots")); !strings.Contains(body, `form="robots-bulk"`) {
		t.Fatal("the robots list has no bulk selection")
	}
	rec := alice.postForm(t, "/robots/bulk", url.Values{"action": {"disable"}, "id": {idStr(a1.ID), idStr(a2.ID), idStr(b1.ID)}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	for _, r := range []db.Robot{a1, a2} {
		if got, _ := ts.DB.RobotByID(ctx, db.AllTeams, r.ID); got.Enabled {
			t.Errorf("%s still enabled after bulk disable", r.Name)
		}
	}
	if got, _ := ts.DB.RobotByID(ctx, db.AllTeams, b1.ID); !got.Enabled {
		t.Error("bulk disable reached another team's robot")
	}
	if body := bodyText(alice.get(t, "/robots")); !strings.Contains(body, "Disabled 2 robots. Not done: robot #"+idStr(b1.ID)+" is not one of yours.") {
		t.Errorf("bulk report missing:\n%s", body)
	}

	rule, err := ts.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: "lonely", Severity: "info"})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, alice.postForm(t, "/rules/bulk", url.Values{"action": {"enable"}, "id": {idStr(rule.ID)}}, false), http.StatusSeeOther)
	if body := bodyText(alice.get(t, "/rules")); !strings.Contains(body, "lonely has no robot to send to") {
		t.Error("enabling a rule without robots in bulk is not refused in words")
	}
	wantStatus(t, alice.postForm(t, "/rules/bulk", url.Values{"action": {"delete"}, "id": {idStr(rule.ID)}}, false), http.StatusSeeOther)
	if _, err := ts.DB.RuleByID(ctx, db.AllTeams, rule.ID); err == nil {
		t.Error("bulk delete left the rule")
	}
}

// The audit log says what happened in words, field by field, with the object linked.
func TestAuditInWords(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	in := db.RuleInput{TeamID: ts.TeamA.ID, Name: "DiskFull", Severity: "warning"}
	rule, err := ts.DB.CreateRule(ctx, db.SystemActor, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Severity = "critical"
	if _, err := ts.DB.UpdateRule(ctx, db.Actor{UserID: ts.MemberA.ID, Name: "alice"}, db.AllTeams, rule.ID, in); err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, "admin", testPassword)
	body := bodyText(admin.get(t, "/audit"))
	for _, want := range []string{"changed rule", `<a href="/rules/` + idStr(rule.ID) + `"><em data-user-data>DiskFull</em></a>`,
		"<strong>severity</strong>: <span data-user-data>warning</span> → <span data-user-data>critical</span>"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit log lacks %q", want)
		}
	}
}
