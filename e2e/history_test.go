package e2e

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestDeliveryHistory: a robot's group removed it, so a test-send fails; the admin finds
// the failure in the history by robot and outcome, reads what the platform answered, fixes
// the robot, resends, and exports the filtered history as CSV.
func TestDeliveryHistory(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)
	const robot = "demo Feishu group"
	sandboxRobotSel := `[data-testid=sandbox-robot][data-name="` + robot + `"]`

	setFault := func(fault string) {
		t.Helper()
		admin.visit("/sandbox")
		admin.fill(sandboxRobotSel+" select[name=fault]", fault)
		admin.click(sandboxRobotSel + " form button[type=submit]")
		admin.waitText("#flash", "Fault mode set.")
	}

	t.Log("the Feishu group removed its robot (sandbox fault mode: removed)")
	setFault("removed")

	t.Log("the admin test-sends the robot from the Robots page; it fails")
	admin.visit("/robots")
	row := `[data-testid=robot-row][data-robot="` + robot + `"]`
	admin.waitVisible(row)
	robotPath := admin.eval(`document.querySelector(` + jsString(row+` a[href^="/robots/"]`) + `).getAttribute("href")`)
	if robotPath == "" {
		t.Fatalf("no link to the robot %q on /robots", robot)
	}
	admin.visit(robotPath)
	admin.click("form[hx-post$='/test'] [data-testid=test-send]")
	admin.waitVisible("[data-testid=test-outcome]")
	summary := admin.textOf("[data-testid=test-summary]")
	admin.screenshot("test-send-failed")

	t.Log("the history, filtered by robot, shows the failed attempt; the URL follows the filter")
	admin.visit("/history")
	admin.waitVisible("#history-results")
	admin.fill("#f-robot", "demo / "+robot)
	admin.waitJS(`location.search.includes("robot=") && [...document.querySelectorAll("[data-testid=history-row]")].length > 0 &&
		[...document.querySelectorAll("[data-testid=history-row]")].every(r => r.dataset.robot === `+jsString(robot)+`)`,
		"the history filtered by robot")
	outcome := admin.eval(`document.querySelector("[data-testid=history-row]").dataset.outcome`)
	if outcome == "" || outcome == "delivered" {
		t.Fatalf("the test-send's outcome is %q, want a failure (summary: %q)", outcome, summary)
	}
	admin.fill("#f-outcome", outcome)
	admin.waitJS(`location.search.includes("outcome=`+outcome+`") && location.search.includes("robot=") &&
		[...document.querySelectorAll("[data-testid=history-row]")].length === 1`, "the history filtered by robot and outcome")
	shared := admin.location()
	admin.screenshot("history-filtered")

	t.Log("the filtered URL can be shared: opening it shows the same filtered list")
	if st := admin.visit(shared); st != http.StatusOK {
		t.Fatalf("GET %s: status %d", shared, st)
	}
	if n := admin.evalInt(`document.querySelectorAll("[data-testid=history-row]").length`); n != 1 {
		t.Errorf("the shared URL shows %d rows, want 1", n)
	}
	if got := admin.value("#f-outcome"); got != outcome {
		t.Errorf("the shared URL's outcome filter shows %q, want %q", got, outcome)
	}
	csvURL := admin.eval(`document.querySelector("[data-testid=history-export]").getAttribute("href")`)

	t.Log("the admin opens the failed delivery and reads the platform's answer")
	admin.click("[data-testid=history-detail-link]")
	admin.waitVisible("[data-testid=answer-response]")
	detailPath := strings.TrimPrefix(admin.location(), c.URL)
	if !strings.HasPrefix(detailPath, "/history/") {
		t.Fatalf("the detail link led to %s", detailPath)
	}
	if resp := admin.textOf("[data-testid=answer-response]"); !strings.Contains(resp, "code") {
		t.Errorf("the platform's answer is %q, want Feishu's JSON with its code", resp)
	}
	admin.waitText("[data-testid=notification-state]", "failed")
	admin.click("[data-testid=notification-request] details summary") // the Raw tab
	if req := admin.textOf("[data-testid=request]"); !strings.HasPrefix(req, "POST ") || strings.Contains(req, "/hook/"+"demo") {
		t.Errorf("request as sent = %q", req)
	}
	admin.screenshot("history-detail")

	t.Log("the group adds the robot back (fault mode: none); the admin resends")
	setFault("")
	admin.visit(detailPath)
	admin.click("[data-testid=resend]")
	admin.waitText("#flash", "queued again")
	delivered := false
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		admin.visit(detailPath)
		if state := admin.textOf("[data-testid=notification-state]"); state == "delivered" {
			delivered = true
			break
		} else if state != "queued" && state != "sending" && state != "retrying" {
			t.Fatalf("after the resend the notification is %q", state)
		}
	}
	if !delivered {
		t.Fatal("the resend was not delivered within the deadline")
	}
	if n := admin.evalInt(`document.querySelectorAll("[data-testid=attempt-row]").length`); n < 2 {
		t.Errorf("the timeline has %d attempts after the resend, want the failure and the delivery", n)
	}
	admin.screenshot("after-resend")

	t.Log("the filtered CSV export, downloaded with the browser's session cookies")
	var cookies []*network.Cookie
	err := admin.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{c.URL}})
		cookies = res.Cookies
		return err
	}))
	if err != nil {
		t.Fatalf("read the browser's cookies: %v", err)
	}
	req, err := http.NewRequest(http.MethodGet, c.URL+csvURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range cookies {
		req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", csvURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("GET %s: status %d, Content-Type %q", csvURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatalf("read the CSV: %v", err)
	}
	if len(records) != 2 {
		t.Fatalf("the CSV has %d records, want the header and the one failed attempt: %q", len(records), records)
	}
	head, rec := records[0], records[1]
	col := func(name string) string {
		for i, h := range head {
			if h == name {
				return rec[i]
			}
		}
		t.Fatalf("the CSV has no column %q: %q", name, head)
		return ""
	}
	if col("robot") != robot || col("outcome") != outcome || col("rule") != "test-send" ||
		"/history/"+col("notification_id") != detailPath {
		t.Errorf("CSV row = %q (header %q)", rec, head)
	}
	if msgs := admin.consoleMessages(); len(msgs) > 0 {
		for _, m := range msgs {
			if strings.Contains(m, "Content Security Policy") || strings.Contains(m, "error") {
				t.Errorf("browser console: %s", m)
			}
		}
	}
}
