package handlers

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/pipeline"
	"alertdesk/views"
)

const (
	reportDate      = "2006-01-02"
	maxReportPeriod = 366 * 24 * time.Hour
	noisiestShown   = 10
)

// report is what the reports page and its CSV show for one period.
type report struct {
	from, to    time.Time // [from, to)
	total       pipeline.Numbers
	teams       []pipeline.Numbers
	rules       []pipeline.Numbers
	robots      []pipeline.Numbers
	noisyRules  []views.CountRow
	noisyAlerts []db.NameCount
	perDay      []int
}

// reportPeriod reads from/to (dates in the reader's time zone, to inclusive; default the
// last 7 days). Bad input is answered next to its field with the input kept.
func (s *Server) reportPeriod(c echo.Context) (from, to time.Time, fromS, toS string, errs views.FieldErrors) {
	errs = views.FieldErrors{}
	zone := i18n.From(c.Request().Context()).Zone
	today := s.now().In(zone)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, zone)
	fromS, toS = c.QueryParam("from"), c.QueryParam("to")
	if toS == "" {
		toS = today.Format(reportDate)
	}
	if fromS == "" {
		fromS = today.AddDate(0, 0, -6).Format(reportDate)
	}
	from, err := time.ParseInLocation(reportDate, fromS, zone)
	if err != nil {
		errs["from"] = t(c, "reports.err_from")
	}
	last, err := time.ParseInLocation(reportDate, toS, zone)
	if err != nil {
		errs["to"] = t(c, "reports.err_to")
	}
	to = last.AddDate(0, 0, 1)
	if len(errs) == 0 {
		switch {
		case !to.After(from):
			errs["to"] = t(c, "reports.err_range")
		case to.Sub(from) > maxReportPeriod:
			errs["to"] = t(c, "reports.err_too_long")
		}
	}
	return from, to, fromS, toS, errs
}

func (s *Server) buildReport(c echo.Context, from, to time.Time) (report, error) {
	ctx := c.Request().Context()
	rep := report{from: from, to: to}
	list, err := s.deps.DB.IncidentsOpened(ctx, scope(c), from, to)
	if err != nil {
		return rep, err
	}
	robots, err := s.deps.DB.Robots(ctx, scope(c))
	if err != nil {
		return rep, err
	}
	robotName := map[int64]string{}
	for _, r := range robots {
		robotName[r.ID] = r.Name
	}
	if all := pipeline.IncidentNumbers(list, func(db.IncidentTimes) []string { return []string{"all"} }); len(all) > 0 {
		rep.total = all[0]
	}
	rep.teams = pipeline.IncidentNumbers(list, func(it db.IncidentTimes) []string { return []string{it.Team} })
	rep.rules = pipeline.IncidentNumbers(list, func(it db.IncidentTimes) []string { return []string{orDeleted(ctx, it.Rule)} })
	rep.robots = pipeline.IncidentNumbers(list, func(it db.IncidentTimes) []string {
		names := make([]string, 0, len(it.RobotIDs))
		for _, id := range it.RobotIDs {
			if n, ok := robotName[id]; ok {
				names = append(names, n)
			}
		}
		return names
	})
	days := int(to.Sub(from).Hours()/24 + 0.5)
	rep.perDay = make([]int, days)
	for _, it := range list {
		if d := int(it.Opened.Sub(from).Hours() / 24); d >= 0 && d < days {
			rep.perDay[d]++
		}
	}
	messages, err := s.deps.DB.MessagesPerRule(ctx, scope(c), from, to)
	if err != nil {
		return rep, err
	}
	rules, err := s.deps.DB.Rules(ctx, scope(c))
	if err != nil {
		return rep, err
	}
	incidents := map[string]int{}
	for _, n := range rep.rules {
		incidents[n.Key] = n.Incidents
	}
	for _, r := range rules {
		if messages[r.ID] > 0 {
			rep.noisyRules = append(rep.noisyRules, views.CountRow{Name: r.Name, Count: messages[r.ID],
				Extra: i18n.T(ctx, "reports.incidents_n", "Count", incidents[r.Name])})
		}
	}
	sort.SliceStable(rep.noisyRules, func(i, j int) bool { return rep.noisyRules[i].Count > rep.noisyRules[j].Count })
	if len(rep.noisyRules) > noisiestShown {
		rep.noisyRules = rep.noisyRules[:noisiestShown]
	}
	rep.noisyAlerts, err = s.deps.DB.NoisyAlertNames(ctx, scope(c), from, to, noisiestShown)
	return rep, err
}

func orDeleted(ctx context.Context, rule string) string {
	if rule == "" {
		return i18n.T(ctx, "reports.deleted_rule")
	}
	return rule
}

func numbersRow(ctx context.Context, n pipeline.Numbers) views.NumbersRow {
	r := views.NumbersRow{Key: n.Key, Incidents: n.Incidents, Acked: n.Acked, Ended: n.Ended, MTTA: "–", MTTR: "–"}
	if n.Acked > 0 {
		r.MTTA = incidentAge(ctx, n.MTTA)
	}
	if n.Ended > 0 {
		r.MTTR = incidentAge(ctx, n.MTTR)
	}
	return r
}

func numbersRows(ctx context.Context, ns []pipeline.Numbers) []views.NumbersRow {
	out := make([]views.NumbersRow, len(ns))
	for i, n := range ns {
		out[i] = numbersRow(ctx, n)
	}
	return out
}

// dayChart draws incidents per day as bars in a 600×120 box.
func dayChart(ctx context.Context, from time.Time, perDay []int) views.Chart {
	c := views.Chart{Width: 600, Height: 120, Baseline: 104}
	for _, n := range perDay {
		c.Max = max(c.Max, n)
	}
	if len(perDay) == 0 {
		return c
	}
	slot := c.Width / len(perDay)
	if slot < 1 {
		slot = 1
	}
	every := max(1, len(perDay)/10) // at most ~10 labels
	for i, n := range perDay {
		day := from.AddDate(0, 0, i)
		x := i * slot
		if n > 0 {
			h := max(1, n*(c.Baseline-8)/c.Max)
			c.Bars = append(c.Bars, views.ChartBar{X: x + 1, Y: c.Baseline - h, W: max(1, slot-2), H: h, Class: "bar-ok",
				Title: i18n.T(ctx, "reports.bar", "Day", day.Format(reportDate), "Count", n)})
		}
		if i%every == 0 {
			c.Labels = append(c.Labels, views.ChartLabel{X: x + slot/2, Text: day.Format("01-02")})
		}
	}
	return c
}

func (s *Server) reportsPage(c echo.Context) error {
	from, to, fromS, toS, errs := s.reportPeriod(c)
	ctx := c.Request().Context()
	d := views.ReportsPageData{Page: s.page(c, t(c, "reports.title"), "reports"), From: fromS, To: toS, Errors: errs,
		ShowTeam: currentUser(c).Role != db.RoleMember,
		CSVURL:   "/reports.csv?" + url.Values{"from": {fromS}, "to": {toS}}.Encode()}
	if len(errs) > 0 {
		d.Chart = dayChart(ctx, time.Time{}, nil)
		return render(c, http.StatusUnprocessableEntity, views.ReportsPage(d))
	}
	rep, err := s.buildReport(c, from, to)
	if err != nil {
		return err
	}
	d.Total = numbersRow(ctx, rep.total)
	d.Teams, d.Rules, d.Robots = numbersRows(ctx, rep.teams), numbersRows(ctx, rep.rules), numbersRows(ctx, rep.robots)
	d.NoisyRules = rep.noisyRules
	for _, nc := range rep.noisyAlerts {
		d.NoisyAlerts = append(d.NoisyAlerts, views.CountRow{Name: nc.Name, Count: nc.Count})
	}
	d.Chart = dayChart(ctx, from, rep.perDay)
	return render(c, http.StatusOK, views.ReportsPage(d))
}

// reportsExport is the report as CSV: one row per team, rule and robot with its numbers
// in seconds, then the noisiest rules and alert names.
func (s *Server) reportsExport(c echo.Context) error {
	from, to, _, _, errs := s.reportPeriod(c)
	for field, msg := range errs {
		return userError(http.StatusBadRequest, "%s", t(c, "reports.field_error", "Field", field, "Error", msg))
	}
	rep, err := s.buildReport(c, from, to)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="alertdesk-report-`+from.Format(reportDate)+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	ctx := c.Request().Context()
	_ = w.Write(csvHeader(ctx, "reports.csv.", "group", "name", "incidents", "acknowledged", "resolved_or_closed",
		"mtta_seconds", "mttr_seconds"))
	secs := func(d time.Duration, n int) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(int64(d.Seconds()), 10)
	}
	write := func(group string, ns []pipeline.Numbers) {
		for _, n := range ns {
			_ = w.Write([]string{group, csvSafe(n.Key), strconv.Itoa(n.Incidents), strconv.Itoa(n.Acked), strconv.Itoa(n.Ended),
				secs(n.MTTA, n.Acked), secs(n.MTTR, n.Ended)})
		}
	}
	total := rep.total
	total.Key = i18n.T(ctx, "reports.csv.all")
	write(i18n.T(ctx, "reports.csv.group_total"), []pipeline.Numbers{total})
	write(i18n.T(ctx, "reports.csv.group_team"), rep.teams)
	write(i18n.T(ctx, "reports.csv.group_rule"), rep.rules)
	write(i18n.T(ctx, "reports.csv.group_robot"), rep.robots)
	for _, r := range rep.noisyRules {
		_ = w.Write([]string{i18n.T(ctx, "reports.csv.group_noisy_rule"), csvSafe(r.Name), strconv.Itoa(r.Count), "", "", "", ""})
	}
	for _, nc := range rep.noisyAlerts {
		_ = w.Write([]string{i18n.T(ctx, "reports.csv.group_noisy_alert"), csvSafe(nc.Name), strconv.Itoa(nc.Count), "", "", "", ""})
	}
	w.Flush()
	return w.Error()
}
