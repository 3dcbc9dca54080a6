package views

// ContactRow is one line of the contacts table.
type ContactRow struct {
	ID             int64
	Name           string
	Team           string
	Mobile         string
	Email          string
	DingTalkUserID string
	FeishuOpenID   string
	WeComUserID    string
	User           string // linked user name: the person maintains this card themselves
	UserURL        string // the linked user's admin page, "" when the viewer may not open it
	EditURL        string
}

// ContactsPageData is the /contacts list.
type ContactsPageData struct {
	Page
	Query    string
	List     ListState // search, filters (team, has), sort and page
	Teams    []Option  // the team filter's choices (admins and auditors)
	Rows     []ContactRow
	ShowTeam bool // admins and auditors see every team
	CanWrite bool
}

// ContactFormData is what the contact form shows (and re-shows on errors).
type ContactFormData struct {
	TeamID         string
	NewTeam        string // the team an administrator on a console without teams creates with the contact
	Name           string
	Mobile         string
	Email          string
	DingTalkUserID string
	FeishuOpenID   string
	WeComUserID    string
}

// ContactEditData frames the contact form: new (ID 0) or edit.
type ContactEditData struct {
	Page
	ID       int64
	Teams    []Option // non-empty: show the team picker (admins creating a contact)
	TeamName string   // shown when there is no picker
	// CanCreateTeam: an administrator on a console without teams, who names a new team in the form.
	CanCreateTeam bool
	LinkedUser    string
	CanWrite      bool
	Action        string // form action URL
}

// ContactGroupMember is a contact as the group screens list it.
type ContactGroupMember struct {
	ID     int64
	Name   string
	Detail string // how to reach them, in short
}

// ContactGroupRow is one line of the groups table.
type ContactGroupRow struct {
	ID      int64
	Name    string
	Team    string
	Members []string
	EditURL string
}

// ContactGroupsPageData is the /contacts/groups list with the create form.
type ContactGroupsPageData struct {
	Page
	Rows     []ContactGroupRow
	ShowTeam bool
	CanWrite bool
	Teams    []Option // non-empty: team picker in the create form
}

// ContactGroupFormData is the group form's input.
type ContactGroupFormData struct {
	TeamID string
	Name   string
}

// ContactGroupEditData is the group edit screen.
type ContactGroupEditData struct {
	Page
	ID       int64
	Team     string
	CanWrite bool
	Members  []ContactGroupMember // the (posted or stored) member set
	// TeamContacts are all contacts of the group's team, for the checkbox list that
	// works without JavaScript; htmx replaces it with the search-and-add editor.
	TeamContacts []ContactGroupMember
	Query        string
	Candidates   []ContactGroupMember
	// Schedules of the team; the group also mentions whoever is on call in the checked ones.
	Schedules   []Option
	ScheduleIDs []string
}

// IsMember reports whether id is in the member set.
func (d ContactGroupEditData) IsMember(id int64) bool {
	for _, m := range d.Members {
		if m.ID == id {
			return true
		}
	}
	return false
}

// MyContactData is the self-service "My contact card" page.
type MyContactData struct {
	Page
	HasTeam  bool
	Team     string
	Exists   bool // the user already has a card
	CanWrite bool
}
