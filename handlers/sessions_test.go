package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// replay copies a client's cookies into a new client: an attacker holding a stolen cookie.
func replay(ts *testServer, c *client) *client {
	r := ts.anon()
	for k, v := range c.cookies {
		ck := *v
		r.cookies[k] = &ck
	}
	return r
}

func signedIn(t *testing.T, c *client) bool {
	t.Helper()
	return c.get(t, "/account").Code == http.StatusOK
}

// The attack report: a cookie taken before logout still worked after it.
func TestLogoutEndsTheSessionOnTheServer(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	stolen := replay(ts, alice)
	if !signedIn(t, stolen) {
		t.Fatal("the copied cookie should work before logout")
	}
	wantStatus(t, alice.postForm(t, "/logout", nil, false), http.StatusSeeOther)
	if signedIn(t, stolen) {
		t.Fatal("the cookie taken before logout still works after it")
	}
}

// Signing in starts a new session id: a cookie planted before sign-in (session fixation)
// is not signed in afterwards.
func TestSessionCookieIsRenewedAtSignIn(t *testing.T) {
	ts := newTestServer(t)
	c := ts.anon()
	c.get(t, "/login")
	before := c.cookies["alertdesk"].Value
	c.signIn(t, "alice", testPassword)
	planted := ts.anon()
	planted.cookies["alertdesk"] = &http.Cookie{Name: "alertdesk", Value: before}
	if signedIn(t, planted) {
		t.Fatal("the pre-sign-in cookie became a signed-in session")
	}
}

func TestSessionLifetimesEnforcedOnServer(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	ts.Clock.Advance(23 * time.Hour)
	if !signedIn(t, alice) {
		t.Fatal("signed out before the idle lifetime (24h)")
	}
	ts.Clock.Advance(25 * time.Hour) // idle for more than 24h
	if signedIn(t, alice) {
		t.Fatal("a session idle for 25h still works")
	}

	bob := ts.login(t, "bob", testPassword)
	for range 8 { // active every day, but the absolute lifetime is 7 days
		ts.Clock.Advance(23 * time.Hour)
		bob.get(t, "/account")
	}
	if signedIn(t, bob) {
		t.Fatal("a session older than 7 days still works")
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	ts := newTestServer(t)
	here := ts.login(t, "alice", testPassword)
	laptop := ts.login(t, "alice", testPassword)
	const newPW = "a much better passphrase 9"
	rec := here.postForm(t, "/account/password", url.Values{"current": {testPassword}, "password": {newPW}, "password2": {newPW}}, false)
	wantStatus(t, rec, http.StatusOK)
	if !signedIn(t, here) {
		t.Fatal("the session that changed the password was signed out")
	}
	if signedIn(t, laptop) {
		t.Fatal("another session survived the password change")
	}
}

func TestDisablingAUserEndsTheirSessions(t *testing.T) {
	ts := newTestServer(t)
	bob := ts.login(t, "bob", testPassword)
	admin := ts.login(t, "admin", testPassword)
	rec := admin.postForm(t, "/admin/users/"+idStr(ts.MemberB.ID), url.Values{"display_name": {"Bob Builder"},
		"role": {"member"}, "team_id": {idStr(ts.TeamB.ID)}, "disabled": {"1"}}, false)
	if rec.Code >= 400 {
		t.Fatalf("disable: status %d; body:\n%s", rec.Code, rec.Body)
	}
	if signedIn(t, bob) {
		t.Fatal("a disabled user's session still works")
	}
	n, err := sessionCount(ts, ts.MemberB.ID)
	if err != nil || n != 0 {
		t.Fatalf("bob's session records = %d, %v; want 0", n, err)
	}
}

func sessionCount(ts *testServer, uid int64) (int, error) {
	s, err := ts.DB.UserSessions(context.Background(), uid)
	return len(s), err
}

func TestAdminSignsUserOutEverywhere(t *testing.T) {
	ts := newTestServer(t)
	b1, b2 := ts.login(t, "bob", testPassword), ts.login(t, "bob", testPassword)
	alice := ts.login(t, "alice", testPassword)
	// Not for members.
	wantStatus(t, alice.postForm(t, "/admin/users/"+idStr(ts.MemberB.ID)+"/sessions/end", nil, false), http.StatusForbidden)
	admin := ts.login(t, "admin", testPassword)
	page := admin.get(t, "/admin/users/"+idStr(ts.MemberB.ID))
	if !strings.Contains(page.Body.String(), `data-testid="user-sign-out-everywhere"`) {
		t.Fatal("the user page has no sign-out-everywhere button")
	}
	wantStatus(t, admin.postForm(t, "/admin/users/"+idStr(ts.MemberB.ID)+"/sessions/end", nil, false), http.StatusSeeOther)
	if signedIn(t, b1) || signedIn(t, b2) {
		t.Fatal("bob is still signed in after sign-out-everywhere")
	}
	if !signedIn(t, admin) || !signedIn(t, alice) {
		t.Fatal("other users were signed out")
	}
	if n := auditCount(t, ts, "user.sessions_ended"); n != 1 {
		t.Fatalf("sessions_ended audit rows = %d, want 1", n)
	}
}

func TestMyAccountListsAndEndsOwnSessions(t *testing.T) {
	ts := newTestServer(t)
	phone := ts.anon()
	phone.header = http.Header{"User-Agent": {"PhoneBrowser/1.0"}}
	phone.signIn(t, "alice", testPassword)
	desk := ts.login(t, "alice", testPassword)
	ts.login(t, "bob", testPassword)
	page := desk.get(t, "/account")
	wantStatus(t, page, http.StatusOK)
	body := page.Body.String()
	if n := strings.Count(body, `data-testid="session-row"`); n != 2 {
		t.Fatalf("session rows = %d, want alice's 2 (not bob's)", n)
	}
	if !strings.Contains(body, "PhoneBrowser/1.0") || !strings.Contains(body, "192.0.2.1") || !strings.Contains(body, "this browser") {
		t.Fatal("the list lacks the user agent, the address or the current-session marker")
	}
	sessions, err := ts.DB.UserSessions(context.Background(), ts.MemberA.ID)
	if err != nil {
		t.Fatal(err)
	}
	var phoneID int64
	for _, s := range sessions {
		if s.UserAgent == "PhoneBrowser/1.0" {
			phoneID = s.ID
		}
	}
	// Bob cannot end alice's session.
	bob := ts.login(t, "bob", testPassword)
	wantStatus(t, bob.postForm(t, "/account/sessions/"+idStr(phoneID)+"/end", nil, false), http.StatusNotFound)
	if !signedIn(t, phone) {
		t.Fatal("bob ended alice's session")
	}
	wantStatus(t, desk.postForm(t, "/account/sessions/"+idStr(phoneID)+"/end", nil, false), http.StatusSeeOther)
	if signedIn(t, phone) {
		t.Fatal("the ended session still works")
	}
	phone.signIn(t, "alice", testPassword)
	wantStatus(t, desk.postForm(t, "/account/sessions/end-others", nil, false), http.StatusSeeOther)
	if signedIn(t, phone) || !signedIn(t, desk) {
		t.Fatal("end-others must end the phone and keep this browser")
	}
	// An auditor may manage their own sessions although they change nothing else.
	aud := ts.login(t, "auditor", testPassword)
	wantStatus(t, aud.postForm(t, "/account/sessions/end-others", nil, false), http.StatusSeeOther)
}
