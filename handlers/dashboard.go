package handlers

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/views"
)

// dashboard shows the last 24 hours: alerts received, sends delivered and failed (totals
// and an SVG chart per hour; notifications given up without a send are counted apart),
// robots failing, degraded or throttled, the latest deliveries.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	now := s.deps.DB.Now()
	sum, err := s.deps.DB.DashboardSummary(ctx, scope(c), now, 10)
	if err != nil {
		return err
	}
	d := views.DashboardData{Page: s.page(c, t(c, "dashboard.title"), "dashboard"), ShowTeam: u.Role != db.RoleMember,
		Alerts: sum.Alerts, Delivered: sum.Delivered, Failed: sum.Failed, Expired: sum.Expired, Chart: hourChart(ctx, sum.Hours)}
	for _, r := range sum.Robots {
		dr := views.DashRobot{Name: r.Name, Team: r.TeamName, Platform: platformWord(ctx, r.Platform),
			URL: "/robots/" + itoa(r.ID)}
		switch {
		case r.Status == db.RobotFailing:
			dr.Problem, dr.Reason = "failing", r.StatusReason
		case r.Degraded():
			dr.Problem = "degraded"
			dr.Reason = t(c, "dashboard.degraded_reason", "Count", r.ConsecutiveFailures, "Last", r.LastFailure)
		default:
			dr.Problem, dr.Reason = "throttled", r.LastFailure
			dr.Throttled = i18n.Minute(ctx, r.ThrottledUntil)
		}
		d.Robots = append(d.Robots, dr)
	}
	for _, h := range sum.Latest {
		d.Latest = append(d.Latest, historyRow(ctx, h))
	}
	if d.StuckGroups, err = s.stuckGroups(c, 0); err != nil {
		return err
	}
	if d.OnCall, err = s.scheduleRows(c); err != nil {
		return err
	}
	if d.Consoles, err = s.consolesCard(c); err != nil {
		return err
	}
	fr, err := s.deps.DB.FirstRunState(ctx, scope(c))
	if err != nil {
		return err
	}
	d.RobotCount = fr.Robots
	if u.CanWrite() {
		d.FirstRun = firstRunSteps(ctx, fr, u.Role == db.RoleAdmin)
	}
	return render(c, http.StatusOK, views.DashboardPage(d))
}

// hourChart lays out three bars per hour (alerts, delivered, failed) in SVG units.
func hourChart(ctx context.Context, hours []db.HourCount) views.Chart {
	const (
		slot   = 30 // width of one hour
		bar    = 8
		top    = 12
		height = 150
		base   = height - 16 // the baseline; labels go below it
	)
	c := views.Chart{Width: slot * len(hours), Height: height, Baseline: base}
	for _, h := range hours {
		c.Max = max(c.Max, h.Alerts, h.Delivered, h.Failed)
	}
	scale := func(v int) int {
		if v == 0 || c.Max == 0 {
			return 0
		}
		return max(1, v*(base-top)/c.Max) // a non-zero count stays visible
	}
	for i, h := range hours {
		x := i * slot
		local := i18n.In(ctx, h.Hour)
		hour := local.Format("15:04")
		for j, v := range []struct {
			n     int
			class string
			what  string
		}{{h.Alerts, "bar-alert", "dashboard.bar_alerts"}, {h.Delivered, "bar-ok", "dashboard.bar_delivered"}, {h.Failed, "bar-bad", "dashboard.bar_failed"}} {
			ht := scale(v.n)
			c.Bars = append(c.Bars, views.ChartBar{X: x + 3 + j*bar, Y: base - ht, W: bar - 1, H: ht, Class: v.class,
				Title: i18n.T(ctx, v.what, "Hour", hour, "Count", v.n)})
		}
		if i%3 == 0 {
			c.Labels = append(c.Labels, views.ChartLabel{X: x + slot/2, Text: i18n.T(ctx, "dashboard.hour_label", "Hour", local.Format("15"))})
		}
	}
	return c
}

// stuckGroups lists the viewer's groups whose last flush failed (of one rule, or all).
func (s *Server) stuckGroups(c echo.Context, ruleID int64) ([]views.StuckGroup, error) {
	groups, err := s.deps.DB.FailingGroups(c.Request().Context(), scope(c), ruleID)
	if err != nil {
		return nil, err
	}
	var names map[int64]string
	out := make([]views.StuckGroup, 0, len(groups))
	for _, g := range groups {
		if names == nil {
			names = map[int64]string{}
			rules, err := s.deps.DB.Rules(c.Request().Context(), scope(c))
			if err != nil {
				return nil, err
			}
			for _, r := range rules {
				names[r.ID] = r.Name
			}
		}
		name := names[g.RuleID]
		if name == "" {
			name = t(c, "dashboard.rule_id", "ID", g.RuleID)
		}
		out = append(out, views.StuckGroup{Rule: name, RuleURL: "/rules/" + itoa(g.RuleID), Group: labelLine(g.GroupLabels),
			Why: g.LastError, Retry: i18n.Minute(c.Request().Context(), g.FlushAt), Tries: g.FlushFailures})
	}
	return out, nil
}

// firstRunSteps lays out the checklist from an empty console to a delivered alert; nil
// once every step is done. Only admins create teams; a member always has one.
func firstRunSteps(ctx context.Context, f db.FirstRun, isAdmin bool) []views.FirstRunStep {
	step := func(key, url string, done bool) views.FirstRunStep {
		return views.FirstRunStep{Label: i18n.T(ctx, "dashboard.step."+key), Hint: i18n.T(ctx, "dashboard.step."+key+"_hint"),
			URL: url, Action: i18n.T(ctx, "dashboard.step."+key+"_action"), Done: done}
	}
	steps := []views.FirstRunStep{
		step("team", "/admin/teams", f.Teams > 0),
		step("robot", "/robots/new", f.Robots > 0),
		step("test", "/robots", f.VerifiedRobots > 0),
		step("rule", "/rules/new", f.Rules > 0),
		step("token", "/tokens", f.Tokens > 0),
		step("alert", "/tokens", f.Delivered > 0),
	}
	if !isAdmin && f.Teams == 0 {
		steps[0].Hint = i18n.T(ctx, "dashboard.step.team_hint_member")
	}
	all := true
	for i := range steps {
		if !steps[i].Done && all {
			steps[i].Next = true
			all = false
		}
	}
	if all {
		return nil
	}
	return steps
}
