package handlers

import (
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

func (s *Server) teamsPage(c echo.Context) (views.TeamsPageData, error) {
	teams, err := s.deps.DB.Teams(c.Request().Context())
	if err != nil {
		return views.TeamsPageData{}, err
	}
	d := views.TeamsPageData{Page: s.page(c, t(c, "common.tab.teams"), "admin"), DefaultLanguage: s.defaultLanguage()}
	for _, tm := range teams {
		d.Rows = append(d.Rows, views.TeamRow{ID: tm.ID, Name: tm.Name, Members: tm.Members, CreatedAt: tm.CreatedAt, Language: tm.Language})
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

// defaultLanguage is the console's default language: that of teams that chose none.
func (s *Server) defaultLanguage() string {
	if l := i18n.Normalize(s.deps.Config.DefaultLanguage); l != "" {
		return l
	}
	return i18n.English
}

// teamLanguage reads a form's message language: "" (the console's default) or one of
// the console's languages.
func teamLanguage(c echo.Context, errs views.FieldErrors) string {
	l := form(c, "language")
	if l != "" && !slices.Contains(i18n.Languages, l) {
		errs["language"] = t(c, "teams.err_language")
		return ""
	}
	return l
}

func (s *Server) teamsCreate(c echo.Context) error {
	name := form(c, "name")
	errs := views.FieldErrors{}
	checkName(c, errs, "name", name, 64)
	lang := teamLanguage(c, errs)
	if len(errs) == 0 {
		_, err := s.deps.DB.CreateTeamIn(c.Request().Context(), actor(c), name, lang)
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = t(c, "teams.err_name_taken")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "teams.created", "Name", name))
			return redirect(c, "/admin/teams")
		}
	}
	if isHTMX(c) {
		return render(c, http.StatusUnprocessableEntity, views.TeamCreateForm(session(c).csrf(), name, lang, s.defaultLanguage(), errs))
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
			errs["name"] = t(c, "teams.err_name_taken_named", "Name", name)
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
	s.setFlash(c, "ok", t(c, "teams.renamed", "Name", name))
	return redirect(c, "/admin/teams")
}

// teamsLanguage sets the language of a team's messages built from the default templates.
func (s *Server) teamsLanguage(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	lang := teamLanguage(c, errs)
	if msg, bad := errs["language"]; bad {
		return userError(http.StatusUnprocessableEntity, "%s", msg)
	}
	tm, err := s.deps.DB.SetTeamLanguage(c.Request().Context(), actor(c), id, lang)
	if err != nil {
		return err
	}
	name := i18n.LanguageName[lang]
	if lang == "" {
		name = t(c, "teams.language_default", "Language", i18n.LanguageName[s.defaultLanguage()])
	}
	s.setFlash(c, "ok", t(c, "teams.language_set", "Name", tm.Name, "Language", name))
	return redirect(c, "/admin/teams")
}

func (s *Server) teamsDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	err = s.deps.DB.DeleteTeam(c.Request().Context(), actor(c), id)
	if errors.Is(err, db.ErrInUse) {
		s.setFlash(c, "error", t(c, "teams.err_in_use"))
		return redirect(c, "/admin/teams")
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", t(c, "teams.deleted"))
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
		errs[field] = t(c, "teams.err_pick")
		return 0
	}
	if !u.Scope().Allows(id) {
		errs[field] = t(c, "teams.err_pick_yours")
		return 0
	}
	if _, err := s.deps.DB.TeamByID(c.Request().Context(), id); err != nil {
		errs[field] = t(c, "teams.err_no_such")
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
			errs["new_team"] = t(c, "teams.err_name_one")
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
	tm, err := s.deps.DB.CreateTeam(c.Request().Context(), actor(c), p.NewName)
	if errors.Is(err, db.ErrConflict) {
		errs["new_team"] = t(c, "teams.err_name_taken")
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return tm.ID, nil
}
