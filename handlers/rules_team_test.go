package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"alertdesk/db"
)

// A fresh admin creating a rule names the team in the rule form, as on the robot form:
// the rule starts disabled (a new team has no robots), a refused form keeps what was typed
// and creates no team, and the accepted one creates the team with the rule.
func TestRuleFormCreatesTheTeamInline(t *testing.T) {
	ts := newFreshServer(t)
	ctx := context.Background()
	admin := ts.login(t, "admin", testPassword)
	page := bodyText(admin.get(t, "/rules/new"))
	if !strings.Contains(page, `data-testid="no-team-hint"`) || !strings.Contains(page, `name="new_team"`) {
		t.Fatal("the rule form of a console without teams neither says why nor offers a team field")
	}
	if strings.Contains(page, `data-testid="rule-enabled-box" checked`) {
		t.Error("a rule of a team created with it starts enabled, though the team has no robots")
	}

	form := url.Values{"team_id": {""}, "name": {"Disk full"}, "severity": {"warning"}, "enabled": {"1"},
		"matcher_name": {"alertname"}, "matcher_op": {"="}, "matcher_value": {"DiskFull"}}
	rec := admin.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := bodyText(rec)
	for _, want := range []string{`data-testid="err-new_team"`, `href="#err-new_team"`, `value="Disk full"`, `value="DiskFull"`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused rule form lacks %s", want)
		}
	}

	// Named, but enabled: refused before the team is created.
	form.Set("new_team", "payments")
	rec = admin.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body = bodyText(rec)
	if !strings.Contains(body, `data-testid="err-robot_id"`) || !strings.Contains(body, `value="payments"`) {
		t.Error("an enabled rule of a new team is not refused at the robots, or the typed team name is lost")
	}
	if teams, err := ts.DB.Teams(ctx); err != nil || len(teams) != 0 {
		t.Fatalf("teams = %+v (%v): a refused form created a team", teams, err)
	}

	form.Del("enabled")
	rec = admin.postForm(t, "/rules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	rules, err := ts.DB.Rules(ctx, db.AllTeams)
	if err != nil || len(rules) != 1 || rules[0].TeamName != "payments" || rules[0].Enabled {
		t.Fatalf("rules = %+v (%v), want one disabled rule in the new team payments", rules, err)
	}

	// The team exists now: the form picks it instead of offering a new one.
	page = bodyText(admin.get(t, "/rules/new"))
	if strings.Contains(page, `name="new_team"`) {
		t.Error("the rule form still offers a new team once one exists")
	}
}
