package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"alertdesk/db"
)

// TestDeleteThenCreateNeverReusesIDs deletes the newest object of each kind (the case
// where SQLite's max(id)+1 would hand its id out again) and creates another of the same
// name: the name is free, the id is new.
func TestDeleteThenCreateNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	d := f.d

	robot := func(name string) db.Robot {
		r, err := d.CreateRobot(ctx, historyActor, db.RobotInput{TeamID: f.teamA.ID, Name: name, Platform: "wecom",
			WebhookURL: "https://example.test/hook/" + name, WebhookHint: name, Enabled: true})
		if err != nil {
			t.Fatalf("create robot %s: %v", name, err)
		}
		return r
	}
	old := robot("ops-ding")
	if err := d.DeleteRobot(ctx, historyActor, db.AllTeams, old.ID); err != nil {
		t.Fatal(err)
	}
	if again := robot("ops-ding"); again.ID <= old.ID {
		t.Errorf("robot: deleted %d, new one got %d", old.ID, again.ID)
	}

	rule := func(name string) db.Rule {
		r, err := d.CreateRule(ctx, historyActor, db.RuleInput{TeamID: f.teamA.ID, Name: name, Severity: "info"})
		if err != nil {
			t.Fatalf("create rule %s: %v", name, err)
		}
		return r
	}
	oldRule := rule("disk")
	if err := d.DeleteRule(ctx, historyActor, db.AllTeams, oldRule.ID); err != nil {
		t.Fatal(err)
	}
	if again := rule("disk"); again.ID <= oldRule.ID {
		t.Errorf("rule: deleted %d, new one got %d", oldRule.ID, again.ID)
	}

	contact := func() db.Contact {
		c, err := d.CreateContact(ctx, historyActor, db.ContactInput{TeamID: f.teamA.ID, Name: "Ann", Mobile: "13800000001"})
		if err != nil {
			t.Fatalf("create contact: %v", err)
		}
		return c
	}
	oldContact := contact()
	if err := d.DeleteContact(ctx, historyActor, db.AllTeams, oldContact.ID); err != nil {
		t.Fatal(err)
	}
	// The same mobile is free again for a new card.
	if again := contact(); again.ID <= oldContact.ID {
		t.Errorf("contact: deleted %d, new one got %d", oldContact.ID, again.ID)
	}

	group, err := d.CreateContactGroup(ctx, historyActor, f.teamA.ID, "oncall", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteContactGroup(ctx, historyActor, db.AllTeams, group.ID); err != nil {
		t.Fatal(err)
	}
	if again, err := d.CreateContactGroup(ctx, historyActor, f.teamA.ID, "oncall", nil); err != nil || again.ID <= group.ID {
		t.Errorf("contact group: deleted %d, new one got %d (%v)", group.ID, again.ID, err)
	}

	team, err := d.CreateTeam(ctx, historyActor, "gamma")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteTeam(ctx, historyActor, team.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TeamByID(ctx, team.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deleted team: err = %v, want ErrNotFound", err)
	}
	if again, err := d.CreateTeam(ctx, historyActor, "Gamma"); err != nil || again.ID <= team.ID {
		t.Errorf("team: deleted %d, new one got %d (%v)", team.ID, again.ID, err)
	}
	if _, err := d.CreateTeam(ctx, historyActor, "ALPHA"); !errors.Is(err, db.ErrConflict) {
		t.Errorf("a second live team named alpha: err = %v, want ErrConflict", err)
	}
	if teams, _ := d.Teams(ctx); len(teams) != 3 {
		t.Errorf("%d teams listed, want alpha, beta and the new gamma", len(teams))
	}
}

func TestDeleteTeamRefusedWhileItOwnsSomething(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "x", f.now, "delivered")
	if err := f.d.DeleteTeam(ctx, historyActor, f.teamA.ID); !errors.Is(err, db.ErrInUse) {
		t.Fatalf("team with robots and rules: err = %v, want ErrInUse", err)
	}
	for _, r := range []db.Robot{f.robotA, f.robotC} {
		if err := f.d.DeleteRobot(ctx, historyActor, db.AllTeams, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.d.DeleteRule(ctx, historyActor, db.AllTeams, f.ruleA); err != nil {
		t.Fatal(err)
	}
	// Deleted robots and rules are history, not ownership.
	if err := f.d.DeleteTeam(ctx, historyActor, f.teamA.ID); err != nil {
		t.Fatalf("team owning only deleted objects: %v", err)
	}
	// Its history stays, named, and can still be filtered by the team.
	rows, _, err := f.d.History(ctx, db.HistoryFilter{Scope: db.AllTeams, TeamID: f.teamA.ID, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].TeamName != "alpha" || !rows[0].TeamDeleted || !rows[0].RobotDeleted {
		t.Errorf("history of the deleted team = %+v (%v)", rows, err)
	}
	names, err := f.d.TeamNames(ctx)
	if err != nil || len(names) != 2 || names[1].ID != f.teamA.ID || !names[1].Deleted {
		t.Errorf("team filter choices = %+v (%v), want the deleted team last, marked", names, err)
	}
}

// TestDeletedRobotAndRuleKeepTheirHistory: after the delete every attempt and
// notification is still there, names what sent it, and the filters on it still work.
func TestDeletedRobotAndRuleKeepTheirHistory(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	d := f.d
	sent := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "disk", f.now.Add(-time.Hour), "retry", "delivered")
	queued := f.notification(t, f.robotA, f.ruleA, db.StateQueued, "disk", f.now.Add(-time.Minute))
	f.notification(t, f.robotC, f.ruleA, db.StateDelivered, "disk", f.now.Add(-time.Hour), "delivered")

	if err := d.DeleteRobot(ctx, historyActor, db.AllTeams, f.robotA.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteRule(ctx, historyActor, db.AllTeams, f.ruleA); err != nil {
		t.Fatal(err)
	}

	rows, _, err := d.History(ctx, db.HistoryFilter{Scope: db.AllTeams, RobotID: f.robotA.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Two attempts of the sent notification, and the queued one given up.
	if len(rows) != 3 {
		t.Fatalf("%d attempts of the deleted robot, want 3", len(rows))
	}
	for _, r := range rows {
		if r.RobotName != "a-ding" || !r.RobotDeleted || r.RuleName != "HighCPU alpha" || !r.RuleDeleted {
			t.Errorf("attempt %d names robot %q (deleted %v), rule %q (deleted %v)", r.ID, r.RobotName, r.RobotDeleted,
				r.RuleName, r.RuleDeleted)
		}
	}
	if rows, _, _ := d.History(ctx, db.HistoryFilter{Scope: db.AllTeams, RuleID: f.ruleA, Limit: 10}); len(rows) != 4 {
		t.Errorf("the deleted rule's filter finds %d attempts, want 4", len(rows))
	}

	nd, err := d.NotificationDetail(ctx, db.AllTeams, sent)
	if err != nil || nd.RobotName != "a-ding" || !nd.RobotDeleted || nd.RuleName != "HighCPU alpha" || !nd.RuleDeleted ||
		len(nd.Attempts) != 2 {
		t.Errorf("detail of the deleted robot's notification = %+v (%v)", nd, err)
	}
	given, err := d.NotificationDetail(ctx, db.AllTeams, queued)
	if err != nil || given.State != db.StateExpired || len(given.Attempts) != 1 ||
		given.Attempts[0].Summary != "Not sent: the robot was deleted" {
		t.Errorf("the deleted robot's queued notification = %+v (%v), want expired with an attempt saying why", given, err)
	}
	if _, err := d.ResendNotification(ctx, historyActor, db.AllTeams, queued); !errors.Is(err, db.ErrRobotDeleted) {
		t.Errorf("resending the deleted robot's notification: err = %v, want ErrRobotDeleted", err)
	}
	if p, _ := d.PendingRobots(ctx); len(p) != 0 {
		t.Errorf("pending robots after the delete: %+v", p)
	}

	// Gone from lists and pickers, still among the history's filter choices.
	if _, err := d.RobotByID(ctx, db.AllTeams, f.robotA.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("deleted robot by id: err = %v, want ErrNotFound", err)
	}
	if robots, _ := d.Robots(ctx, db.AllTeams); len(robots) != 2 {
		t.Errorf("%d robots listed, want the 2 others", len(robots))
	}
	if rules, _ := d.Rules(ctx, db.AllTeams); len(rules) != 1 {
		t.Errorf("%d rules listed, want the other one", len(rules))
	}
	names, err := d.RobotNames(ctx, db.AllTeams)
	if err != nil || len(names) != 3 || names[2].ID != f.robotA.ID || !names[2].Deleted {
		t.Errorf("robot filter choices = %+v (%v), want the deleted one last, marked", names, err)
	}
	ruleNames, err := d.RuleNames(ctx, db.AllTeams)
	if err != nil || len(ruleNames) != 2 || ruleNames[1].ID != f.ruleA || !ruleNames[1].Deleted {
		t.Errorf("rule filter choices = %+v (%v)", ruleNames, err)
	}
	// Its name is free.
	if _, err := d.CreateRobot(ctx, historyActor, db.RobotInput{TeamID: f.teamA.ID, Name: "a-ding", Platform: "wecom",
		WebhookURL: "https://example.test/hook/x", WebhookHint: "x", Enabled: true}); err != nil {
		t.Errorf("a new robot with the deleted one's name: %v", err)
	}
}

func TestDeleteRobotFromRules(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	d := f.d
	only, err := d.CreateRule(ctx, historyActor, db.RuleInput{TeamID: f.teamA.ID, Name: "only", Enabled: true, Severity: "info",
		RobotIDs: []int64{f.robotA.ID}})
	if err != nil {
		t.Fatal(err)
	}
	shared, err := d.CreateRule(ctx, historyActor, db.RuleInput{TeamID: f.teamA.ID, Name: "shared", Enabled: true,
		Severity: "info", RobotIDs: []int64{f.robotA.ID, f.robotC.ID}})
	if err != nil {
		t.Fatal(err)
	}

	err = d.DeleteRobot(ctx, historyActor, db.AllTeams, f.robotA.ID)
	var inUse *db.RobotInUseError
	if !errors.As(err, &inUse) || !errors.Is(err, db.ErrInUse) || len(inUse.Rules) != 2 ||
		!inUse.Rules[0].LastRobot || inUse.Rules[1].LastRobot {
		t.Fatalf("delete in use: err = %v (%+v), want both rules, the first losing its last robot", err, inUse)
	}
	if _, err := d.DeleteRobotFromRules(ctx, historyActor, db.AllTeams, f.robotA.ID, []int64{only.ID}); !errors.As(err, &inUse) {
		t.Fatalf("confirmed for one rule of two: err = %v, want a RobotInUseError", err)
	}
	detached, err := d.DeleteRobotFromRules(ctx, historyActor, db.AllTeams, f.robotA.ID, []int64{shared.ID, only.ID})
	if err != nil || len(detached) != 2 {
		t.Fatalf("detached %+v (%v), want both rules", detached, err)
	}
	if r, _ := d.RuleByID(ctx, db.AllTeams, only.ID); r.Enabled || len(r.RobotIDs) != 0 {
		t.Errorf("rule that lost its only robot = %+v, want disabled and robotless", r)
	}
	if r, _ := d.RuleByID(ctx, db.AllTeams, shared.ID); !r.Enabled || len(r.RobotIDs) != 1 {
		t.Errorf("shared rule = %+v, want enabled with one robot", r)
	}
	events, _, err := d.AuditEvents(ctx, db.AuditFilter{Action: "rule.update", Limit: 10})
	if err != nil || len(events) != 2 {
		t.Errorf("%d rule.update events (%v), want one per rule", len(events), err)
	}
	if _, err := d.SetRuleEnabled(ctx, historyActor, db.AllTeams, only.ID, true); !errors.Is(err, db.ErrRuleNeedsRobot) {
		t.Errorf("enabling a robotless rule: err = %v, want ErrRuleNeedsRobot", err)
	}
	if _, err := d.CreateRule(ctx, historyActor, db.RuleInput{TeamID: f.teamA.ID, Name: "x", Enabled: true, Severity: "info"}); !errors.Is(err, db.ErrRuleNeedsRobot) {
		t.Errorf("creating an enabled robotless rule: err = %v, want ErrRuleNeedsRobot", err)
	}
	// A rule cannot pick up a deleted robot.
	in := only.Input()
	in.RobotIDs = []int64{f.robotA.ID}
	if _, err := d.UpdateRule(ctx, historyActor, db.AllTeams, only.ID, in); !errors.Is(err, db.ErrForeignRef) {
		t.Errorf("a rule naming a deleted robot: err = %v, want ErrForeignRef", err)
	}
}

func TestPruneKeepsTheNewestRowSoIDsAreNotReused(t *testing.T) {
	ctx := context.Background()
	f := newHistoryFix(t)
	old := f.now.Add(-100 * 24 * time.Hour)
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "a", old, "delivered")
	newest := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "b", old, "delivered")
	if _, err := f.d.PruneBefore(ctx, f.now.Add(-90*24*time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT COUNT(*) FROM notifications`); n != 1 {
		t.Fatalf("%d notifications left, want the newest", n)
	}
	if next := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "c", f.now, "delivered"); next <= newest {
		t.Errorf("new notification id %d, want above %d", next, newest)
	}
}
