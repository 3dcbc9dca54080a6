package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"alertdesk/db"
)

const (
	sessionName = "alertdesk"
	ctxSession  = "session"
	ctxUser     = "user"
)

// webSession wraps the gorilla session: it holds only the user id, the session
// version (so a password reset ends old sessions), the CSRF token and a flash.
type webSession struct{ *sessions.Session }

func (s webSession) csrf() string {
	v, _ := s.Values["csrf"].(string)
	return v
}

func session(c echo.Context) *webSession {
	s, _ := c.Get(ctxSession).(*webSession)
	return s
}

func currentUser(c echo.Context) *db.User {
	u, _ := c.Get(ctxUser).(*db.User)
	return u
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadSession reads the session cookie (a corrupted or forged one counts as none),
// makes sure it carries a CSRF token, and loads the signed-in user.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw, err := s.store.Get(c.Request(), sessionName)
		if err != nil {
			raw, _ = s.store.New(c.Request(), sessionName) // decode errors → fresh session
			raw.Values = map[any]any{}
		}
		ws := &webSession{raw}
		dirty := false
		if ws.csrf() == "" {
			ws.Values["csrf"] = randomToken(32)
			dirty = true
		}
		if uid, ok := ws.Values["uid"].(int64); ok {
			u, err := s.deps.DB.UserByID(c.Request().Context(), uid)
			sv, _ := ws.Values["sv"].(int64)
			switch {
			case err == nil && !u.Disabled && u.SessionVersion == sv:
				c.Set(ctxUser, &u)
			case err == nil || errors.Is(err, db.ErrNotFound):
				delete(ws.Values, "uid")
				delete(ws.Values, "sv")
				dirty = true
			default:
				return err
			}
		}
		c.Set(ctxSession, ws)
		if dirty {
			if err := ws.Save(c.Request(), c.Response()); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// checkCSRF refuses state-changing requests without the session's token in the
// _csrf form field or the X-CSRF-Token header.
func checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		want := session(c).csrf()
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return userError(http.StatusForbidden, "This form has expired or did not come from this console. Reload the page and try again.")
		}
		return next(c)
	}
}

// requireAuth sends anonymous visitors to the login page.
func requireAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		target := "/login"
		if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
			target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
		}
		return redirect(c, target)
	}
}

// authorize is the one place roles are enforced for whole areas of the console:
// auditors change nothing, only admins enter /admin, only admins and auditors read the
// audit log. Team scoping of single objects is enforced by db.Scope on every query.
func authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		path := c.Path()
		safe := c.Request().Method == http.MethodGet || c.Request().Method == http.MethodHead
		switch {
		case u.Role == db.RoleAuditor && !safe && path != "/logout" && path != "/account/password":
			return userError(http.StatusForbidden, "Auditors can read everything but change nothing.")
		case strings.HasPrefix(path, "/admin") && u.Role != db.RoleAdmin && !(safe && u.Role == db.RoleAuditor):
			return userError(http.StatusForbidden, "Only administrators can open this page.")
		case strings.HasPrefix(path, "/audit") && u.Role == db.RoleMember:
			return userError(http.StatusForbidden, "The audit log is for administrators and auditors.")
		}
		return next(c)
	}
}

func (s *Server) setFlash(c echo.Context, kind, msg string) {
	ws := session(c)
	if ws == nil {
		return
	}
	ws.Values["flash"] = kind + "|" + msg
	_ = ws.Save(c.Request(), c.Response())
}

func (s *Server) popFlash(c echo.Context) (msg, kind string) {
	ws := session(c)
	v, _ := ws.Values["flash"].(string)
	if v == "" {
		return "", ""
	}
	delete(ws.Values, "flash")
	_ = ws.Save(c.Request(), c.Response())
	kind, msg, _ = strings.Cut(v, "|")
	return msg, kind
}

func actor(c echo.Context) db.Actor {
	a := db.Actor{IP: c.RealIP()}
	if u := currentUser(c); u != nil {
		a.UserID, a.Name = u.ID, u.Username
	}
	return a
}

func scope(c echo.Context) db.Scope {
	if u := currentUser(c); u != nil {
		return u.Scope()
	}
	return db.Scope{TeamID: -1}
}
