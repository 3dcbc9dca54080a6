package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"alertdesk/handlers"
	"alertdesk/password"
)

// next after sign-in is followed only to a path of this console; the attack report's
// /%09/evil.example/ (a tab the browser strips, leaving //evil.example/) and friends go to /.
func TestLoginNextIsSameOriginPathOnly(t *testing.T) {
	ts := newTestServer(t)
	for _, tc := range []struct{ next, want string }{
		{"/rules", "/rules"},
		{"/history?robot=3&page=2", "/history?robot=3&page=2"},
		{"/alerts/5#why", "/alerts/5#why"},
		{"/\t/evil.example/", "/"},
		{"/\n/evil.example/", "/"},
		{"/\r/evil.example/", "/"},
		{"//evil.example/", "/"},
		{"///evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"\\/evil.example/", "/"},
		{"/\\/evil.example/", "/"},
		{"https://evil.example/", "/"},
		{"http:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{" /rules", "/"},
		{"/%2F/evil.example/", "/"},
		{"/%5Cevil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"/\u2028/evil.example", "/"},
		{"", "/"},
	} {
		t.Run(url.QueryEscape(tc.next), func(t *testing.T) {
			c := ts.anon()
			// The login page keeps only a safe next in its hidden field…
			page := c.get(t, "/login?next="+url.QueryEscape(tc.next))
			wantStatus(t, page, http.StatusOK)
			// …and the form's own next field is checked again on submit.
			rec := c.postForm(t, "/login", url.Values{"username": {"alice"}, "password": {testPassword}, "next": {tc.next}}, false)
			wantStatus(t, rec, http.StatusSeeOther)
			if got := rec.Header().Get("Location"); got != tc.want {
				t.Fatalf("Location = %q, want %q", got, tc.want)
			}
		})
	}
	// The attack report's exact URL: the page must not carry the tab path into the form.
	page := ts.anon().get(t, "/login?next=%2F%09%2Fevil.example%2F")
	if strings.Contains(page.Body.String(), "evil.example") {
		t.Fatal("the login page kept the hostile next")
	}
}

// A CSRF token in the query string is not accepted: only the form body or the header.
func TestCSRFTokenNotFromQueryString(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	before := auditCount(t, ts, "team.create")
	req := httptest.NewRequest(http.MethodPost, "/admin/teams?_csrf="+url.QueryEscape(admin.csrf),
		strings.NewReader(url.Values{"name": {"gamma"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	wantStatus(t, admin.do(t, req), http.StatusForbidden)
	if got := auditCount(t, ts, "team.create"); got != before {
		t.Fatal("a team was created with the token in the query string")
	}
	// The same token in the body or the header works.
	wantStatus(t, admin.postForm(t, "/admin/teams", url.Values{"name": {"gamma"}}, false), http.StatusSeeOther)
	wantStatus(t, admin.postForm(t, "/admin/teams", url.Values{"name": {"delta"}}, true), http.StatusNoContent)
}

// /metrics needs the bearer token when ALERTDESK_METRICS_TOKEN is set, and is open otherwise.
func TestMetricsBearerToken(t *testing.T) {
	ts := newTestServer(t)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "alertdesk_up 1\n") })
	ts.rebuild(func(d *handlers.Deps) { d.Metrics = metrics })
	get := func(auth string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		ts.Server.ServeHTTP(rec, req)
		return rec
	}
	wantStatus(t, get(""), http.StatusOK) // no token configured: open, as before
	ts.rebuild(func(d *handlers.Deps) { d.Config.MetricsToken = "s3cret-scrape-token" })
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic czNjcmV0LXNjcmFwZS10b2tlbg==", "Bearer s3cret-scrape-toke", "s3cret-scrape-token"} {
		rec := get(auth)
		wantStatus(t, rec, http.StatusUnauthorized)
		if strings.Contains(rec.Body.String(), "alertdesk_up") || rec.Header().Get("WWW-Authenticate") == "" {
			t.Fatalf("Authorization %q: metrics served or no WWW-Authenticate", auth)
		}
	}
	if rec := get("Bearer s3cret-scrape-token"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "alertdesk_up 1") {
		t.Fatalf("with the token: status %d, body %q", rec.Code, rec.Body)
	}
}

// Every path that sets a password applies the policy: sign-up by invite, My account,
// admin create and admin reset. The attack report's 12345678, aaaaaaaa and password fail.
func TestPasswordPolicyOnEveryPath(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	alice := ts.login(t, "alice", testPassword)
	rec := admin.postForm(t, "/invites", url.Values{"team_id": {idStr(ts.TeamA.ID)}, "days": {"7"}, "uses": {"1"}}, false)
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	i := strings.Index(body, "/invite/")
	link := body[i : i+strings.IndexByte(body[i:], '"')]
	carol := ts.anon()
	carol.get(t, link)

	bad := map[string]string{
		"12345678":     password.Advice(password.ErrTooShort),
		"aaaaaaaa":     password.Advice(password.ErrTooShort),
		"password":     password.Advice(password.ErrTooShort),
		"aaaaaaaaaaaa": password.Advice(password.ErrCommon),
		"qwertyqwerty": password.Advice(password.ErrCommon),
	}
	for pw, want := range bad {
		paths := []struct {
			name string
			do   func() *httptest.ResponseRecorder
		}{
			{"signup", func() *httptest.ResponseRecorder {
				return carol.postForm(t, link, url.Values{"username": {"carol"}, "password": {pw}, "password2": {pw}}, false)
			}},
			{"my account", func() *httptest.ResponseRecorder {
				return alice.postForm(t, "/account/password", url.Values{"current": {testPassword}, "password": {pw}, "password2": {pw}}, false)
			}},
			{"admin create", func() *httptest.ResponseRecorder {
				return admin.postForm(t, "/admin/users", url.Values{"username": {"dave"}, "role": {"admin"}, "password": {pw}}, false)
			}},
			{"admin reset", func() *httptest.ResponseRecorder {
				return admin.postForm(t, "/admin/users/"+idStr(ts.MemberB.ID)+"/password", url.Values{"password": {pw}}, false)
			}},
		}
		for _, p := range paths {
			rec := p.do()
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(bodyText(rec), want) {
				t.Errorf("%s with %q: status %d, want 422 with %q", p.name, pw, rec.Code, want)
			}
		}
	}
	// Nothing changed: the old passwords still work, no user was created.
	ts.login(t, "alice", testPassword)
	ts.login(t, "bob", testPassword)
	if n, _ := ts.DB.CountUsers(t.Context()); n != 4 {
		t.Fatalf("users = %d, want 4", n)
	}
}
