package handlers

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/pipeline"
	"alertdesk/views"
)

var incidentStates = []views.Option{{Value: "", Label: "Any"}, {Value: "open", Label: "Open"},
	{Value: db.IncidentTriggered, Label: "Triggered"}, {Value: db.IncidentAcknowledged, Label: "Acknowledged"},
	{Value: db.IncidentResolved, Label: "Resolved"}, {Value: db.IncidentClosed, Label: "Closed"}}

var incidentSeverities = []views.Option{{Value: "", Label: "Any"}, {Value: "critical", Label: "critical"},
	{Value: "warning", Label: "warning"}, {Value: "info", Label: "info"}}

func (s *Server) incidentsList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	f := db.IncidentFilter{TeamID: filterID(q.Get("team")), RuleID: filterID(q.Get("rule")), State: q.Get("state"),
		Severity: q.Get("severity"), Owner: strings.TrimSpace(q.Get("owner"))}
	if !validOption(incidentStates, f.State) || !validOption(incidentSeverities, f.Severity) {
		return userError(http.StatusBadRequest, "Unknown state or severity in the filter; pick one from the lists.")
	}
	list, err := s.deps.DB.Incidents(ctx, scope(c), f)
	if err != nil {
		return err
	}
	d := views.IncidentsPageData{Page: s.page(c, "Incidents", "incidents"), TeamID: q.Get("team"), RuleID: q.Get("rule"),
		State: f.State, Severity: f.Severity, Owner: f.Owner, States: incidentStates, Severities: incidentSeverities,
		ShowTeam: u.Role != db.RoleMember, ActionsOn: s.deps.Composer.Actions(), BaseURL: s.deps.Config.BaseURL,
		CanConfigure: u.CanWrite()}
	now := s.now()
	for _, i := range list {
		d.Rows = append(d.Rows, views.IncidentRow{ID: i.ID, Title: i.Title, Team: i.TeamName, Rule: i.RuleName, RuleID: i.RuleID,
			Severity: i.Severity, State: i.State, Owner: i.Owner, AlertCount: i.AlertCount, Opened: when(i.OpenedAt),
			Age: pipeline.Minutes(now.Sub(i.OpenedAt))})
	}
	teams, err := s.teamOptions(c)
	if err != nil {
		return err
	}
	d.Teams = append([]views.Option{{Value: "", Label: "Any"}}, teams...)
	rules, err := s.deps.DB.Rules(ctx, scope(c))
	if err != nil {
		return err
	}
	d.Rules = []views.Option{{Value: "", Label: "Any"}}
	for _, r := range rules {
		d.Rules = append(d.Rules, views.Option{Value: itoa(r.ID), Label: r.Name})
	}
	return render(c, http.StatusOK, views.IncidentsPage(d))
}

// filterID is a filter's id; 0 (no filter) when empty.
func filterID(s string) int64 {
	if strings.TrimSpace(s) == "" {
		return 0
	}
	return parseID(s)
}

func validOption(opts []views.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

func (s *Server) incidentPage(c echo.Context, id int64) (views.IncidentPageData, error) {
	ctx := c.Request().Context()
	inc, err := s.deps.DB.IncidentByID(ctx, scope(c), id)
	if errors.Is(err, db.ErrNotFound) {
		return views.IncidentPageData{}, userError(http.StatusNotFound, "No such incident.")
	}
	if err != nil {
		return views.IncidentPageData{}, err
	}
	events, err := s.deps.DB.IncidentEvents(ctx, id)
	if err != nil {
		return views.IncidentPageData{}, err
	}
	d := views.IncidentPageData{Page: s.page(c, "Incident #"+itoa(id), "incidents"),
		IncidentRow: views.IncidentRow{ID: inc.ID, Title: inc.Title, Team: inc.TeamName, Rule: inc.RuleName, RuleID: inc.RuleID,
			Severity: inc.Severity, State: inc.State, Owner: inc.Owner, AlertCount: inc.AlertCount, Opened: when(inc.OpenedAt)},
		AckedBy: inc.AckedBy, Acked: when(inc.AckedAt), Resolved: when(inc.ResolvedAt), Closed: when(inc.ClosedAt),
		Reopens: inc.Reopens, CanAct: currentUser(c).CanWrite()}
	for _, k := range slices.Sorted(maps.Keys(inc.GroupLabels)) {
		d.Labels = append(d.Labels, k+"="+inc.GroupLabels[k])
	}
	for _, e := range events {
		d.Events = append(d.Events, views.IncidentEventRow{At: when(e.At), Kind: e.Kind, Actor: e.Actor, ActorKind: e.ActorKind,
			Text: e.Text, NotificationID: e.NotificationID})
	}
	for _, a := range pipeline.LinkActions {
		d.Actions = append(d.Actions, views.IncidentAction{Action: a.Action, Label: a.Label})
	}
	d.SilenceURL = "/silences?incident=" + itoa(inc.ID)
	// If nobody acknowledges: the steps still to come, with whoever will be on call then.
	if policy, ahead, err := s.deps.DB.EscalationAhead(ctx, inc); err != nil {
		return d, err
	} else if len(ahead) > 0 && s.deps.Composer != nil {
		total := len(policy.Plan(time.Time{}))
		for _, st := range ahead {
			robots, people, err := s.deps.Composer.EscalationTargets(ctx, policy, st.EscalationStep, st.At)
			if err != nil {
				return d, err
			}
			d.Escalation = append(d.Escalation, "At "+st.At.Local().Format("15:04")+": "+pipeline.EscalationText(st, robots, people, total))
		}
	}
	alerts, err := s.deps.DB.IncidentAlerts(ctx, inc, incidentAlertsShown)
	if err != nil {
		return d, err
	}
	for _, a := range alerts {
		d.Alerts = append(d.Alerts, views.IncidentAlertRow{ID: a.ID, Name: a.Name, Status: a.Status, Labels: labelLine(a.Labels)})
	}
	return d, nil
}

// incidentAlertsShown bounds the alerts an incident page lists (a storm's group is huge).
const incidentAlertsShown = 50

func (s *Server) incidentShow(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.incidentPage(c, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.IncidentPage(d))
}

// incidentAct is an action from the console's incident page.
func (s *Server) incidentAct(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	action := c.FormValue("action")
	if action != db.ActNote && pipeline.ActionLabel(action) == "" {
		return userError(http.StatusBadRequest, "Unknown action %q.", action)
	}
	_, err = s.responder().Act(c.Request().Context(), scope(c), db.IncidentAction{IncidentID: id, Action: action,
		Actor: actor(c), ActorKind: "user", Via: "console", Note: c.FormValue("note")})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return userError(http.StatusNotFound, "No such incident.")
	case errors.Is(err, db.ErrIncidentState):
		d, perr := s.incidentPage(c, id)
		if perr != nil {
			return perr
		}
		msg := stateWords(err)
		if action == db.ActNote {
			d.NoteError, d.Note = msg, c.FormValue("note")
		} else {
			d.Flash, d.FlashKind = msg, "error"
		}
		return render(c, http.StatusConflict, views.IncidentPage(d))
	case err != nil:
		return err
	}
	s.kick()
	if strings.HasPrefix(action, "silence") {
		s.rulesChanged() // the new silence mutes from the next flush
	}
	if action != db.ActNote {
		s.setFlash(c, "ok", pipeline.ActionLabel(action)+": done; the chat group is told.")
	}
	return redirect(c, "/incidents/"+itoa(id))
}

// stateWords is the sentence of an ErrIncidentState, without the package prefix.
func stateWords(err error) string {
	msg := strings.TrimPrefix(err.Error(), db.ErrIncidentState.Error()+": ")
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return msg + "."
}

func (s *Server) incidentContactActions(c echo.Context) error {
	teamID, err := paramID(c, "team")
	if err != nil {
		return err
	}
	if !currentUser(c).CanWrite() || !scope(c).Allows(teamID) {
		return userError(http.StatusForbidden, "You may not change this team's settings.")
	}
	on := c.FormValue("on") == "true"
	if err := s.deps.DB.SetContactActions(c.Request().Context(), actor(c), teamID, on); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return userError(http.StatusNotFound, "No such team.")
		}
		return err
	}
	s.setFlash(c, "ok", "Saved.")
	return redirect(c, "/incidents/settings")
}

// incidentSettingsData is the settings page of the teams the user may configure; the team
// errs belongs to keeps the posted form.
func (s *Server) incidentSettingsData(c echo.Context, posted *views.TeamSetting) (views.IncidentSettingsData, error) {
	ctx := c.Request().Context()
	d := views.IncidentSettingsData{Page: s.page(c, "Incident settings", "incidents"), ActionsOn: s.deps.Composer.Actions(),
		BaseURL: s.deps.Config.BaseURL}
	summaries, err := s.deps.DB.TeamSummaries(ctx)
	if err != nil {
		return d, err
	}
	robots, err := s.deps.DB.Robots(ctx, scope(c))
	if err != nil {
		return d, err
	}
	for _, ts := range summaries {
		if !scope(c).Allows(ts.TeamID) {
			continue
		}
		on, err := s.deps.DB.ContactActions(ctx, ts.TeamID)
		if err != nil {
			return d, err
		}
		t := views.TeamSetting{ID: ts.TeamID, Name: ts.Team, ContactActions: on, Times: strings.Join(ts.Times, ", "),
			TimeZone: ts.TimeZone, Robots: []views.Option{{Value: "", Label: "No daily summary"}}}
		if ts.RobotID != 0 {
			t.RobotID = itoa(ts.RobotID)
		}
		for _, r := range robots {
			if r.TeamID == ts.TeamID {
				t.Robots = append(t.Robots, views.Option{Value: itoa(r.ID), Label: robotLabel(r)})
			}
		}
		if posted != nil && posted.ID == ts.TeamID {
			t.RobotID, t.Times, t.TimeZone, t.Errors = posted.RobotID, posted.Times, posted.TimeZone, posted.Errors
		}
		d.Teams = append(d.Teams, t)
	}
	return d, nil
}

func (s *Server) incidentSettings(c echo.Context) error {
	if !currentUser(c).CanWrite() {
		return userError(http.StatusForbidden, "Only members and administrators change incident settings.")
	}
	d, err := s.incidentSettingsData(c, nil)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.IncidentSettingsPage(d))
}

// maxSummaryTimes bounds the daily summary's times.
const maxSummaryTimes = 6

func (s *Server) incidentSummarySettings(c echo.Context) error {
	teamID, err := paramID(c, "team")
	if err != nil {
		return err
	}
	if !currentUser(c).CanWrite() || !scope(c).Allows(teamID) {
		return userError(http.StatusForbidden, "You may not change this team's settings.")
	}
	f := views.TeamSetting{ID: teamID, RobotID: form(c, "robot_id"), Times: form(c, "times"), TimeZone: form(c, "time_zone"),
		Errors: views.FieldErrors{}}
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(f.TimeZone); err != nil || len(f.TimeZone) > 60 {
		f.Errors["time_zone"] = "Enter an IANA time zone such as Asia/Shanghai or UTC."
	}
	var times []string
	for _, part := range strings.Split(f.Times, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, err := time.Parse("15:04", part); err != nil || len(part) != 5 {
			f.Errors["times"] = fmt.Sprintf("%q is not a time of day such as 09:00.", part)
			break
		}
		times = append(times, part)
	}
	robotID := filterID(f.RobotID)
	switch {
	case len(times) > maxSummaryTimes:
		f.Errors["times"] = fmt.Sprintf("At most %d times a day.", maxSummaryTimes)
	case robotID > 0 && len(times) == 0 && f.Errors["times"] == "":
		f.Errors["times"] = "Enter when to post, e.g. 09:00, 18:00."
	}
	if robotID < 0 {
		f.Errors["robot_id"] = "Pick one of the team's robots."
	}
	if len(f.Errors) == 0 {
		err := s.deps.DB.SetTeamSummary(c.Request().Context(), actor(c), teamID, robotID, times, f.TimeZone)
		switch {
		case errors.Is(err, db.ErrForeignRef):
			f.Errors["robot_id"] = "Pick one of the team's robots."
		case errors.Is(err, db.ErrNotFound):
			return userError(http.StatusNotFound, "No such team.")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", "Daily summary saved.")
			return redirect(c, "/incidents/settings")
		}
	}
	d, err := s.incidentSettingsData(c, &f)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.IncidentSettingsPage(d))
}

func (s *Server) responder() *pipeline.Responder {
	return pipeline.NewResponder(s.deps.DB, s.deps.Composer)
}

// --- chat action links ---

// actCheck verifies a chat link and loads its incident. refused is the sentence the page
// shows when the link cannot be used (and nothing is changed).
func (s *Server) actCheck(c echo.Context) (d views.ActPageData, inc db.Incident, refused int) {
	d = views.ActPageData{Page: s.page(c, "Incident action", "incidents")}
	token := c.Param("token")
	pathID := parseID(c.Param("id"))
	d.IncidentID = pathID
	if s.deps.Links == nil {
		d.Refused = "Chat action links are turned off on this console."
		return d, inc, http.StatusNotFound
	}
	claim, err := s.deps.Links.Verify(token, s.now())
	switch {
	case errors.Is(err, pipeline.ErrLinkTampered):
		d.Refused = "This link is damaged or was not made by this console."
		return d, inc, http.StatusForbidden
	case errors.Is(err, pipeline.ErrLinkExpired):
		d.Refused = "This link has expired" + strings.TrimPrefix(err.Error(), pipeline.ErrLinkExpired.Error()) + "."
		return d, inc, http.StatusGone
	case err != nil:
		d.Refused = "This link cannot be checked."
		return d, inc, http.StatusForbidden
	}
	if claim.IncidentID != pathID {
		d.Refused = "This link was made for incident #" + itoa(claim.IncidentID) + ", not #" + itoa(pathID) + "."
		return d, inc, http.StatusForbidden
	}
	inc, err = s.deps.DB.IncidentByID(c.Request().Context(), db.AllTeams, claim.IncidentID)
	if err != nil {
		d.Refused = "This incident no longer exists."
		return d, inc, http.StatusNotFound
	}
	d.Title, d.State, d.AlertCount, d.Opened = inc.Title, inc.State, inc.AlertCount, when(inc.OpenedAt)
	d.Action, d.ActionLabel, d.Token = claim.Action, pipeline.ActionLabel(claim.Action), token
	d.FormURL = pipeline.ActionPath(inc.ID, token)
	d.LoginURL = "/login?next=" + url.QueryEscape(d.FormURL)
	return d, inc, 0
}

// actWho fills in who would act: the signed-in user of the incident's team, else the
// team's contact cards when the team allows acting by card.
func (s *Server) actWho(c echo.Context, d *views.ActPageData, inc db.Incident) error {
	if u := currentUser(c); u != nil {
		if u.CanWrite() && u.Scope().Allows(inc.TeamID) {
			d.SignedInAs = u.Username
			return nil
		}
		d.NotAllowed = u.Username
	}
	on, err := s.deps.DB.ContactActions(c.Request().Context(), inc.TeamID)
	if err != nil || !on {
		return err
	}
	cards, err := s.deps.DB.Contacts(c.Request().Context(), db.TeamScope(inc.TeamID), "")
	if err != nil {
		return err
	}
	d.Contacts = []views.Option{{Value: "", Label: "Pick your card"}}
	for _, ct := range cards {
		if ct.TeamID == inc.TeamID {
			d.Contacts = append(d.Contacts, views.Option{Value: itoa(ct.ID), Label: ct.Name})
		}
	}
	if len(d.Contacts) == 1 {
		d.Contacts = nil
	}
	return nil
}

// actShow is the confirmation page. GET never acts: link previews and URL scanners that
// fetch it change nothing.
func (s *Server) actShow(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	d, inc, status := s.actCheck(c)
	if status != 0 {
		return render(c, status, views.ActPage(d))
	}
	if err := s.actWho(c, &d, inc); err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ActPage(d))
}

// actPost acts on a chat link's confirmation.
//
// CSRF without a session: the signed token is the capability (it is in the form and the
// path and must match), so a forged cross-site POST could only do what its author, holding
// the link, could do anyway — except act as the victim's signed-in user. That is prevented
// twice: the session cookie is SameSite=Lax, so a cross-site POST carries no session, and a
// request that says it comes from another site (Sec-Fetch-Site, Origin) is refused outright.
func (s *Server) actPost(c echo.Context) error {
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	d, inc, status := s.actCheck(c)
	if status != 0 {
		return render(c, status, views.ActPage(d))
	}
	if crossSite(c) {
		d.Refused = "This confirmation did not come from this console's page. Open the link again and confirm there."
		return render(c, http.StatusForbidden, views.ActPage(d))
	}
	if c.FormValue("token") != d.Token {
		d.Refused = "This confirmation does not match its link. Open the link again and confirm there."
		return render(c, http.StatusForbidden, views.ActPage(d))
	}
	if err := s.actWho(c, &d, inc); err != nil {
		return err
	}
	in := db.IncidentAction{IncidentID: inc.ID, Action: d.Action, Via: "chat link"}
	switch {
	case d.SignedInAs != "":
		in.Actor, in.ActorKind = actor(c), "user"
	case len(d.Contacts) > 0:
		d.ContactID = c.FormValue("contact")
		ct, err := s.deps.DB.ContactByID(c.Request().Context(), db.TeamScope(inc.TeamID), parseID(d.ContactID))
		if err != nil || ct.TeamID != inc.TeamID {
			d.Errors = views.FieldErrors{"contact": "Pick your card from the list."}
			return render(c, http.StatusUnprocessableEntity, views.ActPage(d))
		}
		in.Actor, in.ActorKind = db.Actor{Name: ct.Name, IP: c.RealIP()}, "contact"
	case d.NotAllowed != "":
		return render(c, http.StatusForbidden, views.ActPage(d))
	default:
		d.Errors = views.FieldErrors{"_form": "Sign in to act on this incident."}
		return render(c, http.StatusUnauthorized, views.ActPage(d))
	}
	after, err := s.responder().Act(c.Request().Context(), db.AllTeams, in)
	switch {
	case errors.Is(err, db.ErrIncidentState):
		d.Refused = stateWords(err)
		return render(c, http.StatusConflict, views.ActPage(d))
	case err != nil:
		return err
	}
	s.kick()
	if strings.HasPrefix(d.Action, "silence") {
		s.rulesChanged()
	}
	d.State = after.State
	d.Done = pipeline.FollowUpText(in.Actor.Name, d.Action, inc, after.UpdatedAt) + "."
	return render(c, http.StatusOK, views.ActPage(d))
}

// crossSite reports whether the browser says the request comes from another site.
func crossSite(c echo.Context) bool {
	r := c.Request()
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return true
		}
	}
	return false
}
