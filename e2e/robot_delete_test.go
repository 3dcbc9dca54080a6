package e2e

import (
	"strings"
	"testing"
)

// TestDeletingARobotThatRulesUse: the demo rule sends to all three sandbox robots. The
// DingTalk robot's page offers to remove it from that rule and delete it in one step; the
// confirm box says what stays, the rule keeps the other robots, and the robot's test-send
// stays in the history under its name.
func TestDeletingARobotThatRulesUse(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	admin := newBrowser(t, c.URL)
	admin.login("admin", c.AdminPassword)

	admin.visit("/robots")
	admin.waitText("[data-testid=robots-table]", "demo DingTalk group")
	admin.click(`[data-robot="demo DingTalk group"] a[href^="/robots/"]`)
	admin.waitText("h1", "demo DingTalk group")
	robotPath := strings.TrimPrefix(admin.location(), admin.base)
	testSend(admin, "Delivered in")

	t.Log("the delete box lists the rule it will be removed from")
	admin.waitText("[data-testid=robot-used-by]", "demo: critical and warning alerts")
	admin.waitText("[data-testid=robot-delete]", "Remove from this rule and delete")
	admin.screenshot("robot-delete-in-use")

	// The confirm box: record what it asks (across the page load the form causes) and accept.
	admin.eval(`(() => { window.confirm = (m) => { sessionStorage.setItem("e2eConfirm", m); return true; }; return ""; })()`)
	admin.click("[data-testid=robot-delete]")
	admin.waitText("#flash", `Robot demo DingTalk group removed from the alert rule "demo: critical and warning alerts" and deleted`)
	if asked := admin.eval(`sessionStorage.getItem("e2eConfirm") || ""`); !strings.Contains(asked, "delivery history stays") {
		t.Errorf("confirm box asked %q", asked)
	}
	if admin.exists(`[data-robot="demo DingTalk group"]`) {
		t.Error("the deleted robot is still listed")
	}
	if code := admin.visit(robotPath); code != 404 {
		t.Errorf("the deleted robot's page answered %d, want 404", code)
	}

	t.Log("the rule still sends to the other two robots and stays enabled")
	admin.visit("/rules")
	admin.waitText("body", "demo: critical and warning alerts")
	if text := admin.textOf("body"); strings.Contains(text, "demo DingTalk group") || !strings.Contains(text, "demo Feishu group") {
		t.Errorf("rules list after the delete: %s", text)
	}

	t.Log("the history keeps the test-send, under the robot's name")
	admin.visit("/history")
	admin.waitText("[data-testid=history-row]", "demo DingTalk group (deleted)")
	admin.screenshot("history-deleted-robot")
}
