package handlers_test

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/static"
)

func robotForm(team int64, name, platform, webhook, secret, keywords string) url.Values {
	return url.Values{"team_id": {idStr(team)}, "name": {name}, "platform": {platform}, "webhook_url": {webhook},
		"secret": {secret}, "keywords": {keywords}, "enabled": {"1"}}
}

// withWebhooks gives the test server a webhook host policy (the default one allows only
// the platforms' official hosts).
func withWebhooks(ts *testServer, extra ...string) {
	key := []byte("0123456789abcdef0123456789abcdef")
	ts.Server = handlers.New(handlers.Deps{DB: ts.DB, Log: discardLog(), Static: staticFS(),
		Webhooks: notify.HostPolicy{ExtraHosts: extra},
		Config:   handlers.Config{BaseURL: "http://console.test", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key}})
}

func TestRobotFormRefusesBadInputAndStoresNothing(t *testing.T) {
	ts := newTestServer(t)
	withWebhooks(ts)
	alice := ts.login(t, "alice", testPassword)
	const ding = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
	tests := []struct {
		name  string
		form  url.Values
		field string
		want  string
	}{
		{"wrong-platform URL", robotForm(ts.TeamA.ID, "r", "dingtalk", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "", ""), "webhook_url", "WeCom webhook URL"},
		{"malformed URL", robotForm(ts.TeamA.ID, "r", "dingtalk", "https://oapi.dingtalk.com:abc/robot", "", ""), "webhook_url", "dingtalk"},
		{"bare token", robotForm(ts.TeamA.ID, "r", "dingtalk", "abcdef0123456789", "", ""), "webhook_url", "not only the token"},
		{"loopback", robotForm(ts.TeamA.ID, "r", "dingtalk", "http://127.0.0.1:8080/robot/send?access_token=x", "", ""), "webhook_url", "https://oapi.dingtalk.com"},
		{"metadata address", robotForm(ts.TeamA.ID, "r", "wecom", "http://169.254.169.254/cgi-bin/webhook/send?key=x", "", ""), "webhook_url", "qyapi.weixin.qq.com"},
		{"private network", robotForm(ts.TeamA.ID, "r", "feishu", "https://10.1.2.3/open-apis/bot/v2/hook/x", "", ""), "webhook_url", "open.feishu.cn"},
		{"empty name", robotForm(ts.TeamA.ID, "", "dingtalk", ding, "", ""), "name", "required"},
		{"11 keywords", robotForm(ts.TeamA.ID, "r", "dingtalk", ding, "", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk"), "keywords", "At most 10 keywords"},
		{"10 KB secret", robotForm(ts.TeamA.ID, "r", "dingtalk", ding, "SEC"+strings.Repeat("a", 10<<10), ""), "secret", "too long"},
		{"DingTalk secret without SEC", robotForm(ts.TeamA.ID, "r", "dingtalk", ding, "abc", ""), "secret", "starts with SEC"},
		{"WeCom has no secret", robotForm(ts.TeamA.ID, "r", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "SECx", ""), "secret", "no signing secret"},
		{"unknown platform", robotForm(ts.TeamA.ID, "r", "slack", ding, "", ""), "platform", "Pick DingTalk"},
		{"another team's id", robotForm(ts.TeamB.ID, "r", "dingtalk", ding, "", ""), "team_id", "your teams"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := alice.postForm(t, "/robots", tc.form, false)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			body := bodyText(rec)
			if !strings.Contains(body, `data-testid="err-`+tc.field+`"`) {
				t.Fatalf("no error next to field %s", tc.field)
			}
			if !strings.Contains(strings.ToLower(body), strings.ToLower(tc.want)) {
				t.Errorf("body lacks %q", tc.want)
			}
			// Nothing typed is lost: the user's own webhook URL and secret of this very
			// request come back in the form (issue 13); stored credentials never do.
			if w := tc.form.Get("webhook_url"); !strings.Contains(body, `value="`+w+`"`) {
				t.Errorf("the typed webhook URL %q is not kept in the form", w)
			}
			if sec := tc.form.Get("secret"); sec != "" && !strings.Contains(body, `value="`+sec+`"`) {
				t.Errorf("the typed secret is not kept in the form")
			}
		})
	}
	robots, err := ts.DB.Robots(context.Background(), db.AllTeams)
	if err != nil || len(robots) != 0 {
		t.Fatalf("robots stored from refused forms: %d (%v)", len(robots), err)
	}
}

func TestRobotCreateMasksCredentialsAndIsTeamScoped(t *testing.T) {
	ts := newTestServer(t)
	withWebhooks(ts)
	alice := ts.login(t, "alice", testPassword)
	const hook = "https://oapi.dingtalk.com/robot/send?access_token=tok-secret-value-9f3a"
	const secret = "SECsupersecretsigningkey1234"
	rec := alice.postForm(t, "/robots", robotForm(ts.TeamA.ID, "pay group", "dingtalk", hook, secret, "Microservice Online Monitoring"), false)
	wantStatus(t, rec, http.StatusSeeOther)
	robots, _ := ts.DB.Robots(context.Background(), db.AllTeams)
	if len(robots) != 1 || robots[0].WebhookURL != hook || robots[0].Secret != secret || robots[0].Status != db.RobotUnverified {
		t.Fatalf("stored robot = %+v", robots)
	}
	page := alice.get(t, "/robots/"+idStr(robots[0].ID))
	wantStatus(t, page, http.StatusOK)
	for _, leak := range []string{"tok-secret-value", "supersecret"} {
		if strings.Contains(page.Body.String(), leak) {
			t.Errorf("robot page shows %q", leak)
		}
	}
	if !strings.Contains(page.Body.String(), "9f3a") {
		t.Error("robot page does not show the masked hint")
	}
	events, _, _ := ts.DB.AuditEvents(context.Background(), db.AuditFilter{Action: "robot", Limit: 10})
	for _, e := range events {
		if strings.Contains(e.Before+e.After, "tok-secret-value") || strings.Contains(e.Before+e.After, "supersecret") {
			t.Errorf("audit event %s contains a credential", e.Action)
		}
	}
	bob := ts.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, "/robots/"+idStr(robots[0].ID)), http.StatusNotFound)
	wantStatus(t, bob.postForm(t, "/robots/"+idStr(robots[0].ID)+"/test", nil, true), http.StatusNotFound)
	wantStatus(t, bob.postForm(t, "/robots/"+idStr(robots[0].ID)+"/delete", nil, false), http.StatusNotFound)
	if list := bob.get(t, "/robots"); strings.Contains(list.Body.String(), "pay group") {
		t.Error("bob's robot list shows team alpha's robot")
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func staticFS() fs.FS { return static.FS }

func TestDeletingARobotOrContactInUseNamesTheRules(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	robot, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: ts.TeamA.ID, Name: "r", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	contact, err := ts.DB.CreateContact(ctx, db.SystemActor, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Dora", Mobile: "13900000009"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: "disk alerts", Enabled: true,
		Severity: "critical", GroupWait: time.Second, RepeatInterval: time.Hour, RobotIDs: []int64{robot.ID},
		ContactIDs: []int64{contact.ID}}); err != nil {
		t.Fatal(err)
	}
	alice := ts.login(t, "alice", testPassword)
	// The robot page itself offers the removal in its delete box.
	page := alice.get(t, "/robots/"+idStr(robot.ID))
	if !strings.Contains(page.Body.String(), `data-testid="robot-used-by"`) || !strings.Contains(bodyText(page), "Remove from this rule and delete") {
		t.Errorf("the robot page does not offer to remove the robot from its rule:\n%s", page.Body)
	}
	// A delete without the rules (an old form) is refused with the page listing them.
	rec := alice.postForm(t, "/robots/"+idStr(robot.ID)+"/delete", nil, false)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(bodyText(rec), `this robot is still a notification object of the alert rule "disk alerts"`) ||
		!strings.Contains(rec.Body.String(), `name="rule_id" value="`+idStr(robot.ID)) {
		t.Errorf("the refusal does not name the rule and offer it:\n%s", rec.Body)
	}
	wantStatus(t, alice.postForm(t, "/contacts/"+idStr(contact.ID)+"/delete", nil, false), http.StatusSeeOther)
	if !strings.Contains(bodyText(alice.get(t, "/contacts/"+idStr(contact.ID))), `the alert rule "disk alerts"`) {
		t.Error("the contact's refusal does not name the rule")
	}
	if _, err := ts.DB.RobotByID(ctx, db.AllTeams, robot.ID); err != nil {
		t.Fatalf("robot deleted while in use: %v", err)
	}
}

func TestDeletingARobotRemovesItFromItsRulesInOneStep(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	mk := func(name string) db.Robot {
		r, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: ts.TeamA.ID, Name: name, Platform: "wecom",
			WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + name, WebhookHint: name, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ding, spare := mk("ops-ding"), mk("spare")
	rule := func(name string, robots ...int64) db.Rule {
		r, err := ts.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: name, Enabled: true,
			Severity: "critical", GroupWait: time.Second, RepeatInterval: time.Hour, RobotIDs: robots})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	only, shared := rule("only ding", ding.ID), rule("shared", ding.ID, spare.ID)
	// Its delivery history: a test-send recorded for the robot.
	nid, err := ts.DB.RecordTestSend(ctx, db.SystemActor, db.TestSend{Robot: ding, Title: "hello", Body: "hi",
		Attempt: db.Attempt{Outcome: db.OutcomeDelivered, HTTPStatus: 200, Summary: "Delivered"}})
	if err != nil {
		t.Fatal(err)
	}

	alice := ts.login(t, "alice", testPassword)
	// Confirmed for one rule only while two use it: nothing happens.
	rec := alice.postForm(t, "/robots/"+idStr(ding.ID)+"/delete", url.Values{"rule_id": {idStr(only.ID)}}, false)
	wantStatus(t, rec, http.StatusConflict)
	if !strings.Contains(bodyText(rec), "the rules that send to this robot have changed") {
		t.Errorf("a stale confirmation is not explained:\n%s", rec.Body)
	}
	if _, err := ts.DB.RobotByID(ctx, db.AllTeams, ding.ID); err != nil {
		t.Fatalf("robot deleted on a stale confirmation: %v", err)
	}
	wantStatus(t, alice.postForm(t, "/robots/"+idStr(ding.ID)+"/delete", url.Values{"rule_id": {"x"}}, false), http.StatusBadRequest)

	rec = alice.postForm(t, "/robots/"+idStr(ding.ID)+"/delete",
		url.Values{"rule_id": {idStr(only.ID), idStr(shared.ID)}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	list := alice.get(t, rec.Header().Get("Location"))
	if !strings.Contains(bodyText(list), `Robot ops-ding removed from the alert rules "only ding", "shared" and deleted`) ||
		!strings.Contains(bodyText(list), `Disabled, having no robot left: the alert rule "only ding"`) {
		t.Errorf("the flash does not say what happened:\n%s", list.Body)
	}
	if strings.Contains(list.Body.String(), `data-robot="ops-ding"`) {
		t.Error("the deleted robot is still listed")
	}
	gotOnly, err := ts.DB.RuleByID(ctx, db.AllTeams, only.ID)
	if err != nil || gotOnly.Enabled || len(gotOnly.RobotIDs) != 0 {
		t.Errorf("rule left without robots = %+v (%v), want disabled with none", gotOnly, err)
	}
	gotShared, err := ts.DB.RuleByID(ctx, db.AllTeams, shared.ID)
	if err != nil || !gotShared.Enabled || len(gotShared.RobotIDs) != 1 || gotShared.RobotIDs[0] != spare.ID {
		t.Errorf("shared rule = %+v (%v), want enabled with the spare robot only", gotShared, err)
	}
	events, _, _ := ts.DB.AuditEvents(ctx, db.AuditFilter{Action: "rule.update", Limit: 10})
	if len(events) != 2 {
		t.Errorf("%d rule.update audit events, want one per rule", len(events))
	}

	// The history keeps naming it, the old link still opens, and its filter still works.
	detail := alice.get(t, "/history/"+idStr(nid))
	wantStatus(t, detail, http.StatusOK)
	if !strings.Contains(bodyText(detail), "ops-ding (deleted)") {
		t.Errorf("the notification of the deleted robot does not name it:\n%s", detail.Body)
	}
	hist := alice.get(t, "/history?robot="+idStr(ding.ID))
	wantStatus(t, hist, http.StatusOK)
	if strings.Count(hist.Body.String(), `data-testid="history-row"`) != 1 || !strings.Contains(bodyText(hist), "ops-ding (deleted)") {
		t.Errorf("the history filter on the deleted robot does not find its row:\n%s", hist.Body)
	}
	if !strings.Contains(bodyText(hist), "ops-ding (deleted)</option>") {
		t.Error("the history's robot filter does not offer the deleted robot")
	}

	// Its name is free and its id is not reused: a new robot of the same name is another
	// robot, and the old link still names the deleted one.
	again := mk("ops-ding")
	if again.ID <= spare.ID || again.ID == ding.ID {
		t.Errorf("new robot got id %d (deleted one %d, newest before %d)", again.ID, ding.ID, spare.ID)
	}
	if !strings.Contains(bodyText(alice.get(t, "/history/"+idStr(nid))), "ops-ding (deleted)") {
		t.Error("after a new robot of the same name, the old notification no longer says it was sent by the deleted one")
	}
}

func TestEnablingARuleWithoutRobotIsRefusedInWords(t *testing.T) {
	ts := newTestServer(t)
	r, err := ts.DB.CreateRule(context.Background(), db.SystemActor, db.RuleInput{TeamID: ts.TeamA.ID, Name: "draft",
		Severity: "warning", GroupWait: time.Second, RepeatInterval: time.Hour})
	if err != nil {
		t.Fatalf("a disabled rule without robots: %v", err)
	}
	alice := ts.login(t, "alice", testPassword)
	alice.get(t, "/rules")
	rec := alice.postForm(t, "/rules/"+idStr(r.ID)+"/enabled", url.Values{"enabled": {"1"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(bodyText(rec), "This rule has no robot") {
		t.Errorf("refusal not in words:\n%s", rec.Body)
	}
}

func TestDegradedRobotShownOnListAndDashboard(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	robot, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: ts.TeamA.ID, Name: "flaky", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	alice := ts.login(t, "alice", testPassword)
	send := func(outcome string, status int) {
		t.Helper()
		if _, err := ts.DB.RecordTestSend(ctx, db.SystemActor, db.TestSend{Robot: robot, Title: "t", Body: "b",
			Attempt: db.Attempt{Outcome: outcome, HTTPStatus: status, Summary: "answered " + outcome}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range db.DegradedAfter {
		if strings.Contains(alice.get(t, "/robots").Body.String(), `data-testid="robot-degraded"`) {
			t.Fatalf("degraded after %d failures", i)
		}
		send(db.OutcomeRetry, 503)
	}
	for _, path := range []string{"/robots", "/", "/robots/" + idStr(robot.ID)} {
		page := alice.get(t, path)
		wantStatus(t, page, http.StatusOK)
		if !strings.Contains(page.Body.String(), `data-testid="robot-degraded"`) {
			t.Errorf("%s does not show the degraded robot:\n%s", path, page.Body)
		}
	}
	send(db.OutcomeDelivered, 200)
	for _, path := range []string{"/robots", "/"} {
		if strings.Contains(alice.get(t, path).Body.String(), `data-testid="robot-degraded"`) {
			t.Errorf("%s still shows the robot degraded after a delivery", path)
		}
	}
}
