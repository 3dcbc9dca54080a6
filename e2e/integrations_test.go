package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestIntegrationZabbix: the admin creates an integration from the Zabbix preset in the
// browser, pastes a problem event as a sample and sees the alert it becomes and the demo
// rule it matches, creates it and copies the token; then Zabbix's request is sent with a
// plain HTTP client, as curl would, and the alert reaches the sandbox robots. A payload the
// mapping cannot use is refused naming the field, and the inbound log shows both.
func TestIntegrationZabbix(t *testing.T) {
	start := time.Now()
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)
	api := newClient(t, c)
	api.login("admin", c.AdminPassword)
	sample, err := os.ReadFile("../integrations/testdata/zabbix/firing.json")
	if err != nil {
		t.Fatal(err)
	}

	t.Log("the Zabbix preset, with its media-type script on the page")
	admin.visit("/integrations")
	admin.click("[data-testid=preset-zabbix]")
	admin.waitPath("/integrations/new")
	admin.waitText("[data-testid=integration-setup]", "Media type script")
	if script := admin.value("[data-testid=zabbix-script]"); !strings.Contains(script, "HttpRequest") {
		t.Errorf("the media-type script is not shown: %q", script)
	}
	if admin.exists("#integration-form #f-team_id") {
		admin.fill("#integration-form #f-team_id", "demo")
	}
	admin.fill("#integration-form #f-name", "Zabbix prod")

	t.Log("paste a problem event and try it: the alert and the rule it would match, before saving")
	admin.fill("[data-testid=integration-sample]", strings.TrimSpace(string(sample)))
	admin.submit("[data-testid=integration-try]", "#integration-preview")
	preview := admin.waitText("[data-testid=integration-preview]", "Linux: High CPU utilization (over 90% for 5m)")
	for _, want := range []string{"severity=critical", "host=web-01", "template=Linux", "demo: critical and warning alerts"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q:\n%s", want, preview)
		}
	}
	admin.screenshot("integration-try-it")

	t.Log("create: the token and the curl example are shown once")
	admin.click("[data-testid=integration-save]")
	admin.waitText("[data-testid=integration-new-credentials]", "Shown only now")
	token := admin.value("[data-testid=integration-token]")
	curl := admin.textOf("[data-testid=integration-curl]")
	admin.screenshot("integration-created")
	if !strings.HasPrefix(token, "ad_") || !strings.Contains(curl, "Authorization: Bearer "+token) {
		t.Fatalf("token %q, curl example %q", token, curl)
	}
	endpoint := ""
	for _, f := range strings.Fields(curl) {
		if strings.HasPrefix(f, "http") {
			endpoint = f
		}
	}
	if !strings.Contains(endpoint, "/api/v1/integrations/") {
		t.Fatalf("no integration URL in the curl example: %q", curl)
	}

	t.Log("Zabbix's request, sent as curl would")
	post := func(body []byte) (int, string) {
		req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("POST %s: %v", endpoint, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post(sample); status != http.StatusAccepted || !strings.Contains(body, `"stored":1`) {
		t.Fatalf("posting the problem event: %d %s", status, body)
	}

	t.Log("the alert reaches the sandbox robots through the demo rule")
	deadline := time.Now().Add(60 * time.Second)
	for {
		var msgs []sandboxMessage
		if r := api.get("/sandbox/messages"); r.Status == http.StatusOK {
			_ = json.Unmarshal([]byte(r.Body), &msgs)
		}
		found := false
		for _, m := range msgs {
			if m.Accepted && strings.Contains(m.Title+"\n"+m.Text, "Linux: High CPU utilization") {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no sandbox robot received the Zabbix alert within 60 s; received: %+v", msgs)
		}
		time.Sleep(250 * time.Millisecond)
	}

	t.Log("a payload without a trigger name is refused naming the field; the inbound log shows both")
	if status, body := post([]byte(`{"event_id":"9","event_value":"1"}`)); status != http.StatusBadRequest || !strings.Contains(body, `"field":"alertname"`) {
		t.Errorf("refusal: %d %s", status, body)
	}
	admin.visit(strings.TrimPrefix(endpoint, c.URL+"/api/v1"))
	log := admin.waitText("[data-testid=integration-log]", "refused")
	if !strings.Contains(log, "accepted") || !strings.Contains(log, "alertname") || !strings.Contains(log, "Linux: High CPU utilization (over 90% for 5m) (firing)") {
		t.Errorf("the inbound log does not show both payloads:\n%s", log)
	}
	admin.screenshot("integration-log")
	t.Logf("TestIntegrationZabbix took %s", time.Since(start).Round(time.Millisecond))
}
