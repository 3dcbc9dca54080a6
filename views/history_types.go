package views

import (
	"context"

	"alertdesk/i18n"
)

// HistoryFilterData is the history filter as the user typed it.
type HistoryFilterData struct {
	From     string
	To       string
	Team     string
	Rule     string // a rule id, "test" for test-sends, or ""
	Robot    string
	Platform string
	Outcome  string
	Q        string
}

// HistoryRow is one delivery attempt in the history table.
type HistoryRow struct {
	At           string
	Outcome      string
	OutcomeClass string // badge class: ok, bad, warn or ""
	Platform     string
	Robot        string
	Team         string
	Rule         string // "test-send" for test-sends
	IsTest       bool
	Kind         string
	Attempt      int
	Summary      string
	Latency      string // "120 ms", "" when no request was made
	DetailURL    string
	IncidentID   int64  // 0: the message spoke of no incident
	AlertName    string // the first alert it carried, "" when none
	RobotURL     string // "" when the robot was deleted
	RuleURL      string // "" for test-sends and deleted rules
}

// HistoryPageData is the history page and its results fragment.
type HistoryPageData struct {
	Page
	// Notice explains a default the page applied, e.g. the time window of a free-text search.
	Notice    string
	Filter    HistoryFilterData
	ShowTeam  bool
	Teams     []Option
	Rules     []Option
	Robots    []Option
	Platforms []Option
	Outcomes  []Option
	Rows      []HistoryRow
	NextURL   string
	FirstURL  string // the newest page with the same filters, when not on it
	ExportURL string
	Errors    FieldErrors
}

// AttemptView is one attempt on the detail page's timeline.
type AttemptView struct {
	N            int
	At           string
	Outcome      string
	OutcomeClass string
	HTTPStatus   string // "" when no request was made
	Code         string
	Message      string
	Summary      string
	Latency      string
	Request      string // masked URL and body
	Response     string
}

// CarriedAlertView is an alert a notification carried.
type CarriedAlertView struct {
	Name   string
	Status string
	Labels string
	Starts string
	URL    string // the alert's "why" page
}

// FoldedView is a notification folded into a digest.
type FoldedView struct {
	ID    string
	Title string
	State string
	At    string
	URL   string
}

// HistoryDetailData is the detail page of one notification.
type HistoryDetailData struct {
	Page
	ID          string
	Title       string
	Body        string
	Kind        string
	State       string
	StateClass  string
	Team        string
	Robot       string
	RobotURL    string
	Platform    string
	Rule        string   // "test-send" for test-sends
	Mentioned   []string // names as resolved when the message was written
	Created     string
	NextAttempt string // for queued notifications
	Sends       int
	Request     string    // of the latest attempt that made a request
	Chat        *ChatView // that request as the group saw it; nil when none was made
	Response    string
	Summary     string
	Timeline    []AttemptView
	Alerts      []CarriedAlertView
	Folded      []FoldedView
	DigestURL   string // for folded notifications
	ResendURL   string // set when a resend is possible for this user
	ResendNote  string // why not, when it is not
	// TemplateFailure: the rule's template failed on this group and the platform's
	// default was sent instead; why.
	TemplateFailure string
}

// CodeWord is a stored code (an outcome, a state, a kind, a status) in the reader's
// words: the catalog's prefix+code (prefix "history.outcome.") when it has one, else the
// code as stored (a code added later still shows, in English).
func CodeWord(ctx context.Context, prefix, code string) string {
	key := prefix + code
	// Asked of the Chinese catalog: i18n.Has(English, …) asks for the "one" form, which
	// a text without plural forms lacks. Both catalogs hold the same keys (catalog test).
	if code == "" || !i18n.Has(i18n.Chinese, key) {
		return code
	}
	return i18n.T(ctx, key)
}
