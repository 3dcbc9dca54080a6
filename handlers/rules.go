package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
	"alertdesk/views"
)

var (
	severityOptions = []views.Option{{Value: "critical", Label: "critical"}, {Value: "warning", Label: "warning"}, {Value: "info", Label: "info"}}
	sourceOptions   = []views.Option{{Value: "", Label: "rules.any_source"}, {Value: "alertmanager", Label: "Alertmanager"},
		{Value: "grafana", Label: "Grafana"}, {Value: "api", Label: "API (/api/v1/alerts)"}}
	matchOpOptions = []views.Option{{Value: "=", Label: "="}, {Value: "!=", Label: "!="}, {Value: "=~", Label: "=~"}, {Value: "!~", Label: "!~"}}
	condOpOptions  = []views.Option{{Value: ">", Label: ">"}, {Value: ">=", Label: ">="}, {Value: "<", Label: "<"},
		{Value: "<=", Label: "<="}, {Value: "==", Label: "=="}, {Value: "!=", Label: "!="}}
)

const (
	maxRuleMatchers    = 50
	maxRuleQuietHours  = 20
	maxRuleGroupBy     = 30
	defaultGroupWait   = 30 * time.Second
	defaultRepeat      = 4 * time.Hour
	minRepeatInterval  = time.Minute
	maxRepeatInterval  = 30 * 24 * time.Hour
	maxGroupWait       = time.Hour
	maxRuleDescription = 1000
)

// ruleSourceOptions are the source choices in the reader's language.
func ruleSourceOptions(ctx context.Context) []views.Option {
	opts := append([]views.Option(nil), sourceOptions...)
	opts[0].Label = i18n.T(ctx, "rules.any_source")
	return opts
}

func sourceLabel(ctx context.Context, src string) string {
	for _, o := range ruleSourceOptions(ctx) {
		if o.Value == src {
			return o.Label
		}
	}
	return src
}

// matchersText renders stored matchers as typed: job=~"node.*", severity="critical".
func matchersText(ms alerting.Matchers) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.String()
	}
	return strings.Join(parts, ", ")
}

func robotLabels(opts []views.Option) string {
	var b strings.Builder
	for _, o := range opts {
		b.WriteString(o.Label + " ")
	}
	return b.String()
}

func robotLabel(r db.Robot) string {
	return r.Name + " (" + notify.Platform(r.Platform).Label() + ")"
}

func (s *Server) rulesList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	rules, err := s.deps.DB.Rules(ctx, scope(c))
	if err != nil {
		return err
	}
	robots, err := s.deps.DB.Robots(ctx, scope(c))
	if err != nil {
		return err
	}
	names := make(map[int64]string, len(robots))
	for _, r := range robots {
		names[r.ID] = robotLabel(r)
	}
	d := views.RulesPageData{Page: s.page(c, t(c, "common.nav.rules"), "rules"), ShowTeam: u.Role != db.RoleMember, CanCreate: u.CanWrite(),
		Query: strings.TrimSpace(c.QueryParam("q")), Enabled: c.QueryParam("enabled"), Total: len(rules)}
	if d.Enabled != "enabled" && d.Enabled != "disabled" {
		d.Enabled = ""
	}
	q := strings.ToLower(d.Query)
	var ids []int64
	for _, r := range rules {
		row := ruleRow(ctx, r, names, u.CanWrite())
		hay := strings.ToLower(row.Name + " " + row.Team + " " + row.Matchers + " " + robotLabels(row.Robots))
		if (q != "" && !strings.Contains(hay, q)) || (d.Enabled == "enabled" && !r.Enabled) || (d.Enabled == "disabled" && r.Enabled) {
			continue
		}
		d.Rows = append(d.Rows, row)
		ids = append(ids, r.ID)
	}
	states, err := s.deps.DB.RuleStates(ctx, ids)
	if err != nil {
		return err
	}
	for i := range d.Rows {
		ruleStateInto(ctx, &d.Rows[i], states[d.Rows[i].ID])
	}
	return render(c, http.StatusOK, views.RulesPage(d))
}

// ruleStateInto writes what the rule is doing into its list row.
func ruleStateInto(ctx context.Context, row *views.RuleRow, st db.RuleState) {
	switch {
	case st.Firing >= db.RuleStateFiringCap:
		row.Firing = i18n.T(ctx, "rules.firing_capped", "Count", db.RuleStateFiringCap)
	case st.Firing > 0:
		row.Firing = i18n.T(ctx, "rules.firing", "Count", st.Firing)
	}
	row.LastFired, row.LastDelivered = whenIn(ctx, st.LastFired), whenIn(ctx, st.LastDelivered)
}

func ruleRow(ctx context.Context, r db.Rule, robotNames map[int64]string, canWrite bool) views.RuleRow {
	row := views.RuleRow{ID: r.ID, Name: r.Name, Team: r.TeamName, Severity: r.Severity, Enabled: r.Enabled,
		Matchers: matchersText(r.Matchers), Source: sourceLabel(ctx, r.Source), CanWrite: canWrite}
	if r.Condition != nil {
		metric := r.Condition.Metric
		if metric == "" {
			metric = "value"
		}
		row.Source += fmt.Sprintf(" · %s %s %s", metric, r.Condition.Op, strconv.FormatFloat(r.Condition.Threshold, 'g', -1, 64))
	}
	for _, id := range r.RobotIDs {
		row.Robots = append(row.Robots, views.Option{Value: itoa(id), Label: robotNames[id]})
	}
	return row
}

// ruleObjects lists the robots, contacts and groups of a team for the rule form.
func (s *Server) ruleObjects(ctx context.Context, teamID int64) (views.RuleObjects, error) {
	o := views.RuleObjects{TeamID: itoa(teamID)}
	if teamID <= 0 {
		return o, nil
	}
	sc := db.TeamScope(teamID)
	robots, err := s.deps.DB.Robots(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, r := range robots {
		ch := views.RuleChoice{ID: r.ID, Label: r.Name, Detail: notify.Platform(r.Platform).Label()}
		switch {
		case !r.Enabled:
			ch.Badge = "disabled"
		case r.Status == db.RobotFailing:
			ch.Badge = "failing"
		case r.Status == db.RobotUnverified:
			ch.Badge = "unverified"
		}
		o.Robots = append(o.Robots, ch)
	}
	contacts, err := s.deps.DB.Contacts(ctx, sc, "")
	if err != nil {
		return o, err
	}
	for _, ct := range contacts {
		var ways []string
		for _, w := range []struct{ v, label string }{{ct.Mobile, "mobile"}, {ct.DingTalkUserID, "DingTalk"},
			{ct.FeishuOpenID, "Feishu/Lark"}, {ct.WeComUserID, "WeCom"}} {
			if w.v != "" {
				ways = append(ways, w.label)
			}
		}
		detail := i18n.T(ctx, "rules.no_chat_identity")
		if len(ways) > 0 {
			detail = strings.Join(ways, ", ")
		}
		o.Contacts = append(o.Contacts, views.RuleChoice{ID: ct.ID, Label: ct.Name, Detail: detail})
	}
	groups, err := s.deps.DB.ContactGroups(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, g := range groups {
		var members []string
		for _, m := range g.Members {
			members = append(members, m.Name)
		}
		detail := i18n.T(ctx, "rules.no_members")
		if len(members) > 0 {
			detail = strings.Join(members, ", ")
		}
		o.Groups = append(o.Groups, views.RuleChoice{ID: g.ID, Label: g.Name, Detail: detail})
	}
	schedules, err := s.deps.DB.Schedules(ctx, sc)
	if err != nil {
		return o, err
	}
	for _, sch := range schedules {
		o.Schedules = append(o.Schedules, views.RuleChoice{ID: sch.ID, Label: i18n.T(ctx, "rules.on_call_in", "Name", sch.Name)})
	}
	policies, err := s.deps.DB.Policies(ctx, sc)
	if err != nil {
		return o, err
	}
	o.Policies = []views.Option{{Value: "", Label: i18n.T(ctx, "common.none")}}
	for _, p := range policies {
		o.Policies = append(o.Policies, views.Option{Value: itoa(p.ID), Label: p.Name + ": " + policySummary(ctx, p)})
	}
	return o, nil
}

func templateDefaults() []views.TemplateDefault {
	var out []views.TemplateDefault
	for _, p := range notify.Protocols() {
		t, b := alerting.DefaultTemplates(string(p))
		out = append(out, views.TemplateDefault{Platform: notify.ProtocolLabel(p), Title: t, Body: b})
	}
	return out
}

// ruleEditData frames the form for a rule of team teamID (0: none picked yet).
func (s *Server) ruleEditData(c echo.Context, title string, teamID int64, isNew bool) (views.RuleEditData, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	d := views.RuleEditData{Page: s.page(c, title, "rules"), IsNew: isNew, CanWrite: u.CanWrite(),
		Defaults: templateDefaults(), Severities: severityOptions, Sources: ruleSourceOptions(ctx), MatchOps: matchOpOptions,
		CondOps: condOpOptions, CanCreateTeam: u.Role == db.RoleAdmin}
	if isNew {
		teams, err := s.teamOptions(c)
		if err != nil {
			return d, err
		}
		d.Teams = teams
		if teamID <= 0 && len(teams) > 0 {
			teamID = parseID(teams[0].Value)
		}
	}
	if teamID > 0 {
		t, err := s.deps.DB.TeamByID(ctx, teamID)
		if err != nil {
			return d, err
		}
		d.TeamName = t.Name
	}
	var err error
	d.Objects, err = s.ruleObjects(ctx, teamID)
	return d, err
}

func newQuietKey() string { return randomToken(6) }

// padRows leaves empty rows to type into without JavaScript: at least three matcher
// rows and one empty quiet-hours row at the end.
func padRows(f *views.RuleFormData) {
	if n := len(f.Matchers); n == 0 || f.Matchers[n-1].Name != "" || f.Matchers[n-1].Value != "" {
		f.Matchers = append(f.Matchers, views.MatcherRowData{Op: "="})
	}
	for len(f.Matchers) < 3 {
		f.Matchers = append(f.Matchers, views.MatcherRowData{Op: "="})
	}
	if n := len(f.QuietHours); n == 0 || !quietRowEmpty(f.QuietHours[n-1]) {
		f.QuietHours = append(f.QuietHours, views.QuietRowData{Key: newQuietKey()})
	}
}

func quietRowEmpty(q views.QuietRowData) bool {
	return q.Days == [7]bool{} && q.From == "" && q.To == ""
}

func (s *Server) rulesNew(c echo.Context) error {
	u := currentUser(c)
	if !u.CanWrite() {
		return userError(http.StatusForbidden, "%s", t(c, "robots.err_auditor"))
	}
	teamID := u.TeamID
	if id := parseID(c.QueryParam("team_id")); id > 0 && u.Scope().Allows(id) {
		teamID = id
	}
	d, err := s.ruleEditData(c, t(c, "rules.new"), teamID, true)
	if err != nil {
		return err
	}
	f := views.RuleFormData{TeamID: d.Objects.TeamID, Enabled: true, Severity: "warning", CondOp: ">",
		GroupWait: alerting.ShortDuration(defaultGroupWait), RepeatInterval: alerting.ShortDuration(defaultRepeat), SendResolved: true}
	if len(d.Teams) == 0 {
		// The team is created with the rule and has no robots yet: the rule starts disabled.
		f.Enabled = false
	}
	padRows(&f)
	return render(c, http.StatusOK, views.RuleEditPage(d, f, nil))
}

// readRuleForm reads the rule form as typed. Matcher rows post matcher_name, matcher_op
// and matcher_value in row order; quiet-hours rows post qh_row=<key>, qh_from, qh_to,
// qh_tz in row order and their day checkboxes as qh_days_<key> (0 = Sunday … 6).
func readRuleForm(c echo.Context) (views.RuleFormData, error) {
	vals, err := c.FormParams()
	if err != nil {
		return views.RuleFormData{}, userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_unreadable"))
	}
	get := func(name string) string { return strings.TrimSpace(vals.Get(name)) }
	f := views.RuleFormData{TeamID: get("team_id"), Name: get("name"), Description: strings.TrimSpace(vals.Get("description")),
		Enabled: vals.Get("enabled") == "1", Severity: get("severity"), Source: get("source"),
		CondMetric: get("cond_metric"), CondOp: get("cond_op"), CondThreshold: get("cond_threshold"), CondFor: get("cond_for"),
		AtAll: vals.Get("at_all") == "1", TitleTemplate: vals.Get("title_template"), BodyTemplate: vals.Get("body_template"),
		GroupBy: get("group_by"), GroupWait: get("group_wait"), RepeatInterval: get("repeat_interval"),
		RepeatUnacked: get("repeat_unacked"), SendResolved: vals.Get("send_resolved") == "1", NewTeam: get("new_team")}
	if strings.TrimSpace(f.TitleTemplate) == "" {
		f.TitleTemplate = ""
	}
	if strings.TrimSpace(f.BodyTemplate) == "" {
		f.BodyTemplate = ""
	}
	names, ops, values := vals["matcher_name"], vals["matcher_op"], vals["matcher_value"]
	for i := range max(len(names), len(ops), len(values)) {
		m := views.MatcherRowData{Op: "="}
		if i < len(names) {
			m.Name = strings.TrimSpace(names[i])
		}
		if i < len(ops) {
			m.Op = strings.TrimSpace(ops[i])
		}
		if i < len(values) {
			m.Value = values[i]
		}
		f.Matchers = append(f.Matchers, m)
	}
	froms, tos, tzs := vals["qh_from"], vals["qh_to"], vals["qh_tz"]
	for i, key := range vals["qh_row"] {
		if len(key) > 32 {
			key = key[:32]
		}
		q := views.QuietRowData{Key: key}
		if i < len(froms) {
			q.From = strings.TrimSpace(froms[i])
		}
		if i < len(tos) {
			q.To = strings.TrimSpace(tos[i])
		}
		if i < len(tzs) {
			q.TZ = strings.TrimSpace(tzs[i])
		}
		for _, v := range vals["qh_days_"+key] {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 && n < 7 {
				q.Days[n] = true
			}
		}
		f.QuietHours = append(f.QuietHours, q)
	}
	f.RobotIDs, err = parseIDs(vals["robot_id"])
	if err != nil {
		return f, userError(http.StatusBadRequest, "%s", t(c, "rules.err_robot_id"))
	}
	if f.ContactIDs, err = parseIDs(vals["contact_id"]); err != nil {
		return f, userError(http.StatusBadRequest, "%s", t(c, "rules.err_contact_id"))
	}
	if f.GroupIDs, err = parseIDs(vals["group_id"]); err != nil {
		return f, userError(http.StatusBadRequest, "%s", t(c, "rules.err_group_id"))
	}
	f.EscalationPolicy = strings.TrimSpace(vals.Get("escalation_policy_id"))
	if f.ScheduleIDs, err = parseIDs(vals["schedule_id"]); err != nil {
		return f, userError(http.StatusBadRequest, "%s", t(c, "rules.err_schedule_id"))
	}
	return f, nil
}

func parseIDs(raw []string) ([]int64, error) {
	out := make([]int64, 0, len(raw))
	for _, v := range raw {
		id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || id <= 0 {
			return nil, fmt.Errorf("bad id %q", v)
		}
		out = append(out, id)
	}
	return out, nil
}

// validateRule checks the form and returns what to store (without the team).
func validateRule(c echo.Context, f views.RuleFormData, errs views.FieldErrors) db.RuleInput {
	in := db.RuleInput{Name: f.Name, Description: f.Description, Enabled: f.Enabled, Severity: f.Severity, Source: f.Source,
		AtAll: f.AtAll, TitleTemplate: f.TitleTemplate, BodyTemplate: f.BodyTemplate, SendResolved: f.SendResolved,
		RobotIDs: f.RobotIDs, ContactIDs: f.ContactIDs, GroupIDs: f.GroupIDs, ScheduleIDs: f.ScheduleIDs}
	if f.EscalationPolicy != "" {
		if in.EscalationPolicyID = parseID(f.EscalationPolicy); in.EscalationPolicyID <= 0 {
			errs["escalation_policy_id"] = t(c, "rules.err_policy")
			in.EscalationPolicyID = 0
		}
	}
	checkName(c, errs, "name", f.Name, 100)
	switch {
	case !utf8.ValidString(f.Description):
		errs["description"] = t(c, "rules.err_utf8")
	case utf8.RuneCountInString(f.Description) > maxRuleDescription:
		errs["description"] = t(c, "rules.err_description_long", "Max", maxRuleDescription)
	case strings.IndexFunc(f.Description, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		errs["description"] = t(c, "rules.err_control")
	}
	switch f.Severity {
	case "critical", "warning", "info":
	default:
		errs["severity"] = t(c, "rules.err_severity")
	}
	switch f.Source {
	case "", "alertmanager", "grafana", "api":
	default:
		errs["source"] = t(c, "rules.err_source")
	}

	// Every row is checked and every bad one reported at once, not only the first.
	used := 0
	var rowErrs []string
	for i, m := range f.Matchers {
		if m.Name == "" {
			continue
		}
		used++
		cm, err := alerting.NewMatcher(m.Name, alerting.MatchOp(m.Op), m.Value)
		if err != nil {
			rowErrs = append(rowErrs, t(c, "rules.err_matcher_row", "Row", i+1, "Error", err.Error()))
			continue
		}
		in.Matchers = append(in.Matchers, cm)
	}
	if len(rowErrs) > 0 {
		errs["matchers"] = strings.Join(rowErrs, t(c, "robots.bulk_separator"))
	}
	if used > maxRuleMatchers && errs["matchers"] == "" {
		errs["matchers"] = t(c, "rules.err_matchers_many", "Max", maxRuleMatchers)
	}

	if f.CondThreshold != "" || f.CondMetric != "" || f.CondFor != "" {
		cond := alerting.Condition{Metric: f.CondMetric, Op: alerting.Comparison(f.CondOp)}
		ok := true
		if f.CondThreshold == "" {
			errs["cond_threshold"] = t(c, "rules.err_threshold_missing")
			ok = false
		} else if v, err := strconv.ParseFloat(f.CondThreshold, 64); err != nil {
			errs["cond_threshold"] = t(c, "rules.err_threshold_number")
			ok = false
		} else {
			cond.Threshold = v
		}
		if f.CondFor != "" {
			d, err := time.ParseDuration(f.CondFor)
			if f.CondFor == "0" {
				d, err = 0, nil
			}
			if err != nil {
				errs["cond_for"] = t(c, "rules.err_cond_for")
				ok = false
			}
			cond.For = d
		}
		if ok {
			if err := cond.Validate(); err != nil {
				errs["condition"] = capitalize(err.Error()) + "."
			} else {
				in.Condition = &cond
			}
		}
	}

	// A disabled rule may have none (its last robot was deleted, or it is a draft); an
	// enabled one must have somewhere to send.
	if len(f.RobotIDs) == 0 && f.Enabled {
		errs["robot_id"] = t(c, "rules.err_needs_robot")
	}

	for _, t := range []struct{ field, src string }{{"title_template", f.TitleTemplate}, {"body_template", f.BodyTemplate}} {
		if t.src == "" {
			continue
		}
		if err := alerting.CheckTemplate(t.src); err != nil {
			errs[t.field] = err.Error()
		}
	}

	if names, err := alerting.ParseLabelNames(f.GroupBy); err != nil {
		errs["group_by"] = t(c, "rules.err_group_by", "Error", capitalize(err.Error()))
	} else {
		in.GroupBy = names
	}
	if len(in.GroupBy) > maxRuleGroupBy {
		errs["group_by"] = t(c, "rules.err_group_by_many", "Max", maxRuleGroupBy)
	}
	in.GroupWait = durationField(c, errs, "group_wait", f.GroupWait, defaultGroupWait, 0, maxGroupWait)
	in.RepeatInterval = durationField(c, errs, "repeat_interval", f.RepeatInterval, defaultRepeat, minRepeatInterval, maxRepeatInterval)
	if f.RepeatUnacked != "" && f.RepeatUnacked != "0" {
		in.RepeatUnacked = durationField(c, errs, "repeat_unacked", f.RepeatUnacked, 0, minRepeatInterval, maxRepeatInterval)
	}

	n := 0
	var quietErrs []string
	for _, q := range f.QuietHours {
		if quietRowEmpty(q) {
			continue
		}
		n++
		w := alerting.QuietWindow{From: q.From, To: q.To, TimeZone: q.TZ}
		for d, on := range q.Days {
			if on {
				w.Days = append(w.Days, time.Weekday(d))
			}
		}
		if err := w.Validate(); err != nil {
			quietErrs = append(quietErrs, t(c, "rules.err_window", "Window", n, "Error", err.Error()))
			continue
		}
		if q.TZ != "" {
			if _, err := time.LoadLocation(q.TZ); err != nil {
				quietErrs = append(quietErrs, t(c, "rules.err_window_tz", "Window", n, "Zone", q.TZ))
				continue
			}
		}
		in.QuietHours = append(in.QuietHours, w)
	}
	if len(quietErrs) > 0 {
		errs["quiet_hours"] = strings.Join(quietErrs, t(c, "robots.bulk_separator"))
	}
	if n > maxRuleQuietHours && errs["quiet_hours"] == "" {
		errs["quiet_hours"] = t(c, "rules.err_windows_many", "Max", maxRuleQuietHours)
	}
	return in
}

// checkTemplatesRender refuses templates that parse but cannot render the sample group
// on some platform (a field the template model does not have, a function misused); a
// label that the sample lacks is not an error, it renders as "".
func (s *Server) checkTemplatesRender(c echo.Context, in db.RuleInput, errs views.FieldErrors) {
	if errs["title_template"] != "" || errs["body_template"] != "" {
		return
	}
	rule := db.Rule{Name: in.Name, Severity: in.Severity, Matchers: in.Matchers, TitleTemplate: in.TitleTemplate, BodyTemplate: in.BodyTemplate}
	err := s.deps.Composer.CheckRuleTemplates(c.Request().Context(), rule)
	if err == nil {
		return
	}
	field := "body_template"
	if strings.HasPrefix(err.Error(), "Title template") {
		field = "title_template"
	}
	errs[field] = t(c, "rules.err_template_sample", "Error", err.Error())
}

// durationField parses a Go duration ("" = def) within [lo, hi].
func durationField(c echo.Context, errs views.FieldErrors, field, v string, def, lo, hi time.Duration) time.Duration {
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if v == "0" {
		d, err = 0, nil
	}
	switch {
	case err != nil:
		errs[field] = t(c, "rules.err_duration")
	case d < lo || d > hi:
		errs[field] = t(c, "rules.err_duration_range", "Min", alerting.ShortDuration(lo), "Max", alerting.ShortDuration(hi))
	default:
		return d
	}
	return def
}

// ruleFormOf fills the form from a stored rule.
func ruleFormOf(r db.Rule) views.RuleFormData {
	f := views.RuleFormData{ID: r.ID, TeamID: itoa(r.TeamID), Name: r.Name, Description: r.Description, Enabled: r.Enabled,
		Severity: r.Severity, Source: r.Source, CondOp: ">", RobotIDs: r.RobotIDs, ContactIDs: r.ContactIDs, GroupIDs: r.GroupIDs,
		ScheduleIDs: r.ScheduleIDs, EscalationPolicy: idOrEmpty(r.EscalationPolicyID), AtAll: r.AtAll, TitleTemplate: r.TitleTemplate, BodyTemplate: r.BodyTemplate, GroupBy: alerting.FormatLabelNames(r.GroupBy),
		GroupWait: alerting.ShortDuration(r.GroupWait), RepeatInterval: alerting.ShortDuration(r.RepeatInterval), SendResolved: r.SendResolved}
	if r.RepeatUnacked > 0 {
		f.RepeatUnacked = alerting.ShortDuration(r.RepeatUnacked)
	}
	for _, m := range r.Matchers {
		f.Matchers = append(f.Matchers, views.MatcherRowData{Name: m.Name, Op: string(m.Op), Value: m.Value})
	}
	if c := r.Condition; c != nil {
		f.CondMetric, f.CondOp = c.Metric, string(c.Op)
		f.CondThreshold = strconv.FormatFloat(c.Threshold, 'g', -1, 64)
		f.CondFor = alerting.ShortDuration(c.For)
	}
	for i, q := range r.QuietHours {
		row := views.QuietRowData{Key: strconv.Itoa(i), From: q.From, To: q.To, TZ: q.TimeZone}
		for _, d := range q.Days {
			if d >= 0 && d < 7 {
				row.Days[d] = true
			}
		}
		f.QuietHours = append(f.QuietHours, row)
	}
	padRows(&f)
	return f
}

// saveRuleErr turns a db refusal into a field error; other errors are returned.
func saveRuleErr(c echo.Context, errs views.FieldErrors, err error) error {
	var fe *db.ForeignRefError
	switch {
	case errors.Is(err, db.ErrConflict):
		errs["name"] = t(c, "rules.err_name_taken")
	case errors.As(err, &fe):
		key := map[string]string{"robot_id": "rules.err_foreign_robot", "contact_id": "rules.err_foreign_contact", "group_id": "rules.err_foreign_group",
			"schedule_id": "rules.err_foreign_schedule", "escalation_policy_id": "rules.err_foreign_policy"}[fe.Field]
		if key == "" {
			return err
		}
		errs[fe.Field] = t(c, key, "ID", fe.ID)
	case errors.Is(err, db.ErrRuleNeedsRobot):
		errs["robot_id"] = t(c, "rules.err_needs_robot")
	default:
		return err
	}
	return nil
}

func (s *Server) rulesCreate(c echo.Context) error {
	f, err := readRuleForm(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	team := s.pickTeam(c, errs, "team_id")
	teamID := team.ID
	if team.NewName == "" && teamID <= 0 && errs["team_id"] == "" && errs["new_team"] == "" {
		errs["team_id"] = t(c, "rules.err_pick_team")
	}
	in := validateRule(c, f, errs)
	if team.NewName != "" {
		newTeamRule(c, f, errs)
	}
	s.checkTemplatesRender(c, in, errs)
	if len(errs) == 0 {
		var err error
		if teamID, err = s.commitTeam(c, errs, team); err != nil {
			return err
		}
	}
	if len(errs) == 0 {
		in.TeamID = teamID
		r, err := s.deps.DB.CreateRule(c.Request().Context(), actor(c), in)
		if err == nil {
			s.rulesChanged()
			s.setFlash(c, "ok", t(c, "rules.created", "Name", r.Name)+s.onCallWarning(c, r))
			return redirect(c, "/rules/"+itoa(r.ID))
		}
		if err := saveRuleErr(c, errs, err); err != nil {
			return err
		}
	}
	d, err := s.ruleEditData(c, t(c, "rules.new"), max(teamID, 0), true)
	if err != nil {
		return err
	}
	f.TeamID = d.Objects.TeamID
	padRows(&f)
	return render(c, http.StatusUnprocessableEntity, views.RuleEditPage(d, f, errs))
}

// newTeamRule refuses what a rule of a team created with it cannot have: the new team has
// no robots, contacts, schedules or policies yet, so the rule is saved disabled and gets
// its robots once the team has some. Checked before the team is created.
func newTeamRule(c echo.Context, f views.RuleFormData, errs views.FieldErrors) {
	if f.Enabled {
		errs["robot_id"] = t(c, "rules.err_new_team_enabled")
	}
	if len(f.RobotIDs) > 0 && errs["robot_id"] == "" {
		errs["robot_id"] = t(c, "rules.err_new_team_robots")
	}
	if len(f.ContactIDs) > 0 {
		errs["contact_id"] = t(c, "rules.err_new_team_contacts")
	}
	if len(f.GroupIDs) > 0 {
		errs["group_id"] = t(c, "rules.err_new_team_groups")
	}
	if len(f.ScheduleIDs) > 0 {
		errs["schedule_id"] = t(c, "rules.err_new_team_schedules")
	}
	if f.EscalationPolicy != "" {
		errs["escalation_policy_id"] = t(c, "rules.err_new_team_policies")
	}
}

func (s *Server) rulesEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.deps.DB.RuleByID(c.Request().Context(), scope(c), id)
	if err != nil {
		return err
	}
	d, err := s.ruleEditData(c, t(c, "rules.rule_title", "Name", r.Name), r.TeamID, false)
	if err != nil {
		return err
	}
	d.Enabled = r.Enabled
	if d.Stuck, err = s.stuckGroups(c, r.ID); err != nil {
		return err
	}
	why, at, err := s.deps.DB.LastTemplateFailure(c.Request().Context(), r.ID)
	if err != nil {
		return err
	}
	if why != "" {
		d.TemplateFailure = t(c, "rules.template_failure", "At", i18n.Time(c.Request().Context(), at), "Why", why)
	}
	return render(c, http.StatusOK, views.RuleEditPage(d, ruleFormOf(r), nil))
}

func (s *Server) rulesUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.deps.DB.RuleByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	f, err := readRuleForm(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	if f.TeamID != "" && f.TeamID != itoa(old.TeamID) {
		errs["team_id"] = t(c, "rules.err_team_fixed")
	}
	f.ID, f.TeamID = id, itoa(old.TeamID)
	in := validateRule(c, f, errs)
	s.checkTemplatesRender(c, in, errs)
	if len(errs) == 0 {
		r, err := s.deps.DB.UpdateRule(ctx, actor(c), scope(c), id, in)
		if err == nil {
			s.rulesChanged()
			s.setFlash(c, "ok", t(c, "rules.saved", "Name", r.Name)+s.onCallWarning(c, r))
			return redirect(c, "/rules/"+itoa(r.ID))
		}
		if err := saveRuleErr(c, errs, err); err != nil {
			return err
		}
	}
	d, err := s.ruleEditData(c, t(c, "rules.rule_title", "Name", old.Name), old.TeamID, false)
	if err != nil {
		return err
	}
	d.Enabled = old.Enabled
	padRows(&f)
	return render(c, http.StatusUnprocessableEntity, views.RuleEditPage(d, f, errs))
}

func (s *Server) rulesClone(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.deps.DB.RuleByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	in := r.Input()
	in.Enabled = false
	base := r.Name
	if utf8.RuneCountInString(base) > 85 {
		base = string([]rune(base)[:85])
	}
	for n := 1; n <= 50; n++ {
		in.Name = base + " (copy)"
		if n > 1 {
			in.Name = fmt.Sprintf("%s (copy %d)", base, n)
		}
		cp, err := s.deps.DB.CreateRule(ctx, actor(c), in)
		if errors.Is(err, db.ErrConflict) {
			continue
		}
		if err != nil {
			return err
		}
		s.rulesChanged()
		s.setFlash(c, "ok", t(c, "rules.cloned", "Name", cp.Name))
		return redirect(c, "/rules/"+itoa(cp.ID))
	}
	return userError(http.StatusConflict, "%s", t(c, "rules.err_too_many_copies"))
}

func (s *Server) rulesSetEnabled(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	on := c.FormValue("enabled") == "1"
	r, err := s.deps.DB.SetRuleEnabled(ctx, actor(c), scope(c), id, on)
	if errors.Is(err, db.ErrRuleNeedsRobot) {
		return userError(http.StatusUnprocessableEntity, "%s", t(c, "rules.err_enable_no_robot"))
	}
	if err != nil {
		return err
	}
	s.rulesChanged()
	if isHTMX(c) {
		robots, err := s.deps.DB.Robots(ctx, db.TeamScope(r.TeamID))
		if err != nil {
			return err
		}
		names := map[int64]string{}
		for _, rb := range robots {
			names[rb.ID] = robotLabel(rb)
		}
		row := ruleRow(ctx, r, names, true)
		states, err := s.deps.DB.RuleStates(c.Request().Context(), []int64{r.ID})
		if err != nil {
			return err
		}
		ruleStateInto(ctx, &row, states[r.ID])
		return render(c, http.StatusOK, views.RuleRowView(row, currentUser(c).Role != db.RoleMember, session(c).csrf(), true))
	}
	msg := t(c, "rules.disabled_flash", "Name", r.Name)
	if on {
		msg = t(c, "rules.enabled_flash", "Name", r.Name)
	}
	s.setFlash(c, "ok", msg)
	if c.FormValue("back") == "list" {
		return redirect(c, "/rules")
	}
	return redirect(c, "/rules/"+itoa(id))
}

func (s *Server) rulesDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.deps.DB.DeleteRule(c.Request().Context(), actor(c), scope(c), id); err != nil {
		return err
	}
	s.rulesChanged()
	s.setFlash(c, "ok", t(c, "rules.deleted"))
	return redirect(c, "/rules")
}

func (s *Server) rulesMatcherRow(c echo.Context) error {
	return render(c, http.StatusOK, views.MatcherRow(views.MatcherRowData{Op: "="}, matchOpOptions))
}

func (s *Server) rulesQuietRow(c echo.Context) error {
	return render(c, http.StatusOK, views.QuietRow(views.QuietRowData{Key: newQuietKey()}))
}

// rulesEmpty answers the form's Remove buttons: the row is swapped for nothing.
func (s *Server) rulesEmpty(c echo.Context) error {
	return c.HTML(http.StatusOK, "")
}

// rulesObjects re-renders the robots and mentions of the team picked in the form.
func (s *Server) rulesObjects(c echo.Context) error {
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	if len(errs) > 0 || teamID <= 0 {
		return userError(http.StatusNotFound, "%s", t(c, "rules.err_not_found"))
	}
	o, err := s.ruleObjects(c.Request().Context(), teamID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.RuleObjectsView(o, views.RuleFormData{}, nil))
}

func (s *Server) consoleURL(c echo.Context) string {
	if b := s.deps.Config.BaseURL; b != "" {
		return strings.TrimRight(b, "/")
	}
	return c.Scheme() + "://" + c.Request().Host
}

func (s *Server) rulesPreview(c echo.Context) error {
	f, err := readRuleForm(c)
	if err != nil {
		return err
	}
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	var p views.RulePreview
	switch {
	case len(errs) > 0 || teamID <= 0:
		p.Error = t(c, "rules.err_pick_team_first")
	case len(f.RobotIDs) == 0:
		p.Error = t(c, "rules.err_preview_robot")
	default:
		p = s.preview(c, teamID, f)
	}
	return render(c, http.StatusOK, views.RulePreviewView(p))
}

// maxPreviewRobots caps the robots one preview renders for (ids are de-duplicated first):
// a rule form shows at most this many, and template evaluation is bounded per request,
// so one request cannot make the console render without bound.
const maxPreviewRobots = 20

// The budget of one preview request, shared by its robots.
const (
	previewTimeBudget = 2 * time.Second
	previewByteBudget = 256 << 10
)

// formRule is the rule as the form stands, valid or not, for a preview.
func formRule(c echo.Context, f views.RuleFormData, teamID int64, teamName string) db.Rule {
	in := validateRule(c, f, views.FieldErrors{})
	return db.Rule{TeamID: teamID, TeamName: teamName, Name: in.Name, Severity: in.Severity, Matchers: in.Matchers,
		AtAll: in.AtAll, TitleTemplate: f.TitleTemplate, BodyTemplate: f.BodyTemplate, ContactIDs: in.ContactIDs, GroupIDs: in.GroupIDs,
		ScheduleIDs: in.ScheduleIDs}
}

func (s *Server) preview(c echo.Context, teamID int64, f views.RuleFormData) views.RulePreview {
	ctx := c.Request().Context()
	var p views.RulePreview
	for _, tp := range []struct{ label, src string }{{"rules.title_template", f.TitleTemplate}, {"rules.body_template", f.BodyTemplate}} {
		if err := alerting.CheckTemplate(tp.src); tp.src != "" && err != nil {
			p.Error = t(c, "rules.err_preview_template", "Template", t(c, tp.label), "Error", err.Error())
			return p
		}
	}
	sc := db.TeamScope(teamID)
	team, err := s.deps.DB.TeamByID(ctx, teamID)
	if err != nil {
		p.Error = t(c, "rules.err_pick_team_first")
		return p
	}
	rule := formRule(c, f, teamID, team.Name)
	group := s.deps.Composer.Sample(rule)
	now := s.deps.DB.Now()
	ids := slices.Compact(slices.Sorted(slices.Values(f.RobotIDs)))
	if len(ids) > maxPreviewRobots {
		ids = ids[:maxPreviewRobots]
		p.Error = t(c, "rules.preview_first", "Max", maxPreviewRobots)
	}
	// One request renders within one budget, however many robots it names: the time of
	// every render together, and the bytes of every request shown.
	ctx, cancel := context.WithTimeout(ctx, previewTimeBudget)
	defer cancel()
	shown := 0
	for _, id := range ids {
		if shown > previewByteBudget || ctx.Err() != nil {
			p.Error = t(c, "rules.preview_budget")
			break
		}
		robot, err := s.deps.DB.RobotByID(ctx, sc, id)
		if err != nil {
			p.Robots = append(p.Robots, views.RobotPreview{Robot: t(c, "rules.robot_number", "ID", id), Error: t(c, "rules.err_not_team_robot")})
			continue
		}
		rp := views.RobotPreview{RobotID: robot.ID, Robot: robot.Name, Platform: notify.Platform(robot.Platform).Label()}
		composed, prep, err := s.deps.Composer.Request(ctx, rule, robot, group, 0, now)
		if composed.TemplateFailure != "" {
			rp.Error = t(c, "rules.preview_template_failure", "Error", composed.TemplateFailure)
		}
		if err != nil {
			rp.Error = capitalize(strings.TrimPrefix(err.Error(), "notify: "))
			p.Robots = append(p.Robots, rp)
			continue
		}
		var pretty bytes.Buffer
		if json.Indent(&pretty, prep.MaskedBody, "", "  ") != nil {
			pretty.Reset()
			pretty.Write(prep.MaskedBody)
		}
		rp.Title, rp.MsgType, rp.URL, rp.Request, rp.Truncated = composed.Message.Title, prep.MsgType, prep.MaskedURL, pretty.String(), prep.Truncated
		rp.KeywordAdd = prep.KeywordAdded
		shown += len(rp.Request)
		rp.Chat = views.ChatFromRequest(robot.Platform, rp.Platform, prep.MaskedBody)
		rp.Chat.Robot, rp.Chat.Keyword, rp.Chat.Raw = robot.Name, prep.KeywordAdded, "" // the raw request is shown below it
		rp.Mentioned, rp.Skipped = prep.Mentions.Labels, prep.Mentions.Skipped
		p.Robots = append(p.Robots, rp)
	}
	return p
}

func (s *Server) rulesTest(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.deps.DB.RuleByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	sc := db.TeamScope(r.TeamID)
	group := s.deps.Composer.Sample(r)
	group.Kind = "test"
	var outcomes []views.RuleTestOutcome
	delivered := 0
	for _, rid := range r.RobotIDs {
		robot, err := s.deps.DB.RobotByID(ctx, sc, rid)
		if err != nil {
			return err
		}
		composed, err := s.deps.Composer.Compose(ctx, r, robot, group, 0)
		if err != nil {
			outcomes = append(outcomes, views.RuleTestOutcome{RobotID: robot.ID, Robot: robotLabel(robot),
				Result: views.TestResult{Summary: t(c, "rules.test_not_sent", "Error", err.Error())}})
			continue
		}
		res, err := s.sendTest(c, robot, r.ID, composed.Message)
		if err != nil {
			return err
		}
		if res.OK {
			delivered++
		}
		outcomes = append(outcomes, views.RuleTestOutcome{RobotID: robot.ID, Robot: robotLabel(robot), Result: res})
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.RuleTestResults(outcomes))
	}
	d, err := s.ruleEditData(c, t(c, "rules.rule_title", "Name", r.Name), r.TeamID, false)
	if err != nil {
		return err
	}
	d.Enabled = r.Enabled
	kind := "ok"
	if delivered < len(r.RobotIDs) {
		kind = "error"
	}
	d.Page.Flash, d.Page.FlashKind = t(c, "rules.test_flash", "Delivered", delivered, "Count", len(r.RobotIDs)), kind
	return render(c, http.StatusOK, views.RuleEditPage(d, ruleFormOf(r), nil))
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return itoa(id)
}
