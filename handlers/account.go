package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/password"
	"alertdesk/views"
)

func (s *Server) accountData(c echo.Context) (views.AccountData, error) {
	u := currentUser(c)
	rows, err := s.sessionRows(c)
	if err != nil {
		return views.AccountData{}, err
	}
	shifts, linked, err := s.myShifts(c)
	if err != nil {
		return views.AccountData{}, err
	}
	return views.AccountData{Page: s.page(c, t(c, "auth.account_title"), "account"), Username: u.Username, DisplayName: u.DisplayName,
		Role: u.Role, Team: u.TeamName, Sessions: rows, Shifts: shifts, ShiftsKnown: linked, Prefs: s.preferences(c, u)}, nil
}

// preferences is the user's language and zone as stored, with what the browser would
// choose instead.
func (s *Server) preferences(c echo.Context, u *db.User) views.Preferences {
	p := views.Preferences{Language: u.Language, TimeZone: u.TimeZone, BrowserZone: "UTC"}
	if p.BrowserLang = i18n.FromAcceptLanguage(c.Request().Header.Get("Accept-Language")); p.BrowserLang == "" {
		p.BrowserLang = i18n.New(s.deps.Config.DefaultLanguage, nil).Lang
	}
	if ck, err := c.Cookie(zoneCookie); err == nil && loadZone(ck.Value) != nil {
		p.BrowserZone = ck.Value
	}
	return p
}

// savePreferences stores the user's language and time zone; the page answers in the new
// language at once.
func (s *Server) savePreferences(c echo.Context) error {
	u := currentUser(c)
	errs := views.FieldErrors{}
	lang, zone := form(c, "language"), form(c, "time_zone")
	if lang != "" && i18n.Normalize(lang) != lang {
		errs["language"] = t(c, "auth.err.language")
	}
	if zone != "" && loadZone(zone) == nil {
		errs["time_zone"] = t(c, "auth.err.time_zone")
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		nu, err := s.deps.DB.UpdateUser(c.Request().Context(), actor(c), u.ID, db.UserUpdate{Language: &lang, TimeZone: &zone})
		if err != nil {
			return err
		}
		*u = nu
		applyUserLocale(c, u)
		if u.Language == "" { // back to the browser's choice: the middleware's pick stands again
			c.SetRequest(c.Request().WithContext(i18n.With(c.Request().Context(),
				i18n.New(s.preferences(c, u).BrowserLang, i18n.From(c.Request().Context()).Zone))))
		}
		s.setFlash(c, "ok", t(c, "auth.preferences_saved"))
		return redirect(c, "/account#preferences")
	}
	p := s.preferences(c, u)
	p.Language, p.TimeZone = lang, zone
	if isHTMX(c) {
		return render(c, status, views.PreferencesForm(session(c).csrf(), p, errs))
	}
	d, err := s.accountData(c)
	if err != nil {
		return err
	}
	d.Prefs = p
	return render(c, status, views.AccountPage(d, errs))
}

func (s *Server) account(c echo.Context) error {
	d, err := s.accountData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.AccountPage(d, nil))
}

func (s *Server) changePassword(c echo.Context) error {
	u := currentUser(c)
	errs := views.FieldErrors{}
	cur, pw, pw2 := c.FormValue("current"), c.FormValue("password"), c.FormValue("password2")
	if len(cur) > 256 || !password.Matches(u.PasswordHash, cur) {
		errs["current"] = t(c, "auth.err.current_wrong")
	}
	validatePassword(c, errs, pw, pw2, true)
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		upd := db.UserUpdate{PasswordHash: &hash}
		if rec := session(c).record; rec != nil {
			upd.KeepSession = rec.ID // this browser stays signed in; every other session ends
		}
		if _, err := s.deps.DB.UpdateUser(c.Request().Context(), actor(c), u.ID, upd); err != nil {
			return err
		}
		errs["_ok"] = t(c, "auth.password_changed")
		status = http.StatusOK
	}
	if isHTMX(c) {
		return render(c, status, views.PasswordForm(session(c).csrf(), errs))
	}
	d, err := s.accountData(c)
	if err != nil {
		return err
	}
	return render(c, status, views.AccountPage(d, errs))
}
