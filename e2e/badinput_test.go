package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// errorsSeenJS lists the field errors on the page that a person could miss: neither in
// the viewport nor linked from the error summary at the top of the form.
const errorsSeenJS = `(() => {
	const linked = new Set([...document.querySelectorAll(".error-summary a[href^='#']")].map(a => a.getAttribute("href").slice(1)));
	const missed = [];
	const errs = [...document.querySelectorAll(".field-error")];
	for (const e of errs) {
		const r = e.getBoundingClientRect();
		const inView = r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
		if (!inView && !linked.has(e.id)) missed.push((e.id || "(no id)") + ": " + e.innerText);
	}
	return JSON.stringify({count: errs.length, missed});
})()`

// badForm is one form filled with bad input: fields maps a selector to what is typed.
type badForm struct {
	page, form, submit string
	fields             map[string]string
	wantErrors         int // at least this many field errors
}

// TestBadInputKeepsValuesAndShowsEveryError fills the console's forms with bad input and
// checks that everything typed survives the refusal and that every error is in the
// viewport or linked from the summary at the top.
func TestBadInputKeepsValuesAndShowsEveryError(t *testing.T) {
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}})
	b := newBrowser(t, c.URL)
	b.login("admin", c.AdminPassword)
	b.visit("/robots/new")
	forms := []badForm{
		{"/robots/new", "#robot-form", "[data-testid=robot-save]", map[string]string{
			"#robot-form #f-name":        "",
			"#robot-form #f-webhook_url": "https://example.com/not-a-robot?token=typed",
			"#robot-form #f-secret":      "typed-secret-without-prefix",
			"#robot-form #f-keywords":    "kept keyword",
			"#robot-form #f-per_minute":  "99999",
		}, 4},
		{"/rules/new", "#rule-form", "[data-testid=rule-save]", map[string]string{
			"#rule-form #f-name": "",
			"#matcher-rows [data-testid=matcher-row]:nth-child(1) input[name=matcher_name]":  "instance",
			"#matcher-rows [data-testid=matcher-row]:nth-child(1) input[name=matcher_value]": "db-(",
			"#rule-form #f-group_wait":    "forever",
			"#rule-form #f-body_template": "{{ .Nope",
		}, 3},
		{"/contacts/new", "#contact-form", "[data-testid=contact-save]", map[string]string{
			"#contact-form #f-name":           "Bad Input Bob",
			"#contact-form #f-mobile":         "call me maybe",
			"#contact-form #f-email":          "not-an-email",
			"#contact-form #f-feishu_open_id": "NOT AN ID",
		}, 3},
		{"/sandbox", "#sandbox-robot-form", "#sandbox-robot-form button[type=submit]", map[string]string{
			"#sandbox-robot-form #f-name":     "",
			"#sandbox-robot-form #f-keywords": "kept keyword",
		}, 1},
		{"/silences", "#silence-form", "#silence-form button[type=submit]", map[string]string{
			"#silence-form #f-matchers": `instance=~"db-("`,
			"#silence-form #f-comment":  "kept comment",
			"#silence-form #f-duration": "a while",
		}, 1},
		{"/admin/users", "#user-create", "#user-create button[type=submit]", map[string]string{
			"#user-create #f-username":     "bad name!",
			"#user-create #f-display_name": "Kept Name",
			"#user-create #f-password":     "short",
		}, 2},
		{"/admin/teams", "#team-create", "#team-create button[type=submit]", map[string]string{
			"#team-create #f-name": "demo", // taken
		}, 1},
		{"/rules/1", "#rule-form", "[data-testid=rule-save]", map[string]string{ // editing, not creating
			"#rule-form #f-name":       "",
			"#rule-form #f-group_wait": "forever",
		}, 2},
		{"/integrations/new", "#integration-form", "[data-testid=integration-save]", map[string]string{
			"#integration-form #f-name":    "",
			"#integration-form #f-mapping": `{"alerts": [ not json`,
		}, 2},
		{"/admin/invites", "#invite-create", "#invite-create button[type=submit]", map[string]string{
			"#invite-create #f-days": "0",
			"#invite-create #f-uses": "999",
		}, 2},
		{"/contacts/groups", "#group-create", "#group-create button[type=submit]", map[string]string{
			"#group-create #f-name": "",
		}, 1},
		{"/escalation/new?team_id=1", "#policy-form", "[data-testid=policy-save]", map[string]string{
			"#policy-form #f-name":    "",
			"#policy-form #f-repeats": "x",
		}, 2},
		{"/schedules/new", "#schedule-form", "[data-testid=schedule-save]", map[string]string{
			"#schedule-form #f-name": "",
		}, 1},
		{"/account", "#preferences-form", "[data-testid=pref-save]", map[string]string{
			"#preferences-form #f-time_zone": "Mars/Olympus",
		}, 1},
	}
	for _, f := range forms {
		b.visit(f.page)
		// Open collapsed sections, as a person would to type into them (the rate limit).
		b.eval(`(() => { document.querySelectorAll(` + jsString(f.form+" details") + `).forEach(d => d.open = true); return ""; })()`)
		for sel, v := range f.fields {
			b.fill(sel, v)
		}
		b.click(f.submit)
		b.waitVisible(f.form + " .field-error")
		var got struct {
			Count  int      `json:"count"`
			Missed []string `json:"missed"`
		}
		if err := json.Unmarshal([]byte(b.eval(errorsSeenJS)), &got); err != nil {
			t.Fatalf("%s: %v", f.page, err)
		}
		if got.Count < f.wantErrors {
			t.Errorf("%s: %d field errors shown, want at least %d", f.page, got.Count, f.wantErrors)
		}
		if len(got.Missed) > 0 {
			t.Errorf("%s: errors neither in view nor linked from the summary: %v", f.page, got.Missed)
		}
		for sel, v := range f.fields {
			if got := b.value(sel); got != v {
				t.Errorf("%s: after the refusal %s holds %q, want the typed %q", f.page, sel, got, v)
			}
		}
		b.screenshot("bad-input" + strings.ReplaceAll(f.page, "/", "-"))
	}

	t.Log("team rename: the console's error under the row, no browser bubble")
	b.visit("/admin/teams")
	b.fill("[data-testid=team-rename] input[name=name]", "")
	b.click("[data-testid=team-rename] button[type=submit]")
	b.waitText("[data-testid=err-rename]", "")
	if b.textOf("[data-testid=err-rename]") == "" {
		t.Error("an empty team name is refused without words")
	}
}
