package views

// DashRobot is a robot in trouble on the dashboard.
type DashRobot struct {
	Name      string
	Team      string
	Platform  string
	Problem   string // "failing", "degraded" or "throttled"
	Reason    string
	URL       string
	Throttled string
}

// ChartBar is one bar of the dashboard's SVG chart, in SVG user units.
type ChartBar struct {
	X, Y, W, H int
	Class      string // bar-ok, bar-bad or bar-alert
	Title      string
}

// ChartLabel is a label under the chart.
type ChartLabel struct {
	X    int
	Text string
}

// Chart is the dashboard's per-hour bar chart.
type Chart struct {
	Width, Height int
	Baseline      int
	Bars          []ChartBar
	Labels        []ChartLabel
	Max           int
}

// DashboardData is the dashboard.
type DashboardData struct {
	Page
	ShowTeam  bool
	Alerts    int
	Delivered int
	Failed    int
	Expired   int // notifications given up without a send; not counted as failed sends
	Chart     Chart
	Robots    []DashRobot
	Latest    []HistoryRow
	// StuckGroups are notification groups whose last flush failed: they are retried with
	// backoff while every other group goes on.
	StuckGroups []StuckGroup
	// OnCall is who is on call now in each schedule visible to the user.
	OnCall []ScheduleRow
	// FirstRun is the first-run checklist, empty once every step is done (or for auditors).
	FirstRun []FirstRunStep
	// RobotCount is every robot in scope: "every robot is fine" only when there are some.
	RobotCount int
	// Consoles lists the live consoles (administrators only; nil hides the card).
	Consoles *ConsolesCard
}

// FirstRunStep is one step of the dashboard's first-run checklist; it is ticked off from
// what exists, not from what was clicked.
type FirstRunStep struct {
	Label  string
	Hint   string
	URL    string
	Action string // the link's text
	Done   bool
	Next   bool // the first step not done yet
}

// StuckGroup is a notification group whose flush failed.
type StuckGroup struct {
	Rule    string
	RuleURL string
	Group   string // the group's labels
	Why     string
	Retry   string // when it is tried again
	Tries   int
}
