package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"alertdesk/db"
	"alertdesk/views"
)

// loginThrottle counts failed sign-ins per user name and per client address in a
// sliding window; over the limit, further attempts are refused until the oldest ages out.
type loginThrottle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
	now    func() time.Time
}

func newLoginThrottle(limit int, window time.Duration) *loginThrottle {
	return &loginThrottle{limit: limit, window: window, fails: map[string][]time.Time{}, now: time.Now}
}

// blocked returns how long the keys stay blocked (0 = not blocked).
func (t *loginThrottle) blocked(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		ts := t.prune(k, now)
		if len(ts) >= t.limit {
			wait = max(wait, ts[0].Add(t.window).Sub(now))
		}
	}
	return wait
}

func (t *loginThrottle) fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.fails) > 100_000 { // bound memory under a credential-stuffing flood
		for k := range t.fails {
			if len(t.prune(k, now)) == 0 {
				delete(t.fails, k)
			}
		}
	}
	for _, k := range keys {
		t.fails[k] = append(t.prune(k, now), now)
	}
}

func (t *loginThrottle) reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}

func (t *loginThrottle) prune(k string, now time.Time) []time.Time {
	ts := t.fails[k]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= t.window {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(t.fails, k)
		return nil
	}
	t.fails[k] = ts
	return ts
}

// dummyHash makes a sign-in for an unknown user cost as much as a real one.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("alertdesk-dummy-password"), bcrypt.DefaultCost)

// HashPassword hashes a password for storage.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) loginShow(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	f := views.LoginForm{Next: safeNext(c.QueryParam("next"))}
	return render(c, http.StatusOK, views.LoginPage(s.page(c, "Sign in", ""), f, nil))
}

func (s *Server) login(c echo.Context) error {
	f := views.LoginForm{Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	password := c.FormValue("password")
	again := func(status int, errs views.FieldErrors) error {
		if isHTMX(c) {
			return render(c, status, views.LoginFormView(session(c).csrf(), f, errs))
		}
		return render(c, status, views.LoginPage(s.page(c, "Sign in", ""), f, errs))
	}
	errs := views.FieldErrors{}
	if f.Username == "" {
		errs["username"] = "Enter your user name."
	} else if len(f.Username) > 64 {
		errs["username"] = "A user name has at most 64 characters."
	}
	if password == "" {
		errs["password"] = "Enter your password."
	} else if len(password) > 256 {
		errs["password"] = "A password has at most 256 characters."
	}
	if len(errs) > 0 {
		return again(http.StatusUnprocessableEntity, errs)
	}
	ip := c.RealIP()
	userKey, ipKey := "u:"+strings.ToLower(f.Username), "ip:"+ip
	if wait := s.throttle.blocked(userKey, ipKey); wait > 0 {
		_ = s.deps.DB.RecordEvent(c.Request().Context(), db.Actor{Name: f.Username, IP: ip},
			db.Change{Action: "user.login_throttled", ObjectType: "user", ObjectName: f.Username})
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		return again(http.StatusTooManyRequests, views.FieldErrors{"_form": fmt.Sprintf(
			"Too many failed sign-ins. Try again in %s.", roundUp(wait))})
	}
	u, err := s.deps.DB.UserByUsername(c.Request().Context(), f.Username)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil || u.Disabled {
		s.throttle.fail(userKey, ipKey)
		a := db.Actor{Name: f.Username, IP: ip}
		if err == nil {
			a.UserID = u.ID
		}
		if rerr := s.deps.DB.RecordEvent(c.Request().Context(), a, db.Change{Action: "user.login_failed",
			ObjectType: "user", ObjectID: u.ID, ObjectName: f.Username, TeamID: u.TeamID}); rerr != nil {
			return rerr
		}
		return again(http.StatusUnprocessableEntity, views.FieldErrors{"_form": "Wrong user name or password."})
	}
	s.throttle.reset(userKey)
	// A fresh session on sign-in: nothing of the anonymous one carries over but nothing is needed.
	ws := session(c)
	ws.Values = map[any]any{"uid": u.ID, "sv": u.SessionVersion, "csrf": randomToken(32)}
	if err := ws.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	if err := s.deps.DB.RecordEvent(c.Request().Context(), db.Actor{UserID: u.ID, Name: u.Username, IP: ip},
		db.Change{Action: "user.login", ObjectType: "user", ObjectID: u.ID, ObjectName: u.Username, TeamID: u.TeamID}); err != nil {
		return err
	}
	return redirect(c, f.Next)
}

func roundUp(d time.Duration) string {
	m := int(d.Minutes())
	if d > time.Duration(m)*time.Minute {
		m++
	}
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

func (s *Server) logout(c echo.Context) error {
	ws := session(c)
	ws.Options.MaxAge = -1
	ws.Values = map[any]any{}
	if err := ws.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/login")
}

// validatePassword checks a new password and its repetition.
func validatePassword(errs views.FieldErrors, pw, pw2 string, withRepeat bool) {
	switch {
	case pw == "":
		errs["password"] = "Choose a password."
	case utf8.RuneCountInString(pw) < 8:
		errs["password"] = "Use at least 8 characters."
	case len(pw) > 72:
		errs["password"] = "Use at most 72 bytes (bcrypt's limit)."
	case withRepeat && pw != pw2:
		errs["password2"] = "The two passwords differ."
	}
}
