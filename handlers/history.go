package handlers

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
	"alertdesk/views"
)

const historyPageSize = 50

// errOtherTeam: a member asked for another team's history. Never data: a 404.
func errOtherTeam(c echo.Context) error {
	return userError(http.StatusNotFound, "%s", t(c, "history.err_not_found"))
}

// historyFilter reads the filters from the query string. Invalid values come back as
// field errors and are left out of the returned filter; a member naming another team
// gets errOtherTeam.
func (s *Server) historyFilter(c echo.Context) (db.HistoryFilter, views.HistoryFilterData, views.FieldErrors, error) {
	q := c.QueryParams()
	u := currentUser(c)
	fd := views.HistoryFilterData{From: q.Get("from"), To: q.Get("to"), Team: strings.TrimSpace(q.Get("team")),
		Rule: strings.TrimSpace(q.Get("rule")), Robot: strings.TrimSpace(q.Get("robot")),
		Platform: strings.TrimSpace(q.Get("platform")), Outcome: strings.TrimSpace(q.Get("outcome")),
		Q: strings.TrimSpace(q.Get("q"))}
	f := db.HistoryFilter{Scope: scope(c), Limit: historyPageSize}
	errs := views.FieldErrors{}

	f.From, f.To = parseTimeRange(c, errs, fd.From, fd.To)
	if fd.Team != "" {
		id := parseID(fd.Team)
		switch {
		case u.Role == db.RoleMember && id != u.TeamID:
			return f, fd, errs, errOtherTeam(c)
		case id <= 0:
			errs["team"] = t(c, "history.err_pick_team")
		case u.Role == db.RoleMember:
			// their own team: the scope already says so
		default:
			// Deleted teams too: their history stays and can be filtered.
			teams, err := s.deps.DB.TeamNames(c.Request().Context())
			if err != nil {
				return f, fd, errs, err
			}
			if slices.ContainsFunc(teams, func(t db.NamedID) bool { return t.ID == id }) {
				f.TeamID = id
			} else {
				errs["team"] = t(c, "history.err_no_team")
			}
		}
	}
	switch id := parseID(fd.Rule); {
	case fd.Rule == "":
	case fd.Rule == "test":
		f.TestOnly = true
	case id <= 0:
		errs["rule"] = t(c, "history.err_pick_rule")
	default:
		f.RuleID = id // checked against the rules in scope by the caller
	}
	if fd.Robot != "" {
		if id := parseID(fd.Robot); id > 0 {
			f.RobotID = id // checked against the robots in scope by the caller
		} else {
			errs["robot"] = t(c, "history.err_pick_robot")
		}
	}
	if fd.Platform != "" {
		if _, ok := notify.ParsePlatform(fd.Platform); ok {
			f.Platform = fd.Platform
		} else {
			errs["platform"] = t(c, "history.err_platform", "Platforms", notify.LabelList(t(c, "history.or")))
		}
	}
	if fd.Outcome != "" {
		if slices.Contains(db.Outcomes, fd.Outcome) {
			f.Outcome = fd.Outcome
		} else {
			errs["outcome"] = t(c, "history.err_outcome", "Outcomes", outcomeList(c))
		}
	}
	checkOptional(c, errs, "q", fd.Q, 200)
	if errs["q"] == "" {
		f.Query = fd.Q
		// Free text cannot use an index (it matches inside alert names and labels), so
		// without a time range it searches the newest deliveries only: fast on any
		// history size. A range of the user's choice searches that range.
		if f.Query != "" && f.From.IsZero() && f.To.IsZero() {
			since, err := s.deps.DB.NewestAttemptsSince(c.Request().Context(), f.Scope, freeTextRows)
			if err != nil {
				return f, fd, errs, err
			}
			f.From = since
		}
	}
	if cur := q.Get("before"); cur != "" {
		parts, err := decodeCursor(cur, 2)
		if err != nil || parts[0] < 0 || parts[1] <= 0 {
			errs["_form"] = t(c, "history.err_cursor")
		} else {
			f.Before = &db.HistoryCursor{At: parts[0], ID: parts[1]}
		}
	}
	return f, fd, errs, nil
}

// checkRobotRule drops robot and rule filters that name nothing in the caller's scope.
func checkRobotRule(c echo.Context, f *db.HistoryFilter, errs views.FieldErrors, robots, rules []db.NamedID) {
	has := func(list []db.NamedID, id int64) bool {
		return slices.ContainsFunc(list, func(n db.NamedID) bool { return n.ID == id })
	}
	if f.RobotID != 0 && !has(robots, f.RobotID) {
		errs["robot"] = t(c, "history.err_no_robot")
		f.RobotID = 0
	}
	if f.RuleID != 0 && !has(rules, f.RuleID) {
		errs["rule"] = t(c, "history.err_no_rule")
		f.RuleID = 0
	}
}

// query returns the filter as URL values (without the cursor), for links.
func historyQuery(fd views.HistoryFilterData) url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"from": fd.From, "to": fd.To, "team": fd.Team, "rule": fd.Rule, "robot": fd.Robot,
		"platform": fd.Platform, "outcome": fd.Outcome, "q": fd.Q} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

func outcomeClass(outcome string) string {
	switch outcome {
	case db.OutcomeDelivered:
		return "ok"
	case db.OutcomeRetry, db.OutcomeRateLimited:
		return "warn"
	case db.OutcomeRejected, db.OutcomeMisconfigured, db.OutcomeExpired:
		return "bad"
	}
	return ""
}

func stateClass(state string) string {
	switch state {
	case db.StateDelivered:
		return "ok"
	case db.StateQueued, db.StateSending, db.StateRetrying:
		return "warn"
	case db.StateFailed, db.StateExpired:
		return "bad"
	}
	return ""
}

func latency(ms int64, httpStatus int) string {
	if httpStatus == 0 && ms == 0 {
		return ""
	}
	return strconv.FormatInt(ms, 10) + " ms" // a unit, the same in every language
}

// shownName is how the history names a robot or rule: by the name it had, marked when
// it has been deleted since. Objects deleted before deletes kept them (migration 0006)
// have no name left and are shown by id.
func shownName(ctx context.Context, what, name string, id int64, deleted bool) string {
	switch {
	case name == "":
		return i18n.T(ctx, "history.deleted."+what, "ID", id)
	case deleted:
		return i18n.T(ctx, "history.deleted_name", "Name", name)
	}
	return name
}

func historyRow(ctx context.Context, h db.HistoryRow) views.HistoryRow {
	r := views.HistoryRow{At: i18n.Time(ctx, h.At), Outcome: h.Outcome,
		OutcomeClass: outcomeClass(h.Outcome), Platform: platformWord(ctx, h.Platform),
		Robot: shownName(ctx, "robot", h.RobotName, h.RobotID, h.RobotDeleted), Team: shownName(ctx, "team", h.TeamName, h.TeamID, h.TeamDeleted),
		IsTest: h.RuleID == 0 && h.Kind == "test", Kind: h.Kind, Attempt: h.Attempt.Attempt,
		Summary: answerSummary(ctx, h.Summary), Latency: latency(h.LatencyMS, h.HTTPStatus), DetailURL: "/history/" + itoa(h.NotificationID),
		IncidentID: h.IncidentID}
	if r.Summary == "" {
		r.Summary = h.Message
	}
	if h.RuleID != 0 {
		r.Rule = shownName(ctx, "rule", h.RuleName, h.RuleID, h.RuleDeleted)
		if !h.RuleDeleted {
			r.RuleURL = "/rules/" + itoa(h.RuleID)
		}
	}
	if !h.RobotDeleted {
		r.RobotURL = "/robots/" + itoa(h.RobotID)
	}
	r.AlertName = h.AlertName
	return r
}

// freeTextRows is how many of the newest deliveries a free-text search reads when no
// time range is given.
const freeTextRows = 20000

func (s *Server) historyList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	f, fd, errs, err := s.historyFilter(c)
	if err != nil {
		return err
	}
	robots, err := s.deps.DB.RobotNames(ctx, scope(c))
	if err != nil {
		return err
	}
	rules, err := s.deps.DB.RuleNames(ctx, scope(c))
	if err != nil {
		return err
	}
	checkRobotRule(c, &f, errs, robots, rules)
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	rows, more, err := s.deps.DB.History(ctx, f)
	if err != nil {
		return err
	}
	d := views.HistoryPageData{Page: s.page(c, t(c, "history.page_title"), "history"), Filter: fd, Errors: errs,
		ShowTeam: u.Role != db.RoleMember}
	if f.Query != "" && fd.From == "" && fd.To == "" && !f.From.IsZero() {
		d.Notice = t(c, "history.free_text_window", "Since", i18n.Minute(ctx, f.From))
	}
	for _, h := range rows {
		d.Rows = append(d.Rows, historyRow(ctx, h))
	}
	base := historyQuery(fd)
	d.ExportURL = "/history.csv"
	if len(base) > 0 {
		d.ExportURL += "?" + base.Encode()
	}
	if f.Before != nil {
		d.FirstURL = "/history"
		if len(base) > 0 {
			d.FirstURL += "?" + base.Encode()
		}
	}
	if more && len(rows) > 0 {
		last := rows[len(rows)-1]
		next := url.Values{}
		for k, v := range base {
			next[k] = v
		}
		next.Set("before", encodeCursor(last.At.UnixMilli(), last.ID))
		d.NextURL = "/history?" + next.Encode()
	}
	if isHTMX(c) {
		return render(c, status, views.HistoryResults(d))
	}
	if d.ShowTeam {
		teams, err := s.deps.DB.TeamNames(ctx)
		if err != nil {
			return err
		}
		for _, tm := range teams {
			label := tm.Name
			if tm.Deleted {
				label = t(c, "history.deleted_name", "Name", tm.Name)
			}
			d.Teams = append(d.Teams, views.Option{Value: itoa(tm.ID), Label: label})
		}
	}
	label := func(n db.NamedID) string {
		name := n.Name
		if n.Deleted {
			name = t(c, "history.deleted_name", "Name", n.Name)
		}
		if d.ShowTeam {
			return n.TeamName + " / " + name
		}
		return name
	}
	for _, r := range robots {
		d.Robots = append(d.Robots, views.Option{Value: itoa(r.ID), Label: label(r)})
	}
	for _, r := range rules {
		d.Rules = append(d.Rules, views.Option{Value: itoa(r.ID), Label: label(r)})
	}
	for _, o := range platformOptions {
		d.Platforms = append(d.Platforms, views.Option{Value: o.Value, Label: platformWord(ctx, o.Value)})
	}
	for _, o := range db.Outcomes {
		d.Outcomes = append(d.Outcomes, views.Option{Value: o, Label: views.CodeWord(ctx, "history.outcome.", o)})
	}
	return render(c, status, views.HistoryPage(d))
}

func (s *Server) historyExport(c echo.Context) error {
	ctx := c.Request().Context()
	f, _, errs, err := s.historyFilter(c)
	if err != nil {
		return err
	}
	if f.RobotID != 0 || f.RuleID != 0 {
		robots, err := s.deps.DB.RobotNames(ctx, scope(c))
		if err != nil {
			return err
		}
		rules, err := s.deps.DB.RuleNames(ctx, scope(c))
		if err != nil {
			return err
		}
		checkRobotRule(c, &f, errs, robots, rules)
	}
	delete(errs, "_form") // the export ignores the cursor anyway
	if len(errs) > 0 {
		fields := make([]string, 0, len(errs))
		for k := range errs {
			fields = append(fields, k)
		}
		sort.Strings(fields)
		msgs := make([]string, len(fields))
		for i, k := range fields {
			msgs[i] = t(c, "history.field_error", "Field", t(c, "history.field."+k), "Error", errs[k])
		}
		return userError(http.StatusUnprocessableEntity, "%s", t(c, "history.err_export", "Errors", strings.Join(msgs, " ")))
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="alertdesk-history-%s.csv"`,
		s.deps.DB.Now().Format("20060102-1504")))
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write(csvHeader(ctx, "history.csv.", "time", "team", "robot", "platform", "rule", "kind", "attempt", "outcome",
		"http_status", "code", "message", "summary", "latency_ms", "notification_id", "attempt_id"))
	n := 0
	err = s.deps.DB.EachHistoryRow(ctx, f, func(r db.HistoryRow) error {
		n++
		rule := shownName(ctx, "rule", r.RuleName, r.RuleID, r.RuleDeleted)
		if r.RuleID == 0 {
			rule = i18n.T(ctx, "history.test_send")
		}
		robot := shownName(ctx, "robot", r.RobotName, r.RobotID, r.RobotDeleted)
		if err := w.Write([]string{r.At.UTC().Format(time.RFC3339Nano), csvSafe(r.TeamName), csvSafe(robot), r.Platform,
			csvSafe(rule), r.Kind, strconv.Itoa(r.Attempt.Attempt), r.Outcome, strconv.Itoa(r.HTTPStatus), csvSafe(r.Code),
			csvSafe(r.Message), csvSafe(r.Summary), strconv.FormatInt(r.LatencyMS, 10), itoa(r.NotificationID), itoa(r.ID)}); err != nil {
			return err
		}
		if n%500 == 0 {
			w.Flush()
			if err := w.Error(); err != nil {
				return err // the client went away
			}
			c.Response().Flush()
		}
		return nil
	})
	w.Flush()
	if err != nil {
		logger(c).Error("history export stopped", "error", err, "rows", n)
	}
	return nil
}

func (s *Server) historyShow(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	nd, err := s.deps.DB.NotificationDetail(c.Request().Context(), scope(c), id)
	if err != nil {
		return err
	}
	u := currentUser(c)
	ctx := c.Request().Context()
	d := views.HistoryDetailData{Page: s.page(c, t(c, "history.notification_title", "ID", id), "history"), ID: itoa(id),
		Title: nd.Title, Body: nd.Body, Kind: nd.Kind, State: nd.State, StateClass: stateClass(nd.State),
		Team:  shownName(ctx, "team", nd.TeamName, nd.TeamID, nd.TeamDeleted),
		Robot: shownName(ctx, "robot", nd.RobotName, nd.RobotID, nd.RobotDeleted), Platform: platformWord(ctx, nd.Platform),
		Created: i18n.Time(ctx, nd.CreatedAt), Summary: answerSummary(ctx, nd.LastSummary), TemplateFailure: nd.TemplateFailure}
	if !nd.RobotDeleted {
		d.RobotURL = "/robots/" + itoa(nd.RobotID) // a deleted robot has no page; the history is its record
	}
	// Who the message mentioned, as resolved when it was written: "Ann (on call: Primary)".
	for _, p := range nd.Mentions.People {
		d.Mentioned = append(d.Mentioned, p.Name)
	}
	if nd.Mentions.AtAll {
		d.Mentioned = append(d.Mentioned, "@all")
	}
	if nd.RuleID == 0 {
		d.Rule = t(c, "history.test_send")
	} else {
		d.Rule = shownName(ctx, "rule", nd.RuleName, nd.RuleID, nd.RuleDeleted)
	}
	switch nd.State {
	case db.StateQueued, db.StateRetrying, db.StateSending:
		d.NextAttempt = i18n.Time(ctx, nd.NextAttemptAt)
	}
	for i, a := range nd.Attempts {
		v := views.AttemptView{N: i + 1, At: i18n.Time(ctx, a.At), Outcome: a.Outcome,
			OutcomeClass: outcomeClass(a.Outcome), Code: a.Code, Message: a.Message, Summary: answerSummary(ctx, a.Summary),
			Latency: latency(a.LatencyMS, a.HTTPStatus), Response: a.Response}
		if a.HTTPStatus != 0 {
			v.HTTPStatus = strconv.Itoa(a.HTTPStatus)
		}
		if a.RequestURL != "" {
			v.Request = "POST " + a.RequestURL + "\n\n" + a.RequestBody
			d.Request = v.Request
			chat := views.ChatFromRequest(nd.Platform, d.Platform, []byte(a.RequestBody))
			chat.Robot, chat.Raw = nd.RobotName, "" // the raw request has its own section
			d.Chat = &chat
			d.Sends++
		}
		if a.Response != "" {
			d.Response = a.Response
		}
		if a.Summary != "" {
			d.Summary = answerSummary(ctx, a.Summary)
		}
		d.Timeline = append(d.Timeline, v)
	}
	for _, a := range nd.Alerts {
		d.Alerts = append(d.Alerts, views.CarriedAlertView{Name: a.Name, Status: a.Status, Labels: a.Labels,
			Starts: i18n.Time(ctx, a.StartsAt), URL: "/alerts/" + itoa(a.ID)})
	}
	for _, f := range nd.Folded {
		d.Folded = append(d.Folded, views.FoldedView{ID: itoa(f.ID), Title: f.Title, State: f.State,
			At: i18n.Time(ctx, f.CreatedAt), URL: "/history/" + itoa(f.ID)})
	}
	if nd.DigestOf != 0 {
		d.DigestURL = "/history/" + itoa(nd.DigestOf)
	}
	switch {
	case !u.CanWrite():
		d.ResendNote = t(c, "history.resend_auditor")
	case nd.RobotDeleted:
		d.ResendNote = t(c, "history.robot_deleted")
	case nd.State == db.StateFailed || nd.State == db.StateExpired:
		d.ResendURL = "/history/" + itoa(id) + "/resend"
	default:
		d.ResendNote = resendRefusal(ctx, nd.State)
	}
	return render(c, http.StatusOK, views.HistoryDetailPage(d))
}

// resendRefusal says in words why a notification in state cannot be resent.
func resendRefusal(ctx context.Context, state string) string {
	switch state {
	case db.StateDelivered:
		return i18n.T(ctx, "history.refuse_delivered")
	case db.StateQueued, db.StateSending, db.StateRetrying:
		return i18n.T(ctx, "history.refuse_outbox", "State", views.CodeWord(ctx, "history.state.", state))
	case db.StateMuted:
		return i18n.T(ctx, "history.refuse_muted")
	case db.StateFolded:
		return i18n.T(ctx, "history.refuse_folded")
	}
	return i18n.T(ctx, "history.refuse_other", "State", views.CodeWord(ctx, "history.state.", state))
}

func (s *Server) historyResend(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	n, err := s.deps.DB.ResendNotification(c.Request().Context(), actor(c), scope(c), id)
	if errors.Is(err, db.ErrWrongState) {
		return userError(http.StatusConflict, "%s", t(c, "history.not_resent", "Why", resendRefusal(c.Request().Context(), n.State)))
	}
	if errors.Is(err, db.ErrRobotDeleted) {
		return userError(http.StatusConflict, "%s", t(c, "history.not_resent", "Why", t(c, "history.robot_deleted")))
	}
	if err != nil {
		return err
	}
	s.kick()
	s.setFlash(c, "ok", t(c, "history.resent", "ID", id))
	return redirect(c, "/history/"+itoa(id))
}

// csvHeader is a CSV export's header row in the reader's language: the catalog's
// prefix+column for each column.
func csvHeader(ctx context.Context, prefix string, columns ...string) []string {
	out := make([]string, len(columns))
	for i, col := range columns {
		out[i] = i18n.T(ctx, prefix+col)
	}
	return out
}

// platformWord is a platform's name in the reader's language (钉钉, 飞书, 企业微信).
func platformWord(ctx context.Context, p string) string {
	if w := views.CodeWord(ctx, "history.platform.", p); w != p {
		return w
	}
	return notify.Platform(p).Label()
}

// outcomeList names every outcome in the reader's words, for the filter's error.
func outcomeList(c echo.Context) string {
	words := make([]string, len(db.Outcomes))
	for i, o := range db.Outcomes {
		words[i] = views.CodeWord(c.Request().Context(), "history.outcome.", o)
	}
	return strings.Join(words, t(c, "history.list_sep"))
}

// deliveredIn is the summary notify stores for a delivered message (notify/sender.go).
var deliveredIn = regexp.MustCompile(`^Delivered in (\d+) ms$`)

// answerSummary shows a stored delivery summary in the reader's language where the
// console worded it itself; the platform's own words stay as the platform sent them.
func answerSummary(ctx context.Context, s string) string {
	if m := deliveredIn.FindStringSubmatch(s); m != nil {
		return i18n.T(ctx, "history.delivered_in", "Ms", m[1])
	}
	return s
}
