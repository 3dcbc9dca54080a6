package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"alertdesk/db"
)

const (
	sessionName = "alertdesk"
	ctxSession  = "session"
	ctxUser     = "user"
)

// webSession is the browser's session: its cookie (gorilla/sessions, signed and
// encrypted) carries only a random session id; who is signed in, since when and until
// when is the server's record (db.Session), so ending a session takes effect at once.
// Anonymous visitors have an id too (no record), which their CSRF token derives from.
type webSession struct {
	cookie *sessions.Session
	sid    string
	token  string      // CSRF token: HMAC of the session id, so it changes with it
	record *db.Session // nil when nobody is signed in
}

func (s *webSession) csrf() string { return s.token }

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

// csrfFor derives the CSRF token of a session id.
func (s *Server) csrfFor(sid string) string {
	m := hmac.New(sha256.New, s.deps.Config.SessionAuthKey)
	m.Write([]byte("alertdesk csrf\x00" + sid))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sessionTouchEvery limits last-seen updates to one write a minute per session.
const sessionTouchEvery = time.Minute

// loadSession reads the session cookie (a corrupted or forged one counts as none), looks
// up its server-side record, enforces the idle and absolute lifetimes, and loads the
// signed-in user.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		raw, err := s.store.Get(c.Request(), sessionName)
		if err != nil {
			raw, _ = s.store.New(c.Request(), sessionName) // decode errors → fresh session
		}
		sid, _ := raw.Values["sid"].(string)
		ws := &webSession{cookie: raw, sid: sid}
		dirty := false
		if len(sid) < 32 {
			ws.sid = randomToken(32)
			raw.Values = map[any]any{"sid": ws.sid}
			dirty = true
		} else {
			rec, err := s.deps.DB.SessionByToken(ctx, sid)
			switch {
			case errors.Is(err, db.ErrNotFound): // ended: the visitor is anonymous now
			case err != nil:
				return err
			default:
				u, ok, err := s.sessionUser(c, rec)
				if err != nil {
					return err
				}
				if ok {
					ws.record = &rec
					c.Set(ctxUser, &u)
					applyUserLocale(c, &u)
				}
			}
		}
		ws.token = s.csrfFor(ws.sid)
		c.Set(ctxSession, ws)
		if dirty {
			if err := raw.Save(c.Request(), c.Response()); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// sessionUser checks a session record against the lifetimes and its user, ending it
// when it may no longer be used, and records its use.
func (s *Server) sessionUser(c echo.Context, rec db.Session) (db.User, bool, error) {
	ctx := c.Request().Context()
	now := s.now()
	cfg := s.deps.Config
	if now.Sub(rec.CreatedAt) >= cfg.SessionMaxAge || now.Sub(rec.LastSeenAt) >= cfg.SessionIdle {
		err := s.deps.DB.EndSession(ctx, rec.UserID, rec.ID)
		return db.User{}, false, ignoreNotFound(err)
	}
	u, err := s.deps.DB.UserByID(ctx, rec.UserID)
	if errors.Is(err, db.ErrNotFound) {
		return db.User{}, false, nil
	}
	if err != nil {
		return db.User{}, false, err
	}
	if u.Disabled {
		return db.User{}, false, ignoreNotFound(s.deps.DB.EndSession(ctx, rec.UserID, rec.ID))
	}
	if now.Sub(rec.LastSeenAt) >= sessionTouchEvery || rec.IP != c.RealIP() {
		if err := s.deps.DB.TouchSession(ctx, rec.ID, c.RealIP()); err != nil {
			return db.User{}, false, err
		}
	}
	return u, true, nil
}

func ignoreNotFound(err error) error {
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	return err
}

// startSession signs u in on this browser: a new session id (never the anonymous one,
// so an id planted before sign-in is worth nothing), its record, and a cookie with it.
func (s *Server) startSession(c echo.Context, u db.User) error {
	sid := randomToken(32)
	rec, err := s.deps.DB.CreateSession(c.Request().Context(), db.NewSession{Token: sid, UserID: u.ID,
		IP: c.RealIP(), UserAgent: c.Request().UserAgent()})
	if err != nil {
		return err
	}
	ws := session(c)
	ws.sid, ws.token, ws.record = sid, s.csrfFor(sid), &rec
	ws.cookie.Values = map[any]any{"sid": sid}
	c.Set(ctxUser, &u)
	return ws.cookie.Save(c.Request(), c.Response())
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
			got = postedValue(c, "_csrf")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return userError(http.StatusForbidden, "%s", t(c, "common.err.form_expired"))
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

// Flash messages live in a cookie of their own, so the session cookie carries nothing
// but the session id.
const flashName = "alertdesk_flash"

func (s *Server) setFlash(c echo.Context, kind, msg string) {
	fs, _ := s.store.Get(c.Request(), flashName) // a damaged cookie is replaced
	fs.Values = map[any]any{"flash": kind + "|" + msg}
	fs.Options = &sessions.Options{Path: "/", MaxAge: 300, HttpOnly: true, Secure: s.deps.Config.SecureCookies,
		SameSite: http.SameSiteLaxMode}
	if err := fs.Save(c.Request(), c.Response()); err != nil {
		logger(c).Warn("flash: save", "error", err)
	}
}

func (s *Server) popFlash(c echo.Context) (msg, kind string) {
	fs, err := s.store.Get(c.Request(), flashName)
	if err != nil || fs.IsNew {
		return "", ""
	}
	v, _ := fs.Values["flash"].(string)
	if v == "" {
		return "", ""
	}
	fs.Values = map[any]any{}
	fs.Options = &sessions.Options{Path: "/", MaxAge: -1}
	_ = fs.Save(c.Request(), c.Response())
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
