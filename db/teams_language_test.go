package db_test

import (
	"context"
	"strings"
	"testing"

	"alertdesk/db"
	"alertdesk/db/dbtest"
)

// A team's message language is stored, read back by every team query and audited.
func TestTeamLanguage(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	a, err := d.CreateTeam(ctx, db.SystemActor, "A")
	if err != nil || a.Language != "" {
		t.Fatalf("CreateTeam = %+v, %v", a, err)
	}
	b, err := d.CreateTeamIn(ctx, db.SystemActor, "B", "zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := d.TeamByID(ctx, b.ID); err != nil || got.Language != "zh-CN" {
		t.Fatalf("TeamByID = %+v, %v", got, err)
	}
	if _, err := d.SetTeamLanguage(ctx, db.SystemActor, a.ID, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if got, err := d.TeamByName(ctx, "a"); err != nil || got.Language != "zh-CN" {
		t.Fatalf("TeamByName = %+v, %v", got, err)
	}
	if _, err := d.SetTeamLanguage(ctx, db.SystemActor, b.ID, ""); err != nil {
		t.Fatal(err)
	}
	teams, err := d.Teams(ctx)
	if err != nil || len(teams) != 2 || teams[0].Language != "zh-CN" || teams[1].Language != "" {
		t.Fatalf("Teams = %+v, %v", teams, err)
	}
	if _, err := d.RenameTeam(ctx, db.SystemActor, a.ID, "A2"); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.TeamByID(ctx, a.ID); got.Language != "zh-CN" {
		t.Errorf("a rename lost the language: %+v", got)
	}
	evs, _, err := d.AuditEvents(ctx, db.AuditFilter{Action: "team.update"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range evs {
		if e.ObjectID == b.ID && strings.Contains(e.Before, `"language":"zh-CN"`) && !strings.Contains(e.After, "language") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit entry for B's language change: %+v", evs)
	}
	if _, err := d.SetTeamLanguage(ctx, db.SystemActor, 9999, "en"); err == nil {
		t.Error("SetTeamLanguage on an unknown team succeeded")
	}
}
