package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// sandboxMessage is one entry of GET /sandbox/messages.
type sandboxMessage struct {
	Platform  string   `json:"platform"`
	Token     string   `json:"token"`
	RobotName string   `json:"robot_name"`
	Accepted  bool     `json:"accepted"`
	Title     string   `json:"title"`
	Text      string   `json:"text"`
	Mentions  []string `json:"mentions"`
}

// sandboxMessages reads what the sandbox robot with token received so far.
func sandboxMessages(t *testing.T, api *client, token string) []sandboxMessage {
	t.Helper()
	r := api.get("/sandbox/messages?token=" + url.QueryEscape(token))
	if r.Status != http.StatusOK {
		t.Fatalf("GET /sandbox/messages: %d %s", r.Status, r.Body)
	}
	var msgs []sandboxMessage
	if err := json.Unmarshal([]byte(r.Body), &msgs); err != nil {
		t.Fatalf("sandbox messages are not JSON: %v\n%s", err, r.Body)
	}
	return msgs
}

// alertMessages are the accepted messages that carry alertname and @-mention mention.
func alertMessages(msgs []sandboxMessage, alertname, mention string) []sandboxMessage {
	var out []sandboxMessage
	for _, m := range msgs {
		if m.Accepted && strings.Contains(m.Title+"\n"+m.Text, alertname) && containsString(m.Mentions, mention) {
			out = append(out, m)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkLabelled ticks the checkbox name=name whose label contains label, inside scope.
func checkLabelled(b *browser, scope, name, label string) {
	b.t.Helper()
	expr := `(() => {
		const boxes = [...document.querySelectorAll(` + jsString(scope+` input[type=checkbox][name=`+name+`]`) + `)];
		const box = boxes.find(e => e.closest("label") && e.closest("label").innerText.includes(` + jsString(label) + `));
		return box ? box.value : "";
	})()`
	var v string
	deadline := time.Now().Add(stepTimeout)
	for v = b.eval(expr); v == ""; v = b.eval(expr) {
		if time.Now().After(deadline) {
			b.fail("no %s checkbox labelled %q in %s", name, label, scope)
		}
		time.Sleep(100 * time.Millisecond)
	}
	sel := scope + ` input[name=` + name + `][value="` + v + `"]`
	if b.eval(`document.querySelector(`+jsString(sel)+`).checked ? "yes" : ""`) == "" {
		b.click(sel)
	}
	if b.eval(`document.querySelector(`+jsString(sel)+`).checked ? "yes" : ""`) == "" {
		b.fail("the %s checkbox %q did not get ticked", name, label)
	}
}

// TestRuleIntakeAndWhy: the admin builds a rule for full disks in the browser (two matchers,
// a DingTalk robot, an @-mention), previews it, gets refused for a broken regex and a broken
// template, then Alertmanager posts DiskFull: the robot's group gets the message mentioning
// the on-call, the "why" page explains which rules matched and which matcher failed, and a
// redelivery of the same body is a duplicate that sends nothing.
func TestRuleIntakeAndWhy(t *testing.T) {
	start := time.Now()
	const intakeToken = "e2e-intake-token-0123456789"
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}, Env: []string{"ALERTDESK_INTAKE_TOKEN=" + intakeToken}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)
	api := newClient(t, c)
	api.login("admin", c.AdminPassword)

	t.Log("a DingTalk group robot (signed) in the sandbox, registered in team demo and proven with test-send")
	webhook, secret := sandboxRobot(t, admin, "dingtalk", "disk group", true, "")
	hook, err := url.Parse(webhook)
	if err != nil {
		t.Fatalf("sandbox webhook %q: %v", webhook, err)
	}
	robotToken := hook.Query().Get("access_token")
	if robotToken == "" {
		t.Fatalf("sandbox DingTalk webhook %q has no access_token", webhook)
	}
	robotPath := createRobot(t, admin, "demo", "disk DingTalk", "dingtalk", webhook, secret, "")
	testSend(admin, "Delivered in")
	admin.visit(robotPath)
	admin.waitText("[data-testid=robot-status]", "verified")
	admin.screenshot("robot-verified")
	robotID := strings.TrimPrefix(robotPath, "/robots/")
	if robotID == "" || strings.Contains(robotID, "/") {
		t.Fatalf("robot page path %q is not /robots/<id>", robotPath)
	}

	t.Log("the on-call Dora, a contact of team demo reachable by mobile")
	admin.visit("/contacts/new")
	if admin.exists("#contact-form #f-team_id") {
		admin.fill("#contact-form #f-team_id", "demo")
	}
	admin.fill("#contact-form #f-name", "Dora")
	admin.fill("#contact-form #f-mobile", "13900000009")
	admin.screenshot("contact-form")
	admin.click("[data-testid=contact-save]")
	admin.waitText("#flash", "Contact Dora created.")
	admin.waitText("[data-testid=contacts-table]", "Dora")

	t.Log("a rule that does not match db hosts, so the why page has a failed matcher to explain")
	if r := api.postForm("/rules", url.Values{"team_id": {demoTeamID(t, api)}, "name": {"web disks"}, "enabled": {"1"},
		"severity": {"warning"}, "matcher_name": {"alertname", "instance"}, "matcher_op": {"=", "=~"},
		"matcher_value": {"DiskFull", "web-.*"}, "robot_id": {robotID}, "group_wait": {"0s"}, "repeat_interval": {"4h"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create rule web disks: %d, want 303\n%s", r.Status, r.Body)
	}

	t.Log("the rule form: name, two matchers (the second added with the htmx control), robot, mention, group wait")
	admin.visit("/rules/new")
	if admin.exists("#rule-form select#f-team_id") {
		admin.fill("#rule-form #f-team_id", "demo")
	}
	checkLabelled(admin, "#rule-objects", "robot_id", "disk DingTalk")
	checkLabelled(admin, "#rule-objects", "contact_id", "Dora")
	admin.fill("#rule-form #f-name", "disk alerts")
	admin.fill("#rule-form #f-severity", "critical")
	const rows = "#matcher-rows [data-testid=matcher-row]"
	admin.fill(rows+":nth-child(1) input[name=matcher_name]", "alertname")
	admin.fill(rows+":nth-child(1) select[name=matcher_op]", "=")
	admin.fill(rows+":nth-child(1) input[name=matcher_value]", "DiskFull")
	before := admin.evalInt(`document.querySelectorAll(` + jsString(rows) + `).length`)
	admin.click("[data-testid=matcher-add]")
	admin.waitJS(`document.querySelectorAll(`+jsString(rows)+`).length === `+strconv.Itoa(before+1), "a new matcher row after Add matcher")
	last := rows + ":last-child"
	admin.fill(last+" input[name=matcher_name]", "instance")
	admin.fill(last+" select[name=matcher_op]", "=~")
	admin.fill(last+" input[name=matcher_value]", "db-.*")
	admin.fill("#rule-form #f-group_wait", "0s")
	admin.screenshot("rule-form")

	t.Log("Preview: the DingTalk request as it would be sent, @-mentioning Dora's mobile")
	// #rule-preview is empty (so invisible) until the first preview: mark it and wait for the swap.
	admin.eval(`(() => { document.querySelector("#rule-preview").dataset.e2eStale = "1"; return ""; })()`)
	admin.click("[data-testid=rule-preview-button]")
	admin.waitJS(`(() => { const e = document.querySelector("#rule-preview"); return !!e && !e.dataset.e2eStale; })()`, "the preview swapped in")
	// The preview shows the chat look-alike; the exact request is behind its Raw tab.
	admin.waitText("#rule-preview [data-testid=chat-body]", "disk alerts")
	admin.click("#rule-preview details.chat-raw summary")
	req := admin.waitText("#rule-preview [data-testid=preview-request]", "@13900000009")
	if !strings.Contains(req, `"atMobiles"`) || !strings.Contains(req, "disk alerts") {
		t.Errorf("preview request lacks atMobiles or the rule name:\n%s", req)
	}
	if !strings.Contains(req, "DiskFull") {
		// The preview's sample group takes its labels from the rule's equality matchers.
		t.Errorf("preview request does not show the rule's alert name DiskFull:\n%s", req)
	}
	admin.waitText("#rule-preview [data-testid=preview-robot]", "Dora")
	admin.screenshot("rule-preview")

	t.Log("bad input 1: a regex that does not compile is refused next to the matchers, as typed")
	admin.fill(last+" input[name=matcher_value]", "db-(")
	admin.click("[data-testid=rule-save]")
	msg := admin.waitText("[data-testid=err-matchers]", "row")
	if !strings.Contains(msg, "row 4") {
		t.Errorf("regex error %q does not name row 4", msg)
	}
	if got := admin.value(rows + ":nth-child(4) input[name=matcher_value]"); got != "db-(" {
		t.Errorf("after the error, matcher row 4 holds %q, want the typed db-(", got)
	}
	if admin.eval(`document.querySelector("[data-testid=matchers] #err-matchers") ? "yes" : ""`) != "yes" {
		t.Error("the regex error is not inside the matchers fieldset")
	}
	if admin.eval(`[...document.querySelectorAll("#rule-objects input[name=contact_id]")].some(e => e.checked) ? "yes" : ""`) != "yes" {
		t.Error("after the error, Dora is no longer ticked")
	}
	admin.screenshot("bad-regex")

	t.Log("bad input 2: a title template that does not parse is refused under the template field")
	admin.fill(rows+":nth-child(4) input[name=matcher_value]", "db-.*")
	admin.fill("#rule-form #f-title_template", "{{ .Nope ")
	admin.click("[data-testid=rule-save]")
	admin.waitVisible("[data-testid=err-title_template]")
	terr := admin.textOf("[data-testid=err-title_template]")
	if !strings.Contains(terr, "line 1") {
		t.Errorf("template error %q does not say where (line 1)", terr)
	}
	t.Logf("refused: %q / %q", msg, terr)
	if admin.exists("[data-testid=err-matchers]") {
		t.Errorf("the fixed regex still shows an error: %q", admin.textOf("[data-testid=err-matchers]"))
	}
	if admin.eval(`document.querySelector("#f-title_template").closest(".field").querySelector("#err-title_template") ? "yes" : ""`) != "yes" {
		t.Error("the template error is not next to the title template field")
	}
	admin.screenshot("bad-template")
	if r := api.get("/rules"); strings.Count(r.Body, `data-testid="rule-row"`) != 2 {
		t.Fatalf("after two refused saves /rules has %d rules, want 2 (demo, web disks)", strings.Count(r.Body, `data-testid="rule-row"`))
	}

	t.Log("fixed: the rule is saved")
	admin.fill("#rule-form #f-title_template", "")
	admin.click("[data-testid=rule-save]")
	admin.waitText("#flash", "Rule disk alerts saved.")
	admin.visit("/rules")
	row := admin.waitText(`[data-testid=rule-row][data-rule="disk alerts"]`, "disk DingTalk")
	if !strings.Contains(row, `alertname="DiskFull"`) || !strings.Contains(row, `instance=~"db-.*"`) {
		t.Errorf("rules list row for disk alerts = %q, want both matchers", row)
	}
	admin.screenshot("rules-list")

	t.Log("Alertmanager posts DiskFull with the bearer token")
	body, err := os.ReadFile(filepath.Join("..", "alerting", "testdata", "alertmanager-webhook.json"))
	if err != nil {
		t.Fatal(err)
	}
	auth := []string{"Authorization", "Bearer " + intakeToken}
	in := newClient(t, c) // curl: no session
	r := in.postJSON("/api/v1/alerts/alertmanager", body, auth...)
	if r.Status != http.StatusAccepted {
		t.Fatalf("POST alertmanager webhook: %d %s, want 202", r.Status, r.Body)
	}
	var acc struct{ Alerts, Stored, Duplicates int }
	if err := json.Unmarshal([]byte(r.Body), &acc); err != nil || acc.Alerts != 1 || acc.Stored != 1 || acc.Duplicates != 0 {
		t.Fatalf("first delivery answer %s (err %v), want 1 alert stored, 0 duplicates", r.Body, err)
	}

	t.Log("the DingTalk group receives DiskFull, @-mentioning Dora")
	var got []sandboxMessage
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = alertMessages(sandboxMessages(t, api, robotToken), "DiskFull", "mobile:13900000009")
		if len(got) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if len(got) == 0 {
		t.Fatalf("no DiskFull message mentioning mobile:13900000009 reached sandbox robot disk group within 30s; it has: %+v",
			sandboxMessages(t, api, robotToken))
	}
	t.Logf("sandbox got %q with mentions %v", got[0].Title, got[0].Mentions)
	admin.visit("/sandbox")
	admin.screenshot("sandbox")

	t.Log("the why page: disk alerts and the demo rule matched, web disks says which matcher failed")
	admin.visit("/alerts")
	admin.waitText("[data-testid=alerts-results]", "DiskFull")
	admin.screenshot("alerts")
	admin.click(`[data-testid=alert-row] a`)
	admin.waitJS(`/^\/alerts\/\d+$/.test(location.pathname) && document.readyState === "complete"`, "the why page")
	whyPath := strings.TrimPrefix(admin.location(), c.URL)
	admin.waitText("h1", "DiskFull")
	if h := admin.textOf("[data-testid=alert-detail] h2"); !strings.Contains(h, "The alert firing") || strings.Contains(h, "@") {
		t.Errorf("the alert card's heading reads %q, want \"The alert firing\" with the status badge", h)
	}
	disk := admin.waitText(`[data-testid=rule-verdict][data-rule="disk alerts"]`, "matched")
	if !strings.Contains(disk, "All matchers matched") || strings.Contains(disk, "not matched") {
		t.Errorf("verdict of disk alerts = %q, want it matched with all matchers", disk)
	}
	demo := admin.textOf(`[data-testid=rule-verdict][data-rule="demo: critical and warning alerts"]`)
	if !strings.Contains(demo, "All matchers matched") || strings.Contains(demo, "not matched") {
		t.Errorf("verdict of the demo rule = %q, want it matched", demo)
	}
	web := admin.textOf(`[data-testid=rule-verdict][data-rule="web disks"]`)
	if !strings.Contains(web, "not matched") || !strings.Contains(web, `instance=~"web-.*" failed`) || !strings.Contains(web, `"db-1:9100"`) {
		t.Errorf("verdict of web disks = %q, want not matched naming the failed instance matcher and the label's value", web)
	}
	wantState := "delivered"
	if len(got) == 0 {
		wantState = "queued"
	}
	var note string
	waitUntil := time.Now().Add(15 * time.Second)
	for {
		admin.visit(whyPath)
		note = admin.eval(`(() => {
			const r = [...document.querySelectorAll("[data-testid=why-notifications] [data-testid=why-notification]")]
				.find(r => r.innerText.includes("disk DingTalk"));
			return r ? r.innerText : "";
		})()`)
		if strings.Contains(note, wantState) || time.Now().After(waitUntil) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if !strings.Contains(note, wantState) {
		t.Errorf("why-notifications row of disk DingTalk = %q, want state %s", note, wantState)
	}
	admin.screenshot("why")
	countMine := func() int {
		return admin.evalInt(`[...document.querySelectorAll("[data-testid=why-notifications] [data-testid=why-notification]")]
			.filter(r => r.innerText.includes("disk DingTalk")).length`)
	}
	if n := countMine(); n != 1 {
		t.Errorf("the why page lists %d notifications for disk DingTalk, want 1", n)
	}

	t.Log("Alertmanager redelivers the same body: a duplicate, and nothing more is sent")
	r = in.postJSON("/api/v1/alerts/alertmanager", body, auth...)
	if r.Status != http.StatusAccepted {
		t.Fatalf("redelivery: %d %s, want 202", r.Status, r.Body)
	}
	if err := json.Unmarshal([]byte(r.Body), &acc); err != nil || acc.Duplicates != 1 || acc.Stored != 0 {
		t.Errorf("redelivery answer %s (err %v), want duplicates 1 and nothing stored", r.Body, err)
	}
	time.Sleep(4 * time.Second)
	if again := alertMessages(sandboxMessages(t, api, robotToken), "DiskFull", "mobile:13900000009"); len(again) != len(got) {
		t.Errorf("after the redelivery the sandbox robot has %d DiskFull messages, want %d", len(again), len(got))
	}
	admin.visit(whyPath)
	admin.waitVisible("[data-testid=why-notifications]")
	if n := countMine(); n != 1 {
		t.Errorf("after the redelivery the why page lists %d notifications for disk DingTalk, want 1", n)
	}
	admin.visit("/alerts")
	if n := admin.evalInt(`[...document.querySelectorAll("[data-testid=alert-row]")].filter(r => r.innerText.includes("DiskFull")).length`); n != 1 {
		t.Errorf("/alerts lists DiskFull %d times after the redelivery, want once", n)
	}
	t.Logf("TestRuleIntakeAndWhy took %s", time.Since(start).Round(time.Millisecond))
}

// demoTeamID reads team demo's id from the new-rule form (its team picker or hidden field).
func demoTeamID(t *testing.T, api *client) string {
	t.Helper()
	r := api.get("/rules/new")
	m := regexp.MustCompile(`<option value="(\d+)"[^>]*>demo</option>`).FindStringSubmatch(r.Body)
	if m == nil {
		m = regexp.MustCompile(`name="team_id" value="(\d+)"`).FindStringSubmatch(r.Body)
	}
	if m == nil {
		t.Fatalf("no team demo on /rules/new:\n%s", r.Body)
	}
	return m[1]
}
