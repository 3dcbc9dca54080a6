package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/views"
)

func (s *Server) teamsPage(c echo.Context) (views.TeamsPageData, error) {
	teams, err := s.deps.DB.Teams(c.Request().Context())
	if err != nil {
		return views.TeamsPageData{}, err
	}
	d := views.TeamsPageData{Page: s.page(c, "Teams", "admin")}
	for _, t := range teams {
		d.Rows = append(d.Rows, views.TeamRow{ID: t.ID, Name: t.Name, Members: t.Members, CreatedAt: fmtTime(t.CreatedAt.Local())})
	}
	return d, nil
}

func (s *Server) teamsList(c echo.Context) error {
	d, err := s.teamsPage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.TeamsPage(d, "", nil))
}

func (s *Server) teamsCreate(c echo.Context) error {
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(c, errs, "name", name, 64)
	if len(errs) == 0 {
		_, err := s.deps.DB.CreateTeam(c.Request().Context(), actor(c), name)
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = "A team with this name already exists."
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", "Team "+name+" created.")
			return redirect(c, "/admin/teams")
		}
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.TeamCreateForm(session(c).csrf(), name, errs))
	}
	d, err := s.teamsPage(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.TeamsPage(d, name, errs))
}

func (s *Server) teamsRename(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(c, errs, "name", name, 64)
	if len(errs) == 0 {
		_, err = s.deps.DB.RenameTeam(c.Request().Context(), actor(c), id, name)
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = "A team named " + name + " already exists."
		case err != nil:
			return err
		}
	}
	if msg, bad := errs["name"]; bad {
		// The table comes back with the error under the row and the name as typed.
		d, err := s.teamsPage(c)
		if err != nil {
			return err
		}
		for i := range d.Rows {
			if d.Rows[i].ID == id {
				d.Rows[i].RenameTo, d.Rows[i].RenameError = name, msg
			}
		}
		return render(c, http.StatusUnprocessableEntity, views.TeamsPage(d, "", nil))
	}
	s.setFlash(c, "ok", "Team renamed to "+name+".")
	return redirect(c, "/admin/teams")
}

func (s *Server) teamsDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteTeam(c.Request().Context(), actor(c), id)
	if errors.Is(err, db.ErrInUse) {
		s.setFlash(c, "error", "This team still has users or objects (robots, contacts, rules, tokens). Move or delete them first.")
		return redirect(c, "/admin/teams")
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Team deleted.")
	return redirect(c, "/admin/teams")
}

// teamOptions lists the teams a user may pick in forms: all for admins, their own for members.
func (s *Server) teamOptions(c echo.Context) ([]views.Option, error) {
	u := currentUser(c)
	if u.Role == db.RoleMember {
		return []views.Option{{Value: itoa(u.TeamID), Label: u.TeamName}}, nil
	}
	teams, err := s.deps.DB.Teams(c.Request().Context())
	if err != nil {
		return nil, err
	}
	opts := make([]views.Option, 0, len(teams))
	for _, t := range teams {
		opts = append(opts, views.Option{Value: itoa(t.ID), Label: t.Name})
	}
	return opts, nil
}

// teamFromForm resolves the team a form names, in the user's scope. Members may only
// name their own team: another team's id is refused like an unknown one.
func (s *Server) teamFromForm(c echo.Context, errs views.FieldErrors, field string) int64 {
	u := currentUser(c)
	raw := form(c, field)
	if raw == "" && u.Role == db.RoleMember {
		return u.TeamID
	}
	id := parseID(raw)
	if id <= 0 {
		errs[field] = "Pick a team."
		return 0
	}
	if !u.Scope().Allows(id) {
		errs[field] = "Pick one of your teams."
		return 0
	}
	if _, err := s.deps.DB.TeamByID(c.Request().Context(), id); err != nil {
		errs[field] = "This team does not exist."
		return 0
	}
	return id
}

// teamPick is the team a form names: an existing one, or a new one (an administrator on a
// console without teams names it in the form) that commitTeam creates with the object.
type teamPick struct {
	ID      int64
	NewName string
}

// pickTeam reads the team of a form that creates an object.
func (s *Server) pickTeam(c echo.Context, errs views.FieldErrors, field string) teamPick {
	u := currentUser(c)
	if u.Role == db.RoleAdmin && form(c, field) == "" {
		name := form(c, "new_team")
		if name == "" {
			errs["new_team"] = "Name a team: everything the console sends belongs to one."
			return teamPick{}
		}
		checkName(c, errs, "new_team", name, 64)
		return teamPick{NewName: name}
	}
	return teamPick{ID: s.teamFromForm(c, errs, field)}
}

// commitTeam returns the picked team's id, creating the new team first; 0 with an error
// in errs when the name is taken.
func (s *Server) commitTeam(c echo.Context, errs views.FieldErrors, p teamPick) (int64, error) {
	if p.NewName == "" {
		return p.ID, nil
	}
	t, err := s.deps.DB.CreateTeam(c.Request().Context(), actor(c), p.NewName)
	if errors.Is(err, db.ErrConflict) {
		errs["new_team"] = "A team with this name already exists."
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return t.ID, nil
}
