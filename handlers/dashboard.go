package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/notify"
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
	d := views.DashboardData{Page: s.page(c, "Dashboard", "dashboard"), ShowTeam: u.Role != db.RoleMember,
		Alerts: sum.Alerts, Delivered: sum.Delivered, Failed: sum.Failed, Expired: sum.Expired, Chart: hourChart(sum.Hours)}
	for _, r := range sum.Robots {
		dr := views.DashRobot{Name: r.Name, Team: r.TeamName, Platform: notify.Platform(r.Platform).Label(),
			URL: "/robots/" + itoa(r.ID)}
		switch {
		case r.Status == db.RobotFailing:
			dr.Problem, dr.Reason = "failing", r.StatusReason
		case r.Degraded():
			dr.Problem = "degraded"
			dr.Reason = fmt.Sprintf("the last %d sends failed with a retryable error; last: %s", r.ConsecutiveFailures, r.LastFailure)
		default:
			dr.Problem, dr.Reason = "throttled", r.LastFailure
			dr.Throttled = "until " + r.ThrottledUntil.Local().Format("15:04")
		}
		d.Robots = append(d.Robots, dr)
	}
	for _, h := range sum.Latest {
		d.Latest = append(d.Latest, historyRow(h))
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
		d.FirstRun = firstRunSteps(fr, u.Role == db.RoleAdmin)
	}
	return render(c, http.StatusOK, views.DashboardPage(d))
}

// hourChart lays out three bars per hour (alerts, delivered, failed) in SVG units.
func hourChart(hours []db.HourCount) views.Chart {
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
		hour := h.Hour.Local().Format("15:04")
		for j, v := range []struct {
			n     int
			class string
			what  string
		}{{h.Alerts, "bar-alert", "alerts"}, {h.Delivered, "bar-ok", "delivered"}, {h.Failed, "bar-bad", "failed"}} {
			ht := scale(v.n)
			c.Bars = append(c.Bars, views.ChartBar{X: x + 3 + j*bar, Y: base - ht, W: bar - 1, H: ht, Class: v.class,
				Title: fmt.Sprintf("%s: %d %s", hour, v.n, v.what)})
		}
		if i%3 == 0 {
			c.Labels = append(c.Labels, views.ChartLabel{X: x + slot/2, Text: h.Hour.Local().Format("15h")})
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
			name = "rule #" + itoa(g.RuleID)
		}
		out = append(out, views.StuckGroup{Rule: name, RuleURL: "/rules/" + itoa(g.RuleID), Group: labelLine(g.GroupLabels),
			Why: g.LastError, Retry: fmtTime(g.FlushAt.Local()), Tries: g.FlushFailures})
	}
	return out, nil
}

// firstRunSteps lays out the checklist from an empty console to a delivered alert; nil
// once every step is done. Only admins create teams; a member always has one.
func firstRunSteps(f db.FirstRun, isAdmin bool) []views.FirstRunStep {
	steps := []views.FirstRunStep{
		{Label: "Create a team", Hint: "Every robot, contact, rule and token belongs to a team.",
			URL: "/admin/teams", Action: "Create a team", Done: f.Teams > 0},
		{Label: "Register a robot", Hint: "Add a custom robot to your DingTalk, Feishu/Lark or WeCom group and paste its webhook URL here.",
			URL: "/robots/new", Action: "New robot", Done: f.Robots > 0},
		{Label: "Test-send it", Hint: "Proves the webhook, signing secret and keywords work: a sample message lands in the group.",
			URL: "/robots", Action: "Go to robots and press Test-send", Done: f.VerifiedRobots > 0},
		{Label: "Write an alert rule", Hint: "Which alerts matter, and which robots they go to.",
			URL: "/rules/new", Action: "New rule", Done: f.Rules > 0},
		{Label: "Create an API token", Hint: "Alertmanager, Grafana or your scripts send alerts with it.",
			URL: "/tokens", Action: "Create a token", Done: f.Tokens > 0},
		{Label: "Send a first alert", Hint: "The token page shows a sample request shaped to hit your rule; it is done when the chat group got it.",
			URL: "/tokens", Action: "Send the sample alert", Done: f.Delivered > 0},
	}
	if !isAdmin && f.Teams == 0 {
		steps[0].Hint = "Ask an administrator to put you in a team."
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
