package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/password"
	"alertdesk/views"
)

// dummyHash makes a sign-in for an unknown user cost as much as a real one.
var dummyHash, _ = password.Hash("alertdesk-dummy-password")

// safeNext returns next when it is a path on this console, else "/". It parses the
// value the way a browser would read it: browsers drop tabs and line breaks from URLs and
// treat a backslash as a slash, so "/\t/evil.example/" or "/\\evil.example" would leave
// the origin. Anything with control characters, backslashes, a scheme, a host or a
// leading "//" is refused rather than repaired.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return "/"
		}
	}
	if strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	// Decoded, the path must not start a network path either ("/%2F/evil.example" is
	// harmless to browsers, but a proxy or a later redirect might decode it).
	if strings.HasPrefix(u.Path, "//") || strings.ContainsAny(u.Path, "\\\t\r\n") {
		return "/"
	}
	return next
}

func (s *Server) loginShow(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	f := views.LoginForm{Next: safeNext(c.QueryParam("next"))}
	return render(c, http.StatusOK, views.LoginPage(s.page(c, t(c, "auth.sign_in_title"), ""), f, nil))
}

func (s *Server) login(c echo.Context) error {
	f := views.LoginForm{Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	pw := c.FormValue("password")
	again := func(status int, errs views.FieldErrors) error {
		if isHTMX(c) {
			return render(c, status, views.LoginFormView(session(c).csrf(), f, errs))
		}
		return render(c, status, views.LoginPage(s.page(c, t(c, "auth.sign_in_title"), ""), f, errs))
	}
	errs := views.FieldErrors{}
	if f.Username == "" {
		errs["username"] = t(c, "auth.err.username_empty")
	} else if len(f.Username) > 64 {
		errs["username"] = t(c, "auth.err.username_long")
	}
	if pw == "" {
		errs["password"] = t(c, "auth.err.password_empty_login")
	} else if len(pw) > 256 {
		errs["password"] = t(c, "auth.err.password_long_login")
	}
	if len(errs) > 0 {
		return again(http.StatusUnprocessableEntity, errs)
	}
	ctx := c.Request().Context()
	ip := c.RealIP()
	name := strings.ToLower(f.Username)
	if wait := s.throttle.wait(name, ip); wait > 0 {
		// Refused before the password is looked at, so a guess made too early says nothing.
		s.throttle.refused(name, ip)
		if err := s.auditRefusedBursts(ctx, "", ""); err != nil {
			return err
		}
		c.Response().Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(wait.Seconds()))))
		return again(http.StatusTooManyRequests, views.FieldErrors{"_form": t(c, "auth.err.throttled", "Wait", roundUp(wait))})
	}
	if err := s.auditRefusedBursts(ctx, name, ip); err != nil {
		return err
	}
	u, err := s.deps.DB.UserByUsername(ctx, f.Username)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	hash := dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if !password.Matches(hash, pw) || err != nil || u.Disabled {
		s.throttle.fail(name, ip)
		a := db.Actor{Name: f.Username, IP: ip}
		if err == nil {
			a.UserID = u.ID
		}
		if rerr := s.deps.DB.RecordEvent(ctx, a, db.Change{Action: "user.login_failed",
			ObjectType: "user", ObjectID: u.ID, ObjectName: f.Username, TeamID: u.TeamID}); rerr != nil {
			return rerr
		}
		return again(http.StatusUnprocessableEntity, views.FieldErrors{"_form": t(c, "auth.err.wrong")})
	}
	s.throttle.succeed(name, ip)
	if err := s.startSession(c, u); err != nil {
		return err
	}
	if err := s.deps.DB.RecordEvent(ctx, db.Actor{UserID: u.ID, Name: u.Username, IP: ip},
		db.Change{Action: "user.login", ObjectType: "user", ObjectID: u.ID, ObjectName: u.Username, TeamID: u.TeamID}); err != nil {
		return err
	}
	// Expired sessions cannot be used anyway; removing them keeps My account's list honest.
	now := s.now()
	if err := s.deps.DB.PruneSessions(ctx, now.Add(-s.deps.Config.SessionIdle), now.Add(-s.deps.Config.SessionMaxAge)); err != nil {
		logger(c).Warn("prune sessions", "error", err)
	}
	return redirect(c, f.Next)
}

// auditRefusedBursts writes one audit row per ended burst of refused sign-ins, with the
// count, instead of one row per refused attempt (an attacker cannot flood the log).
// allowedUser/allowedIP name an attempt about to be let through, which ends its burst.
func (s *Server) auditRefusedBursts(ctx context.Context, allowedUser, allowedIP string) error {
	for _, b := range s.throttle.endedBursts(allowedUser, allowedIP) {
		if err := s.deps.DB.RecordEvent(ctx, db.Actor{Name: b.User, IP: b.IP}, db.Change{Action: "user.login_throttled",
			ObjectType: "user", ObjectName: b.User, After: map[string]any{"refused_attempts": b.Count,
				"first": b.First.UTC().Format(time.RFC3339), "last": b.Last.UTC().Format(time.RFC3339)}}); err != nil {
			return err
		}
	}
	return nil
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		if secs := int(math.Ceil(d.Seconds())); secs > 1 {
			return fmt.Sprintf("%d seconds", secs)
		}
		return "a second"
	}
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
	if ws.record != nil {
		if err := ignoreNotFound(s.deps.DB.EndSession(c.Request().Context(), ws.record.UserID, ws.record.ID)); err != nil {
			return err
		}
	}
	ws.cookie.Options.MaxAge = -1
	ws.cookie.Values = map[any]any{}
	if err := ws.cookie.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return redirect(c, "/login")
}

// validatePassword checks a new password against the policy and its repetition.
func validatePassword(c echo.Context, errs views.FieldErrors, pw, pw2 string, withRepeat bool) {
	if err := password.Check(pw); err != nil {
		errs["password"] = passwordAdvice(c, err)
	} else if withRepeat && pw != pw2 {
		errs["password2"] = t(c, "auth.err.passwords_differ")
	}
}

// passwordAdvice says in the reader's language what makes a new password unacceptable.
func passwordAdvice(c echo.Context, err error) string {
	switch {
	case errors.Is(err, password.ErrEmpty):
		return t(c, "auth.err.password_empty")
	case errors.Is(err, password.ErrTooShort):
		return t(c, "auth.err.password_short", "Count", password.MinLength)
	case errors.Is(err, password.ErrTooLong):
		return t(c, "auth.err.password_long", "Count", password.MaxBytes)
	case errors.Is(err, password.ErrCommon):
		return t(c, "auth.err.password_common")
	}
	return err.Error()
}
