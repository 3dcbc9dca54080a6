package handlers_test

// Shared helpers for handler tests: the real Echo server over a fresh SQLite file, with
// fixture teams and users, and a cookie-keeping client that signs in through /login and
// sends the session's CSRF token with every POST.

import (
	"alertdesk/db/dbtest"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/password"
	"alertdesk/static"
)

// testPassword is every fixture user's password.
const testPassword = "correct horse battery staple"

// testServer is the console over a temp database with two teams and a user of every role:
// admin (no team), auditor (no team), alice (member of alpha), bob (member of beta).
type testServer struct {
	DB      *db.DB
	Server  *handlers.Server
	TeamA   db.Team    // "alpha"
	TeamB   db.Team    // "beta"
	Admin   db.User    // "admin"
	Auditor db.User    // "auditor"
	MemberA db.User    // "alice", team alpha
	MemberB db.User    // "bob", team beta
	Clock   *fakeClock // the server's clock for session lifetimes and sign-in throttling
	deps    handlers.Deps
}

// fakeClock is the real time plus an offset that tests advance: the server and the
// database share it, so records line up with the lifetimes checked against them, and
// rows written one after another keep their order.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen time.Time // non-zero: time stands still (apart from Advance)
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.frozen.IsZero() {
		return c.frozen
	}
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
	if !c.frozen.IsZero() {
		c.frozen = c.frozen.Add(d)
	}
}

// Freeze stops the clock, so that how long a slow machine takes between two requests
// cannot change what a test sees.
func (c *fakeClock) Freeze() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = time.Now().Add(c.offset)
}

func newTestServer(t testing.TB) *testServer {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{}
	d := dbtest.Open(t, db.Options{Now: clock.Now})
	var err error
	ts := &testServer{DB: d, Clock: clock}
	if ts.TeamA, err = d.CreateTeam(ctx, db.SystemActor, "alpha"); err != nil {
		t.Fatal(err)
	}
	if ts.TeamB, err = d.CreateTeam(ctx, db.SystemActor, "beta"); err != nil {
		t.Fatal(err)
	}
	hash, err := password.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(username, display, role string, team int64) db.User {
		t.Helper()
		u, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: username, DisplayName: display,
			PasswordHash: hash, Role: role, TeamID: team})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	ts.Admin = mk("admin", "Ada Admin", db.RoleAdmin, 0)
	ts.Auditor = mk("auditor", "Audrey Auditor", db.RoleAuditor, 0)
	ts.MemberA = mk("alice", "Alice Liddell", db.RoleMember, ts.TeamA.ID)
	ts.MemberB = mk("bob", "Bob Builder", db.RoleMember, ts.TeamB.ID)
	key := []byte("0123456789abcdef0123456789abcdef")
	ts.deps = handlers.Deps{
		DB:     d,
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		Static: static.FS,
		Config: handlers.Config{BaseURL: "http://console.test", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key},
		Clock:  ts.Clock.Now,
	}
	ts.Server = handlers.New(ts.deps)
	return ts
}

// rebuild replaces the server with one built from the same dependencies after change
// edits them (configuration variants); the database and its users stay.
func (ts *testServer) rebuild(change func(*handlers.Deps)) {
	change(&ts.deps)
	ts.Server = handlers.New(ts.deps)
}

// client is a browser stand-in: it keeps cookies and the session's CSRF token.
type client struct {
	ts      *testServer
	cookies map[string]*http.Cookie
	csrf    string
	addr    string // the TCP peer's address ("ip:port"); "" = httptest's 192.0.2.1:1234
	header  http.Header
}

// anon returns a client that is not signed in.
func (ts *testServer) anon() *client {
	return &client{ts: ts, cookies: map[string]*http.Cookie{}}
}

// login signs in through the login form and fails the test unless it works.
func (ts *testServer) login(t testing.TB, username, password string) *client {
	t.Helper()
	return ts.anon().signIn(t, username, password)
}

// signIn signs c in through the login form and fails the test unless it works.
func (c *client) signIn(t testing.TB, username, password string) *client {
	t.Helper()
	c.get(t, "/login") // session cookie + CSRF token of the anonymous session
	rec := c.postForm(t, "/login", url.Values{"username": {username}, "password": {password}, "next": {"/"}}, false)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login %s: status = %d, want 303; body:\n%s", username, rec.Code, rec.Body)
	}
	// Signing in starts a fresh session with a new CSRF token.
	if rec := c.get(t, "/account"); rec.Code != http.StatusOK {
		t.Fatalf("after login %s: GET /account = %d; body:\n%s", username, rec.Code, rec.Body)
	}
	return c
}

var csrfInputRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) do(t testing.TB, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	if c.addr != "" {
		req.RemoteAddr = c.addr
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	c.ts.Server.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	if m := csrfInputRe.FindStringSubmatch(rec.Body.String()); m != nil {
		c.csrf = html.UnescapeString(m[1])
	}
	return rec
}

// get requests path like a browser would (no htmx).
func (c *client) get(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	return c.do(t, httptest.NewRequest(http.MethodGet, path, nil))
}

// getHTMX requests path like htmx does (HX-Request: true).
func (c *client) getHTMX(t testing.TB, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("HX-Request", "true")
	return c.do(t, req)
}

// postForm posts form with the session's CSRF token (unless form sets _csrf itself);
// htmx adds HX-Request: true and sends the token as a header instead, like the layout does.
func (c *client) postForm(t testing.TB, path string, form url.Values, htmx bool) *httptest.ResponseRecorder {
	t.Helper()
	vals := url.Values{}
	for k, v := range form {
		vals[k] = v
	}
	if _, set := vals["_csrf"]; !set && !htmx {
		vals.Set("_csrf", c.csrf)
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if htmx {
		req.Header.Set("HX-Request", "true")
		if _, set := form["_csrf"]; !set {
			req.Header.Set("X-CSRF-Token", c.csrf)
		}
	}
	return c.do(t, req)
}

// wantStatus fails the test unless rec has the status, showing the body.
func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status = %d, want %d; body:\n%s", rec.Code, code, rec.Body)
	}
}

// bodyText is the response body with HTML entities decoded, for message checks.
func bodyText(rec *httptest.ResponseRecorder) string {
	return html.UnescapeString(rec.Body.String())
}

// idStr formats an id for URLs and form values.
func idStr(id int64) string { return strconv.FormatInt(id, 10) }
