package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
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
	return views.AccountData{Page: s.page(c, "My account", "account"), Username: u.Username, DisplayName: u.DisplayName,
		Role: u.Role, Team: u.TeamName, Sessions: rows, Shifts: shifts, ShiftsKnown: linked}, nil
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
		errs["current"] = "This is not your current password."
	}
	validatePassword(errs, pw, pw2, true)
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
		errs["_ok"] = "Password changed. Your other sessions have been signed out."
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
