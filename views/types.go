// Package views holds the templ components and the view-model structs they lay out.
// It never imports db or handlers: handlers translate rows into these structs.
package views

import (
	"sort"
	"strings"
)

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
	// MustChangePassword: the signed-in user's password was generated and printed in the
	// log; every page asks for a new one until it is changed.
	MustChangePassword bool
	// BaseURLWarning says why links in chat messages would be dead (ALERTDESK_BASE_URL is
	// an address phones cannot reach), "" when it is fine. Shown to administrators.
	BaseURLWarning string
	BaseURL        string // the address BaseURLWarning names
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

// Fields lists the names of the fields with an error (not "_form" or "_ok"), sorted so
// the summary is stable.
func (f FieldErrors) Fields() []string {
	var names []string
	for k := range f {
		if !strings.HasPrefix(k, "_") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// Has reports whether any error is set.
func (f FieldErrors) Has() bool { return len(f) > 0 }

// Option is one choice of a <select>.
type Option struct {
	Value, Label string
}

// navItem is one entry of the main navigation; Label is its catalog key.
type navItem struct {
	Key, Label, URL string
}

func navItems(u *CurrentUser, demo bool) []navItem {
	items := []navItem{
		{"dashboard", "common.nav.dashboard", "/"},
		{"robots", "common.nav.robots", "/robots"},
		{"contacts", "common.nav.contacts", "/contacts"},
		{"rules", "common.nav.rules", "/rules"},
		{"incidents", "common.nav.incidents", "/incidents"},
		{"alerts", "common.nav.alerts", "/alerts"},
		{"integrations", "common.nav.integrations", "/integrations"},
		{"intake", "common.nav.intake", "/intake-errors"},
		{"history", "common.nav.history", "/history"},
		{"reports", "common.nav.reports", "/reports"},
	}
	if demo {
		items = append(items, navItem{"sandbox", "common.nav.sandbox", "/sandbox"})
	}
	if u != nil && u.CanAudit {
		items = append(items, navItem{"audit", "common.nav.audit", "/audit"})
	}
	if u != nil && u.IsAdmin {
		items = append(items, navItem{"admin", "common.nav.admin", "/admin/teams"})
	}
	return items
}
