package handlers

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/pipeline"
	"alertdesk/views"
)

// incidentStates and incidentSeverities are the filters' choices; their labels are
// catalog keys, put into words by translated.
var incidentStates = []views.Option{{Value: "", Label: "incidents.any"}, {Value: "open", Label: "incidents.filter_open"},
	{Value: db.IncidentTriggered, Label: "incidents.filter_triggered"}, {Value: db.IncidentAcknowledged, Label: "incidents.filter_acknowledged"},
	{Value: db.IncidentResolved, Label: "incidents.filter_resolved"}, {Value: db.IncidentClosed, Label: "incidents.filter_closed"}}

var incidentSeverities = []views.Option{{Value: "", Label: "incidents.any"}, {Value: "critical", Label: "incidents.sev_critical"},
	{Value: "warning", Label: "incidents.sev_warning"}, {Value: "info", Label: "incidents.sev_info"}}

// translated is opts with each label (a catalog key) in the reader's words.
func translated(ctx context.Context, opts []views.Option) []views.Option {
	out := make([]views.Option, len(opts))
	for i, o := range opts {
		out[i] = views.Option{Value: o.Value, Label: i18n.T(ctx, o.Label)}
	}
	return out
}

// actionLabel is an incident action's button label in the reader's words ("" for an
// unknown action).
func actionLabel(ctx context.Context, action string) string {
	if pipeline.ActionLabel(action) == "" {
		return ""
	}
	return views.CodeWord(ctx, "incidents.action.", action)
}

// incidentAge is how long ago, in the reader's words: "4 min", "2 h 5 min".
func incidentAge(ctx context.Context, d time.Duration) string {
	switch {
	case d < time.Minute:
		return i18n.T(ctx, "incidents.dur_s", "S", int(d.Seconds()))
	case d < time.Hour:
		return i18n.T(ctx, "incidents.dur_min", "M", int(d.Minutes()))
	}
	return i18n.T(ctx, "incidents.dur_h_min", "H", int(d.Hours()), "M", int(d.Minutes())%60)
}

func (s *Server) incidentsList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	q := c.QueryParams()
	f := db.IncidentFilter{TeamID: filterID(q.Get("team")), RuleID: filterID(q.Get("rule")), State: q.Get("state"),
		Severity: q.Get("severity"), Owner: strings.TrimSpace(q.Get("owner"))}
	if !validOption(incidentStates, f.State) || !validOption(incidentSeverities, f.Severity) {
		return userError(http.StatusBadRequest, "%s", t(c, "incidents.err_filter"))
	}
	list, err := s.deps.DB.Incidents(ctx, scope(c), f)
	if err != nil {
		return err
	}
	d := views.IncidentsPageData{Page: s.page(c, t(c, "incidents.title"), "incidents"), TeamID: q.Get("team"), RuleID: q.Get("rule"),
		State: f.State, Severity: f.Severity, Owner: f.Owner, States: translated(ctx, incidentStates),
		Severities: translated(ctx, incidentSeverities),
		ShowTeam:   u.Role != db.RoleMember, ActionsOn: s.deps.Composer.Actions(), BaseURL: s.deps.Config.BaseURL,
		CanConfigure: u.CanWrite()}
	now := s.now()
	for _, i := range list {
		d.Rows = append(d.Rows, views.IncidentRow{ID: i.ID, Title: i.Title, Team: i.TeamName, Rule: i.RuleName, RuleID: i.RuleID,
			Severity: i.Severity, State: i.State, Owner: i.Owner, AlertCount: i.AlertCount, Opened: i18n.Minute(ctx, i.OpenedAt),
			Age: incidentAge(ctx, now.Sub(i.OpenedAt))})
	}
	teams, err := s.teamOptions(c)
	if err != nil {
		return err
	}
	d.Teams = append([]views.Option{{Value: "", Label: t(c, "incidents.any")}}, teams...)
	rules, err := s.deps.DB.Rules(ctx, scope(c))
	if err != nil {
		return err
	}
	d.Rules = []views.Option{{Value: "", Label: t(c, "incidents.any")}}
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
		return views.IncidentPageData{}, userError(http.StatusNotFound, "%s", t(c, "incidents.err_no_incident"))
	}
	if err != nil {
		return views.IncidentPageData{}, err
	}
	events, err := s.deps.DB.IncidentEvents(ctx, id)
	if err != nil {
		return views.IncidentPageData{}, err
	}
	d := views.IncidentPageData{Page: s.page(c, t(c, "incidents.page_title", "ID", id), "incidents"),
		IncidentRow: views.IncidentRow{ID: inc.ID, Title: inc.Title, Team: inc.TeamName, Rule: inc.RuleName, RuleID: inc.RuleID,
			Severity: inc.Severity, State: inc.State, Owner: inc.Owner, AlertCount: inc.AlertCount, Opened: i18n.Minute(ctx, inc.OpenedAt)},
		AckedBy: inc.AckedBy, Acked: minuteOrEmpty(ctx, inc.AckedAt), Resolved: minuteOrEmpty(ctx, inc.ResolvedAt),
		Closed:  minuteOrEmpty(ctx, inc.ClosedAt),
		Reopens: inc.Reopens, CanAct: currentUser(c).CanWrite()}
	for _, k := range slices.Sorted(maps.Keys(inc.GroupLabels)) {
		d.Labels = append(d.Labels, k+"="+inc.GroupLabels[k])
	}
	for _, e := range events {
		d.Events = append(d.Events, views.IncidentEventRow{At: i18n.Minute(ctx, e.At), Kind: e.Kind, Actor: e.Actor, ActorKind: e.ActorKind,
			Text: e.Text, NotificationID: e.NotificationID})
	}
	for _, a := range pipeline.LinkActions {
		d.Actions = append(d.Actions, views.IncidentAction{Action: a.Action, Label: actionLabel(ctx, a.Action)})
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
			d.Escalation = append(d.Escalation, t(c, "incidents.escalation_at", "When", i18n.In(ctx, st.At).Format("15:04"),
				"Step", pipeline.EscalationText(st, robots, people, total)))
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
		return userError(http.StatusBadRequest, "%s", t(c, "incidents.err_action", "Action", strconv.Quote(action)))
	}
	_, err = s.responder().Act(c.Request().Context(), scope(c), db.IncidentAction{IncidentID: id, Action: action,
		Actor: actor(c), ActorKind: "user", Via: "console", Note: c.FormValue("note")})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return userError(http.StatusNotFound, "%s", t(c, "incidents.err_no_incident"))
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
		s.setFlash(c, "ok", t(c, "incidents.acted", "Action", actionLabel(c.Request().Context(), action)))
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
		return userError(http.StatusForbidden, "%s", t(c, "incidents.err_not_yours"))
	}
	on := c.FormValue("on") == "true"
	if err := s.deps.DB.SetContactActions(c.Request().Context(), actor(c), teamID, on); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			return userError(http.StatusNotFound, "%s", t(c, "incidents.err_no_team"))
		}
		return err
	}
	s.setFlash(c, "ok", t(c, "incidents.saved"))
	return redirect(c, "/incidents/settings")
}

// incidentSettingsData is the settings page of the teams the user may configure; the team
// errs belongs to keeps the posted form.
func (s *Server) incidentSettingsData(c echo.Context, posted *views.TeamSetting) (views.IncidentSettingsData, error) {
	ctx := c.Request().Context()
	d := views.IncidentSettingsData{Page: s.page(c, t(c, "incidents.settings_title"), "incidents"), ActionsOn: s.deps.Composer.Actions(),
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
			TimeZone: ts.TimeZone, Robots: []views.Option{{Value: "", Label: t(c, "incidents.no_summary")}}}
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
		return userError(http.StatusForbidden, "%s", t(c, "incidents.err_settings_role"))
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
		return userError(http.StatusForbidden, "%s", t(c, "incidents.err_not_yours"))
	}
	f := views.TeamSetting{ID: teamID, RobotID: form(c, "robot_id"), Times: form(c, "times"), TimeZone: form(c, "time_zone"),
		Errors: views.FieldErrors{}}
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(f.TimeZone); err != nil || len(f.TimeZone) > 60 {
		f.Errors["time_zone"] = t(c, "incidents.err_time_zone")
	}
	var times []string
	for _, part := range strings.Split(f.Times, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if _, err := time.Parse("15:04", part); err != nil || len(part) != 5 {
			f.Errors["times"] = t(c, "incidents.err_time", "Time", strconv.Quote(part))
			break
		}
		times = append(times, part)
	}
	robotID := filterID(f.RobotID)
	switch {
	case len(times) > maxSummaryTimes:
		f.Errors["times"] = t(c, "incidents.err_too_many_times", "N", maxSummaryTimes)
	case robotID > 0 && len(times) == 0 && f.Errors["times"] == "":
		f.Errors["times"] = t(c, "incidents.err_no_times")
	}
	if robotID < 0 {
		f.Errors["robot_id"] = t(c, "incidents.err_robot")
	}
	if len(f.Errors) == 0 {
		err := s.deps.DB.SetTeamSummary(c.Request().Context(), actor(c), teamID, robotID, times, f.TimeZone)
		switch {
		case errors.Is(err, db.ErrForeignRef):
			f.Errors["robot_id"] = t(c, "incidents.err_robot")
		case errors.Is(err, db.ErrNotFound):
			return userError(http.StatusNotFound, "%s", t(c, "incidents.err_no_team"))
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "incidents.summary_saved"))
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
	d = views.ActPageData{Page: s.page(c, t(c, "incidents.act_page"), "incidents")}
	token := c.Param("token")
	pathID := parseID(c.Param("id"))
	d.IncidentID = pathID
	if s.deps.Links == nil {
		d.Refused = t(c, "incidents.refused_off")
		return d, inc, http.StatusNotFound
	}
	claim, err := s.deps.Links.Verify(token, s.now())
	switch {
	case errors.Is(err, pipeline.ErrLinkTampered):
		d.Refused = t(c, "incidents.refused_tampered")
		return d, inc, http.StatusForbidden
	case errors.Is(err, pipeline.ErrLinkExpired):
		d.Refused = t(c, "incidents.refused_expired", "Detail", strings.TrimPrefix(err.Error(), pipeline.ErrLinkExpired.Error()))
		return d, inc, http.StatusGone
	case err != nil:
		d.Refused = t(c, "incidents.refused_unchecked")
		return d, inc, http.StatusForbidden
	}
	if claim.IncidentID != pathID {
		d.Refused = t(c, "incidents.refused_other", "ID", claim.IncidentID, "Path", pathID)
		return d, inc, http.StatusForbidden
	}
	inc, err = s.deps.DB.IncidentByID(c.Request().Context(), db.AllTeams, claim.IncidentID)
	if err != nil {
		d.Refused = t(c, "incidents.refused_gone")
		return d, inc, http.StatusNotFound
	}
	d.Title, d.State, d.AlertCount, d.Opened = inc.Title, inc.State, inc.AlertCount, i18n.Minute(c.Request().Context(), inc.OpenedAt)
	d.Action, d.ActionLabel, d.Token = claim.Action, actionLabel(c.Request().Context(), claim.Action), token
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
	d.Contacts = []views.Option{{Value: "", Label: t(c, "incidents.pick_card")}}
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
		d.Refused = t(c, "incidents.refused_cross_site")
		return render(c, http.StatusForbidden, views.ActPage(d))
	}
	if c.FormValue("token") != d.Token {
		d.Refused = t(c, "incidents.refused_mismatch")
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
			d.Errors = views.FieldErrors{"contact": t(c, "incidents.err_card")}
			return render(c, http.StatusUnprocessableEntity, views.ActPage(d))
		}
		in.Actor, in.ActorKind = db.Actor{Name: ct.Name, IP: c.RealIP()}, "contact"
	case d.NotAllowed != "":
		return render(c, http.StatusForbidden, views.ActPage(d))
	default:
		d.Errors = views.FieldErrors{"_form": t(c, "incidents.err_sign_in")}
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
	d.Done = doneText(c.Request().Context(), in.Actor.Name, d.Action, inc, after.UpdatedAt)
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

// minuteOrEmpty is t to the minute in the reader's zone, "" when t is zero (not yet).
// doneText is what the chat-link page says after an action, in the reader's words:
// "alice acknowledged DiskFull (3 alerts) after 4 min."
func doneText(ctx context.Context, who, action string, inc db.Incident, at time.Time) string {
	after := incidentAge(ctx, at.Sub(inc.OpenedAt))
	switch action {
	case db.ActAck, db.ActClaim, db.ActClose:
		return i18n.T(ctx, "incidents.done."+action, "Who", who, "Title", inc.Title, "Count", inc.AlertCount, "After", after)
	case db.ActSilence1h, db.ActSilence4h, db.ActSilence24h:
		return i18n.T(ctx, "incidents.done.silence", "Who", who, "Title", inc.Title, "Count", inc.AlertCount,
			"For", i18n.T(ctx, "incidents.for."+action))
	}
	return i18n.T(ctx, "incidents.done.other", "Who", who, "Title", inc.Title, "Count", inc.AlertCount)
}
