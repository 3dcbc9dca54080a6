// Package views holds the templ components and the view-model structs they lay out.
// It never imports db or handlers: handlers translate rows into these structs.
package views

// Page is what every full page needs: who is signed in, the CSRF token, the flash.
type Page struct {
	Title       string
	Nav         string // key of the active navigation entry
	User        *CurrentUser
	CSRF        string
	CSRFHeaders string // {"X-CSRF-Token":"…"} for <body hx-headers>
	Flash       string
	FlashKind   string // "ok" or "error"
	Demo        bool
	AssetV      string // cache-buster for static files
}

// CurrentUser is the signed-in user as the layout shows them.
type CurrentUser struct {
	ID       int64
	Username string
	Name     string
	Role     string
	Team     string
	IsAdmin  bool
	CanWrite bool // admins and members; auditors only read
	CanAudit bool // admins and auditors see the audit log
}

// FieldErrors maps a form field's name to its error message.
type FieldErrors map[string]string

// Has reports whether any error is set.
func (f FieldErrors) Has() bool { return len(f) > 0 }

// Option is one choice of a <select>.
type Option struct {
	Value, Label string
}

type navItem struct {
	Key, Label, URL string
}

func navItems(u *CurrentUser) []navItem {
	items := []navItem{
		{"dashboard", "Dashboard", "/"},
		{"robots", "Robots", "/robots"},
		{"contacts", "Contacts", "/contacts"},
		{"rules", "Rules", "/rules"},
		{"incidents", "Incidents", "/incidents"},
		{"alerts", "Alerts", "/alerts"},
		{"integrations", "Integrations", "/integrations"},
		{"intake", "Intake errors", "/intake-errors"},
		{"history", "History", "/history"},
		{"reports", "Reports", "/reports"},
	}
	if u != nil && u.CanAudit {
		items = append(items, navItem{"audit", "Audit", "/audit"})
	}
	if u != nil && u.IsAdmin {
		items = append(items, navItem{"admin", "Admin", "/admin/teams"})
	}
	return items
}
