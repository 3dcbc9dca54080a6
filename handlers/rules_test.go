package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/pipeline"
	"alertdesk/static"
)

// recordingSender stands in for the delivery path: it prepares the message like the real
// sender and records it instead of posting it.
type recordingSender struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (r *recordingSender) Send(_ context.Context, rb notify.Robot, m notify.Message) (notify.Prepared, notify.Outcome) {
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.mu.Unlock()
	p, err := notify.Prepare(rb, m, time.Now())
	if err != nil {
		return p, notify.Outcome{Class: notify.Misconfigured, Summary: err.Error()}
	}
	return p, notify.Outcome{Class: notify.Delivered, HTTPStatus: 200, Code: "0", Summary: "Delivered in 1 ms",
		Latency: time.Millisecond, Response: `{"errcode":0,"errmsg":"ok"}`}
}

// reloadCounter stands in for the pipeline: it counts the reloads handlers ask for.
type reloadCounter struct{ n *int }

func (r reloadCounter) ReloadAsync() { *r.n++ }
func (reloadCounter) Ingest(context.Context, int64, []alerting.Alert) (pipeline.IngestResult, error) {
	return pipeline.IngestResult{}, errors.New("no intake in this test")
}

// rulesFixture adds robots and contacts to the shared test server and rebuilds its
// handler with a recording sender and a RulesChanged counter.
type rulesFixture struct {
	*testServer
	sender         *recordingSender
	changed        *int
	ding, feishu   db.Robot // team alpha; ding has keywords
	wecom          db.Robot // team alpha
	robotB         db.Robot // team beta
	alice, noIDs   db.Contact
	contactB       db.Contact
	groupA, groupB db.ContactGroup
}

func newRulesFixture(t *testing.T) *rulesFixture {
	t.Helper()
	ts := newTestServer(t)
	ctx := context.Background()
	f := &rulesFixture{testServer: ts, sender: &recordingSender{}, changed: new(int)}
	key := []byte("0123456789abcdef0123456789abcdef")
	ts.Server = handlers.New(handlers.Deps{
		DB:       ts.DB,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Static:   static.FS,
		Config:   handlers.Config{BaseURL: "http://console.test", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key},
		Delivery: delivery.New(ts.DB, f.sender, delivery.Options{BaseURL: "http://console.test"}),
		Pipeline: reloadCounter{f.changed},
	})
	robot := func(team int64, name, platform, webhook string, keywords ...string) db.Robot {
		t.Helper()
		r, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team, Name: name, Platform: platform,
			WebhookURL: webhook, WebhookHint: "hint", Keywords: keywords, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.ding = robot(ts.TeamA.ID, "ops-ding", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef", "Monitoring")
	f.feishu = robot(ts.TeamA.ID, "ops-feishu", "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/0123-4567")
	f.wecom = robot(ts.TeamA.ID, "ops-wecom", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123-4567")
	f.robotB = robot(ts.TeamB.ID, "beta-ding", "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=fedcba9876543210")
	contact := func(in db.ContactInput) db.Contact {
		t.Helper()
		c, err := ts.DB.CreateContact(ctx, db.SystemActor, in)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f.alice = contact(db.ContactInput{TeamID: ts.TeamA.ID, Name: "Alice", Mobile: "+8613800000001", FeishuOpenID: "ou_alice"})
	f.noIDs = contact(db.ContactInput{TeamID: ts.TeamA.ID, Name: "Carol", Email: "carol@example.com"})
	f.contactB = contact(db.ContactInput{TeamID: ts.TeamB.ID, Name: "Bob", Mobile: "+8613800000002"})
	var err error
	if f.groupA, err = ts.DB.CreateContactGroup(ctx, db.SystemActor, ts.TeamA.ID, "oncall", []int64{f.alice.ID}); err != nil {
		t.Fatal(err)
	}
	if f.groupB, err = ts.DB.CreateContactGroup(ctx, db.SystemActor, ts.TeamB.ID, "oncall-b", []int64{f.contactB.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

// ruleForm is a valid rule form for team alpha, as the browser posts it (with the empty
// matcher rows a no-JS form carries).
func (f *rulesFixture) ruleForm(name string) url.Values {
	return url.Values{
		"name": {name}, "description": {"nodes"}, "severity": {"critical"}, "source": {""}, "enabled": {"1"},
		"matcher_name": {"job", "", ""}, "matcher_op": {"=~", "=", "="}, "matcher_value": {"node.*", "", ""},
		"cond_metric": {""}, "cond_op": {">"}, "cond_threshold": {""}, "cond_for": {""},
		"robot_id": {idStr(f.ding.ID)}, "title_template": {""}, "body_template": {""},
		"group_by": {"alertname, instance"}, "group_wait": {"30s"}, "repeat_interval": {"4h"}, "send_resolved": {"1"},
		"qh_row": {"k1"}, "qh_days_k1": {"1", "2"}, "qh_from": {"22:00"}, "qh_to": {"06:00"}, "qh_tz": {"Asia/Shanghai"},
	}
}

func (f *rulesFixture) rules(t *testing.T) []db.Rule {
	t.Helper()
	rs, err := f.DB.Rules(context.Background(), db.AllTeams)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestRuleCreate(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	rec := alice.get(t, "/rules/new")
	wantStatus(t, rec, http.StatusOK)
	if n := strings.Count(rec.Body.String(), `data-testid="matcher-row"`); n != 3 {
		t.Errorf("new form has %d matcher rows, want 3", n)
	}
	for _, want := range []string{`id="rule-form"`, `name="robot_id" value="` + idStr(f.ding.ID) + `"`, "unverified",
		`name="contact_id"`, `name="group_id"`, `name="at_all"`, `name="qh_row"`, `hx-post="/rules/preview"`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("new form lacks %s", want)
		}
	}
	if strings.Contains(rec.Body.String(), "beta-ding") {
		t.Error("new form offers another team's robot")
	}
	rec = alice.getHTMX(t, "/rules/matcher-row")
	if n := strings.Count(rec.Body.String(), `data-testid="matcher-row"`); rec.Code != http.StatusOK || n != 1 {
		t.Errorf("matcher-row: %d, %d rows", rec.Code, n)
	}
	if rec = alice.getHTMX(t, "/rules/empty"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("empty: %d %q", rec.Code, rec.Body)
	}
	form := f.ruleForm("Nodes down")
	form["contact_id"] = []string{idStr(f.alice.ID)}
	form["group_id"] = []string{idStr(f.groupA.ID)}
	form.Set("cond_threshold", "90")
	form.Set("cond_for", "5m")
	rec = alice.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rs := f.rules(t)
	if len(rs) != 1 {
		t.Fatalf("rules = %d, want 1", len(rs))
	}
	r := rs[0]
	if loc := rec.Header().Get("Location"); loc != "/rules/"+idStr(r.ID) {
		t.Errorf("Location = %q", loc)
	}
	if r.TeamID != f.TeamA.ID || r.Severity != "critical" || !r.Enabled || len(r.Matchers) != 1 ||
		r.Matchers[0].String() != `job=~"node.*"` || len(r.RobotIDs) != 1 || r.RobotIDs[0] != f.ding.ID {
		t.Errorf("stored rule = %+v", r)
	}
	if r.Condition == nil || r.Condition.Threshold != 90 || r.Condition.For != 5*time.Minute || r.Condition.Op != ">" {
		t.Errorf("condition = %+v", r.Condition)
	}
	if len(r.QuietHours) != 1 || r.QuietHours[0].TimeZone != "Asia/Shanghai" || len(r.QuietHours[0].Days) != 2 ||
		len(r.ContactIDs) != 1 || len(r.GroupIDs) != 1 || len(r.GroupBy) != 2 || r.RepeatInterval != 4*time.Hour {
		t.Errorf("stored rule = %+v", r)
	}
	if *f.changed != 1 {
		t.Errorf("RulesChanged called %d times, want 1", *f.changed)
	}

	// The list and the edit form show it.
	rec = alice.get(t, "/rules")
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	for _, want := range []string{`data-testid="rule-row"`, "Nodes down", `job=~"node.*"`, "ops-ding (DingTalk)", "/silences"} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	rec = alice.get(t, "/rules/"+idStr(r.ID))
	wantStatus(t, rec, http.StatusOK)
	body = rec.Body.String()
	if n := strings.Count(body, `data-testid="matcher-row"`); n != 3 {
		t.Errorf("edit form has %d matcher rows, want 3 (1 stored + 2 empty)", n)
	}
	for _, want := range []string{`id="rule-form"`, `id="rule-preview"`, `value="node.*"`, `value="Asia/Shanghai"`} {
		if !strings.Contains(body, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}

	// Disable from the list with htmx: the row comes back.
	rec = alice.postForm(t, "/rules/"+idStr(r.ID)+"/enabled", url.Values{"enabled": {"0"}}, true)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `data-testid="rule-row"`) || !strings.Contains(rec.Body.String(), "disabled") {
		t.Errorf("toggle answer:\n%s", rec.Body)
	}
	if got, _ := f.DB.RuleByID(context.Background(), db.AllTeams, r.ID); got.Enabled {
		t.Error("rule still enabled")
	}

	// Clone: a disabled copy, then delete the original.
	rec = alice.postForm(t, "/rules/"+idStr(r.ID)+"/clone", nil, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rs = f.rules(t)
	if len(rs) != 2 || rs[1].Name != "Nodes down (copy)" || rs[1].Enabled || len(rs[1].Matchers) != 1 {
		t.Fatalf("after clone: %+v", rs)
	}
	if loc := rec.Header().Get("Location"); loc != "/rules/"+idStr(rs[1].ID) {
		t.Errorf("clone Location = %q", loc)
	}
	wantStatus(t, alice.postForm(t, "/rules/"+idStr(r.ID)+"/delete", nil, false), http.StatusSeeOther)
	if rs := f.rules(t); len(rs) != 1 {
		t.Errorf("after delete: %d rules", len(rs))
	}
}

func TestRuleCreateRefused(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	tests := []struct {
		name  string
		mod   func(url.Values)
		field string
		want  string
	}{
		{"invalid regex", func(v url.Values) {
			v["matcher_name"] = []string{"job", "instance"}
			v["matcher_op"] = []string{"=", "=~"}
			v["matcher_value"] = []string{"node", "db-(["}
		}, "matchers", "row 2: invalid regular expression"},
		{"bad operator", func(v url.Values) { v["matcher_op"] = []string{"~", "=", "="} }, "matchers", "row 1: operator"},
		{"bad label name", func(v url.Values) { v["matcher_name"] = []string{"job\tname", "", ""} }, "matchers", "row 1: label name"},
		{"no robot", func(v url.Values) { v.Del("robot_id") }, "robot_id", "at least one robot"},
		{"unknown robot", func(v url.Values) { v.Set("robot_id", "99999") }, "robot_id", "id 99999 is not one of this team's"},
		{"other team's robot", func(v url.Values) { v.Set("robot_id", idStr(f.robotB.ID)) }, "robot_id", "is not one of this team's"},
		{"other team's contact", func(v url.Values) { v.Set("contact_id", idStr(f.contactB.ID)) }, "contact_id", "is not one of this team's"},
		{"other team's group", func(v url.Values) { v.Set("group_id", idStr(f.groupB.ID)) }, "group_id", "is not one of this team's"},
		{"other team", func(v url.Values) { v.Set("team_id", idStr(f.TeamB.ID)) }, "team_id", "Pick one of your teams"},
		{"title template syntax", func(v url.Values) { v.Set("title_template", "{{.RuleName") }, "title_template", "line 1"},
		{"body template syntax", func(v url.Values) { v.Set("body_template", "ok\n\n{{if .Status}}") }, "body_template", "line"},
		{"body template unbounded range", func(v url.Values) { v.Set("body_template", "{{range 1000000000}}x{{end}}") }, "body_template", "range"},
		{"body template unknown field", func(v url.Values) { v.Set("body_template", "{{.RuleName}}\n{{.Nope}}") }, "body_template", "Nope"},
		{"title template unknown alert field", func(v url.Values) { v.Set("title_template", "{{range .Alerts}}{{.Instance}}{{end}}") },
			"title_template", "Instance"},
		{"bad group by", func(v url.Values) { v.Set("group_by", `alertname, in"stance`) }, "group_by", "quote inside"},
		{"repeat too short", func(v url.Values) { v.Set("repeat_interval", "10s") }, "repeat_interval", "from 1m"},
		{"repeat until ack not a duration", func(v url.Values) { v.Set("repeat_unacked", "often") }, "repeat_unacked", "duration"},
		{"bad group wait", func(v url.Values) { v.Set("group_wait", "soon") }, "group_wait", "duration"},
		{"bad time zone", func(v url.Values) { v.Set("qh_tz", "Mars/Olympus") }, "quiet_hours", "Mars/Olympus"},
		{"quiet window without days", func(v url.Values) { v.Del("qh_days_k1") }, "quiet_hours", "window 1: pick at least one day"},
		{"bad threshold", func(v url.Values) { v.Set("cond_threshold", "ninety") }, "cond_threshold", "number"},
		{"bad severity", func(v url.Values) { v.Set("severity", "fatal") }, "severity", "critical, warning or info"},
		{"missing name", func(v url.Values) { v.Set("name", "") }, "name", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := f.ruleForm("Refused " + tt.name)
			tt.mod(form)
			rec := alice.postForm(t, "/rules", form, false)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			errRe := regexp.MustCompile(`data-testid="err-` + tt.field + `"[^>]*>([^<]*)<`)
			m := errRe.FindStringSubmatch(rec.Body.String())
			if m == nil {
				t.Fatalf("no error for %s; body:\n%s", tt.field, rec.Body)
			}
			if msg := html.UnescapeString(m[1]); !strings.Contains(msg, tt.want) {
				t.Errorf("error = %q, want it to contain %q", msg, tt.want)
			}
			if !strings.Contains(bodyText(rec), `value="Refused `+tt.name+`"`) && tt.field != "name" {
				t.Errorf("the form lost the typed name")
			}
			if rs := f.rules(t); len(rs) != 0 {
				t.Fatalf("refused form stored %d rules", len(rs))
			}
		})
	}
	if *f.changed != 0 {
		t.Errorf("RulesChanged called %d times for refused forms", *f.changed)
	}
}

func TestRuleAdminTeams(t *testing.T) {
	f := newRulesFixture(t)
	admin := f.login(t, "admin", testPassword)
	// The admin picks team beta but ticks alpha's robot: refused, nothing stored.
	form := f.ruleForm("Beta rule")
	form.Set("team_id", idStr(f.TeamB.ID))
	rec := admin.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(rec.Body.String(), `data-testid="err-robot_id"`) {
		t.Errorf("no robot error; body:\n%s", rec.Body)
	}
	// The re-rendered form offers beta's robots.
	if !strings.Contains(rec.Body.String(), "beta-ding") || strings.Contains(rec.Body.String(), "ops-ding") {
		t.Errorf("objects of the wrong team offered")
	}
	if len(f.rules(t)) != 0 {
		t.Fatal("stored")
	}
	form.Set("robot_id", idStr(f.robotB.ID))
	wantStatus(t, admin.postForm(t, "/rules", form, false), http.StatusSeeOther)
	if rs := f.rules(t); len(rs) != 1 || rs[0].TeamID != f.TeamB.ID {
		t.Fatalf("rules = %+v", rs)
	}
	// The objects fragment follows the team picker.
	rec = admin.getHTMX(t, "/rules/objects?team_id="+idStr(f.TeamA.ID))
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), "ops-feishu") || strings.Contains(rec.Body.String(), "beta-ding") {
		t.Errorf("objects for alpha:\n%s", rec.Body)
	}
}

func TestRuleOtherTeamNotVisible(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	wantStatus(t, alice.postForm(t, "/rules", f.ruleForm("Alpha only"), false), http.StatusSeeOther)
	id := idStr(f.rules(t)[0].ID)

	bob := f.login(t, "bob", testPassword)
	wantStatus(t, bob.get(t, "/rules/"+id), http.StatusNotFound)
	rec := bob.get(t, "/rules")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(rec.Body.String(), "Alpha only") {
		t.Error("bob's list shows alpha's rule")
	}
	for _, path := range []string{"/rules/" + id, "/rules/" + id + "/enabled", "/rules/" + id + "/delete",
		"/rules/" + id + "/clone", "/rules/" + id + "/test"} {
		form := f.ruleForm("Hijacked")
		form.Set("robot_id", idStr(f.robotB.ID))
		wantStatus(t, bob.postForm(t, path, form, false), http.StatusNotFound)
	}
	rs := f.rules(t)
	if len(rs) != 1 || rs[0].Name != "Alpha only" || !rs[0].Enabled {
		t.Errorf("bob changed alice's rule: %+v", rs)
	}
	if len(f.sender.sent) != 0 {
		t.Errorf("bob's test sent %d messages", len(f.sender.sent))
	}

	// Auditors read it but change nothing.
	aud := f.login(t, "auditor", testPassword)
	wantStatus(t, aud.get(t, "/rules/"+id), http.StatusOK)
	wantStatus(t, aud.get(t, "/rules/new"), http.StatusForbidden)
	wantStatus(t, aud.postForm(t, "/rules/"+id+"/delete", nil, false), http.StatusForbidden)
	// And a POST without the CSRF token is refused.
	wantStatus(t, alice.postForm(t, "/rules/"+id+"/delete", url.Values{"_csrf": {"forged"}}, false), http.StatusForbidden)
	if len(f.rules(t)) != 1 {
		t.Error("rule deleted")
	}
}

func TestRulePreview(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm(`<img src=x onerror=alert(1)>`)
	form["robot_id"] = []string{idStr(f.ding.ID), idStr(f.feishu.ID), idStr(f.wecom.ID)}
	form["contact_id"] = []string{idStr(f.alice.ID), idStr(f.noIDs.ID)}
	form.Set("team_id", idStr(f.TeamA.ID))
	form.Set("title_template", `{{.RuleName}} on {{.CommonLabels.job}}`)
	rec := alice.postForm(t, "/rules/preview", form, true)
	wantStatus(t, rec, http.StatusOK)
	raw := rec.Body.String()
	if strings.Contains(raw, "<img") {
		t.Fatalf("the rule name reached the page unescaped:\n%s", raw)
	}
	body := bodyText(rec)
	for _, want := range []string{
		`data-platform="DingTalk"`, `data-platform="Feishu"`, `data-platform="WeCom"`,
		`"msgtype": "markdown"`, `"msg_type": "interactive"`, // pretty-printed request bodies
		"access_token=…", // credentials masked
		"“Monitoring” inserted into the title",
		"Carol has no WeCom userid", "Carol has no Feishu open_id or user_id",
		"@Alice (+8613800000001)",
		" on node", // the custom title template ran over the sample group
	} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if strings.Contains(raw, "0123456789abcdef") || strings.Contains(raw, "0123-4567") {
		t.Error("preview shows a webhook credential")
	}
	if len(f.rules(t)) != 0 || len(f.sender.sent) != 0 {
		t.Error("preview stored or sent something")
	}

	// A template error shows its line instead.
	form.Set("body_template", "first\n{{.Nope")
	rec = alice.postForm(t, "/rules/preview", form, true)
	wantStatus(t, rec, http.StatusOK)
	if body := bodyText(rec); !strings.Contains(body, "Body template: line 2") || strings.Contains(body, `data-testid="preview-robot"`) {
		t.Errorf("template error preview:\n%s", body)
	}
	// A template that fails while running names the line too.
	form.Set("body_template", "a\nb {{index .Alerts 99}}")
	rec = alice.postForm(t, "/rules/preview", form, true)
	if body := bodyText(rec); !strings.Contains(body, "Body template: line 2") {
		t.Errorf("runtime error preview:\n%s", body)
	}
	// Another team's robot is not rendered.
	form.Set("body_template", "")
	form["robot_id"] = []string{idStr(f.robotB.ID)}
	rec = alice.postForm(t, "/rules/preview", form, true)
	if body := bodyText(rec); !strings.Contains(body, "Not one of this team's robots") || strings.Contains(body, "beta-ding") {
		t.Errorf("foreign robot preview:\n%s", body)
	}
}

func TestRuleTestSend(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm("Disk full")
	form["robot_id"] = []string{idStr(f.ding.ID), idStr(f.wecom.ID)}
	form.Set("at_all", "1")
	wantStatus(t, alice.postForm(t, "/rules", form, false), http.StatusSeeOther)
	r := f.rules(t)[0]
	rec := alice.postForm(t, "/rules/"+idStr(r.ID)+"/test", nil, true)
	wantStatus(t, rec, http.StatusOK)
	if n := strings.Count(rec.Body.String(), `data-testid="test-outcome"`); n != 2 {
		t.Errorf("outcomes = %d, want 2; body:\n%s", n, rec.Body)
	}
	if len(f.sender.sent) != 2 {
		t.Fatalf("sent %d messages, want 2", len(f.sender.sent))
	}
	for _, m := range f.sender.sent {
		if !strings.Contains(m.Title, "[TEST]") || !strings.Contains(m.Title, "Disk full") || !m.AtAll {
			t.Errorf("sent %+v", m)
		}
	}
	hist, _, err := f.DB.AuditEvents(context.Background(), db.AuditFilter{Action: "robot.test_send"})
	if err != nil || len(hist) != 2 {
		t.Errorf("test-sends recorded = %d, %v", len(hist), err)
	}
	// The test notifications belong to the rule, so the history's rule filter finds them.
	for _, e := range hist {
		var after struct{ Notification int64 }
		if err := json.Unmarshal([]byte(e.After), &after); err != nil {
			t.Fatal(err)
		}
		n, err := f.DB.NotificationByID(context.Background(), after.Notification)
		if err != nil || n.RuleID != r.ID || n.Kind != "test" {
			t.Errorf("notification %d = rule %d kind %q (%v), want rule %d kind test", after.Notification, n.RuleID, n.Kind, err, r.ID)
		}
	}
}

func TestSilences(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	rec := alice.get(t, "/silences")
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `id="silence-form"`) {
		t.Fatal("no silence form")
	}
	for _, tt := range []struct {
		name       string
		form       url.Values
		field, msg string
	}{
		{"bad matchers", url.Values{"matchers": {`severity="critical", instance=~"db-(["`}, "duration": {"2h"}, "comment": {"db upgrade"}},
			"matchers", "invalid regular expression"},
		{"unparsable matchers", url.Values{"matchers": {`severity=="critical`}, "duration": {"2h"}, "comment": {"x"}}, "matchers", ""},
		{"matches everything", url.Values{"matchers": {`job=~".*"`}, "duration": {"2h"}, "comment": {"x"}}, "matchers", "every alert"},
		{"no comment", url.Values{"matchers": {`severity="critical"`}, "duration": {"2h"}}, "comment", "required"},
		{"no end", url.Values{"matchers": {`severity="critical"`}, "comment": {"x"}}, "ends", "duration"},
		{"bad duration", url.Values{"matchers": {`severity="critical"`}, "duration": {"soon"}, "comment": {"x"}}, "duration", "duration"},
		{"other team", url.Values{"team_id": {idStr(f.TeamB.ID)}, "matchers": {`severity="critical"`}, "duration": {"2h"}, "comment": {"x"}},
			"team_id", "your teams"},
		{"all teams by a member", url.Values{"team_id": {"all"}, "matchers": {`severity="critical"`}, "duration": {"2h"}, "comment": {"x"}},
			"team_id", "administrators"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := alice.postForm(t, "/silences", tt.form, false)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			if !strings.Contains(rec.Body.String(), `data-testid="err-`+tt.field+`"`) || !strings.Contains(bodyText(rec), tt.msg) {
				t.Errorf("no %s error with %q; body:\n%s", tt.field, tt.msg, rec.Body)
			}
		})
	}
	ctx := context.Background()
	if ss, _ := f.DB.Silences(ctx, db.AllTeams); len(ss) != 0 {
		t.Fatalf("refused silences stored: %+v", ss)
	}
	rec = alice.postForm(t, "/silences", url.Values{"matchers": {`severity="critical", instance=~"db-.*"`}, "duration": {"2h"},
		"comment": {"database upgrade"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	ss, err := f.DB.Silences(ctx, db.AllTeams)
	if err != nil || len(ss) != 1 {
		t.Fatalf("silences = %+v, %v", ss, err)
	}
	s := ss[0]
	if s.TeamID != f.TeamA.ID || len(s.Matchers) != 2 || s.Matchers[1].String() != `instance=~"db-.*"` ||
		s.EndsAt.Sub(s.StartsAt) != 2*time.Hour || s.CreatedBy != "alice" {
		t.Errorf("stored silence = %+v", s)
	}
	if active, _ := f.DB.ActiveSilences(ctx, time.Now()); len(active) != 1 {
		t.Errorf("active = %d", len(active))
	}
	rec = alice.get(t, "/silences")
	if body := bodyText(rec); !strings.Contains(body, `instance=~"db-.*"`) || !strings.Contains(body, "database upgrade") {
		t.Errorf("list lacks the silence")
	}
	// Bob cannot expire it; alice can.
	bob := f.login(t, "bob", testPassword)
	wantStatus(t, bob.postForm(t, "/silences/"+idStr(s.ID)+"/expire", nil, false), http.StatusNotFound)
	wantStatus(t, alice.postForm(t, "/silences/"+idStr(s.ID)+"/expire", nil, false), http.StatusSeeOther)
	if active, _ := f.DB.ActiveSilences(ctx, time.Now().Add(time.Second)); len(active) != 0 {
		t.Errorf("active after expire = %d", len(active))
	}
	if *f.changed != 2 {
		t.Errorf("RulesChanged called %d times, want 2", *f.changed)
	}
}

var tokenRe = regexp.MustCompile(`ad_[A-Za-z0-9_-]{32}`)

func TestAPITokensShownOnce(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/tokens", url.Values{"name": {"prometheus"}}, false)
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	plain := tokenRe.FindString(body)
	if plain == "" {
		t.Fatalf("no token shown; body:\n%s", body)
	}
	for _, want := range []string{"Authorization: Bearer " + plain, "http://console.test/api/v1/alerts",
		"webhook_configs", "url: http://console.test/api/v1/alerts/alertmanager", "credentials: " + plain} {
		if !strings.Contains(body, want) {
			t.Errorf("creation page lacks %q", want)
		}
	}
	ctx := context.Background()
	k, err := f.DB.TokenByPlain(ctx, plain)
	if err != nil || k.TeamID != f.TeamA.ID || k.Name != "prometheus" {
		t.Fatalf("stored token = %+v, %v", k, err)
	}
	rec = alice.get(t, "/tokens")
	wantStatus(t, rec, http.StatusOK)
	body = bodyText(rec)
	if strings.Contains(body, plain) || tokenRe.MatchString(body) {
		t.Error("the token is shown again")
	}
	if !strings.Contains(body, k.Hint) || !strings.Contains(body, plain[len(plain)-4:]) {
		t.Errorf("list lacks the hint %q", k.Hint)
	}
	// Members cannot make global tokens nor see the admin page.
	rec = alice.postForm(t, "/tokens", url.Values{"name": {"g"}, "team_id": {"global"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	wantStatus(t, alice.get(t, "/admin/tokens"), http.StatusForbidden)
	// Bob neither sees nor revokes it.
	bob := f.login(t, "bob", testPassword)
	if body := bodyText(bob.get(t, "/tokens")); strings.Contains(body, k.Hint) || strings.Contains(body, `data-testid="token-row"`) {
		t.Error("bob sees alice's token")
	}
	wantStatus(t, bob.postForm(t, "/tokens/"+idStr(k.ID)+"/revoke", nil, false), http.StatusNotFound)
	// The admin makes a global one and sees both on /admin/tokens.
	admin := f.login(t, "admin", testPassword)
	rec = admin.postForm(t, "/tokens", url.Values{"name": {"grafana"}, "team_id": {"global"}}, false)
	wantStatus(t, rec, http.StatusOK)
	global, err := f.DB.TokenByPlain(ctx, tokenRe.FindString(bodyText(rec)))
	if err != nil || global.TeamID != 0 {
		t.Fatalf("global token = %+v, %v", global, err)
	}
	rec = admin.get(t, "/admin/tokens")
	wantStatus(t, rec, http.StatusOK)
	if body := bodyText(rec); !strings.Contains(body, "prometheus") || !strings.Contains(body, "global") {
		t.Errorf("admin list:\n%s", body)
	}
	wantStatus(t, alice.postForm(t, "/tokens/"+idStr(k.ID)+"/revoke", nil, false), http.StatusSeeOther)
	if _, err := f.DB.TokenByPlain(ctx, plain); err == nil {
		t.Error("revoked token still accepted")
	}
}

// A label the sample alerts lack is not a template error: alerts differ in their labels,
// and a missing one renders as "".
func TestRuleTemplateWithAMissingLabelIsSaved(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm("Missing label ok")
	form.Set("body_template", `{{range .Alerts}}{{.Labels.no_such_label}} {{index .Labels "also-missing"}}{{end}}`)
	rec := alice.postForm(t, "/rules", form, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status = %d, want 303; body:\n%s", rec.Code, bodyText(rec))
	}
}

// TestDisabledRuleMayHaveNoRobot: the robot is required only of an enabled rule.
func TestDisabledRuleMayHaveNoRobot(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm("draft")
	form.Del("robot_id")
	form.Del("enabled")
	rec := alice.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rs := f.rules(t)
	if len(rs) != 1 || rs[0].Enabled || len(rs[0].RobotIDs) != 0 {
		t.Fatalf("stored rules = %+v, want one disabled rule without robots", rs)
	}
	if !strings.Contains(alice.get(t, "/rules").Body.String(), `data-testid="rule-no-robot"`) {
		t.Error("the rules list does not say the rule has no robot")
	}
}

// A group whose flush fails shows on its rule's page and on the dashboard, with why and
// when it is tried again.
func TestStuckGroupShowsOnRuleAndDashboard(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	wantStatus(t, alice.postForm(t, "/rules", f.ruleForm("Stuck rule"), false), http.StatusSeeOther)
	r := f.rules(t)[0]
	ctx := context.Background()
	now := f.DB.Now()
	err := f.DB.Intake(ctx, func(tx *db.IntakeTx) error {
		_, err := tx.JoinGroup(r.ID, "k", `{"alertname":"X"}`, []db.GroupJoin{{Fingerprint: "f", AlertID: 1, Status: "firing"}}, 0, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	groups, err := f.DB.DueGroups(ctx, now.Add(time.Hour), 10)
	if err != nil || len(groups) != 1 {
		t.Fatalf("due groups = %+v, %v", groups, err)
	}
	if err := f.DB.GroupFlushFailed(ctx, groups[0].ID, "render: the robot was deleted", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if body := bodyText(alice.get(t, "/rules/"+idStr(r.ID))); !strings.Contains(body, `data-testid="rule-problems"`) ||
		!strings.Contains(body, "the robot was deleted") {
		t.Errorf("the rule page does not show the stuck group:\n%s", body)
	}
	if body := bodyText(alice.get(t, "/")); !strings.Contains(body, `data-testid="stuck-group"`) || !strings.Contains(body, "Stuck rule") {
		t.Errorf("the dashboard does not show the stuck group:\n%s", body)
	}
}

func TestRuleRepeatUntilAcknowledged(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm("Pager")
	form.Set("repeat_unacked", "10m")
	wantStatus(t, alice.postForm(t, "/rules", form, false), http.StatusSeeOther)
	rs := f.rules(t)
	if len(rs) != 1 || rs[0].RepeatUnacked != 10*time.Minute {
		t.Fatalf("stored: %+v", rs)
	}
	rec := alice.get(t, "/rules/"+idStr(rs[0].ID))
	if !strings.Contains(rec.Body.String(), `name="repeat_unacked" value="10m"`) {
		t.Errorf("edit form does not show the option")
	}
}

// One preview request cannot make the console render without bound: the robot ids are
// de-duplicated and capped, and the robots share one size and time budget. (Seen: the
// same robot 9,000 times with a large template returned 187 MB after 29 s.)
func TestRulePreviewIsBoundedPerRequest(t *testing.T) {
	f := newRulesFixture(t)
	alice := f.login(t, "alice", testPassword)
	form := f.ruleForm("Amplified")
	ids := make([]string, 9000)
	for i := range ids {
		ids[i] = idStr(f.ding.ID)
	}
	form["robot_id"] = ids
	// As long a body as the template limit allows, a line of the sample alerts over and over.
	line := `{{range .Alerts}}{{.Labels.instance}} {{.Annotations.summary}} {{.Annotations.description}}{{end}}` + "\n"
	form.Set("body_template", strings.Repeat(line, alerting.MaxTemplateBytes/len(line)))
	rec := alice.postForm(t, "/rules/preview", form, true)
	wantStatus(t, rec, http.StatusOK)
	if n := strings.Count(rec.Body.String(), `data-testid="preview-robot"`); n != 1 {
		t.Errorf("the preview rendered %d robots for one robot named 9,000 times, want 1", n)
	}
	if size := rec.Body.Len(); size > 1<<20 {
		t.Errorf("the preview answered %d bytes, want well under 1 MiB", size)
	}
}
