package views

// SchedulesPageData is the list of on-call schedules.
type SchedulesPageData struct {
	Page
	Rows     []ScheduleRow
	ShowTeam bool
	CanWrite bool
}

// ScheduleRow is one schedule in the list, with who is on call now.
type ScheduleRow struct {
	ID      int64
	Name    string
	Team    string
	OnCall  string // a name, or "" in a gap
	Gap     bool
	EditURL string
}

// ScheduleEditData is the schedule page: the form, who is on call now, the gaps, the
// calendar of the next weeks and the overrides.
type ScheduleEditData struct {
	Page
	ID        int64 // 0 for a new schedule
	Title     string
	Team      string
	CanWrite  bool
	Teams     []Option // team picker of a new schedule (admins)
	Contacts  []Option // the team's contacts: fallback and override pickers
	Robots    []Option // the team's robots: where hand-off notices go
	Units     []Option
	DayOpts   []Option
	Now       OnCallNow
	Zone      string // the calendar's time zone
	Gaps      []string
	Calendar  []CalendarDay
	Overrides []OverrideRow
}

// ScheduleFormData is the schedule form as typed.
type ScheduleFormData struct {
	TeamID   string
	Name     string
	Fallback string
	Handoff  string // robot id of hand-off notices, "" = none
	Layers   []LayerRowData
}

// LayerRowData is one layer row of the schedule form.
type LayerRowData struct {
	Members string // contact names in rotation order, comma-separated
	Length  string
	Unit    string
	Start   string // datetime-local: 2006-01-02T15:04
	Zone    string
	Days    string
	From    string
	To      string
}

// OnCallNow is who is on call at the moment.
type OnCallNow struct {
	Name   string
	Why    string // "layer 1", "override", "fallback: nobody on shift"
	Until  string
	Gap    bool
	Broken string // why the schedule cannot be computed
}

// CalendarDay is one day of the calendar view.
type CalendarDay struct {
	Date   string
	Shifts []CalendarShift
}

// CalendarShift is one stretch of a day.
type CalendarShift struct {
	From, To string
	Who      string
	Gap      bool
	Override bool
}

// OverrideRow is one override in the list.
type OverrideRow struct {
	ID       int64
	Who      string
	From, To string
}

// MyShift is one of a person's upcoming shifts, shown on My account.
type MyShift struct {
	Schedule string
	URL      string
	From, To string
}

// PoliciesPageData is the list of escalation policies.
type PoliciesPageData struct {
	Page
	Rows     []PolicyRow
	ShowTeam bool
	CanWrite bool
}

// PolicyRow is one policy in the list.
type PolicyRow struct {
	Name    string
	Team    string
	Steps   string // "3 steps, repeated twice"
	EditURL string
}

// PolicyEditData frames the policy form.
type PolicyEditData struct {
	Page
	ID       int64 // 0: new
	Title    string
	Team     string
	TeamID   string
	CanWrite bool
	Teams    []Option // a new policy of an admin: pick the team first
	Objects  StepObjects
	Preview  []string // "If nobody acknowledges an incident opened now, at 10:05 …"
}

// StepObjects are what a step can post to and mention: the team's robots, and its
// contacts, groups and schedules (values c:<id>, g:<id>, s:<id>).
type StepObjects struct {
	TeamID   string
	Robots   []Option
	Mentions []Option
}

// PolicyFormData is the policy form as typed.
type PolicyFormData struct {
	Name    string
	Repeats string
	Steps   []StepRowData
}

// StepRowData is one step row; Key ties its checkboxes together.
type StepRowData struct {
	Key      string
	After    string
	Robots   []string
	Mentions []string
}

func hasValue(vals []string, v string) bool {
	for _, x := range vals {
		if x == v {
			return true
		}
	}
	return false
}
