package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestEscalationMentionsOnCall creates, in the browser, a schedule whose rotation is one
// contact and an escalation policy of two short steps (the second mentions whoever is on
// call), points the demo rule at it, sends an alert, lets the first step pass without an
// acknowledgement and finds the second step's message in the sandbox mentioning the
// on-call person, and both steps on the incident's timeline. ALERTDESK_ESCALATION_MIN_STEP
// allows steps of seconds, so nothing waits minutes.
func TestEscalationMentionsOnCall(t *testing.T) {
	const intakeToken = "e2e-intake-token-0123456789"
	const mobile = "+8613800000077"
	c := startConsole(t, consoleOpts{Args: []string{"-demo"},
		Env: []string{"ALERTDESK_INTAKE_TOKEN=" + intakeToken, "ALERTDESK_ESCALATION_MIN_STEP=1s"}})
	api := newClient(t, c)
	api.login("admin", c.AdminPassword)

	b := newBrowser(t, c.URL)
	b.login("admin", c.AdminPassword)
	b.visit("/contacts/new")
	b.fill("#f-team_id", "demo")
	b.fill("#f-name", "Olga Oncall")
	b.fill("#f-mobile", mobile)
	b.submit("[data-testid=contact-save]", "main")

	t.Log("a schedule: Olga on call around the clock, week by week")
	b.visit("/schedules/new")
	b.fill("#f-team_id", "demo")
	b.fill("#f-name", "Primary")
	b.fill("[data-testid=layer-members]", "Olga Oncall")
	b.fill("[data-testid=layer-zone]", "Europe/Berlin")
	start := time.Now().In(time.UTC).AddDate(0, 0, -2).Format("2006-01-02") + "T09:00"
	b.eval(fmt.Sprintf(`(() => { document.querySelector("[data-testid=layer-start]").value = %s; return ""; })()`, jsString(start)))
	b.submit("[data-testid=schedule-save]", "main")
	b.waitText("[data-testid=schedule-now-name]", "Olga Oncall")
	b.waitVisible("[data-testid=schedule-calendar]")
	b.screenshot("schedule")
	b.visit("/")
	b.waitText("[data-testid=dashboard-oncall]", "Olga Oncall")

	t.Log("a policy: after 1 s the WeCom group, after 2 s more the DingTalk group mentioning whoever is on call")
	b.visit("/escalation/new")
	b.fill("#f-team_id", "demo")
	b.submit("[data-testid=policy-team-next]", "main")
	b.fill("#f-name", "Wake the on-call")
	b.fill("[data-testid=step-after]", "1s")
	b.click("[data-testid=step-add]")
	b.waitJS(`document.querySelectorAll("[data-testid=step-row]").length === 2`, "a second step row")
	check := func(row int, label string) {
		t.Helper()
		ok := b.eval(fmt.Sprintf(`(() => {
			const r = document.querySelectorAll("[data-testid=step-row]")[%d];
			const l = [...r.querySelectorAll("label")].find(l => l.textContent.includes(%s));
			if (!l) return "";
			l.querySelector("input").click();
			return "ok";
		})()`, row, jsString(label)))
		if ok != "ok" {
			t.Fatalf("step %d has no choice %q", row+1, label)
		}
	}
	check(0, "demo WeCom group")
	check(1, "demo DingTalk group")
	check(1, "Whoever is on call in Primary")
	b.eval(`(() => { document.querySelectorAll("[data-testid=step-after]")[1].value = "2s"; return ""; })()`)
	b.submit("[data-testid=policy-save]", "main")
	b.waitText("[data-testid=policy-preview]", "Escalation step 2 of 2: to demo DingTalk group, mentioning Olga Oncall (on call: Primary)")
	b.screenshot("policy")

	t.Log("the demo rule points at the policy")
	b.visit("/rules/1")
	b.fill("[data-testid=rule-policy]", "1") // the console's first policy
	b.submit("[data-testid=rule-save]", "main")
	if r := api.get("/rules/1"); !strings.Contains(r.Body, `selected`) || !strings.Contains(r.Body, "Wake the on-call") {
		t.Fatalf("the rule did not keep its policy")
	}

	name := "DiskFull" + strings.ReplaceAll(time.Now().Format("150405.000"), ".", "")
	r := api.postJSON("/api/v1/alerts", map[string]any{"status": "firing",
		"labels": map[string]string{"alertname": name, "severity": "critical", "instance": "db-1"}}, "Authorization", "Bearer "+intakeToken)
	if r.Status/100 != 2 {
		t.Fatalf("intake: %d %s", r.Status, r.Body)
	}
	waitUntil(t, 90*time.Second, "the first step's message in the WeCom group", func() bool {
		for _, m := range acceptedMessages(t, api) {
			if m.Platform == "wecom" && strings.Contains(m.Title+m.Text, "Escalation 1: "+name) {
				return true
			}
		}
		return false
	})
	waitUntil(t, 90*time.Second, "the second step's message in the DingTalk group, mentioning Olga", func() bool {
		for _, m := range acceptedMessages(t, api) {
			if m.Platform == "dingtalk" && strings.Contains(m.Title+m.Text, "Escalation 2: "+name) {
				if !slices.Contains(m.Mentions, "mobile:"+mobile) {
					t.Fatalf("the second step's message mentions %v, want mobile:%s", m.Mentions, mobile)
				}
				return true
			}
		}
		return false
	})

	b.visit("/incidents")
	b.click("[data-testid=incident-row] a")
	b.waitText("[data-testid=timeline]", "Escalation step 1 of 2: to demo WeCom group, mentioning nobody")
	b.waitText("[data-testid=timeline]", "Escalation step 2 of 2: to demo DingTalk group, mentioning Olga Oncall (on call: Primary)")
	b.screenshot("incident-timeline")

	t.Log("the step's message in the history says whom it mentioned, as on call")
	href := b.eval(`(() => {
		const li = [...document.querySelectorAll("[data-testid=timeline] li")].find(l => l.textContent.includes("Escalation step 2 of 2"));
		const a = li && li.querySelector("a[href^='/history/']");
		return a ? a.getAttribute("href") : "";
	})()`)
	if href == "" {
		t.Fatal("the escalation step on the timeline links no message")
	}
	b.visit(href)
	b.waitText("[data-testid=history-mentioned]", "Olga Oncall (on call: Primary)")
}
