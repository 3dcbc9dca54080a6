package handlers

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

func labelLine(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, " ")
}

func (s *Server) alertsList(c echo.Context) error {
	q := c.QueryParams()
	d := views.AlertsPageData{Page: s.page(c, t(c, "alerts.title"), "alerts"), Query: strings.TrimSpace(q.Get("q")), Status: q.Get("status")}
	f := db.AlertFilter{Query: d.Query, Limit: 50}
	status := http.StatusOK
	switch d.Status {
	case "", "firing", "resolved":
		f.Status = d.Status
	default:
		d.Status, status = "", http.StatusUnprocessableEntity
		d.Page.Flash, d.Page.FlashKind = t(c, "alerts.err_status"), "error"
	}
	if len(d.Query) > 200 {
		d.Query, f.Query = d.Query[:200], d.Query[:200]
	}
	if g := q.Get("group"); g != "" {
		id, err := strconv.ParseInt(g, 10, 64)
		if err != nil || id <= 0 {
			return userError(http.StatusNotFound, "%s", t(c, "alerts.err_no_group"))
		}
		group, rule, err := s.deps.DB.AlertGroupByID(c.Request().Context(), scope(c), id)
		if err != nil {
			return err
		}
		d.Group, f.GroupID = g, id
		d.GroupOf = t(c, "alerts.group_of", "Rule", rule)
		if labels := labelLine(group.GroupLabels); labels != "" {
			d.GroupOf = t(c, "alerts.group_of_labels", "Rule", rule, "Labels", labels)
		}
	}
	if cur := q.Get("before"); cur != "" {
		parts, err := decodeCursor(cur, 2)
		if err != nil {
			status = http.StatusUnprocessableEntity
			d.Page.Flash, d.Page.FlashKind = t(c, "alerts.err_cursor"), "error"
		} else {
			f.Before = &db.AuditCursor{At: parts[0], ID: parts[1]}
		}
	}
	alerts, more, err := s.deps.DB.Alerts(c.Request().Context(), scope(c), f)
	if err != nil {
		return err
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = a.ID
	}
	incidents, err := s.deps.DB.IncidentsOfAlerts(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	for _, a := range alerts {
		d.Rows = append(d.Rows, views.AlertRow{ID: a.ID, Name: a.Name, Status: a.Status, Source: a.Source,
			Labels: labelLine(a.Labels), Received: i18n.Time(c.Request().Context(), a.ReceivedAt),
			Matched: len(a.MatchedRules), URL: "/alerts/" + itoa(a.ID), Incident: incidents[a.ID], Severity: a.Labels["severity"]})
	}
	if more && len(alerts) > 0 {
		last := alerts[len(alerts)-1]
		next := url.Values{}
		if d.Query != "" {
			next.Set("q", d.Query)
		}
		if d.Status != "" {
			next.Set("status", d.Status)
		}
		if d.Group != "" {
			next.Set("group", d.Group)
		}
		next.Set("before", encodeCursor(last.ReceivedAt.UnixMilli(), last.ID))
		d.NextURL = "/alerts?" + next.Encode()
	}
	if isHTMX(c) {
		return render(c, status, views.AlertsResults(d))
	}
	return render(c, status, views.AlertsPage(d))
}

func sortedKV(m map[string]string) []views.KV {
	out := make([]views.KV, 0, len(m))
	for k, v := range m {
		out = append(out, views.KV{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// alertWhy answers "why was I (not) notified?" for one alert: every rule that could see
// it, matched or not and why, threshold state, silences and quiet hours, and the
// notifications that carried it.
func (s *Server) alertWhy(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.deps.DB.AlertByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	d := views.WhyPageData{Page: s.page(c, t(c, "alerts.why_page", "Name", a.Name), "alerts"), ID: a.ID, Name: a.Name, Status: a.Status,
		Source: a.Source, Fingerprint: a.Fingerprint, Received: i18n.Time(ctx, a.ReceivedAt),
		StartsAt: i18n.Time(ctx, a.StartsAt), GeneratorURL: a.GeneratorURL,
		Labels: sortedKV(a.Labels), Annotations: sortedKV(a.Annotations), Token: t(c, "alerts.token_team")}
	if d.Name == "" {
		d.Name = t(c, "alerts.alert_id", "ID", a.ID)
	}
	d.CanSilence = currentUser(c).CanWrite()
	if d.IncidentID, err = s.deps.DB.IncidentOfAlert(ctx, a.ID); err != nil {
		return err
	}
	if !a.EndsAt.IsZero() {
		d.EndsAt = i18n.Time(ctx, a.EndsAt)
	}
	for k, v := range a.Values {
		d.Values = append(d.Values, views.KV{Key: k, Value: strconv.FormatFloat(v, 'g', -1, 64)})
	}
	sort.Slice(d.Values, func(i, j int) bool { return d.Values[i].Key < d.Values[j].Key })

	// Which rules could see it: the token's team, or every team for a global token
	// (members only see their own team's rules).
	ruleScope := db.TeamScope(a.TeamID)
	if a.TeamID == 0 {
		d.Token = t(c, "alerts.token_global")
		ruleScope = scope(c)
	}
	rules, err := s.deps.DB.Rules(ctx, ruleScope)
	if err != nil {
		return err
	}
	silences, err := s.deps.DB.ActiveSilences(ctx, s.deps.DB.Now())
	if err != nil {
		return err
	}
	visible := silences[:0]
	for _, sl := range silences {
		if sl.TeamID == 0 || scope(c).Allows(sl.TeamID) {
			visible = append(visible, sl)
		}
	}
	ex, err := s.deps.Explainer.Explain(ctx, a, rules, visible)
	if err != nil {
		return err
	}
	for _, v := range ex.Rules {
		rv := views.RuleVerdict{Name: v.Rule.Name, URL: "/rules/" + itoa(v.Rule.ID), Matched: v.Matched, Verdict: v.Verdict,
			Details: v.Details, Disabled: v.Disabled}
		if currentUser(c).Role != db.RoleMember {
			rv.Team = v.Rule.TeamName
		}
		d.Rules = append(d.Rules, rv)
	}
	for _, sl := range ex.Silences {
		d.Silences = append(d.Silences, t(c, "alerts.silence_line", "ID", sl.ID, "By", sl.CreatedBy,
			"Until", i18n.Minute(ctx, sl.EndsAt), "Comment", sl.Comment, "Matchers", sl.Matchers.String()))
	}
	for _, g := range ex.Groups {
		d.Groups = append(d.Groups, g.Summary)
	}
	notes, err := s.deps.DB.NotificationsForAlert(ctx, a.ID)
	if err != nil {
		return err
	}
	// RobotNames, not Robots: deleted robots are in it too, so what they sent stays named.
	robotNames := map[int64]string{}
	if robots, err := s.deps.DB.RobotNames(ctx, scope(c)); err == nil {
		for _, r := range robots {
			robotNames[r.ID] = t(c, "alerts.robot_platform", "Robot", shownName(ctx, "robot", r.Name, r.ID, r.Deleted), "Platform", r.Platform)
		}
	}
	for _, n := range notes {
		if !scope(c).Allows(n.TeamID) {
			continue
		}
		summary := n.LastSummary
		if n.DigestID != 0 {
			summary = t(c, "alerts.folded_into", "ID", n.DigestID, "Summary", summary)
		}
		d.Sent = append(d.Sent, views.AlertNotification{ID: "#" + itoa(n.ID), URL: "/history/" + itoa(n.ID),
			Robot: robotNames[n.RobotID], Kind: n.Kind, State: n.State, Summary: summary, When: i18n.Minute(ctx, n.CreatedAt)})
	}
	return render(c, http.StatusOK, views.WhyPage(d))
}
