package pipeline

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/i18n"
	"alertdesk/notify"
)

// Composer builds the message a robot receives for a group of alerts under a rule. It is
// the only place that does: the pipeline's flush, the rule preview, "test rule" and a
// robot's test-send all call it, so that for the same rule, robot, group and
// notification id what the preview shows is byte for byte what is sent.
type Composer struct {
	db      *db.DB
	baseURL string
	// links signs the action links of incident messages; nil: messages carry none (the
	// console's address is the loopback default, which phones cannot reach).
	links *LinkSigner
	now   func() time.Time
	// lang is the language of messages of a team that chose none (the console's
	// ALERTDESK_DEFAULT_LANGUAGE); "" is English.
	lang string
}

// SetDefaultLanguage sets the language of the default templates for teams that chose
// none ("en", "zh-CN"; "" is English). Call it before the composer is used.
func (c *Composer) SetDefaultLanguage(lang string) { c.lang = lang }

// DefaultLanguage is the language of messages of a team that chose none.
func (c *Composer) DefaultLanguage() string {
	if c.lang == "" {
		return alerting.LangEnglish
	}
	return c.lang
}

// TeamLanguage is the language team's messages built from the default templates go out
// in: the team's own, else the console's default. A team that cannot be read (deleted,
// or no database in a test) gets the default.
func (c *Composer) TeamLanguage(ctx context.Context, team int64) string {
	if c.db != nil && team != 0 {
		if t, err := c.db.TeamByID(ctx, team); err == nil && t.Language != "" {
			return t.Language
		}
	}
	return c.DefaultLanguage()
}

// NewComposer returns a composer whose links point at baseURL (the console's address);
// its messages carry no action links.
func NewComposer(d *db.DB, baseURL string) *Composer {
	c := &Composer{db: d, baseURL: strings.TrimRight(baseURL, "/"), now: time.Now}
	if d != nil {
		c.now = d.Now // the database's clock: tests move it, and schedules resolve by it
	}
	return c
}

// NewActionComposer is NewComposer whose firing messages carry signed action links
// (Acknowledge, Claim, Close, Silence, Open) made by links, timed by now (nil: time.Now).
func NewActionComposer(d *db.DB, baseURL string, links *LinkSigner, now func() time.Time) *Composer {
	c := NewComposer(d, baseURL)
	c.links = links
	if now != nil {
		c.now = now
	}
	return c
}

// Actions reports whether messages carry action links.
func (c *Composer) Actions() bool { return c.links != nil }

// IncidentURL is the console page of incident id.
func (c *Composer) IncidentURL(id int64) string {
	if id == 0 {
		return c.baseURL + "/incidents"
	}
	return c.baseURL + "/incidents/" + strconv.FormatInt(id, 10)
}

// actionsFor are the links a message of kind about incident carries: every action while
// it fires, only Open once resolved, labelled in lang. A preview (incident 0) shows them
// as they will be.
func (c *Composer) actionsFor(lang, kind string, incident int64) []notify.Action {
	if c.links == nil {
		return nil
	}
	var out []notify.Action
	if kind != "resolved" {
		now := c.now()
		for _, a := range LinkActions {
			out = append(out, notify.Action{Label: say(lang, "messages.action."+a.Action), URL: c.baseURL + ActionPath(incident, c.links.Token(incident, a.Action, now))})
		}
	}
	return append(out, notify.Action{Label: say(lang, "messages.action.open"), URL: c.IncidentURL(incident)})
}

// say is the text with id from the messages catalog in lang (a team's language).
func say(lang, id string, args ...any) string { return i18n.New(lang, nil).T(id, args...) }

// BaseURL is the console address links in messages point at.
func (c *Composer) BaseURL() string { return c.baseURL }

// NotificationURL is the console's page for notification id: the link a message carries
// (and the one its truncation marker points at). id 0, a message not yet written, links
// to the history.
func (c *Composer) NotificationURL(id int64) string {
	if id == 0 {
		return c.baseURL + "/history"
	}
	return c.baseURL + "/history/" + strconv.FormatInt(id, 10)
}

// Composed is a message ready for notify.Prepare, plus what went wrong on the way.
type Composed struct {
	Message notify.Message
	// TemplateFailure says why the rule's own template could not render this group, so
	// the platform's default template was used. It is recorded on the notification and
	// shown on the rule page; it is never put into the message.
	TemplateFailure string
}

// Compose renders rule's templates (or the platform's defaults) over group for robot and
// resolves the rule's mentions. notificationID is the notification the message is sent
// as (0 before one exists).
func (c *Composer) Compose(ctx context.Context, rule db.Rule, robot db.Robot, group alerting.TemplateData, notificationID int64) (Composed, error) {
	return c.ComposeIncident(ctx, rule, robot, group, notificationID, 0)
}

// ComposeIncident is Compose for a group that is incident (0: not known yet, as in a
// preview): its message carries the incident's action links.
func (c *Composer) ComposeIncident(ctx context.Context, rule db.Rule, robot db.Robot, group alerting.TemplateData, notificationID, incident int64) (Composed, error) {
	data := c.decorate(rule, group)
	lang := c.TeamLanguage(ctx, rule.TeamID)
	out, failure, err := renderRule(ctx, rule, robot.Platform, lang, data)
	if err != nil {
		return Composed{}, err
	}
	people, err := c.people(ctx, rule)
	if err != nil {
		return Composed{}, err
	}
	return Composed{
		Message: notify.Message{Title: out.Title, Body: out.Body + OnCallLineIn(lang, people), Link: c.NotificationURL(notificationID),
			Mentions: people, AtAll: rule.AtAll, Actions: c.actionsFor(lang, data.Kind, incident),
			CutNote: say(lang, "messages.truncated_link", "Link", c.NotificationURL(notificationID))},
		TemplateFailure: failure,
	}, nil
}

// Request is what robot would be sent for rule and group as notification id, prepared
// (keyword, size cut, signature with timestamp now) exactly as the delivery engine's sender
// prepares it: the rule preview shows this.
func (c *Composer) Request(ctx context.Context, rule db.Rule, robot db.Robot, group alerting.TemplateData, id int64, now time.Time) (Composed, notify.Prepared, error) {
	composed, err := c.Compose(ctx, rule, robot, group, id)
	if err != nil {
		return Composed{}, notify.Prepared{}, err
	}
	prep, err := notify.Prepare(robot.Target(), composed.Message, now)
	return composed, prep, err
}

// RobotTest is the message of a robot's own test-send: the platform's default template
// over the sample group, marked as a test, mentioning the people picked for the test.
func (c *Composer) RobotTest(ctx context.Context, robot db.Robot, people []notify.Person, atAll bool) (notify.Message, error) {
	lang := c.TeamLanguage(ctx, robot.TeamID)
	rule := db.Rule{Name: say(lang, "messages.test_rule"), Severity: "warning", TeamID: robot.TeamID, TeamName: robot.TeamName}
	data := c.decorate(rule, c.Sample(rule))
	data.Kind = "test"
	out, _, err := renderRule(ctx, rule, robot.Platform, lang, data)
	if err != nil {
		return notify.Message{}, err
	}
	link := c.baseURL + "/robots/" + strconv.FormatInt(robot.ID, 10)
	return notify.Message{Title: out.Title, Body: say(lang, "messages.test_intro") + "\n\n" + out.Body,
		Link: link, Mentions: people, AtAll: atAll, CutNote: say(lang, "messages.truncated_link", "Link", link)}, nil
}

// Sample is the sample group a preview or a test renders for rule: alerts shaped by the
// rule's matchers.
func (c *Composer) Sample(rule db.Rule) alerting.TemplateData {
	severity := rule.Severity
	switch severity {
	case "critical", "warning", "info":
	default:
		severity = "warning"
	}
	name := rule.Name
	if name == "" {
		name = "Example rule"
	}
	d := alerting.SampleFor(name, severity, c.baseURL, rule.Matchers)
	d.Team = rule.TeamName
	return d
}

// decorate sets the rule's fields and the console's links on a group.
func (c *Composer) decorate(rule db.Rule, d alerting.TemplateData) alerting.TemplateData {
	d.RuleName, d.Severity, d.Team = rule.Name, rule.Severity, rule.TeamName
	if d.RuleName == "" {
		d.RuleName = "Example rule"
	}
	d.ConsoleURL = c.baseURL + "/history"
	if rule.ID != 0 {
		d.ConsoleURL += "?rule=" + strconv.FormatInt(rule.ID, 10)
	}
	return d
}

func (c *Composer) people(ctx context.Context, rule db.Rule) ([]notify.Person, error) {
	if len(rule.ContactIDs) == 0 && len(rule.GroupIDs) == 0 && len(rule.ScheduleIDs) == 0 {
		return nil, nil
	}
	// Schedules resolve now, when the message is composed: a message queued before a
	// hand-off still mentions whoever was on call when it was written.
	return c.db.PeopleToMentionAt(ctx, db.TeamScope(rule.TeamID), rule.ContactIDs, rule.GroupIDs, rule.ScheduleIDs, c.now())
}

// renderRule renders the rule's templates for a platform. A template the rule leaves
// empty is the platform's default in lang (the team's language); the rule's own template
// is used as written. A template that fails on this group falls back to the platform's
// default; failure says why. Only a failure of the default itself is an error.
func renderRule(ctx context.Context, rule db.Rule, platform, lang string, data alerting.TemplateData) (out alerting.Rendered, failure string, err error) {
	defTitle, defBody := alerting.DefaultTemplatesIn(platform, lang)
	title, body := rule.TitleTemplate, rule.BodyTemplate
	if title == "" {
		title = defTitle
	}
	if body == "" {
		body = defBody
	}
	out, err = alerting.Render(ctx, title, body, data, alerting.RenderLimits{})
	if err == nil {
		return out, "", nil
	}
	failure = TemplateProblem(err).Error()
	out, err = alerting.Render(ctx, defTitle, defBody, data, alerting.RenderLimits{})
	return out, failure, err
}

// CheckRuleTemplates renders rule's templates against the sample group for every
// platform, as saving a rule does: a template that refers to a field the template model
// does not have, or fails on the sample, is refused (a label the sample lacks is not an
// error: it renders as ""). The error is worded for the rule form.
func (c *Composer) CheckRuleTemplates(ctx context.Context, rule db.Rule) error {
	if rule.TitleTemplate == "" && rule.BodyTemplate == "" {
		return nil
	}
	data := c.decorate(rule, c.Sample(rule))
	for _, p := range notify.Platforms {
		title, body := rule.TitleTemplate, rule.BodyTemplate
		defTitle, defBody := alerting.DefaultTemplates(string(p))
		if title == "" {
			title = defTitle
		}
		if body == "" {
			body = defBody
		}
		if _, err := alerting.Render(ctx, title, body, data, alerting.RenderLimits{}); err != nil {
			return TemplateProblem(err)
		}
	}
	return nil
}

// TemplateProblem words a render error for people: "Body template: line 3: …".
func TemplateProblem(err error) error {
	var te *alerting.TemplateError
	if errors.As(err, &te) {
		switch te.Template {
		case "title":
			return errors.New("Title template: " + te.Error())
		case "body":
			return errors.New("Body template: " + te.Error())
		}
		return errors.New("Template: " + te.Error())
	}
	return err
}

// OnCallLine says in the message who is mentioned because a schedule has them on call
// ("On call: Ann (on call: Primary)" reads badly, so the schedule part alone), or ""
// when nobody is: "\n\nOn call: Ann (Primary)".
func OnCallLine(people []notify.Person) string { return OnCallLineIn(alerting.LangEnglish, people) }

// OnCallLineIn is OnCallLine in lang: "\n\n值班：Ann (Primary)".
func OnCallLineIn(lang string, people []notify.Person) string {
	var names []string
	for _, p := range people {
		i := strings.LastIndex(p.Name, " (")
		if i < 0 {
			continue
		}
		name, why := p.Name[:i], p.Name[i+2:]
		why = strings.TrimSuffix(why, ")")
		switch {
		case strings.HasPrefix(why, "on call: "):
			names = append(names, name+" ("+strings.TrimPrefix(why, "on call: ")+")")
		case strings.HasPrefix(why, "fallback of "):
			names = append(names, name+" ("+say(lang, "messages.fallback_of", "Schedule", strings.TrimPrefix(why, "fallback of "))+")")
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "\n\n" + say(lang, "messages.on_call", "Names", strings.Join(names, say(lang, "messages.separator")))
}
