package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"alertdesk/db"
	"alertdesk/views"
)

func (s *Server) account(c echo.Context) error {
	u := currentUser(c)
	d := views.AccountData{Page: s.page(c, "My account", "account"), Username: u.Username, DisplayName: u.DisplayName,
		Role: u.Role, Team: u.TeamName}
	return render(c, http.StatusOK, views.AccountPage(d, nil))
}

func (s *Server) changePassword(c echo.Context) error {
	u := currentUser(c)
	errs := views.FieldErrors{}
	cur, pw, pw2 := c.FormValue("current"), c.FormValue("password"), c.FormValue("password2")
	if len(cur) > 256 || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(cur)) != nil {
		errs["current"] = "This is not your current password."
	}
	validatePassword(errs, pw, pw2, true)
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		hash, err := HashPassword(pw)
		if err != nil {
			return err
		}
		nu, err := s.deps.DB.UpdateUser(c.Request().Context(), actor(c), u.ID, db.UserUpdate{PasswordHash: &hash})
		if err != nil {
			return err
		}
		// Keep this session: it carries the new session version; others end.
		ws := session(c)
		ws.Values["sv"] = nu.SessionVersion
		if err := ws.Save(c.Request(), c.Response()); err != nil {
			return err
		}
		errs["_ok"] = "Password changed. Your other sessions have been signed out."
		status = http.StatusOK
	}
	if isHTMX(c) {
		return render(c, status, views.PasswordForm(session(c).csrf(), errs))
	}
	d := views.AccountData{Page: s.page(c, "My account", "account"), Username: u.Username, DisplayName: u.DisplayName,
		Role: u.Role, Team: u.TeamName}
	return render(c, status, views.AccountPage(d, errs))
}
