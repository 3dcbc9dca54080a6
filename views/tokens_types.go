package views

// TokenRow is one line of the API tokens table.
type TokenRow struct {
	ID        int64
	Name      string
	Team      string // "global" for a global token
	Hint      string
	CreatedBy string
	Created   string
	LastUsed  string
	Revoked   string
	CanRevoke bool
	Scope     string
}

// TokenFormData is the token create form.
type TokenFormData struct {
	TeamID  string // "global" = every team (admins)
	NewTeam string // the team an administrator on a console without teams creates with the token
	Name    string
	Scope   string // "intake" or "incidents"
}

// NewToken is a token just created: the only time it is shown.
type NewToken struct {
	Plain        string
	Curl         string
	Alertmanager string
	// SampleRule is the rule the sample alert of Curl hits ("" when no rule of the token's
	// team would take an alert yet); SampleRuleURL is its page.
	SampleRule    string
	SampleRuleURL string
	IntakeToken   bool
}

// TokensPageData is /tokens and /admin/tokens.
type TokensPageData struct {
	Page
	Rows     []TokenRow
	Teams    []Option
	CanWrite bool
	ShowTeam bool
	IsAdmin  bool
	New      *NewToken
	// CanCreateTeam: an administrator on a console without teams, who names one in the form.
	CanCreateTeam bool
	List          ListState // search, filters (team, scope, status), sort and page
	TeamFilter    []Option  // the team filter's choices ("" when the team column is hidden)
}
