package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// sandboxRobot creates a robot in the sandbox page, as a person creates a custom robot in
// a chat group, and returns the webhook URL (and secret) the "chat app" shows.
func sandboxRobot(t *testing.T, b *browser, platform, name string, sign bool, keywords string) (webhook, secret string) {
	t.Helper()
	b.visit("/sandbox")
	b.fill("#sandbox-robot-form #f-platform", platform)
	b.fill("#sandbox-robot-form #f-name", name)
	if sign {
		b.click(`#sandbox-robot-form input[name=sign]`)
	}
	if keywords != "" {
		b.fill("#sandbox-robot-form #f-keywords", keywords)
	}
	b.click("#sandbox-robot-form button[type=submit]")
	b.waitText("#flash", "Sandbox robot "+name+" created")
	sel := `[data-testid=sandbox-robot][data-name="` + name + `"]`
	b.waitVisible(sel + ` [data-testid=sandbox-webhook]`) // the list may swap in after the flash
	webhook = b.eval(`document.querySelector(` + jsString(sel+` [data-testid=sandbox-webhook]`) + `).value`)
	if sign {
		secret = b.textOf(sel + ` [data-testid=sandbox-secret]`)
	}
	if webhook == "" {
		t.Fatalf("no webhook URL shown for sandbox robot %s", name)
	}
	return webhook, secret
}

// createRobot fills the robot form and returns the robot's page path.
func createRobot(t *testing.T, b *browser, team, name, platform, webhook, secret, keywords string) string {
	t.Helper()
	b.visit("/robots/new")
	if b.exists("#robot-form #f-team_id") {
		b.fill("#robot-form #f-team_id", team)
	}
	b.fill("#robot-form #f-name", name)
	b.fill("#robot-form #f-platform", platform)
	b.fill("#robot-form #f-webhook_url", webhook)
	if secret != "" {
		b.fill("#robot-form #f-secret", secret)
	}
	if keywords != "" {
		b.fill("#robot-form #f-keywords", keywords)
	}
	b.click("[data-testid=robot-save]")
	b.waitText("#flash", "Robot "+name+" saved")
	return strings.TrimPrefix(b.location(), b.base)
}

func testSend(b *browser, want string) string {
	b.t.Helper()
	b.click("form[hx-post$='/test'] [data-testid=test-send]")
	return b.waitText("[data-testid=test-summary]", want)
}

// TestRobotsAndTestSend: a team registers DingTalk, Feishu and WeCom robots that point at the
// sandbox, proves them with test-send, breaks the DingTalk secret and reads why it fails; a
// member of another team can neither see nor test them.
func TestRobotsAndTestSend(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)

	t.Log("a DingTalk group robot with signing and the MSE keyword, created in the sandbox 'chat app'")
	webhook, secret := sandboxRobot(t, admin, "dingtalk", "ops group", true, "Microservice Online Monitoring")
	if !strings.HasPrefix(secret, "SEC") {
		t.Fatalf("sandbox DingTalk secret = %q, want SEC…", secret)
	}
	admin.screenshot("sandbox-robot")

	t.Log("bad input first: a WeCom URL for a DingTalk robot is refused in words")
	wecomHook, _ := sandboxRobot(t, admin, "wecom", "wecom group", false, "")
	admin.visit("/robots/new")
	if admin.exists("#robot-form #f-team_id") {
		admin.fill("#robot-form #f-team_id", "demo")
	}
	admin.fill("#robot-form #f-name", "wrong platform")
	admin.fill("#robot-form #f-platform", "dingtalk")
	admin.fill("#robot-form #f-webhook_url", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc")
	admin.click("[data-testid=robot-save]")
	admin.waitText("[data-testid=err-webhook_url]", "WeCom webhook URL")
	admin.screenshot("wrong-platform")

	ding := createRobot(t, admin, "demo", "ops DingTalk", "dingtalk", webhook, secret, "Microservice Online Monitoring")
	admin.waitText("[data-testid=robot-status]", "unverified")
	testSend(admin, "Delivered in")
	admin.waitText("[data-testid=robot-status]", "verified") // updated in place by the test-send's answer
	admin.screenshot("dingtalk-delivered")

	t.Log("the sandbox received it, signed and with the keyword")
	api := newClient(t, c)
	api.login("admin", c.AdminPassword)
	msgs := api.get("/sandbox/messages")
	if msgs.Status != http.StatusOK || !strings.Contains(msgs.Body, "Microservice Online Monitoring") || !strings.Contains(msgs.Body, `"accepted":true`) {
		t.Fatalf("sandbox messages: %d %s", msgs.Status, msgs.Body)
	}

	t.Log("a wrong secret: the sign failure is explained")
	admin.visit(ding)
	admin.fill("#robot-form #f-secret", "SEC0000000000000000000000000000000000000000000000000000000000000000")
	admin.click("[data-testid=robot-save]")
	admin.waitText("#flash", "saved")
	summary := testSend(admin, "refused")
	if !strings.Contains(summary, "signature") || !strings.Contains(summary, "310000") {
		t.Errorf("sign failure summary = %q, want the signature named and code 310000", summary)
	}
	admin.click("[data-testid=test-outcome] details summary")
	admin.waitText("[data-testid=test-response]", "310000")
	admin.waitText("[data-testid=robot-status]", "failing")
	admin.screenshot("dingtalk-sign-failure")
	admin.visit(ding)
	admin.waitText("[data-testid=robot-status]", "failing")

	t.Log("Feishu and WeCom robots")
	feishuHook, _ := sandboxRobot(t, admin, "feishu", "feishu group", false, "")
	createRobot(t, admin, "demo", "ops Feishu", "feishu", feishuHook, "", "")
	testSend(admin, "Delivered in")
	wecom := createRobot(t, admin, "demo", "ops WeCom", "wecom", wecomHook, "", "")
	testSend(admin, "Delivered in")
	admin.visit("/robots")
	admin.waitText("[data-testid=robots-table]", "ops WeCom")
	admin.screenshot("robots-list")

	t.Log("a member of another team cannot see or test these robots")
	admin.visit("/admin/teams")
	admin.fill("#team-create #f-name", "other")
	admin.click("#team-create button[type=submit]")
	admin.waitText("#flash", "Team other created.")
	admin.visit("/admin/users")
	admin.fill("#user-create #f-username", "bob")
	admin.fill("#user-create #f-password", "bob-password-1")
	admin.fill("#user-create #f-role", "member")
	admin.fill("#user-create #f-team_id", "other")
	admin.click("#user-create button[type=submit]")
	admin.waitText("#flash", "User bob created.")

	bob := newClient(t, c)
	bob.login("bob", "bob-password-1")
	list := bob.get("/robots")
	if list.Status != http.StatusOK || strings.Contains(list.Body, "ops DingTalk") || strings.Contains(list.Body, "ops WeCom") {
		t.Fatalf("bob's robot list (%d) shows team demo's robots", list.Status)
	}
	if r := bob.get(wecom); r.Status != http.StatusNotFound {
		t.Errorf("bob GET %s = %d, want 404", wecom, r.Status)
	}
	if r := bob.postForm(wecom+"/test", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("bob test-send %s = %d, want 404", wecom, r.Status)
	}
}
