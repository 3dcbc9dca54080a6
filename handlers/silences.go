package handlers

import (
	"alertdesk/i18n"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/views"
)

const (
	datetimeLocal      = "2006-01-02T15:04"
	maxSilenceDuration = 366 * 24 * time.Hour
)

// silenceTeams: admins pick a team or every team; members silence their own team.
func (s *Server) silenceTeams(c echo.Context) ([]views.Option, error) {
	teams, err := s.teamOptions(c)
	if err != nil {
		return nil, err
	}
	if currentUser(c).Role == db.RoleAdmin {
		teams = append([]views.Option{{Value: "all", Label: t(c, "silences.all_teams_option")}}, teams...)
	}
	return teams, nil
}

// silencesPage is the silences list as the query string searches, filters, sorts and pages
// it (active and scheduled ones unless the status filter says otherwise), with the form's choices.
func (s *Server) silencesPage(c echo.Context) (views.SilencesPageData, error) {
	u := currentUser(c)
	d := views.SilencesPageData{Page: s.page(c, t(c, "silences.title"), "rules"), CanWrite: u.CanWrite(), ShowTeam: u.Role != db.RoleMember}
	var err error
	if d.CanWrite {
		if d.Teams, err = s.silenceTeams(c); err != nil {
			return d, err
		}
	}
	if d.ShowTeam {
		teams, err := s.teamOptions(c)
		if err != nil {
			return d, err
		}
		d.TeamFilter = append([]views.Option{{Value: "all", Label: t(c, "silences.all_teams")}}, teams...)
	}
	opts, st := readList(c, "/silences", "#silences-table", "silences-filters", []string{"team", "starts", "ends", "created"},
		map[string][]string{"status": {"active", "pending", "expired", "all"}, "team": nil})
	d.List = st
	now := s.deps.DB.Now()
	f := db.SilenceFilter{Status: st.Get("status"), Now: now}
	if d.ShowTeam {
		f.TeamID = filterTeam(st.Get("team"), "all")
	}
	ctx := c.Request().Context()
	list, total, err := s.deps.DB.SilenceList(ctx, scope(c), f, opts)
	if err == nil && lastPage(&opts, &d.List, total) {
		list, total, err = s.deps.DB.SilenceList(ctx, scope(c), f, opts)
	}
	if err != nil {
		return d, err
	}
	d.List.Total = total
	for _, si := range list {
		row := views.SilenceRow{ID: si.ID, Team: si.TeamName, Matchers: matchersText(si.Matchers),
			Starts: i18n.Minute(ctx, si.StartsAt), Ends: i18n.Minute(ctx, si.EndsAt), Comment: si.Comment, CreatedBy: si.CreatedBy}
		if si.TeamID == 0 {
			row.Team = t(c, "silences.all_teams")
		}
		switch {
		case !si.EndsAt.After(now):
			row.Status = "expired"
		case si.StartsAt.After(now):
			row.Status = "pending"
		default:
			row.Status = "active"
		}
		row.CanExpire = row.Status != "expired" && u.CanWrite() && u.Scope().Allows(si.TeamID)
		d.Rows = append(d.Rows, row)
	}
	return d, nil
}

func (s *Server) silencesList(c echo.Context) error {
	d, err := s.silencesPage(c)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.SilencesTable(d))
	}
	f := views.SilenceFormData{Starts: i18n.In(c.Request().Context(), s.deps.DB.Now()).Format(datetimeLocal), Duration: "2h"}
	if len(d.Teams) > 1 {
		f.TeamID = d.Teams[1].Value
	}
	// Quick silence from an alert or an incident: the form prefilled from its labels,
	// with the alerts it would mute now.
	if err := s.prefillSilence(c, &d, &f); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.SilencesPage(d, f, nil))
}

// maxWouldMute bounds the alerts listed under a silence being written.
const maxWouldMute = 200

// prefillSilence fills f from ?alert=<id> (every label of the alert) or ?incident=<id>
// (the labels its group is keyed by), and lists what those matchers mute now.
func (s *Server) prefillSilence(c echo.Context, d *views.SilencesPageData, f *views.SilenceFormData) error {
	ctx := c.Request().Context()
	var labels map[string]string
	var teamID int64
	switch {
	case c.QueryParam("alert") != "":
		a, err := s.deps.DB.AlertByID(ctx, scope(c), parseID(c.QueryParam("alert")))
		if err != nil {
			return err
		}
		labels, teamID = a.Labels, a.TeamID
		f.Comment = t(c, "silences.quick_alert", "ID", a.ID, "Name", a.Name)
	case c.QueryParam("incident") != "":
		inc, err := s.deps.DB.IncidentByID(ctx, scope(c), parseID(c.QueryParam("incident")))
		if errors.Is(err, db.ErrNotFound) {
			return userError(http.StatusNotFound, "%s", t(c, "silences.err_no_incident"))
		}
		if err != nil {
			return err
		}
		labels, teamID = inc.GroupLabels, inc.TeamID
		f.Comment = t(c, "silences.quick_incident", "ID", inc.ID, "Name", inc.Title)
	default:
		return nil
	}
	var ms alerting.Matchers
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		ms = append(ms, alerting.Matcher{Name: k, Op: alerting.MatchEqual, Value: labels[k]})
	}
	f.Matchers = matchersText(ms)
	if teamID != 0 {
		f.TeamID = itoa(teamID)
	}
	return s.checkSilence(c, d, ms, teamID)
}

// checkSilence lists the alerts firing now that matchers would mute.
func (s *Server) checkSilence(c echo.Context, d *views.SilencesPageData, matchers alerting.Matchers, teamID int64) error {
	firing, err := s.deps.DB.FiringAlerts(c.Request().Context(), scope(c), teamID, 5000)
	if err != nil {
		return err
	}
	d.Checked = true
	for _, a := range firing {
		if ok, _ := matchers.Match(a.Labels); ok && len(d.WouldMute) < maxWouldMute {
			desc := a.Name
			for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
				if k != "alertname" {
					desc += " " + k + "=" + a.Labels[k]
				}
			}
			d.WouldMute = append(d.WouldMute, desc)
		}
	}
	return nil
}

func (s *Server) silencesCreate(c echo.Context) error {
	f := views.SilenceFormData{TeamID: form(c, "team_id"), Matchers: form(c, "matchers"), Starts: form(c, "starts"),
		Ends: form(c, "ends"), Duration: form(c, "duration"), Comment: form(c, "comment")}
	errs := views.FieldErrors{}
	u := currentUser(c)
	var teamID int64
	if f.TeamID == "all" {
		if u.Role != db.RoleAdmin {
			errs["team_id"] = t(c, "silences.err_all_teams")
		}
	} else if teamID = s.teamFromForm(c, errs, "team_id"); teamID <= 0 && errs["team_id"] == "" {
		errs["team_id"] = t(c, "silences.err_team")
	}
	var matchers alerting.Matchers
	if f.Matchers == "" {
		errs["matchers"] = t(c, "silences.err_no_matcher")
	} else if len(f.Matchers) > 4000 {
		errs["matchers"] = t(c, "silences.err_matchers_long")
	} else {
		var err error
		if matchers, err = alerting.ParseMatchers(f.Matchers); err != nil {
			errs["matchers"] = capitalize(err.Error()) + "."
		}
	}
	now := s.deps.DB.Now()
	starts := now
	if f.Starts != "" {
		tm, err := time.ParseInLocation(datetimeLocal, f.Starts, i18n.From(c.Request().Context()).Zone)
		if err != nil {
			errs["starts"] = t(c, "silences.err_starts")
		}
		starts = tm
	}
	var ends time.Time
	switch {
	case f.Ends != "" && f.Duration != "":
		errs["ends"] = t(c, "silences.err_both")
	case f.Ends != "":
		tm, err := time.ParseInLocation(datetimeLocal, f.Ends, i18n.From(c.Request().Context()).Zone)
		if err != nil {
			errs["ends"] = t(c, "silences.err_ends")
		}
		ends = tm
	case f.Duration != "":
		d, err := time.ParseDuration(f.Duration)
		if err != nil || d <= 0 {
			errs["duration"] = t(c, "silences.err_duration")
		}
		ends = starts.Add(d)
	default:
		errs["ends"] = t(c, "silences.err_no_end")
	}
	checkName(c, errs, "comment", f.Comment, 500)
	if errs["starts"] == "" && errs["ends"] == "" && errs["duration"] == "" {
		switch {
		case !ends.After(starts):
			errs["ends"] = t(c, "silences.err_end_before")
		case !ends.After(now):
			errs["ends"] = t(c, "silences.err_end_past")
		case ends.Sub(starts) > maxSilenceDuration:
			errs["ends"] = t(c, "silences.err_too_long")
		}
	}
	if errs["matchers"] == "" {
		if err := (alerting.Silence{Matchers: matchers, StartsAt: starts, EndsAt: starts.Add(time.Second)}).Validate(); err != nil {
			errs["matchers"] = capitalize(err.Error()) + "."
		}
	}
	if len(errs) == 0 && c.FormValue("preview") == "1" {
		d, err := s.silencesPage(c)
		if err != nil {
			return err
		}
		if err := s.checkSilence(c, &d, matchers, teamID); err != nil {
			return err
		}
		f.Matchers = strings.TrimSpace(f.Matchers)
		return render(c, http.StatusOK, views.SilencesPage(d, f, nil))
	}
	if len(errs) == 0 {
		in := db.Silence{TeamID: teamID, StartsAt: starts, EndsAt: ends, Comment: f.Comment, Matchers: matchers}
		if _, err := s.deps.DB.CreateSilence(c.Request().Context(), actor(c), in); err != nil {
			return err
		}
		s.rulesChanged()
		s.setFlash(c, "ok", t(c, "silences.created", "Time", i18n.Minute(c.Request().Context(), ends)))
		return redirect(c, "/silences")
	}
	d, err := s.silencesPage(c)
	if err != nil {
		return err
	}
	f.Matchers = strings.TrimSpace(f.Matchers)
	return render(c, http.StatusUnprocessableEntity, views.SilencesPage(d, f, errs))
}

func (s *Server) silencesExpire(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.DB.ExpireSilence(c.Request().Context(), actor(c), scope(c), id); err != nil {
		return err
	}
	s.rulesChanged()
	s.setFlash(c, "ok", t(c, "silences.expired"))
	return redirect(c, "/silences")
}
