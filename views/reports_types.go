package views

// NumbersRow is one line of a numbers table: incidents and their response times.
type NumbersRow struct {
	Key       string
	Incidents int
	Acked     int
	Ended     int
	MTTA      string // "12 min", "–" when none was acknowledged
	MTTR      string
}

// CountRow is a name and how often.
type CountRow struct {
	Name  string
	Count int
	Extra string
}

// ReportsPageData is /reports.
type ReportsPageData struct {
	Page
	From, To    string // dates, YYYY-MM-DD (To inclusive)
	Errors      FieldErrors
	Total       NumbersRow
	Teams       []NumbersRow
	Rules       []NumbersRow
	Robots      []NumbersRow
	NoisyRules  []CountRow
	NoisyAlerts []CountRow
	Chart       Chart
	CSVURL      string
	ShowTeam    bool
}
