package views

import "strconv"

// RuleRow is one line of the rules table.
type RuleRow struct {
	ID       int64
	Name     string
	Team     string
	Severity string
	Enabled  bool
	Robots   []Option // Value: the robot's id, Label: "name (DingTalk)"
	Matchers string   // `job=~"node.*", severity="critical"`, "" = every alert
	Source   string   // "any source", "Alertmanager", …
	CanWrite bool
	// Firing ("3 firing", "" when none), LastFired and LastDelivered ("" = never) are the
	// rule's state.
	Firing        string
	LastFired     string
	LastDelivered string
}

// RulesPageData is the /rules list.
type RulesPageData struct {
	Page
	Rows      []RuleRow
	ShowTeam  bool
	CanCreate bool
	Query     string // search in names, matchers and robots
	Enabled   string // "", "enabled" or "disabled"
	Total     int    // rules before the search
}

// MatcherRowData is one matcher row of the rule form.
type MatcherRowData struct {
	Name, Op, Value string
}

// QuietRowData is one quiet-hours row of the rule form. Its fields post as qh_row=<Key>,
// qh_from, qh_to, qh_tz (repeated, in row order) and the day checkboxes as
// qh_days_<Key> with values 0 (Sunday) … 6 (Saturday).
type QuietRowData struct {
	Key      string
	Days     [7]bool
	From, To string
	TZ       string
}

// RuleFormData is what the rule form shows (and re-shows, as typed, on errors).
type RuleFormData struct {
	ID               int64
	TeamID           string
	Name             string
	Description      string
	Enabled          bool
	Severity         string
	Source           string
	Matchers         []MatcherRowData
	CondMetric       string
	CondOp           string
	CondThreshold    string
	CondFor          string
	RobotIDs         []int64
	ContactIDs       []int64
	GroupIDs         []int64
	ScheduleIDs      []int64
	EscalationPolicy string // policy id, "" = none
	AtAll            bool
	TitleTemplate    string
	BodyTemplate     string
	GroupBy          string
	GroupWait        string
	RepeatInterval   string
	RepeatUnacked    string // "" = off
	SendResolved     bool
	QuietHours       []QuietRowData
	NewTeam          string // a team to create with the rule (an administrator on a console without teams)
}

func hasID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// RuleChoice is a robot, contact or group the rule form offers as a checkbox.
type RuleChoice struct {
	ID     int64
	Label  string
	Detail string // platform, members, how to reach
	Badge  string // "unverified", "failing", "disabled"
}

// RuleObjects are the team's robots, contacts and groups the form offers.
type RuleObjects struct {
	TeamID    string
	Robots    []RuleChoice
	Contacts  []RuleChoice
	Groups    []RuleChoice
	Schedules []RuleChoice // whoever is on call in them
	Policies  []Option     // escalation policies, "" = none first
}

// TemplateDefault is a platform's default template, shown for reference.
type TemplateDefault struct {
	Platform    string
	Title, Body string
}

// RuleEditData frames the rule form: new (IsNew) or edit.
type RuleEditData struct {
	Page
	IsNew    bool
	CanWrite bool
	Teams    []Option // more than one: team picker (admins creating a rule)
	// CanCreateTeam: the user is an administrator and may name a new team in the form
	// (a console without teams creates it with the rule).
	CanCreateTeam bool
	TeamName      string
	Objects       RuleObjects
	Defaults      []TemplateDefault
	Severities    []Option
	Sources       []Option
	MatchOps      []Option
	CondOps       []Option
	Enabled       bool // the stored rule's state (edit)
	// Stuck lists the rule's groups whose flush failed; TemplateFailure is the last time its
	// template failed on a real group (the platform's default was sent instead).
	Stuck           []StuckGroup
	TemplateFailure string
}

// Weekdays are the quiet-hours day checkboxes, Sunday = 0; labels are catalog keys.
var Weekdays = []Option{{"1", "rules.day_1"}, {"2", "rules.day_2"}, {"3", "rules.day_3"}, {"4", "rules.day_4"}, {"5", "rules.day_5"}, {"6", "rules.day_6"}, {"0", "rules.day_0"}}

func dayChecked(days [7]bool, v string) bool {
	n, err := strconv.Atoi(v)
	return err == nil && n >= 0 && n < 7 && days[n]
}

// RulePreview is the rendered preview of a rule, one entry per chosen robot.
type RulePreview struct {
	Error  string // a template or form problem: nothing was rendered
	Robots []RobotPreview
}

// RobotPreview is what one robot would receive.
type RobotPreview struct {
	RobotID    int64 // 0: not one of the team's robots (no page to link)
	Robot      string
	Platform   string
	Error      string
	Title      string
	MsgType    string
	URL        string // credentials masked
	Request    string // the final request body, pretty-printed, credentials masked
	Truncated  bool
	KeywordAdd string // the keyword inserted into the title, "" when none was needed
	Mentioned  []string
	Skipped    []string
	Chat       ChatView // the message as the group will see it
}

// RuleTestOutcome is the result of one robot's test-send of a rule.
type RuleTestOutcome struct {
	RobotID int64
	Robot   string
	Result  TestResult
}
