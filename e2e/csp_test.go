package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// The CSP check of the harness works: a page with an inline style under a policy that
// forbids it is caught as a violation (here a data: URL carrying its own policy, so no
// test-only route is needed in the console).
func TestCSPViolationIsCaught(t *testing.T) {
	c := startConsole(t, consoleOpts{})
	b := newBrowser(t, c.URL)
	page := `<!doctype html><meta http-equiv="Content-Security-Policy" content="style-src 'self'">` +
		`<p style="color: red">inline style, refused</p>`
	b.visit("data:text/html," + url.PathEscape(page))
	deadline := time.Now().Add(stepTimeout)
	var got []string
	for len(got) == 0 && time.Now().Before(deadline) {
		got = b.takeCSPViolations()
		if len(got) == 0 {
			b.waitJS(`document.readyState === "complete"`, "the page to load") // a round trip to the browser
		}
	}
	if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), "style") {
		t.Fatalf("the deliberate inline-style violation was not reported; console:\n%s", strings.Join(b.consoleMessages(), "\n"))
	}
}

// Every screen and every in-place htmx update is free of CSP violations (the issue saw
// four per htmx swap: htmx's inline indicator styles). Visits the main screens as an
// admin and does htmx swaps; the harness fails the test on any violation.
func TestNoCSPViolationOnScreens(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	b := newBrowser(t, c.URL)
	b.login("admin", c.AdminPassword)
	for _, path := range []string{"/", "/alerts", "/history", "/rules", "/rules/new", "/robots", "/robots/new",
		"/contacts", "/silences", "/tokens", "/sandbox", "/account", "/admin/teams", "/admin/users", "/invites", "/audit",
		"/incidents", "/incidents/settings", "/reports", "/schedules", "/schedules/new", "/escalation",
		"/escalation/new"} {
		b.visit(path)
		b.waitJS(`document.readyState === "complete" && !!window.htmx`, "the page "+path+" with htmx")
	}
	// In-place htmx updates: a failing form submit (422 swap) and a successful one.
	b.visit("/admin/teams")
	b.fill("#team-create #f-name", "")
	b.submit("#team-create button[type=submit]", "#team-create")
	b.fill("#team-create #f-name", "csp-team")
	b.click("#team-create button[type=submit]")
	b.waitText("body", "csp-team")
	b.visit("/account")
	b.fill("#password-form #f-current", "wrong password here")
	b.submit("#password-form button[type=submit]", "#password-form")
	b.waitText("#password-form", "This is not your current password.")
	if v := b.takeCSPViolations(); len(v) > 0 {
		t.Fatalf("CSP violations:\n%s", strings.Join(v, "\n"))
	}
}
