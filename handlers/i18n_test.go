package handlers

import (
	"strings"
	"testing"

	"alertdesk/internal/textscan"
)

// machineFacing are files whose texts only programs read (the metrics endpoint's refusal
// is for a scraper's log), kept in English like the metrics themselves.
var machineFacing = map[string]bool{"metrics.go": true}

// TestEveryMessageComesFromTheCatalog fails on flashes, form errors, JSON errors and page
// titles written in English instead of taken from the catalog.
func TestEveryMessageComesFromTheCatalog(t *testing.T) {
	found, err := textscan.Dir(".", machineFacing)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range found {
		b.WriteString("\n  " + f.String())
	}
	if len(found) > 0 {
		t.Errorf("%d messages bypass the message catalog (use t(c, key) with a key in i18n/locales):%s", len(found), b.String())
	}
}
