package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/password"
	"alertdesk/views"
)

func inviteStatus(i db.Invite, now time.Time) string {
	switch {
	case !i.RevokedAt.IsZero():
		return "revoked"
	case i.UsesLeft <= 0:
		return "used up"
	case !now.Before(i.ExpiresAt):
		return "expired"
	}
	return "active"
}

func (s *Server) invitesPage(c echo.Context) (views.InvitesPageData, error) {
	ctx := c.Request().Context()
	invites, err := s.deps.DB.Invites(ctx, scope(c))
	if err != nil {
		return views.InvitesPageData{}, err
	}
	teams, err := s.teamOptions(c)
	if err != nil {
		return views.InvitesPageData{}, err
	}
	nav := "admin"
	if currentUser(c).Role == db.RoleMember {
		nav = "account"
	}
	d := views.InvitesPageData{Page: s.page(c, "Invites", nav), Teams: teams}
	now := s.deps.DB.Now()
	for _, i := range invites {
		d.Rows = append(d.Rows, views.InviteRow{ID: i.ID, Team: i.TeamName, Hint: i.TokenHint,
			Expires: fmtTime(i.ExpiresAt.Local()), UsesLeft: i.UsesLeft, Status: inviteStatus(i, now), CreatedBy: i.CreatedBy})
	}
	return d, nil
}

func (s *Server) invitesList(c echo.Context) error {
	d, err := s.invitesPage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.InvitesPage(d, views.InviteFormData{Days: "7", Uses: "1"}, nil))
}

func (s *Server) invitesCreate(c echo.Context) error {
	f := views.InviteFormData{TeamID: form(c, "team_id"), Days: form(c, "days"), Uses: form(c, "uses")}
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	days, err := strconv.Atoi(f.Days)
	if err != nil || days < 1 || days > 90 {
		errs["days"] = "Enter a number of days from 1 to 90."
	}
	uses, err := strconv.Atoi(f.Uses)
	if err != nil || uses < 1 || uses > 100 {
		errs["uses"] = "Enter a number of sign-ups from 1 to 100."
	}
	d, err := s.invitesPage(c)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.InvitesPage(d, f, errs))
	}
	token := randomToken(24)
	expires := s.deps.DB.Now().Add(time.Duration(days) * 24 * time.Hour)
	if _, err := s.deps.DB.CreateInvite(c.Request().Context(), actor(c), teamID, token, expires, uses); err != nil {
		return err
	}
	if d, err = s.invitesPage(c); err != nil {
		return err
	}
	d.NewLink = s.deps.Config.BaseURL + "/invite/" + token
	return render(c, http.StatusOK, views.InvitesPage(d, views.InviteFormData{TeamID: f.TeamID, Days: "7", Uses: "1"}, nil))
}

func (s *Server) invitesRevoke(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.DB.RevokeInvite(c.Request().Context(), actor(c), scope(c), id); err != nil {
		return err
	}
	s.setFlash(c, "ok", "Invite revoked.")
	return redirect(c, "/invites")
}

// inviteFor finds a usable invite or renders why it cannot be used.
func (s *Server) inviteFor(c echo.Context) (db.Invite, bool, error) {
	token := c.Param("token")
	if len(token) > 100 {
		return db.Invite{}, false, render(c, http.StatusNotFound, views.InviteInvalidPage(s.page(c, "Invite", ""), "This invite link is not valid."))
	}
	inv, err := s.deps.DB.InviteByToken(c.Request().Context(), token)
	if errors.Is(err, db.ErrNotFound) {
		return inv, false, render(c, http.StatusNotFound, views.InviteInvalidPage(s.page(c, "Invite", ""), "This invite link is not valid."))
	}
	if err != nil {
		return inv, false, err
	}
	if st := inviteStatus(inv, s.deps.DB.Now()); st != "active" {
		return inv, false, render(c, http.StatusGone, views.InviteInvalidPage(s.page(c, "Invite", ""), "This invite is "+st+"."))
	}
	return inv, true, nil
}

func (s *Server) signupShow(c echo.Context) error {
	inv, ok, err := s.inviteFor(c)
	if !ok {
		return err
	}
	return render(c, http.StatusOK, views.SignupPage(s.page(c, "Join "+inv.TeamName, ""), inv.TeamName,
		views.SignupForm{Token: c.Param("token")}, nil))
}

func (s *Server) signup(c echo.Context) error {
	inv, ok, err := s.inviteFor(c)
	if !ok {
		return err
	}
	f := views.SignupForm{Token: c.Param("token"), Username: form(c, "username"), DisplayName: form(c, "display_name")}
	pw, pw2 := c.FormValue("password"), c.FormValue("password2")
	errs := views.FieldErrors{}
	validUsername(c, errs, f.Username)
	checkOptional(c, errs, "display_name", f.DisplayName, 100)
	validatePassword(c, errs, pw, pw2, true)
	if len(errs) == 0 {
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		u, err := s.deps.DB.SignUp(c.Request().Context(), f.Token, db.NewUser{Username: f.Username,
			DisplayName: f.DisplayName, PasswordHash: hash}, c.RealIP())
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["username"] = "This user name is taken."
		case errors.Is(err, db.ErrInviteUnusable):
			errs["_form"] = "This invite was used up or revoked a moment ago."
		case err != nil:
			return err
		default:
			if err := s.startSession(c, u); err != nil {
				return err
			}
			s.setFlash(c, "ok", "Welcome to "+inv.TeamName+"! Next: fill in your contact card so alerts can @-mention you.")
			return redirect(c, "/")
		}
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.SignupFormView(session(c).csrf(), f, errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.SignupPage(s.page(c, "Join "+inv.TeamName, ""), inv.TeamName, f, errs))
}
