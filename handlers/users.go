package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/password"
	"alertdesk/views"
)

func (s *Server) usersPage(c echo.Context) (views.UsersPageData, error) {
	users, err := s.deps.DB.Users(c.Request().Context(), db.AllTeams)
	if err != nil {
		return views.UsersPageData{}, err
	}
	teams, err := s.teamOptions(c)
	if err != nil {
		return views.UsersPageData{}, err
	}
	d := views.UsersPageData{Page: s.page(c, "Users", "admin"), Teams: teams}
	for _, u := range users {
		d.Rows = append(d.Rows, views.UserRow{ID: u.ID, Username: u.Username, Name: u.DisplayName, Role: u.Role,
			Team: u.TeamName, Disabled: u.Disabled, CreatedAt: fmtTime(u.CreatedAt.Local()), EditURL: "/admin/users/" + itoa(u.ID)})
	}
	return d, nil
}

func (s *Server) usersList(c echo.Context) error {
	d, err := s.usersPage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UsersPage(d, views.UserFormData{Role: db.RoleMember}, nil))
}

func validUsername(c echo.Context, errs views.FieldErrors, name string) {
	checkName(c, errs, "username", name, 64)
	if _, bad := errs["username"]; bad {
		return
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' || r == '@') {
			errs["username"] = "Use letters, digits and . - _ @ only."
			return
		}
	}
}

func validRole(errs views.FieldErrors, role string, teamID int64) {
	switch role {
	case db.RoleAdmin, db.RoleAuditor:
	case db.RoleMember:
		if teamID == 0 {
			if _, set := errs["team_id"]; !set {
				errs["team_id"] = "A member must belong to a team."
			}
		}
	default:
		errs["role"] = "Pick a role."
	}
}

// optionalTeam reads an optional team id for the admin's user forms.
func (s *Server) optionalTeam(c echo.Context, errs views.FieldErrors) int64 {
	if form(c, "team_id") == "" {
		return 0
	}
	return s.teamFromForm(c, errs, "team_id")
}

func (s *Server) usersCreate(c echo.Context) error {
	f := views.UserFormData{Username: form(c, "username"), DisplayName: form(c, "display_name"),
		Role: form(c, "role"), TeamID: form(c, "team_id")}
	pw := c.FormValue("password")
	errs := views.FieldErrors{}
	validUsername(c, errs, f.Username)
	checkOptional(c, errs, "display_name", f.DisplayName, 100)
	validatePassword(c, errs, pw, pw, false)
	teamID := s.optionalTeam(c, errs)
	validRole(errs, f.Role, teamID)
	if len(errs) == 0 {
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		_, err = s.deps.DB.CreateUser(c.Request().Context(), actor(c), db.NewUser{Username: f.Username,
			DisplayName: f.DisplayName, PasswordHash: hash, Role: f.Role, TeamID: teamID})
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["username"] = "This user name is taken."
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", "User "+f.Username+" created.")
			return redirect(c, "/admin/users")
		}
	}
	d, err := s.usersPage(c)
	if err != nil {
		return err
	}
	f.Password = pw
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.UserCreateForm(d.CSRF, d.Teams, f, errs))
	}
	return render(c, http.StatusUnprocessableEntity, views.UsersPage(d, f, errs))
}

func (s *Server) userEditData(c echo.Context, u db.User) (views.UserEditData, error) {
	teams, err := s.teamOptions(c)
	if err != nil {
		return views.UserEditData{}, err
	}
	return views.UserEditData{Page: s.page(c, "User "+u.Username, "admin"), ID: u.ID, Username: u.Username,
		Teams: teams, IsSelf: currentUser(c).ID == u.ID}, nil
}

func userForm(u db.User) views.UserFormData {
	f := views.UserFormData{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled}
	if u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	return f
}

func (s *Server) usersEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.deps.DB.UserByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	d, err := s.userEditData(c, u)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.UserEditPage(d, userForm(u), nil, nil))
}

func (s *Server) usersUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.deps.DB.UserByID(ctx, id)
	if err != nil {
		return err
	}
	f := views.UserFormData{Username: u.Username, DisplayName: form(c, "display_name"), Role: form(c, "role"),
		TeamID: form(c, "team_id"), Disabled: c.FormValue("disabled") == "1"}
	errs := views.FieldErrors{}
	checkOptional(c, errs, "display_name", f.DisplayName, 100)
	teamID := s.optionalTeam(c, errs)
	validRole(errs, f.Role, teamID)
	if u.Role == db.RoleAdmin && !u.Disabled && (f.Role != db.RoleAdmin || f.Disabled) {
		n, err := s.deps.DB.CountAdmins(ctx)
		if err != nil {
			return err
		}
		if n <= 1 {
			errs["role"] = "This is the last active administrator; make someone else an administrator first."
		}
	}
	if len(errs) == 0 {
		u, err = s.deps.DB.UpdateUser(ctx, actor(c), id, db.UserUpdate{DisplayName: &f.DisplayName, Role: &f.Role,
			TeamID: &teamID, Disabled: &f.Disabled})
		if err != nil {
			return err
		}
		errs["_ok"] = "Saved."
		f = userForm(u)
	}
	d, err := s.userEditData(c, u)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if _, ok := errs["_ok"]; !ok {
		status = http.StatusUnprocessableEntity
	}
	if isHTMX(c) {
		return render(c, status, views.UserEditForm(d, f, errs))
	}
	return render(c, status, views.UserEditPage(d, f, errs, nil))
}

func (s *Server) usersResetPassword(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u, err := s.deps.DB.UserByID(ctx, id)
	if err != nil {
		return err
	}
	pw := c.FormValue("password")
	errs := views.FieldErrors{}
	validatePassword(c, errs, pw, pw, false)
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		hash, err := password.Hash(pw)
		if err != nil {
			return err
		}
		if u, err = s.deps.DB.UpdateUser(ctx, actor(c), id, db.UserUpdate{PasswordHash: &hash}); err != nil {
			return err
		}
		errs["_ok"] = "Password reset. Tell " + u.Username + " the new password through a safe channel."
		status = http.StatusOK
	}
	d, err := s.userEditData(c, u)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, status, views.UserPasswordForm(d, errs))
	}
	return render(c, status, views.UserEditPage(d, userForm(u), nil, errs))
}
