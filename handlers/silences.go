package handlers

import (
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
	maxExpiredShown    = 100
)

// silenceTeams: admins pick a team or every team; members silence their own team.
func (s *Server) silenceTeams(c echo.Context) ([]views.Option, error) {
	teams, err := s.teamOptions(c)
	if err != nil {
		return nil, err
	}
	if currentUser(c).Role == db.RoleAdmin {
		teams = append([]views.Option{{Value: "all", Label: "All teams"}}, teams...)
	}
	return teams, nil
}

func (s *Server) silencesPage(c echo.Context) (views.SilencesPageData, error) {
	u := currentUser(c)
	list, err := s.deps.DB.Silences(c.Request().Context(), scope(c))
	if err != nil {
		return views.SilencesPageData{}, err
	}
	d := views.SilencesPageData{Page: s.page(c, "Silences", "rules"), CanWrite: u.CanWrite(), ShowTeam: u.Role != db.RoleMember}
	if d.CanWrite {
		if d.Teams, err = s.silenceTeams(c); err != nil {
			return d, err
		}
	}
	now := s.deps.DB.Now()
	for _, si := range list {
		row := views.SilenceRow{ID: si.ID, Team: si.TeamName, Matchers: matchersText(si.Matchers),
			Starts: when(si.StartsAt), Ends: when(si.EndsAt), Comment: si.Comment, CreatedBy: si.CreatedBy}
		if si.TeamID == 0 {
			row.Team = "all teams"
		}
		switch {
		case !si.EndsAt.After(now):
			row.Status = "expired"
			if len(d.Expired) < maxExpiredShown {
				d.Expired = append(d.Expired, row)
			}
			continue
		case si.StartsAt.After(now):
			row.Status = "pending"
		default:
			row.Status = "active"
		}
		row.CanExpire = u.CanWrite() && u.Scope().Allows(si.TeamID)
		d.Active = append(d.Active, row)
	}
	return d, nil
}

func (s *Server) silencesList(c echo.Context) error {
	d, err := s.silencesPage(c)
	if err != nil {
		return err
	}
	f := views.SilenceFormData{Starts: s.deps.DB.Now().Local().Format(datetimeLocal), Duration: "2h"}
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
		f.Comment = "Quick silence of alert #" + itoa(a.ID) + " " + a.Name
	case c.QueryParam("incident") != "":
		inc, err := s.deps.DB.IncidentByID(ctx, scope(c), parseID(c.QueryParam("incident")))
		if errors.Is(err, db.ErrNotFound) {
			return userError(http.StatusNotFound, "No such incident.")
		}
		if err != nil {
			return err
		}
		labels, teamID = inc.GroupLabels, inc.TeamID
		f.Comment = "Quick silence of incident #" + itoa(inc.ID) + " " + inc.Title
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
			errs["team_id"] = "Only administrators can silence every team."
		}
	} else if teamID = s.teamFromForm(c, errs, "team_id"); teamID <= 0 && errs["team_id"] == "" {
		errs["team_id"] = "Pick a team."
	}
	var matchers alerting.Matchers
	if f.Matchers == "" {
		errs["matchers"] = `Enter at least one matcher, e.g. severity="critical".`
	} else if len(f.Matchers) > 4000 {
		errs["matchers"] = "Use at most 4000 characters."
	} else {
		var err error
		if matchers, err = alerting.ParseMatchers(f.Matchers); err != nil {
			errs["matchers"] = capitalize(err.Error()) + "."
		}
	}
	now := s.deps.DB.Now()
	starts := now
	if f.Starts != "" {
		t, err := time.ParseInLocation(datetimeLocal, f.Starts, time.Local)
		if err != nil {
			errs["starts"] = "Enter a date and time, e.g. 2026-05-01T22:00."
		}
		starts = t
	}
	var ends time.Time
	switch {
	case f.Ends != "" && f.Duration != "":
		errs["ends"] = "Give either an end or a duration, not both."
	case f.Ends != "":
		t, err := time.ParseInLocation(datetimeLocal, f.Ends, time.Local)
		if err != nil {
			errs["ends"] = "Enter a date and time, e.g. 2026-05-02T06:00."
		}
		ends = t
	case f.Duration != "":
		d, err := time.ParseDuration(f.Duration)
		if err != nil || d <= 0 {
			errs["duration"] = "Enter a duration such as 30m, 2h or 72h."
		}
		ends = starts.Add(d)
	default:
		errs["ends"] = "Give an end time or a duration such as 2h."
	}
	checkName(c, errs, "comment", f.Comment, 500)
	if errs["starts"] == "" && errs["ends"] == "" && errs["duration"] == "" {
		switch {
		case !ends.After(starts):
			errs["ends"] = "The end must be after the start."
		case !ends.After(now):
			errs["ends"] = "The end is in the past: this silence would never mute anything."
		case ends.Sub(starts) > maxSilenceDuration:
			errs["ends"] = "A silence lasts at most a year."
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
		s.setFlash(c, "ok", "Silence created until "+when(ends)+".")
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
	s.setFlash(c, "ok", "Silence expired.")
	return redirect(c, "/silences")
}
