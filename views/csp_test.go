package views_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"alertdesk/views"
)

// The console's CSP allows no inline style. Views must not carry style attributes or
// <style> elements, and htmx must not inject its indicator styles (the stylesheet has them).
func TestViewsHaveNoInlineStyles(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templ files: %v", err)
	}
	bad := regexp.MustCompile(`(?i)\sstyle\s*=|<style[\s>]`)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if bad.MatchString(line) {
				t.Errorf("%s:%d: inline style (refused by the CSP): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

func TestLayoutTurnsOffHtmxInlineIndicatorStyles(t *testing.T) {
	var buf bytes.Buffer
	if err := views.Layout(views.Page{Title: "t"}).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<meta name="htmx-config" content='([^']*)'`).FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatal("no htmx-config meta tag in the layout")
	}
	var cfg map[string]any
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &cfg); err != nil {
		t.Fatalf("htmx-config is not JSON: %v", err)
	}
	if v, ok := cfg["includeIndicatorStyles"].(bool); !ok || v {
		t.Errorf("includeIndicatorStyles = %v, want false", cfg["includeIndicatorStyles"])
	}
	if _, ok := cfg["responseHandling"]; !ok {
		t.Error("the htmx-config lost responseHandling")
	}
	css, err := os.ReadFile("../static/css/app.css")
	if err != nil || !strings.Contains(string(css), ".htmx-request .htmx-indicator") {
		t.Errorf("the stylesheet lacks htmx's indicator styles (%v)", err)
	}
}
