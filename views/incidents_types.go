package views

// IncidentRow is one incident in the list.
type IncidentRow struct {
	ID         int64
	Title      string
	Team       string
	Rule       string
	RuleID     int64
	Severity   string
	State      string
	Owner      string
	AlertCount int
	Opened     string
	Age        string // "4 min"
}

// IncidentsPageData is the incidents list with its filters.
type IncidentsPageData struct {
	Page
	Rows                             []IncidentRow
	TeamID, RuleID                   string
	State, Severity, Owner           string
	Teams, Rules, States, Severities []Option
	ShowTeam                         bool
	ActionsOn                        bool   // messages carry action links
	BaseURL                          string // the console's configured address
	CanConfigure                     bool   // may change the teams' incident settings
}

// TeamSetting is a team's incident settings: acting by contact card and the daily summary.
type TeamSetting struct {
	ID             int64
	Name           string
	ContactActions bool
	RobotID        string // the summary robot; "" = no summary
	Robots         []Option
	Times          string // "09:00, 18:00"
	TimeZone       string
	Errors         FieldErrors
}

// IncidentSettingsPage is /incidents/settings.
type IncidentSettingsData struct {
	Page
	ActionsOn bool
	BaseURL   string
	Teams     []TeamSetting
}

// IncidentEventRow is one timeline line.
type IncidentEventRow struct {
	At             string
	Kind           string
	Actor          string
	ActorKind      string
	Text           string
	NotificationID int64
}

// IncidentAction is an action button on the incident page.
type IncidentAction struct {
	Action, Label string
}

// IncidentPageData is one incident.
type IncidentPageData struct {
	Page
	IncidentRow
	Labels     []string // "k=v"
	AckedBy    string
	Acked      string
	Resolved   string
	Closed     string
	Reopens    int
	Events     []IncidentEventRow
	Alerts     []IncidentAlertRow
	Actions    []IncidentAction
	CanAct     bool
	NoteError  string
	Note       string
	SilenceURL string
	// Escalation: the policy's steps still to come if nobody acknowledges.
	Escalation []string
}

// ActPageData is the phone page a chat link opens: the incident, the action, who acts
// and one button to confirm; or why the link is refused.
type ActPageData struct {
	Page
	Refused     string // why the link does not work ("" = it does)
	Done        string // what was done, after the confirming POST
	IncidentID  int64
	Title       string
	State       string
	AlertCount  int
	Opened      string
	Action      string
	ActionLabel string
	Token       string
	FormURL     string
	SignedInAs  string   // the signed-in user who will act
	NotAllowed  string   // the signed-in user, who may not act on this team's incidents
	Contacts    []Option // cards to pick from when the team allows it
	ContactID   string
	Errors      FieldErrors
	LoginURL    string
}

// IncidentAlertRow is an alert in the incident's group now.
type IncidentAlertRow struct {
	ID     int64
	Name   string
	Status string
	Labels string
}
