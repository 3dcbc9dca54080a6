package textscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The scanner finds English that bypasses the catalog and leaves catalog calls, names,
// identifiers and code alone.
func TestScannerFindsBypassingEnglish(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("page.templ", `package views

import "alertdesk/i18n"

templ Page(name string) {
	<h1>Robots</h1>
	<p>{ i18n.T(ctx, "robots.title", "Name", name) }</p>
	<input placeholder="e.g. payments" title={ i18n.T(ctx, "robots.hint") }/>
	<button type="submit">{ i18n.T(ctx, "common.save") }</button>
	<form data-confirm="Delete this robot?"></form>
	@Field("Display name", "display_name")
	<p>DingTalk</p>
	<code>{ name }</code>
}
`)
	write("handler.go", `package handlers

func save(c echo.Context) {
	s.setFlash(c, "ok", "Team created.")
	s.setFlash(c, "ok", t(c, "teams.created", "Name", "x"))
	l.Info("request failed", "status", 500)
	_ = regexp.MustCompile("^Delivered in (\\d+) ms$")
	_ = "flash flash-error"
}
`)
	found, err := Dir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found {
		got = append(got, f.Text)
	}
	want := []string{"Team created.", "Robots", "placeholder=e.g. payments", "data-confirm=Delete this robot?", "Display name"}
	if len(got) != len(want) {
		t.Fatalf("found %q, want %q", got, want)
	}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "\n"), w) {
			t.Errorf("missed %q (found %q)", w, got)
		}
	}
}
