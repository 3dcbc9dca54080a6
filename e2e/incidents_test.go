package e2e

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"alertdesk/notify/sandbox"
)

// TestAcknowledgeFromChat receives an alert message in the sandbox, follows its
// Acknowledge link on a phone-sized screen, confirms, and finds the incident acknowledged,
// the follow-up message in the sandbox, and the action in the timeline and audit log.
func TestAcknowledgeFromChat(t *testing.T) {
	const intakeToken = "e2e-intake-token-0123456789"
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}, BaseHost: "localhost",
		Env: []string{"ALERTDESK_INTAKE_TOKEN=" + intakeToken}})
	_, port, _ := net.SplitHostPort(c.Addr)
	linkBase := "http://localhost:" + port
	api := newClient(t, c)
	api.login("admin", c.AdminPassword)

	name := "DiskFull" + strings.ReplaceAll(time.Now().Format("150405.000"), ".", "")
	r := api.postJSON("/api/v1/alerts", map[string]any{"status": "firing",
		"labels":      map[string]string{"alertname": name, "severity": "critical", "instance": "db-1"},
		"annotations": map[string]string{"summary": "disk almost full"}}, "Authorization", "Bearer "+intakeToken)
	if r.Status/100 != 2 {
		t.Fatalf("intake: %d %s", r.Status, r.Body)
	}

	t.Log("the DingTalk group receives an actionCard whose buttons are signed links; WeCom gets them as markdown links")
	var ackURL string
	waitUntil(t, 60*time.Second, "the alert message in the sandbox", func() bool {
		for _, m := range acceptedMessages(t, api) {
			if m.Platform == "dingtalk" && strings.Contains(m.Title+m.Text, name) {
				for _, b := range m.Buttons {
					if b.Label == "Acknowledge" {
						ackURL = b.URL
					}
				}
				return ackURL != ""
			}
		}
		return false
	})
	weComLink := regexp.MustCompile(`\[Acknowledge\]\(http://localhost:\d+/act/\d+/[^)]+\)`)
	waitUntil(t, 60*time.Second, "the WeCom message with action links", func() bool {
		for _, m := range acceptedMessages(t, api) {
			if m.Platform == "wecom" && strings.Contains(m.Text, name) && weComLink.MatchString(m.Text) {
				return true
			}
		}
		return false
	})
	if !strings.HasPrefix(ackURL, linkBase+"/act/") {
		t.Fatalf("ack link %q does not point at ALERTDESK_BASE_URL %s", ackURL, linkBase)
	}

	phone := newBrowser(t, linkBase)
	phone.login("admin", c.AdminPassword)
	phone.viewport(390, 844, true)
	t.Log("opening the link shows the incident and asks to confirm; it changes nothing")
	if st := phone.visit(ackURL); st != 200 {
		t.Fatalf("GET %s: %d", ackURL, st)
	}
	phone.waitText("[data-testid=act-title]", name)
	phone.screenshot("act-confirm")
	if w := phone.scrollWidth(); w > 390 {
		t.Errorf("the confirmation page scrolls sideways on a phone: %d px wide", w)
	}
	incidentPath := "/incidents/" + strings.Split(strings.TrimPrefix(ackURL, linkBase+"/act/"), "/")[0]
	phone.visit(incidentPath)
	phone.waitText("[data-testid=incident-state]", "triggered")
	phone.waitText("[data-testid=incident-alerts]", name)

	phone.visit(ackURL)
	phone.click("[data-testid=act-confirm]")
	done := phone.waitText("[data-testid=act-done]", "acknowledged")
	if !strings.Contains(done, "admin acknowledged "+name+" on db-1 (1 alert) after") {
		t.Errorf("done page says %q", done)
	}
	phone.screenshot("act-done")

	t.Log("the follow-up reaches the same group through the outbox")
	waitUntil(t, 60*time.Second, "the follow-up message in the sandbox", func() bool {
		for _, m := range acceptedMessages(t, api) {
			if m.Platform == "dingtalk" && strings.Contains(m.Title, "admin acknowledged "+name) {
				return true
			}
		}
		return false
	})

	phone.visit(incidentPath)
	phone.waitText("[data-testid=incident-state]", "acknowledged")
	phone.waitText("[data-testid=timeline]", "Acknowledged by admin via chat link")
	phone.waitText("[data-testid=timeline]", "delivered")
	phone.screenshot("incident-timeline")
	phone.visit("/audit")
	phone.waitText("main", "incident.ack")

	t.Log("the alert and its messages link to the incident; a quick silence shows what it would mute")
	phone.resetViewport()
	phone.visit("/alerts")
	phone.waitText("[data-testid=alert-row-incident]", "incident #")
	phone.visit("/history")
	phone.waitText("[data-testid=history-incident]", "incident #")
	phone.visit(incidentPath)
	phone.click("[data-testid=incident-quick-silence]")
	phone.waitText("[data-testid=silence-would-mute]", name)
	phone.screenshot("quick-silence")
	phone.visit("/reports")
	phone.waitText("[data-testid=reports-total]", "1 incident, 1 acknowledged")
	phone.screenshot("reports")
	phone.visit("/incidents/settings")
	phone.waitVisible("[data-testid=actions-on]")
	phone.screenshot("incident-settings")
}

func acceptedMessages(t *testing.T, cl *client) []sandbox.Received {
	t.Helper()
	r := cl.get("/sandbox/messages")
	if r.Status != 200 {
		t.Fatalf("GET /sandbox/messages: %d %s", r.Status, r.Body)
	}
	var all []sandbox.Received
	if err := json.Unmarshal([]byte(r.Body), &all); err != nil {
		t.Fatalf("GET /sandbox/messages: %v", err)
	}
	out := all[:0]
	for _, m := range all {
		if m.Accepted {
			out = append(out, m)
		}
	}
	return out
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
