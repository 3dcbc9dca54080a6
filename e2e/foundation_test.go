package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFoundation walks the first day of a team: the admin creates a team and an
// invite, a colleague signs up with the link in a browser of their own, looks around
// as a member, and later gets locked out by too many wrong passwords.
func TestFoundation(t *testing.T) {
	c := startConsole(t, consoleOpts{})
	admin := newBrowser(t, c.URL)

	t.Log("the admin signs in")
	admin.visit("/login")
	admin.waitText("h1", "Sign in to alertdesk")
	admin.screenshot("login")
	admin.login("admin", c.AdminPassword)

	t.Log("the admin creates the team payments")
	admin.visit("/admin/teams")
	admin.fill("#team-create #f-name", "payments")
	admin.click("#team-create button[type=submit]")
	admin.waitText("#flash", "Team payments created.")
	admin.waitJS(`[...document.querySelectorAll("[data-testid=teams-table] input[name=name]")].some(e => e.value === "payments")`,
		"the team payments in the teams table")
	admin.screenshot("teams")

	t.Log("the admin creates an invite for payments and copies the link")
	admin.visit("/invites")
	admin.fill("#invite-create #f-team_id", "payments")
	admin.fill("#invite-create #f-days", "7")
	admin.fill("#invite-create #f-uses", "1")
	admin.click("#invite-create button[type=submit]")
	admin.waitText("[data-testid=invite-link]", "Invite link")
	link := admin.value("#invite-link")
	if !strings.HasPrefix(link, c.URL+"/invite/") {
		t.Fatalf("invite link = %q, want it to start with %s/invite/", link, c.URL)
	}
	admin.waitText("[data-testid=invites-table]", "payments")
	admin.screenshot("invite-created")

	t.Log("alice opens the link in her own browser and signs up")
	alice := newIncognito(t, admin)
	if st := alice.visit(link); st != http.StatusOK {
		t.Fatalf("GET invite link: status %d, want 200", st)
	}
	alice.waitText("h1", "Join payments")
	alice.fill("#signup-form #f-username", "alice")
	alice.fill("#signup-form #f-display_name", "Alice Liddell")
	alice.fill("#signup-form #f-password", "alice-secret-42")
	alice.fill("#signup-form #f-password2", "alice-secret-42")
	alice.screenshot("signup")
	alice.click("#signup-form button[type=submit]")
	alice.waitPath("/")
	alice.waitText("#flash", "Welcome to payments!")
	alice.waitText("[data-testid=account-link]", "alice")
	alice.screenshot("dashboard-alice")

	t.Log("alice looks around as a member of payments")
	for _, p := range []struct{ path, title string }{
		{"/robots", "Robots"}, {"/contacts", "Contacts"}, {"/rules", "Alert rules"},
	} {
		if st := alice.visit(p.path); st != http.StatusOK {
			t.Fatalf("GET %s as alice: status %d, want 200", p.path, st)
		}
		alice.waitText("main h1", p.title)
		who := alice.textOf("[data-testid=account-link]")
		for _, want := range []string{"alice", "member", "payments"} {
			if !strings.Contains(who, want) {
				t.Errorf("%s: top bar shows %q, want it to contain %q", p.path, who, want)
			}
		}
	}
	if st := alice.visit("/admin/teams"); st != http.StatusForbidden {
		t.Errorf("GET /admin/teams as alice: status %d, want 403", st)
	}
	alice.waitText("[data-testid=error-message]", "Only administrators can open this page")
	alice.screenshot("admin-forbidden")

	t.Log("on a 390px phone, the dashboard and the login page fit the screen")
	alice.viewport(390, 844, true)
	alice.visit("/")
	alice.waitText("main h1", "Dashboard")
	if w := alice.scrollWidth(); w > 390+1 {
		t.Errorf("dashboard at 390px: scrollWidth = %d, want <= 391 (no sideways scrolling)", w)
	}
	alice.screenshot("mobile-dashboard")
	alice.logout()
	if w := alice.scrollWidth(); w > 390+1 {
		t.Errorf("login page at 390px: scrollWidth = %d, want <= 391 (no sideways scrolling)", w)
	}
	alice.screenshot("mobile-login")
	alice.resetViewport()
	if w := alice.evalInt(`window.innerWidth`); w < 1000 {
		t.Fatalf("after resetting the viewport, window.innerWidth = %d, want the 1280px window", w)
	}

	t.Log("alice mistypes her password until the console stops her")
	alice.visit("/login")
	throttled := false
	for attempt := 1; attempt <= 10 && !throttled; attempt++ {
		alice.fill("#f-username", "alice")
		alice.fill("#f-password", "not-my-password")
		alice.submit("#login-form button[type=submit]", "#login-form")
		msg := alice.textOf("#login-form [data-testid=form-error]")
		switch {
		case strings.Contains(msg, "Too many failed sign-ins"):
			throttled = true
			t.Logf("throttled after %d wrong passwords: %q", attempt-1, msg)
		case !strings.Contains(msg, "Wrong user name or password."):
			t.Fatalf("attempt %d: form error %q, want a wrong-password message", attempt, msg)
		}
	}
	if !throttled {
		t.Fatal(`10 wrong passwords and no "Too many failed sign-ins"`)
	}
	// The same refusal, as plain HTTP, to see the status code. The delay is short at first
	// (1 s): one more wrong password right away either meets the refusal or, if the delay
	// already passed on a slow machine, counts as another failure and doubles it, so the
	// right password just after is refused either way.
	cl := newClient(t, c)
	cl.postForm("/login", url.Values{"username": {"alice"}, "password": {"not-my-password"}})
	r := cl.postForm("/login", url.Values{"username": {"alice"}, "password": {"alice-secret-42"}})
	alice.screenshot("throttled")
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("POST /login while throttled: status %d, want 429", r.Status)
	}
	if !strings.Contains(r.Body, "Too many failed sign-ins") {
		t.Errorf("POST /login while throttled: body lacks %q:\n%s", "Too many failed sign-ins", r.Body)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("POST /login while throttled: no Retry-After header")
	}
}
