package e2e

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// chatApp is the stand-in for a real chat group: a sandbox served on its own loopback
// port, where the newcomer "creates a custom robot" and copies its webhook URL.
func chatApp(t *testing.T) (*sandbox.Sandbox, *httptest.Server) {
	sb := sandbox.New(sandbox.Options{})
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return sb, srv
}

// generatedPassword reads the first admin's password from the console's log, as the
// operator does on a first start.
func generatedPassword(t *testing.T, c *console) string {
	t.Helper()
	re := regexp.MustCompile(`password=([0-9a-f]{16,})`)
	deadline := time.Now().Add(stepTimeout)
	for {
		if m := re.FindStringSubmatch(c.Logs()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no generated password in the log:\n%s", c.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// nextStep follows the dashboard checklist: it checks that step n (1-based) is the next
// one, the steps before it ticked, and opens its link.
func nextStep(t *testing.T, b *browser, n int, wantPath string) {
	t.Helper()
	b.visit("/")
	b.waitVisible("[data-testid=first-run]")
	done := b.evalInt(`document.querySelectorAll("[data-testid=first-run-step][data-done=true]").length`)
	if done != n-1 {
		t.Errorf("before step %d, %d steps are ticked; want %d", n, done, n-1)
	}
	href := b.eval(`document.querySelector("[data-testid=first-run-next]").getAttribute("href")`)
	if href != wantPath {
		t.Fatalf("step %d links to %q, want %q", n, href, wantPath)
	}
	b.click("[data-testid=first-run-next]")
	b.waitPath(wantPath)
}

// TestFreshInstallToFirstAlert walks a newcomer from the password in the log to an alert
// in the chat group, following only what the screens say: the dashboard's checklist links
// each step to the next and ticks it off from what exists.
func TestFreshInstallToFirstAlert(t *testing.T) {
	sb, app := chatApp(t)
	appHost := strings.TrimPrefix(app.URL, "http://")
	c := startConsole(t, consoleOpts{GeneratePassword: true, Env: []string{"ALERTDESK_ALLOWED_WEBHOOK_HOSTS=" + appHost}})
	pw := generatedPassword(t, c)
	b := newBrowser(t, c.URL)
	b.login("admin", pw)

	t.Log("the dashboard: change-password banner, dead-links warning, checklist, no false 'every robot is fine'")
	b.waitVisible("[data-testid=change-password-banner]")
	b.waitVisible("[data-testid=base-url-warning]")
	if txt := b.textOf("[data-testid=robots-in-trouble]"); strings.Contains(txt, "Every robot is fine") {
		t.Errorf("dashboard says every robot is fine with zero robots: %q", txt)
	}
	b.screenshot("fresh-dashboard")

	t.Log("step 1: the team")
	nextStep(t, b, 1, "/admin/teams")
	b.fill("#team-create #f-name", "payments")
	b.click("#team-create button[type=submit]")
	b.waitText("body", "Team payments created.")

	t.Log("step 2: a robot, with the webhook URL the chat app shows")
	bot := sb.AddRobot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "payments group", Secret: "generate",
		Keywords: []string{"alert"}})
	webhook := app.URL + sandbox.WebhookPath(notify.DingTalk, bot.Token)
	nextStep(t, b, 2, "/robots/new")
	b.fill("#robot-form #f-name", "payments group")
	b.fill("#robot-form #f-platform", "dingtalk")
	b.fill("#robot-form #f-webhook_url", webhook)
	b.fill("#robot-form #f-secret", bot.Secret)
	b.fill("#robot-form #f-keywords", "alert")
	b.click("[data-testid=robot-save]")
	b.waitText("#flash", "Robot payments group saved")

	t.Log("step 3: test-send from the robots list; last success refreshes in place")
	nextStep(t, b, 3, "/robots")
	if got := b.textOf("[data-testid=robot-last-success]"); got != "—" {
		t.Errorf("before any send, last success shows %q", got)
	}
	b.eval(`(() => { document.body.dataset.e2eSamePage = "1"; return ""; })()`)
	b.click("form[hx-post$='/test'] [data-testid=test-send]")
	b.waitText("[data-testid=test-summary]", "Delivered")
	b.waitJS(`document.querySelector("[data-testid=robot-last-success]").innerText !== "—" && document.body.dataset.e2eSamePage === "1"`,
		"last success refreshed in place after the test-send")

	t.Log("step 4: a rule sending to the robot")
	nextStep(t, b, 4, "/rules/new")
	b.fill("#rule-form #f-name", "Payments down")
	checkLabelled(b, "#rule-objects", "robot_id", "payments group")
	b.fill("#rule-form #f-group_wait", "0s")
	b.click("[data-testid=rule-save]")
	b.waitText("#flash", "Rule Payments down saved")

	t.Log("step 5: a token, whose sample alert names the rule it hits")
	nextStep(t, b, 5, "/tokens")
	b.fill("#token-create #f-name", "first")
	b.click("[data-testid=token-create]")
	b.waitText("[data-testid=token-sample-rule]", "Payments down")
	token := b.value("[data-testid=token-plain]")
	curl := b.textOf("[data-testid=token-curl]")
	b.screenshot("token-sample")

	t.Log("step 6: the sample alert, as the page's curl sends it")
	m := regexp.MustCompile(`(?s)-d '(.*)'`).FindStringSubmatch(curl)
	if m == nil {
		t.Fatalf("no body in the sample curl:\n%s", curl)
	}
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/api/v1/alerts", strings.NewReader(m[1]))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("sample alert: HTTP %d", resp.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		delivered := 0
		for _, msg := range sb.MessagesFor(bot.Token) {
			if msg.Accepted && strings.Contains(msg.Text, "Payments down") {
				delivered++
			}
		}
		if delivered > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sample alert never reached the chat group; it got %d messages", len(sb.MessagesFor(bot.Token)))
		}
		time.Sleep(200 * time.Millisecond)
	}
	for {
		b.visit("/")
		if !b.exists("[data-testid=first-run]") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the checklist is still shown after the first alert was delivered")
		}
		time.Sleep(300 * time.Millisecond)
	}
	b.screenshot("all-done")

	t.Log("history names the alert; the alerts list shows its severity; chat look-alike in the detail")
	b.visit("/history")
	b.waitText("[data-testid=history-alert]", "AlertdeskTest")
	b.visit("/alerts")
	b.waitText("[data-testid=alert-severity]", "warning")
	b.visit("/history")
	b.click("[data-testid=history-detail-link]")
	b.waitText("[data-testid=chat-body]", "Payments down")

	t.Log("the banner leads to the password form; a new password ends it")
	b.click("[data-testid=change-password-banner] a")
	b.waitPath("/account")
	b.fill("#password-form #f-current", pw)
	b.fill("#password-form #f-password", "my own passphrase 2026")
	b.fill("#password-form #f-password2", "my own passphrase 2026")
	b.click("#password-form button[type=submit]")
	b.waitText("#password-form", "Password changed.")
	b.visit("/")
	if b.exists("[data-testid=change-password-banner]") {
		t.Error("the change-password banner stays after the password was changed")
	}
}
