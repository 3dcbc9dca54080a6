package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"alertdesk/db"
)

func auditCount(t *testing.T, ts *testServer, action string) int {
	t.Helper()
	events, _, err := ts.DB.AuditEvents(context.Background(), db.AuditFilter{Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return len(events)
}

func TestLoginPageAndSecurityHeaders(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.anon().get(t, "/login")
	wantStatus(t, rec, http.StatusOK)
	h := rec.Header()
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q, want script-src 'self' without unsafe-inline", csp)
	}
	for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	ck := rec.Result().Cookies()
	if len(ck) == 0 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("session cookie = %+v, want HttpOnly and SameSite=Lax", ck)
	}
}

func TestAnonymousIsSentToLogin(t *testing.T) {
	ts := newTestServer(t)
	rec := ts.anon().get(t, "/robots")
	wantStatus(t, rec, http.StatusSeeOther)
	if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
		t.Errorf("Location = %q, want the login page with next", loc)
	}
	req := httptest.NewRequest(http.MethodGet, "/robots", nil)
	req.Header.Set("HX-Request", "true")
	rec = ts.anon().do(t, req)
	if rec.Header().Get("HX-Redirect") == "" {
		t.Errorf("htmx request without a session: no HX-Redirect")
	}
}

func TestPostWithoutCSRFIsRefused(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	before := auditCount(t, ts, "team.create")
	for _, token := range []string{"", "forged-token"} {
		rec := admin.postForm(t, "/admin/teams", url.Values{"name": {"gamma"}, "_csrf": {token}}, false)
		wantStatus(t, rec, http.StatusForbidden)
		if !strings.Contains(bodyText(rec), "did not come from this console") {
			t.Errorf("403 body does not explain: %s", rec.Body)
		}
	}
	if _, err := ts.DB.TeamByName(context.Background(), "gamma"); err == nil {
		t.Fatal("a team was created without a CSRF token")
	}
	if got := auditCount(t, ts, "team.create"); got != before {
		t.Fatalf("audit events changed: %d → %d", before, got)
	}
	// With the token it works, and the change is audited.
	wantStatus(t, admin.postForm(t, "/admin/teams", url.Values{"name": {"gamma"}}, false), http.StatusSeeOther)
	if got := auditCount(t, ts, "team.create"); got != before+1 {
		t.Fatalf("team.create events = %d, want %d", got, before+1)
	}
}

func TestLoginFormBadInput(t *testing.T) {
	ts := newTestServer(t)
	c := ts.anon()
	c.get(t, "/login")
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"empty", url.Values{}, "Enter your user name."},
		{"over-long user", url.Values{"username": {strings.Repeat("a", 65)}, "password": {"x"}}, "at most 64 characters"},
		{"over-long password", url.Values{"username": {"alice"}, "password": {strings.Repeat("p", 300)}}, "at most 256 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := c.postForm(t, "/login", tc.form, false)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			if !strings.Contains(bodyText(rec), tc.want) {
				t.Errorf("body lacks %q", tc.want)
			}
		})
	}
}

func TestCorruptedSessionCookieIsAnonymous(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	for name, ck := range admin.cookies {
		ck.Value = ck.Value[:len(ck.Value)/2] + "garbage" + ck.Value[len(ck.Value)/2:]
		admin.cookies[name] = ck
	}
	rec := admin.get(t, "/admin/teams")
	wantStatus(t, rec, http.StatusSeeOther) // back to login, not a 500
	if !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Fatalf("Location = %q", rec.Header().Get("Location"))
	}
}

func TestRolesAreEnforced(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	auditor := ts.login(t, "auditor", testPassword)
	rec := alice.get(t, "/admin/teams")
	wantStatus(t, rec, http.StatusForbidden)
	if !strings.Contains(bodyText(rec), "Only administrators") {
		t.Errorf("403 without words: %s", rec.Body)
	}
	wantStatus(t, alice.get(t, "/audit"), http.StatusForbidden)
	wantStatus(t, auditor.get(t, "/audit"), http.StatusOK)
	wantStatus(t, auditor.get(t, "/admin/users"), http.StatusOK)
	rec = auditor.postForm(t, "/admin/teams", url.Values{"name": {"sneaky"}}, false)
	wantStatus(t, rec, http.StatusForbidden)
	if _, err := ts.DB.TeamByName(context.Background(), "sneaky"); err == nil {
		t.Fatal("an auditor created a team")
	}
}

func TestMemberCannotReachAnotherTeamsInvite(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	inv, err := ts.DB.CreateInvite(ctx, db.SystemActor, ts.TeamB.ID, "beta-secret-token-123456", ts.DB.Now().Add(24*3600e9), 1)
	if err != nil {
		t.Fatal(err)
	}
	alice := ts.login(t, "alice", testPassword)
	rec := alice.get(t, "/invites")
	wantStatus(t, rec, http.StatusOK)
	if strings.Contains(bodyText(rec), inv.TokenHint) {
		t.Error("alice sees team beta's invite")
	}
	rec = alice.postForm(t, "/invites/"+idStr(inv.ID)+"/revoke", nil, false)
	wantStatus(t, rec, http.StatusNotFound)
	// Another team's id in a form field is refused, nothing stored.
	rec = alice.postForm(t, "/invites", url.Values{"team_id": {idStr(ts.TeamB.ID)}, "days": {"7"}, "uses": {"1"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	all, _ := ts.DB.Invites(ctx, db.AllTeams)
	if len(all) != 1 {
		t.Fatalf("invites = %d, want 1", len(all))
	}
}

func TestTeamFormBadInputStoresNothing(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	for _, tc := range []struct{ name, value, want string }{
		{"empty", "", "This field is required."},
		{"over-long", strings.Repeat("x", 65), "at most 64 characters"},
		{"control characters", "a\x07b", "Control characters"},
		{"duplicate", "Alpha", "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := admin.postForm(t, "/admin/teams", url.Values{"name": {tc.value}}, true)
			wantStatus(t, rec, http.StatusUnprocessableEntity)
			if !strings.Contains(bodyText(rec), tc.want) {
				t.Errorf("body lacks %q: %s", tc.want, rec.Body)
			}
		})
	}
	teams, _ := ts.DB.Teams(context.Background())
	if len(teams) != 2 {
		t.Fatalf("teams = %d, want 2", len(teams))
	}
}

func TestInviteSignUpJoinsTheTeam(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	rec := admin.postForm(t, "/invites", url.Values{"team_id": {idStr(ts.TeamA.ID)}, "days": {"7"}, "uses": {"1"}}, false)
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	i := strings.Index(body, "/invite/")
	if i < 0 {
		t.Fatal("no invite link shown")
	}
	link := body[i : i+strings.IndexByte(body[i:], '"')]
	carol := ts.anon()
	wantStatus(t, carol.get(t, link), http.StatusOK)
	rec = carol.postForm(t, link, url.Values{"username": {"carol"}, "password": {"long enough pw"}, "password2": {"different"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	rec = carol.postForm(t, link, url.Values{"username": {"carol"}, "password": {"long enough pw"}, "password2": {"long enough pw"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	u, err := ts.DB.UserByUsername(context.Background(), "carol")
	if err != nil || u.TeamID != ts.TeamA.ID || u.Role != db.RoleMember {
		t.Fatalf("carol = %+v, %v; want a member of alpha", u, err)
	}
	// The single use is spent.
	rec = ts.anon().get(t, link)
	wantStatus(t, rec, http.StatusGone)
}

func TestHealthAndReady(t *testing.T) {
	ts := newTestServer(t)
	wantStatus(t, ts.anon().get(t, "/healthz"), http.StatusOK)
	wantStatus(t, ts.anon().get(t, "/readyz"), http.StatusOK)
}

// Every route of the signed-in console declares who may call it, and a route without a
// declaration is refused to everyone (fail closed).
func TestEveryConsoleRouteDeclaresItsRole(t *testing.T) {
	ts := newTestServer(t)
	public := map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true, "/favicon.ico": true, "/login": true,
		"/invite/:token": true, "/static*": true, "/static/*": true}
	for _, r := range ts.Server.Routes() {
		if r.Method == "echo_route_not_found" { // echo's own fallbacks
			continue
		}
		// Machine endpoints (bearer tokens) and signed chat-action links carry their own
		// credential instead of a role.
		if public[r.Path] || strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/act/") || strings.HasPrefix(r.Path, "/sandbox/robot") ||
			strings.HasPrefix(r.Path, "/sandbox/open-apis") || strings.HasPrefix(r.Path, "/sandbox/cgi-bin") {
			continue
		}
		if !ts.Server.RoleDeclared(r.Method, r.Path) {
			t.Errorf("%s %s declares no role", r.Method, r.Path)
		}
	}
}
