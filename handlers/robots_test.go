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
			if strings.Contains(body, "abcdef0123456789") {
				t.Error("the webhook URL (a credential) was echoed back into the page")
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
	for _, path := range []string{"/robots/" + idStr(robot.ID), "/contacts/" + idStr(contact.ID)} {
		wantStatus(t, alice.postForm(t, path+"/delete", nil, false), http.StatusSeeOther)
		page := alice.get(t, path)
		wantStatus(t, page, http.StatusOK)
		if !strings.Contains(bodyText(page), `the alert rule "disk alerts"`) {
			t.Errorf("%s: the refusal does not name the rule", path)
		}
	}
	if _, err := ts.DB.RobotByID(ctx, db.AllTeams, robot.ID); err != nil {
		t.Fatalf("robot deleted while in use: %v", err)
	}
}
