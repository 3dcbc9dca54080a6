package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntakeErrorsScreen: Alertmanager posts a gzipped group in which one alert has an
// impossible startsAt and one carries a dotted label name; the console (with its body limit
// set by flag) stores the two good ones, answers 202 with the refusal, and the operator finds
// it on the Intake errors screen (filtered in place with htmx) and in /metrics. A body over
// the limit gets 413 and is listed too.
func TestIntakeErrorsScreen(t *testing.T) {
	const intakeToken = "e2e-intake-token-0123456789"
	c := startConsole(t, consoleOpts{Args: []string{"-intake-max-bytes", "64KiB"}, Env: []string{"ALERTDESK_INTAKE_TOKEN=" + intakeToken}})
	api := newClient(t, c)

	raw, err := os.ReadFile(filepath.Join("..", "alerting", "testdata", "alertmanager-webhook-grouped.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	alerts := env["alerts"].([]any)
	alerts[0].(map[string]any)["labels"].(map[string]any)["host.keyword"] = "n1.example"
	bad := map[string]any{"status": "firing", "labels": map[string]any{"alertname": "ClockSkew", "instance": "n3:9100"},
		"startsAt": "9999-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z"}
	env["alerts"] = []any{alerts[0], bad, alerts[1]}
	body, _ := json.Marshal(env)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(body)
	_ = zw.Close()

	r := api.postJSON("/api/v1/alerts/alertmanager", zipped.Bytes(), "Authorization", "Bearer "+intakeToken, "Content-Encoding", "gzip")
	if r.Status != http.StatusAccepted || !strings.Contains(r.Body, `"stored":2`) || !strings.Contains(r.Body, `"field":"alerts[1].startsAt"`) {
		t.Fatalf("intake answered %d %s, want 202 with 2 stored and alerts[1].startsAt refused", r.Status, r.Body)
	}
	r = api.postJSON("/api/v1/alerts/alertmanager", bytes.Repeat([]byte(" "), 70<<10), "Authorization", "Bearer "+intakeToken)
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, "64 KiB") {
		t.Fatalf("a 70 KiB body: %d %s, want 413 naming the 64 KiB limit", r.Status, r.Body)
	}

	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)
	admin.visit("/alerts")
	admin.click(`a[href="/intake-errors"]`)
	admin.waitText("[data-testid=intake-errors-results]", "ClockSkew (#2 of 3)")
	admin.waitText("[data-testid=intake-errors-results]", "more than a day ahead")
	admin.waitText("[data-testid=intake-errors-results]", "larger than the limit")
	admin.screenshot("intake-errors")
	admin.fill("#f-kind", "refused")
	admin.waitJS(`!document.querySelector("[data-testid=intake-errors-results]").textContent.includes("larger than the limit")`, "the kind filter applied in place")
	admin.waitText("[data-testid=intake-errors-results]", "ClockSkew")

	admin.visit("/alerts")
	admin.waitText("[data-testid=alerts-results]", "host.keyword=n1.example")

	api.login("admin", c.AdminPassword)
	metrics := api.get("/metrics").Body
	for _, want := range []string{`alertdesk_intake_alerts_refused_total{reason="startsAt",source="alertmanager"} 1`,
		`alertdesk_intake_alerts_refused_total{reason="too_large",source="alertmanager"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
