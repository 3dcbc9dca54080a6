package views

// SilenceRow is one line of the silences tables.
type SilenceRow struct {
	ID        int64
	Team      string // "all teams" for a global silence
	Matchers  string
	Starts    string
	Ends      string
	Status    string // "active", "pending", "expired"
	Comment   string
	CreatedBy string
	CanExpire bool
}

// SilenceFormData is the silence create form.
type SilenceFormData struct {
	TeamID   string // "all" = every team (admins)
	Matchers string
	Starts   string // datetime-local "2006-01-02T15:04"
	Ends     string
	Duration string
	Comment  string
}

// SilencesPageData is /silences.
type SilencesPageData struct {
	Page
	Rows       []SilenceRow
	List       ListState // search, filters (status, team), sort and page
	TeamFilter []Option  // the team filter's choices ("" when the team column is hidden)
	Teams      []Option
	CanWrite   bool
	ShowTeam   bool
	// Checked: the form's matchers were checked against the alerts firing now; WouldMute
	// lists those they match ("DiskFull instance=db-1 …").
	Checked   bool
	WouldMute []string
}
