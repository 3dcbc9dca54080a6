package views

import (
	"strings"
	"testing"

	"alertdesk/internal/textscan"
)

// TestEveryVisibleTextComesFromTheCatalog fails on every text in a templ file or a view
// helper that a reader would see in English whatever their language.
func TestEveryVisibleTextComesFromTheCatalog(t *testing.T) {
	found, err := textscan.Dir(".", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range found {
		b.WriteString("\n  " + f.String())
	}
	if len(found) > 0 {
		t.Errorf("%d texts bypass the message catalog (use i18n.T with a key in i18n/locales):%s", len(found), b.String())
	}
}
