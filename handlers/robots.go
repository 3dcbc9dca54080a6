package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
	"alertdesk/views"
)

// RobotSender is what the robot screens need of the delivery path.
type RobotSender interface {
	Send(ctx context.Context, r notify.Robot, m notify.Message) (notify.Prepared, notify.Outcome)
}

var platformOptions = func() []views.Option {
	var opts []views.Option
	for _, p := range notify.Platforms {
		opts = append(opts, views.Option{Value: string(p), Label: p.Label()})
	}
	return opts
}()

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04")
}

// whenIn is t to the minute in the reader's zone, zone shown; "" for the zero time.
func whenIn(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return i18n.Minute(ctx, t)
}

func robotRow(ctx context.Context, r db.Robot, h db.RobotHealth, now time.Time, canWrite bool) views.RobotRow {
	p := notify.Platform(r.Platform)
	row := views.RobotRow{ID: r.ID, Name: r.Name, Team: r.TeamName, Platform: r.Platform, PlatformLabel: p.Label(),
		WebhookHint: r.WebhookHint, Enabled: r.Enabled, Status: r.Status, StatusReason: r.StatusReason,
		LastSuccess: whenIn(ctx, r.LastSuccessAt), LastFailure: r.LastFailure, LastFailureAt: whenIn(ctx, r.LastFailureAt), CanWrite: canWrite}
	if h.Sends > 0 {
		row.FailureRate = i18n.T(ctx, "robots.failure_rate", "Failures", h.Failures, "Count", h.Sends, "Percent", h.Failures*100/h.Sends)
	}
	if r.Degraded() && r.Status != db.RobotFailing {
		row.Degraded = i18n.T(ctx, "robots.degraded_reason", "Count", r.ConsecutiveFailures)
	}
	if r.ThrottledUntil.After(now) {
		row.Throttled = i18n.T(ctx, "robots.throttled_until", "Time", i18n.Time(ctx, r.ThrottledUntil))
	}
	return row
}

func (s *Server) robotsList(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	robots, err := s.deps.DB.Robots(ctx, scope(c))
	if err != nil {
		return err
	}
	now := s.deps.DB.Now()
	health, err := s.deps.DB.RobotHealth24h(ctx, scope(c), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	d := views.RobotsPageData{Page: s.page(c, t(c, "robots.title"), "robots"), ShowTeam: u.Role != db.RoleMember, CanCreate: u.CanWrite(),
		Query: strings.TrimSpace(c.QueryParam("q")), Status: c.QueryParam("status"), Total: len(robots)}
	q := strings.ToLower(d.Query)
	for _, r := range robots {
		row := robotRow(ctx, r, health[r.ID], now, u.CanWrite())
		if q != "" && !strings.Contains(strings.ToLower(row.Name+" "+row.Team+" "+row.PlatformLabel), q) {
			continue
		}
		switch d.Status {
		case "":
		case "disabled":
			if r.Enabled {
				continue
			}
		case db.RobotVerified, db.RobotUnverified, db.RobotFailing:
			if r.Status != d.Status {
				continue
			}
		default:
			d.Status = ""
		}
		d.Rows = append(d.Rows, row)
	}
	return render(c, http.StatusOK, views.RobotsPage(d))
}

func (s *Server) robotEditData(c echo.Context, title string) (views.RobotEditData, error) {
	teams, err := s.teamOptions(c)
	if err != nil {
		return views.RobotEditData{}, err
	}
	return views.RobotEditData{Page: s.page(c, title, "robots"), Teams: teams, Platforms: platformOptions,
		CanWrite: currentUser(c).CanWrite(), CanCreateTeam: currentUser(c).Role == db.RoleAdmin}, nil
}

func (s *Server) robotsNew(c echo.Context) error {
	if !currentUser(c).CanWrite() {
		return userError(http.StatusForbidden, "%s", t(c, "robots.err_auditor"))
	}
	d, err := s.robotEditData(c, t(c, "robots.new"))
	if err != nil {
		return err
	}
	d.IsNew = true
	f := views.RobotFormData{Platform: string(notify.DingTalk), Enabled: true}
	if u := currentUser(c); u.TeamID != 0 {
		f.TeamID = itoa(u.TeamID)
	}
	return render(c, http.StatusOK, views.RobotEditPage(d, f, nil))
}

// robotForm is what the robot form posts.
type robotForm struct {
	views.RobotFormData
	Secret      string
	ClearSecret bool
	keywords    []string
	perMinute   int
	perSecond   int
}

func readRobotForm(c echo.Context) robotForm {
	f := robotForm{RobotFormData: views.RobotFormData{TeamID: form(c, "team_id"), Name: form(c, "name"),
		Platform: form(c, "platform"), WebhookURL: form(c, "webhook_url"), Keywords: c.FormValue("keywords"),
		Enabled: c.FormValue("enabled") == "1", PerMinute: form(c, "per_minute"), PerSecond: form(c, "per_second"),
		NewTeam: form(c, "new_team")},
		Secret: strings.TrimSpace(c.FormValue("secret")), ClearSecret: c.FormValue("clear_secret") == "1"}
	return f
}

// validate checks the form; isNew demands a webhook URL, edits keep the stored one when empty.
func (f *robotForm) validate(c echo.Context, errs views.FieldErrors, hosts notify.HostPolicy, isNew, hasSecret bool) {
	checkName(c, errs, "name", f.Name, 100)
	p, ok := notify.ParsePlatform(f.Platform)
	if !ok {
		errs["platform"] = t(c, "robots.err_platform")
		return
	}
	switch {
	case f.WebhookURL == "" && isNew:
		errs["webhook_url"] = t(c, "robots.err_webhook_missing", "Platform", p.Label(), "Example", p.ExampleURL())
	case len(f.WebhookURL) > 2048:
		errs["webhook_url"] = t(c, "robots.err_webhook_long")
	case f.WebhookURL != "":
		if err := hosts.CheckWebhook(p, f.WebhookURL); err != nil {
			errs["webhook_url"] = capitalize(err.Error()) + "."
		}
	}
	switch {
	case f.Secret == "":
	case !p.SupportsSecret():
		errs["secret"] = t(c, "robots.err_secret_unsupported", "Platform", p.Label())
	case len(f.Secret) > 200:
		errs["secret"] = t(c, "robots.err_secret_long")
	case strings.IndexFunc(f.Secret, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		errs["secret"] = t(c, "robots.err_secret_ascii")
	case notify.SpecOf(p).SecretPrefix != "" && !strings.HasPrefix(f.Secret, notify.SpecOf(p).SecretPrefix):
		errs["secret"] = t(c, "robots.err_secret_prefix", "Platform", p.Label(), "Prefix", notify.SpecOf(p).SecretPrefix)
	}
	if f.ClearSecret && f.Secret != "" {
		errs["secret"] = t(c, "robots.err_secret_both")
	}
	f.keywords = nil
	seen := map[string]bool{}
	for _, line := range strings.FieldsFunc(f.Keywords, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		k := strings.TrimSpace(line)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		f.keywords = append(f.keywords, k)
	}
	switch {
	case len(f.keywords) > 0 && !p.SupportsKeywords():
		errs["keywords"] = t(c, "robots.err_keywords_unsupported", "Platform", p.Label())
	case len(f.keywords) > 10:
		errs["keywords"] = t(c, "robots.err_keywords_many", "Count", len(f.keywords))
	default:
		for _, k := range f.keywords {
			if utf8.RuneCountInString(k) > 100 || !utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0 {
				errs["keywords"] = t(c, "robots.err_keyword_long")
				break
			}
		}
	}
	f.perMinute = optionalInt(c, errs, "per_minute", f.PerMinute, 1, 1000)
	f.perSecond = optionalInt(c, errs, "per_second", f.PerSecond, 1, 100)
}

func optionalInt(c echo.Context, errs views.FieldErrors, field, v string, lo, hi int) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		errs[field] = t(c, "robots.err_whole_number", "Min", lo, "Max", hi)
		return 0
	}
	return n
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func (f robotForm) input(teamID int64) db.RobotInput {
	in := db.RobotInput{TeamID: teamID, Name: f.Name, Platform: f.Platform, WebhookURL: f.WebhookURL,
		Secret: f.Secret, ClearSecret: f.ClearSecret, Keywords: f.keywords, Enabled: f.Enabled,
		PerMinute: f.perMinute, PerSecond: f.perSecond}
	if in.WebhookURL != "" {
		in.WebhookHint = webhookHint(in.WebhookURL)
	}
	if in.Secret != "" {
		in.SecretHint = notify.Mask(in.Secret)
	}
	return in
}

// webhookHint shows enough of a webhook URL to tell robots apart: host and the token's last 4.
func webhookHint(raw string) string {
	host := raw
	if i := strings.Index(raw, "://"); i >= 0 {
		host = raw[i+3:]
	}
	if i := strings.IndexAny(host, "/?"); i >= 0 {
		host = host[:i]
	}
	return host + " " + notify.Mask(raw)
}

func (s *Server) robotsCreate(c echo.Context) error {
	f := readRobotForm(c)
	errs := views.FieldErrors{}
	team := s.pickTeam(c, errs, "team_id")
	f.validate(c, errs, s.deps.Webhooks, true, false)
	if len(errs) == 0 {
		teamID, err := s.commitTeam(c, errs, team)
		if err != nil {
			return err
		}
		if teamID == 0 {
			return s.robotsCreateFailed(c, f, errs)
		}
		r, err := s.deps.DB.CreateRobot(c.Request().Context(), actor(c), f.input(teamID))
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = t(c, "robots.err_name_taken")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "robots.created", "Name", r.Name))
			return redirect(c, "/robots/"+itoa(r.ID))
		}
	}
	return s.robotsCreateFailed(c, f, errs)
}

// robotsCreateFailed shows the form again with everything typed, the webhook URL and
// secret included: they are the user's own input of this request, never stored values.
func (s *Server) robotsCreateFailed(c echo.Context, f robotForm, errs views.FieldErrors) error {
	d, err := s.robotEditData(c, t(c, "robots.new"))
	if err != nil {
		return err
	}
	d.IsNew = true
	f.RobotFormData.Secret = f.Secret
	return render(c, http.StatusUnprocessableEntity, views.RobotEditPage(d, f.RobotFormData, errs))
}

func robotFormOf(r db.Robot) views.RobotFormData {
	f := views.RobotFormData{ID: r.ID, TeamID: itoa(r.TeamID), Name: r.Name, Platform: r.Platform, WebhookHint: r.WebhookHint,
		SecretHint: r.SecretHint, Keywords: strings.Join(r.Keywords, "\n"), Enabled: r.Enabled}
	if r.PerMinute > 0 {
		f.PerMinute = strconv.Itoa(r.PerMinute)
	}
	if r.PerSecond > 0 {
		f.PerSecond = strconv.Itoa(r.PerSecond)
	}
	return f
}

func (s *Server) robotPage(c echo.Context, r db.Robot) (views.RobotEditData, error) {
	d, err := s.robotEditData(c, t(c, "robots.robot_title", "Name", r.Name))
	if err != nil {
		return d, err
	}
	ctx := c.Request().Context()
	now := s.deps.DB.Now()
	health, err := s.deps.DB.RobotHealth24h(ctx, db.TeamScope(r.TeamID), now.Add(-24*time.Hour))
	if err != nil {
		return d, err
	}
	d.Robot = robotRow(ctx, r, health[r.ID], now, d.CanWrite)
	uses, err := s.deps.DB.RulesUsingRobot(ctx, r.ID)
	if err != nil {
		return d, err
	}
	d.UsedBy = ruleUses(uses)
	d.Mentions, err = s.mentionOptions(ctx, db.TeamScope(r.TeamID))
	return d, err
}

func ruleNames(uses []db.RuleUse) []string {
	names := make([]string, len(uses))
	for i, u := range uses {
		names[i] = u.Name
	}
	return names
}

// ruleUses lists the rules a robot's delete would remove it from, for the confirmation.
func ruleUses(uses []db.RuleUse) []views.RobotRuleUse {
	out := make([]views.RobotRuleUse, 0, len(uses))
	for _, u := range uses {
		out = append(out, views.RobotRuleUse{ID: u.ID, Name: u.Name, URL: "/rules/" + itoa(u.ID),
			WillDisable: u.LastRobot && u.Enabled})
	}
	return out
}

func (s *Server) robotsEdit(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.deps.DB.RobotByID(c.Request().Context(), scope(c), id)
	if err != nil {
		return err
	}
	d, err := s.robotPage(c, r)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.RobotEditPage(d, robotFormOf(r), nil))
}

func (s *Server) robotsUpdate(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.deps.DB.RobotByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	f := readRobotForm(c)
	f.ID, f.WebhookHint, f.SecretHint = id, old.WebhookHint, old.SecretHint
	errs := views.FieldErrors{}
	teamID := s.teamFromForm(c, errs, "team_id")
	if teamID != 0 && teamID != old.TeamID {
		errs["team_id"] = t(c, "robots.err_team_fixed")
	}
	if f.Platform != old.Platform && f.WebhookURL == "" {
		errs["webhook_url"] = t(c, "robots.err_platform_change")
	}
	f.validate(c, errs, s.deps.Webhooks, false, old.Secret != "")
	if len(errs) == 0 {
		r, err := s.deps.DB.UpdateRobot(ctx, actor(c), scope(c), id, f.input(old.TeamID))
		switch {
		case errors.Is(err, db.ErrConflict):
			errs["name"] = t(c, "robots.err_name_taken")
		case err != nil:
			return err
		default:
			s.setFlash(c, "ok", t(c, "robots.saved", "Name", r.Name))
			return redirect(c, "/robots/"+itoa(r.ID))
		}
	}
	d, err := s.robotPage(c, old)
	if err != nil {
		return err
	}
	// What the user typed comes back (empty still means "unchanged"); the stored
	// credentials never do.
	f.RobotFormData.Secret = f.Secret
	return render(c, http.StatusUnprocessableEntity, views.RobotEditPage(d, f.RobotFormData, errs))
}

func (s *Server) robotsSetEnabled(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	enabled := c.FormValue("enabled") == "1"
	r, err := s.deps.DB.SetRobotEnabled(c.Request().Context(), actor(c), scope(c), id, enabled)
	if err != nil {
		return err
	}
	msg := t(c, "robots.disabled_flash", "Name", r.Name)
	if enabled {
		msg = t(c, "robots.enabled_flash", "Name", r.Name)
	}
	s.setFlash(c, "ok", msg)
	return redirect(c, "/robots/"+itoa(id))
}

// robotsDelete deletes a robot. While rules send to it, the robot page lists them in the
// delete box and posts their ids back: the robot is then removed from exactly those rules
// and deleted in one step. If the rules changed in between, nothing is deleted and the
// page comes back with the current list to confirm again.
func (s *Server) robotsDelete(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	form, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_unreadable"))
	}
	var ruleIDs []int64
	for _, v := range form["rule_id"] {
		rid, err := strconv.ParseInt(v, 10, 64)
		if err != nil || rid <= 0 {
			return userError(http.StatusBadRequest, "%s", t(c, "robots.err_rule_id", "Value", v))
		}
		ruleIDs = append(ruleIDs, rid)
	}
	r, err := s.deps.DB.RobotByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	uses, err := s.deps.DB.DeleteRobotFromRules(ctx, actor(c), scope(c), id, ruleIDs)
	var inUse *db.RobotInUseError
	if errors.As(err, &inUse) {
		d, err := s.robotPage(c, r)
		if err != nil {
			return err
		}
		d.UsedBy = ruleUses(inUse.Rules)
		msg := t(c, "robots.err_rules_changed")
		if len(ruleIDs) == 0 {
			msg = t(c, "robots.err_still_used", "Rules", ruleList(c, ruleNames(inUse.Rules)))
		}
		return render(c, http.StatusConflict, views.RobotEditPage(d, robotFormOf(r), views.FieldErrors{"_form": msg}))
	}
	if err != nil {
		return err
	}
	msg := t(c, "robots.deleted", "Name", r.Name)
	if len(uses) > 0 {
		s.rulesChanged() // the pipeline's rules still name the robot, and some may be disabled now
		msg = t(c, "robots.deleted_from_rules", "Name", r.Name, "Rules", ruleList(c, ruleNames(uses)))
		var disabled []string
		for _, u := range uses {
			if u.LastRobot && u.Enabled {
				disabled = append(disabled, u.Name)
			}
		}
		if len(disabled) > 0 {
			msg = t(c, "robots.deleted_disabled", "Deleted", msg, "Rules", ruleList(c, disabled))
		}
	}
	s.setFlash(c, "ok", msg)
	return redirect(c, "/robots")
}

func (s *Server) robotsTest(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := s.deps.DB.RobotByID(ctx, scope(c), id)
	if err != nil {
		return err
	}
	// FormParams parses the body: with htmx the CSRF token comes in a header, so nothing
	// has called ParseForm yet and Request().Form would be empty.
	params, err := c.FormParams()
	if err != nil {
		return userError(http.StatusBadRequest, "%s", t(c, "robots.bulk_unreadable"))
	}
	people, atAll, err := s.resolveMentions(ctx, db.TeamScope(r.TeamID), params["mention"])
	if err != nil {
		return err
	}
	msg, err := s.deps.Composer.RobotTest(ctx, r, people, atAll)
	if err != nil {
		return err
	}
	res, err := s.sendTest(c, r, 0, msg)
	if err != nil {
		return err
	}
	// The answer moved the robot to verified or failing: show it as it is now.
	if fresh, err := s.deps.DB.RobotByID(ctx, scope(c), id); err == nil {
		r = fresh
	}
	res.RobotID, res.Status, res.Enabled = r.ID, r.Status, r.Enabled
	now := s.deps.DB.Now()
	health, err := s.deps.DB.RobotHealth24h(ctx, db.TeamScope(r.TeamID), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	row := robotRow(ctx, r, health[r.ID], now, true)
	res.Health = &row
	if !isHTMX(c) {
		d, err := s.robotPage(c, r)
		if err != nil {
			return err
		}
		kind := "ok"
		if !res.OK {
			kind = "error"
		}
		d.Page.Flash, d.Page.FlashKind = t(c, "robots.test_send_flash", "Summary", res.Summary), kind
		return render(c, http.StatusOK, views.RobotEditPage(d, robotFormOf(r), nil))
	}
	return render(c, http.StatusOK, views.TestResultView(res))
}

// sendTest sends msg to robot through the delivery engine (render, keywords, size cut,
// sign, send, classify, within the robot's send governor) and records it as a test-send.
// ruleID is the rule a "test rule" sends for, 0 for a robot's own test.
func (s *Server) sendTest(c echo.Context, robot db.Robot, ruleID int64, msg notify.Message) (views.TestResult, error) {
	if s.deps.Delivery == nil {
		return views.TestResult{}, userError(http.StatusServiceUnavailable, "%s", t(c, "robots.err_no_engine"))
	}
	ctx := c.Request().Context()
	sent, err := s.deps.Delivery.TestSend(ctx, actor(c), robot, ruleID, msg)
	if err != nil {
		return views.TestResult{}, err
	}
	// Who the message mentions, and who it cannot on this platform, even when nothing
	// was sent.
	plan := notify.PlanMentions(notify.Platform(robot.Platform), msg.Mentions, msg.AtAll)
	if !sent.Sent {
		wait := max(sent.NextSlot.Sub(s.deps.DB.Now()).Round(time.Second), time.Second)
		return views.TestResult{Summary: t(c, "robots.err_budget", "Platform", notify.Platform(robot.Platform).Label(),
			"At", i18n.Time(ctx, sent.NextSlot), "Wait", wait.String()),
			Skipped: plan.Skipped, Mentioned: plan.Labels}, nil
	}
	out, prep := sent.Outcome, sent.Prepared
	summary := out.Summary
	if out.Class == notify.Delivered {
		// The platform's answers stay as the platform worded them; this one is the console's.
		summary = t(c, "robots.delivered_in", "Ms", out.Latency.Milliseconds())
	}
	res := views.TestResult{OK: out.Class == notify.Delivered, Summary: summary, HTTPStatus: out.HTTPStatus,
		Code: out.Code, Response: out.Response, Skipped: plan.Skipped, Mentioned: plan.Labels,
		HistoryURL: "/history/" + itoa(sent.NotificationID)}
	if prep.MaskedURL != "" {
		res.Request = "POST " + prep.MaskedURL + "\n\n" + string(prep.MaskedBody)
	}
	return res, nil
}
