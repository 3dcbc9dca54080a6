package handlers

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
)

// The browser's own choices, kept in cookies so a visitor who has not signed in (the
// sign-in page, an invite) sees them too: the language picked on the sign-in page's
// switcher and the time zone the browser reports (static/js/app.js sets it).
const (
	langCookie = "alertdesk_lang"
	zoneCookie = "alertdesk_tz"
)

// withLocale puts the reader's language and time zone into the request's context, from
// (in order) a ?lang= choice, the language cookie, Accept-Language and the configured
// default; the zone from the browser's cookie, else UTC. A signed-in user's own settings
// override both (loadSession applies them).
func (s *Server) withLocale(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		lang := ""
		if q := i18n.Normalize(r.URL.Query().Get("lang")); q != "" {
			lang = q
			c.SetCookie(&http.Cookie{Name: langCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: s.deps.Config.SecureCookies, SameSite: http.SameSiteLaxMode})
		}
		if lang == "" {
			if ck, err := r.Cookie(langCookie); err == nil {
				lang = i18n.Normalize(ck.Value)
			}
		}
		if lang == "" {
			lang = i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"))
		}
		if lang == "" {
			lang = s.deps.Config.DefaultLanguage
		}
		var zone *time.Location
		if ck, err := r.Cookie(zoneCookie); err == nil {
			zone = loadZone(ck.Value)
		}
		c.SetRequest(r.WithContext(i18n.With(r.Context(), i18n.New(lang, zone))))
		c.Response().Header().Add("Vary", "Accept-Language")
		return next(c)
	}
}

// applyUserLocale lets a signed-in user's own language and zone win over the browser's.
func applyUserLocale(c echo.Context, u *db.User) {
	if u.Language == "" && u.TimeZone == "" {
		return
	}
	r := c.Request()
	cur := i18n.From(r.Context())
	lang, zone := cur.Lang, cur.Zone
	if u.Language != "" {
		lang = u.Language
	}
	if z := loadZone(u.TimeZone); z != nil {
		zone = z
	}
	c.SetRequest(r.WithContext(i18n.With(r.Context(), i18n.New(lang, zone))))
}

var zones sync.Map // name → *time.Location: a zone is parsed once, not on every request

// loadZone is the IANA zone name, or nil when it names none (or is empty).
func loadZone(name string) *time.Location {
	if name == "" || len(name) > 64 {
		return nil
	}
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location)
	}
	z, err := time.LoadLocation(name)
	if err != nil || name == time.Local.String() {
		return nil
	}
	zones.Store(name, z)
	return z
}

// t is the catalog's text with id in the request's language (see i18n.T).
func t(c echo.Context, id string, args ...any) string {
	return i18n.T(c.Request().Context(), id, args...)
}
