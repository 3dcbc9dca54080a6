package e2e

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// englishLeftJS lists the English words a reader of the Chinese console would still see:
// every visible text node and the visible attributes (placeholder, title, aria-label,
// button values), except what users typed or alerts carried (code, .mono, inputs' own
// values, elements marked data-user-data) and names that stay as they are.
const englishLeftJS = `(() => {
	const keep = new Set(ALLOWED);
	const skip = el => el.closest("script, style, code, pre, .mono, textarea, [data-user-data], [translate=no]");
	const words = new Map();
	const add = (text, where) => {
		text = text.replace(/[a-z][a-z0-9+.-]*:\/\/\S+/g, " "); // addresses are no words
		text = text.replace(/\S*[=~]\S*/g, " "); // nor are expressions like label=~"regex"
		for (const w of (text.match(/[A-Za-z][A-Za-z0-9_'-]*[A-Za-z0-9_]|[A-Za-z]/g) || [])) {
			// Identifiers (open_id, userId, prometheus-prod, v2) name things; they are not words.
			if (w.length < 2 || /[_\d-]/.test(w) || /[a-z][A-Z]/.test(w)) continue;
			if (keep.has(w) || w === w.toUpperCase()) continue;
			if (!words.has(w)) words.set(w, where);
		}
	};
	const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		const el = n.parentElement;
		if (!el || skip(el) || !el.getClientRects().length) continue;
		add(n.nodeValue, el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.dataset.testid ? "[" + el.dataset.testid + "]" : ""));
	}
	for (const el of document.querySelectorAll("[placeholder], [title], [aria-label], button[value], input[type=submit]")) {
		if (skip(el)) continue;
		for (const a of ["placeholder", "title", "aria-label"]) if (el.getAttribute(a)) add(el.getAttribute(a), a);
	}
	add(document.title, "title");
	return JSON.stringify([...words].map(([w, where]) => w + " (" + where + ")"));
})()`

// chineseAllowed are words that stay in Latin letters in the Chinese console: the product,
// the platforms, the user data this walk types or sends, and terms Chinese ops teams use
// as they are.
var chineseAllowed = []string{"alertdesk", "DingTalk", "Feishu", "Lark", "WeCom", "Webhook", "webhook", "admin",
	"Alertmanager", "Grafana", "Prometheus", "Zabbix", "curl", "Bearer", "Markdown", "markdown", "jq",
	"AlertdeskTest", "alertname", "severity", "instance", "warning", "critical", "info", "firing", "resolved",
	"Asia", "Shanghai", "UTC", "CST", "Mozilla", "HeadlessChrome", "Linux", "AppleWebKit", "KHTML", "like", "Gecko",
	"Chrome", "Safari", "English", "x", "Token", "Raw", "ActionCard", "Administrator", "Europe", "Berlin", "ms", "api", "userid"}

// TestChineseMainFlow walks the main flow with the console in Simplified Chinese: the
// sign-in page's switch, a team, a robot whose keyword is Chinese, a test-send, a rule, a
// token and its sample alert delivered in Chinese; every screen on the way is checked
// for English left over and photographed.
func TestChineseMainFlow(t *testing.T) {
	sb, app := chatApp(t)
	appHost := strings.TrimPrefix(app.URL, "http://")
	c := startConsole(t, consoleOpts{Env: []string{"ALERTDESK_ALLOWED_WEBHOOK_HOSTS=" + appHost, "ALERTDESK_DEFAULT_LANGUAGE=zh-CN"}})
	b := newBrowser(t, c.URL)
	allowed, _ := json.Marshal(chineseAllowed)
	check := func(name string) {
		t.Helper()
		var left []string
		if err := json.Unmarshal([]byte(b.eval(strings.Replace(englishLeftJS, "ALLOWED", string(allowed), 1))), &left); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if lang := b.eval(`document.documentElement.lang`); lang != "zh-CN" {
			t.Errorf("%s: <html lang=%q>, want zh-CN", name, lang)
		}
		if len(left) > 0 {
			t.Errorf("%s: English left on the Chinese screen: %s", name, strings.Join(left, ", "))
		}
		b.screenshot("zh-" + name)
	}

	b.visit("/login?lang=zh-CN") // the switcher's link; the browser itself asks for English
	b.waitText("h1", "登录")
	check("login")
	b.fill("#f-username", "admin")
	b.fill("#f-password", c.AdminPassword)
	b.click("#login-form button[type=submit]")
	b.waitText("[data-testid=account-link]", "admin")
	check("dashboard")

	b.visit("/admin/teams")
	b.fill("#team-create #f-name", "支付组")
	b.click("#team-create button[type=submit]")
	b.waitText("body", "支付组")
	check("teams")

	bot := sb.AddRobot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "支付群", Secret: "generate", Keywords: []string{"告警"}})
	b.visit("/robots/new")
	check("robot-new")
	b.fill("#robot-form #f-name", "支付群")
	b.fill("#robot-form #f-platform", "dingtalk")
	b.fill("#robot-form #f-webhook_url", app.URL+sandbox.WebhookPath(notify.DingTalk, bot.Token))
	b.fill("#robot-form #f-secret", bot.Secret)
	b.fill("#robot-form #f-keywords", "告警")
	b.click("[data-testid=robot-save]")
	b.waitText("#flash", "支付群")
	b.visit("/robots")
	b.click("form[hx-post$='/test'] [data-testid=test-send]")
	b.waitVisible("[data-testid=test-summary]")
	check("robots")

	b.visit("/rules/new")
	check("rule-new")
	b.fill("#rule-form #f-name", "支付服务故障")
	checkLabelled(b, "#rule-objects", "robot_id", "支付群")
	b.fill("#rule-form #f-group_wait", "0s")
	b.click("[data-testid=rule-save]")
	b.waitText("#flash", "支付服务故障")
	check("rules")

	b.visit("/tokens")
	b.fill("#token-create #f-name", "第一个令牌")
	b.click("[data-testid=token-create]")
	b.waitText("[data-testid=token-sample-rule]", "支付服务故障")
	token := b.value("[data-testid=token-plain]")
	curl := b.textOf("[data-testid=token-curl]")
	check("tokens")

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
	var got *sandbox.Received
	for deadline := time.Now().Add(30 * time.Second); got == nil; time.Sleep(200 * time.Millisecond) {
		for _, msg := range sb.MessagesFor(bot.Token) {
			if msg.Accepted && strings.Contains(msg.Text, "支付服务故障") {
				got = &msg
			}
		}
		if got == nil && time.Now().After(deadline) {
			t.Fatalf("the sample alert never reached the group; it got %d messages", len(sb.MessagesFor(bot.Token)))
		}
	}
	if !strings.Contains(got.Text, "告警") {
		t.Errorf("the delivered message lacks the robot's Chinese keyword:\n%s", got.Text)
	}

	for _, screen := range []struct{ path, name string }{
		{"/", "dashboard-done"}, {"/alerts", "alerts"}, {"/history", "history"}, {"/incidents", "incidents"},
		{"/contacts", "contacts"}, {"/contacts/new", "contact-new"}, {"/silences", "silences"},
		{"/integrations", "integrations"}, {"/reports", "reports"}, {"/audit", "audit"}, {"/intake-errors", "intake-errors"},
		{"/escalation", "escalation"}, {"/schedules", "schedules"}, {"/admin/users", "users"}, {"/admin/invites", "invites"},
		{"/account", "account"},
	} {
		b.visit(screen.path)
		check(screen.name)
	}
	b.visit("/history")
	b.click("[data-testid=history-detail-link]")
	b.waitText("[data-testid=chat-body]", "支付服务故障")
	check("history-detail")
}
