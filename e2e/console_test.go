package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConsoleSurvivesRestarts checks the harness and the promise under it: what was
// saved stays after a crash (SIGKILL) and after a clean restart, on the same data dir,
// and a signed-in session stays valid (the keys live in the data directory).
func TestConsoleSurvivesRestarts(t *testing.T) {
	c := startConsole(t, consoleOpts{})
	admin := newClient(t, c)
	admin.login("admin", c.AdminPassword)

	r := admin.postForm("/admin/teams", url.Values{"name": {"payments"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create team: status %d, want 303; body:\n%s", r.Status, r.Body)
	}

	c.Kill()
	c.Restart()
	r = admin.get("/admin/teams")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `value="payments"`) {
		t.Fatalf("after a crash: GET /admin/teams = %d, want 200 listing payments; body:\n%s", r.Status, r.Body)
	}

	c.Restart() // SIGTERM, then start again
	r = admin.get("/readyz")
	if r.Status != http.StatusOK {
		t.Fatalf("after a restart: GET /readyz = %d, want 200", r.Status)
	}
	if r := admin.get("/admin/teams"); !strings.Contains(r.Body, `value="payments"`) {
		t.Fatalf("after a restart: the team payments is gone; body:\n%s", r.Body)
	}
	if !strings.Contains(c.Logs(), "shutting down") {
		t.Error(`console log lacks "shutting down" after SIGTERM`)
	}
}
