package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/pipeline"
	"alertdesk/views"
)

const (
	maxPolicySteps   = 10
	maxPolicyRepeats = 9
	maxStepDelay     = 24 * time.Hour
)

func (s *Server) minEscalationStep() time.Duration {
	if d := s.deps.Config.EscalationMinStep; d > 0 {
		return d
	}
	return time.Minute
}

func newStepKey() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func policySummary(p db.EscalationPolicy) string {
	out := fmt.Sprintf("%d %s", len(p.Steps), plural(len(p.Steps), "step"))
	var waits []string
	for _, st := range p.Steps {
		waits = append(waits, alerting.ShortDuration(st.After()))
	}
	if len(waits) > 0 {
		out += " (after " + strings.Join(waits, ", ") + ")"
	}
	if p.Repeats > 0 {
		out += fmt.Sprintf(", repeated %d more %s", p.Repeats, plural(p.Repeats, "time"))
	}
	return out
}

func (s *Server) policiesList(c echo.Context) error {
	u := currentUser(c)
	list, err := s.deps.DB.Policies(c.Request().Context(), scope(c))
	if err != nil {
		return err
	}
	d := views.PoliciesPageData{Page: s.page(c, "Escalation policies", "contacts"), ShowTeam: u.Role != db.RoleMember, CanWrite: u.CanWrite()}
	for _, p := range list {
		d.Rows = append(d.Rows, views.PolicyRow{Name: p.Name, Team: p.TeamName, Steps: policySummary(p), EditURL: "/escalation/" + itoa(p.ID)})
	}
	return render(c, http.StatusOK, views.PoliciesPage(d))
}

// stepObjects lists what a step of a team's policy can post to and mention.
func (s *Server) stepObjects(c echo.Context, teamID int64) (views.StepObjects, error) {
	ctx := c.Request().Context()
	sc := db.TeamScope(teamID)
	o := views.StepObjects{TeamID: itoa(teamID)}
	robots, err := s.deps.DB.Robots(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, r := range robots {
		o.Robots = append(o.Robots, views.Option{Value: itoa(r.ID), Label: r.Name + " (" + notify.Platform(r.Platform).Label() + ")"})
	}
	schedules, err := s.deps.DB.Schedules(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, sch := range schedules {
		o.Mentions = append(o.Mentions, views.Option{Value: "s:" + itoa(sch.ID), Label: "Whoever is on call in " + sch.Name})
	}
	groups, err := s.deps.DB.ContactGroups(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, g := range groups {
		o.Mentions = append(o.Mentions, views.Option{Value: "g:" + itoa(g.ID), Label: "Group: " + g.Name})
	}
	contacts, err := s.deps.DB.Contacts(ctx, sc, "")
	if err != nil {
		return o, err
	}
	for _, ct := range contacts {
		o.Mentions = append(o.Mentions, views.Option{Value: "c:" + itoa(ct.ID), Label: ct.Name + contactIdentities(ct)})
	}
	return o, nil
}

func (s *Server) policyEditData(c echo.Context, p db.EscalationPolicy, title string) (views.PolicyEditData, error) {
	u := currentUser(c)
	d := views.PolicyEditData{Page: s.page(c, title, "contacts"), ID: p.ID, Title: title, CanWrite: u.CanWrite()}
	if p.TeamID == 0 {
		teams, err := s.teamOptions(c)
		if err != nil {
			return d, err
		}
		d.Teams = append([]views.Option{{Value: "", Label: "— pick a team —"}}, teams...)
		return d, nil
	}
	d.TeamID = itoa(p.TeamID)
	team, err := s.deps.DB.TeamByID(c.Request().Context(), p.TeamID)
	if err != nil {
		return d, err
	}
	d.Team = "Team " + team.Name
	if d.Objects, err = s.stepObjects(c, p.TeamID); err != nil {
		return d, err
	}
	if p.ID != 0 {
		if d.Preview, err = s.policyPreview(c, p); err != nil {
			return d, err
		}
	}
	return d, nil
}

// policyPreview words each step of p for an incident opened now: "At 10:05 (after 5m):
// to ops-wecom, mentioning Ann (on call: Primary)". Schedules resolve at each step's time.
func (s *Server) policyPreview(c echo.Context, p db.EscalationPolicy) ([]string, error) {
	if s.deps.Composer == nil {
		return nil, nil
	}
	now := s.now()
	plan := p.Plan(now)
	var out []string
	for _, st := range plan {
		robots, people, err := s.deps.Composer.EscalationTargets(c.Request().Context(), p, st.EscalationStep, st.At)
		if err != nil {
			return nil, err
		}
		out = append(out, "At "+st.At.Local().Format("15:04")+" (in "+alerting.ShortDuration(st.At.Sub(now))+"): "+
			pipeline.EscalationText(st, robots, people, len(plan)))
	}
	return out, nil
}

func (s *Server) policiesNew(c echo.Context) error {
	u := currentUser(c)
	if !u.CanWrite() {
		return userError(http.StatusForbidden, "Auditors can read everything but change nothing.")
	}
	teamID := u.TeamID
	if u.Role != db.RoleMember {
		teamID = 0
		if raw := c.QueryParam("team_id"); raw != "" {
			errs := views.FieldErrors{}
			if id := parseID(raw); id > 0 && u.Scope().Allows(id) {
				if _, err := s.deps.DB.TeamByID(c.Request().Context(), id); err == nil {
					teamID = id
				}
			}
			if teamID == 0 {
				errs["team_id"] = "Pick one of the teams."
				d, err := s.policyEditData(c, db.EscalationPolicy{}, "New escalation policy")
				if err != nil {
					return err
				}
				return render(c, http.StatusUnprocessableEntity, views.PolicyEditPage(d, views.PolicyFormData{}, errs))
			}
		}
	}
	d, err := s.policyEditData(c, db.EscalationPolicy{TeamID: teamID}, "New escalation policy")
	if err != nil {
		return err
	}
	f := views.PolicyFormData{Repeats: "0", Steps: []views.StepRowData{{Key: newStepKey(), After: "5m"}}}
	return render(c, http.StatusOK, views.PolicyEditPage(d, f, nil))
}

func (s *Server) policiesStepRow(c echo.Context) error {
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	if len(errs) > 0 || teamID <= 0 {
		return userError(http.StatusNotFound, "Not found, or not visible to you.")
	}
	o, err := s.stepObjects(c, teamID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.StepRow(views.StepRowData{Key: newStepKey(), After: "10m"}, o))
}

func policyFormFrom(c echo.Context) (views.PolicyFormData, error) {
	vals, err := c.FormParams()
	if err != nil {
		return views.PolicyFormData{}, userError(http.StatusBadRequest, "The form could not be read.")
	}
	f := views.PolicyFormData{Name: form(c, "name"), Repeats: form(c, "repeats")}
	for _, key := range vals["step_row"] {
		f.Steps = append(f.Steps, views.StepRowData{Key: key, After: strings.TrimSpace(vals.Get("step_after_" + key)),
			Robots: vals["step_robot_"+key], Mentions: vals["step_mention_"+key]})
	}
	return f, nil
}

// policyInput checks the form; problems go to errs.
func (s *Server) policyInput(c echo.Context, f views.PolicyFormData, errs views.FieldErrors) db.EscalationPolicyInput {
	in := db.EscalationPolicyInput{Name: f.Name}
	checkName(c, errs, "name", f.Name, 100)
	if f.Repeats == "" {
		f.Repeats = "0"
	}
	n, err := strconv.Atoi(f.Repeats)
	if err != nil || n < 0 || n > maxPolicyRepeats {
		errs["repeats"] = fmt.Sprintf("Enter a whole number from 0 to %d.", maxPolicyRepeats)
	}
	in.Repeats = n
	switch {
	case len(f.Steps) == 0:
		errs["steps"] = "Add at least one step."
	case len(f.Steps) > maxPolicySteps:
		errs["steps"] = fmt.Sprintf("A policy has at most %d steps.", maxPolicySteps)
	}
	lo := s.minEscalationStep()
	for i, row := range f.Steps {
		bad := func(msg string) {
			if errs["steps"] == "" {
				errs["steps"] = fmt.Sprintf("Step %d: %s", i+1, msg)
			}
		}
		d, err := time.ParseDuration(row.After)
		switch {
		case err != nil:
			bad("enter the wait as a duration such as 5m or 1h.")
		case d < lo || d > maxStepDelay:
			bad(fmt.Sprintf("the wait is from %s to %s.", alerting.ShortDuration(lo), alerting.ShortDuration(maxStepDelay)))
		}
		st := db.EscalationStep{AfterMS: d.Milliseconds()}
		for _, r := range row.Robots {
			if id := parseID(r); id > 0 {
				st.RobotIDs = append(st.RobotIDs, id)
			} else {
				bad("pick robots from the list.")
			}
		}
		if len(st.RobotIDs) == 0 {
			bad("pick at least one robot to post to.")
		}
		for _, m := range row.Mentions {
			kind, raw, _ := strings.Cut(m, ":")
			id := parseID(raw)
			switch {
			case id <= 0:
				bad("pick mentions from the list.")
			case kind == "c":
				st.ContactIDs = append(st.ContactIDs, id)
			case kind == "g":
				st.GroupIDs = append(st.GroupIDs, id)
			case kind == "s":
				st.ScheduleIDs = append(st.ScheduleIDs, id)
			default:
				bad("pick mentions from the list.")
			}
		}
		in.Steps = append(in.Steps, st)
	}
	return in
}

func policySaveError(err error, errs views.FieldErrors) bool {
	var fe *db.ForeignRefError
	switch {
	case err == nil:
		return false
	case errors.Is(err, db.ErrConflict):
		errs["name"] = "This team already has a policy with this name."
	case errors.As(err, &fe):
		errs["steps"] = "A step names a robot, contact, group or schedule of another team; pick from the lists."
	default:
		errs["_form"] = "The policy could not be saved: " + strings.TrimPrefix(err.Error(), "db: ")
	}
	return true
}

func (s *Server) policiesCreate(c echo.Context) error {
	f, err := policyFormFrom(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	in := s.policyInput(c, f, errs)
	in.TeamID = teamID
	if len(errs) == 0 {
		p, err := s.deps.DB.CreatePolicy(c.Request().Context(), actor(c), in)
		if !policySaveError(err, errs) {
			s.setFlash(c, "ok", "Escalation policy "+p.Name+" created. Point rules at it on their pages."+s.policyWarning(c, p))
			return redirect(c, "/escalation/"+itoa(p.ID))
		}
	}
	if teamID <= 0 {
		return userError(http.StatusUnprocessableEntity, "Pick a team for the policy.")
	}
	d, err := s.policyEditData(c, db.EscalationPolicy{TeamID: teamID}, "New escalation policy")
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.PolicyEditPage(d, f, errs))
}

func (s *Server) policyByParam(c echo.Context) (db.EscalationPolicy, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return db.EscalationPolicy{}, err
	}
	p, err := s.deps.DB.PolicyByID(c.Request().Context(), scope(c), id)
	if errors.Is(err, db.ErrNotFound) {
		return p, userError(http.StatusNotFound, "Not found, or not visible to you.")
	}
	return p, err
}

func policyFormOf(p db.EscalationPolicy) views.PolicyFormData {
	f := views.PolicyFormData{Name: p.Name, Repeats: strconv.Itoa(p.Repeats)}
	for i, st := range p.Steps {
		row := views.StepRowData{Key: "s" + strconv.Itoa(i), After: alerting.ShortDuration(st.After())}
		for _, id := range st.RobotIDs {
			row.Robots = append(row.Robots, itoa(id))
		}
		for _, id := range st.ContactIDs {
			row.Mentions = append(row.Mentions, "c:"+itoa(id))
		}
		for _, id := range st.GroupIDs {
			row.Mentions = append(row.Mentions, "g:"+itoa(id))
		}
		for _, id := range st.ScheduleIDs {
			row.Mentions = append(row.Mentions, "s:"+itoa(id))
		}
		f.Steps = append(f.Steps, row)
	}
	return f
}

func (s *Server) policiesEdit(c echo.Context) error {
	p, err := s.policyByParam(c)
	if err != nil {
		return err
	}
	d, err := s.policyEditData(c, p, "Escalation policy "+p.Name)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.PolicyEditPage(d, policyFormOf(p), nil))
}

func (s *Server) policiesUpdate(c echo.Context) error {
	p, err := s.policyByParam(c)
	if err != nil {
		return err
	}
	f, err := policyFormFrom(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	in := s.policyInput(c, f, errs)
	if len(errs) == 0 {
		np, err := s.deps.DB.UpdatePolicy(c.Request().Context(), actor(c), scope(c), p.ID, in)
		if !policySaveError(err, errs) {
			s.setFlash(c, "ok", "Escalation policy "+np.Name+" saved."+s.policyWarning(c, np))
			return redirect(c, "/escalation/"+itoa(p.ID))
		}
	}
	d, err := s.policyEditData(c, p, "Escalation policy "+p.Name)
	if err != nil {
		return err
	}
	return render(c, http.StatusUnprocessableEntity, views.PolicyEditPage(d, f, errs))
}

func (s *Server) policiesDelete(c echo.Context) error {
	p, err := s.policyByParam(c)
	if err != nil {
		return err
	}
	err = s.deps.DB.DeletePolicy(c.Request().Context(), actor(c), scope(c), p.ID)
	if errors.Is(err, db.ErrInUse) {
		s.setFlash(c, "error", "Policy "+p.Name+" is still used by rules; pick another policy on them first.")
		return redirect(c, "/escalation/"+itoa(p.ID))
	}
	if err != nil {
		return err
	}
	s.setFlash(c, "ok", "Escalation policy "+p.Name+" deleted.")
	return redirect(c, "/escalation")
}

// policyWarning words who a step's robots could not @-mention when the step's schedules
// put them on call.
func (s *Server) policyWarning(c echo.Context, p db.EscalationPolicy) string {
	var parts []string
	for i, st := range p.Steps {
		if w := s.unmentionable(c, p.TeamID, st.RobotIDs, st.ScheduleIDs); w != "" {
			parts = append(parts, fmt.Sprintf("step %d:%s", i+1, strings.TrimPrefix(w, " Warning:")))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " Warning: " + strings.Join(parts, " ")
}
