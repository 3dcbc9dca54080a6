package db_test

import (
	"alertdesk/db/dbtest"
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

var rulesActor = db.Actor{UserID: 0, Name: "rules-tester", IP: "127.0.0.1"}

type rulesFix struct {
	d                  *db.DB
	path               string
	a, b               db.Team
	robotA, robotA2    db.Robot
	robotB             db.Robot
	contactA, contactB db.Contact
	groupA, groupB     db.ContactGroup
}

func newRulesFixture(t *testing.T) rulesFix {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	d := dbtest.OpenAt(t, path, db.Options{})
	var err error
	f := rulesFix{d: d, path: path}
	if f.a, err = d.CreateTeam(ctx, rulesActor, "alpha"); err != nil {
		t.Fatal(err)
	}
	if f.b, err = d.CreateTeam(ctx, rulesActor, "beta"); err != nil {
		t.Fatal(err)
	}
	robot := func(team int64, name string) db.Robot {
		r, err := d.CreateRobot(ctx, rulesActor, db.RobotInput{TeamID: team, Name: name, Platform: "dingtalk",
			WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=" + name, WebhookHint: "…" + name, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.robotA, f.robotA2, f.robotB = robot(f.a.ID, "ra"), robot(f.a.ID, "ra2"), robot(f.b.ID, "rb")
	if f.contactA, err = d.CreateContact(ctx, rulesActor, db.ContactInput{TeamID: f.a.ID, Name: "Alice", Mobile: "+8613800000001"}); err != nil {
		t.Fatal(err)
	}
	if f.contactB, err = d.CreateContact(ctx, rulesActor, db.ContactInput{TeamID: f.b.ID, Name: "Bob", Mobile: "+8613800000002"}); err != nil {
		t.Fatal(err)
	}
	if f.groupA, err = d.CreateContactGroup(ctx, rulesActor, f.a.ID, "oncall-a", []int64{f.contactA.ID}); err != nil {
		t.Fatal(err)
	}
	if f.groupB, err = d.CreateContactGroup(ctx, rulesActor, f.b.ID, "oncall-b", []int64{f.contactB.ID}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f rulesFix) input(name string) db.RuleInput {
	return db.RuleInput{TeamID: f.a.ID, Name: name, Description: "disk and nodes", Enabled: true, Severity: "critical",
		Source: "alertmanager", Matchers: alerting.Matchers{mustMatcher("job", "=~", "node.*")},
		Condition: &alerting.Condition{Metric: "cpu", Op: ">", Threshold: 90, For: 5 * time.Minute}, AtAll: true,
		TitleTemplate: "{{.RuleName}}", GroupBy: []string{"alertname", "instance"}, GroupWait: 30 * time.Second,
		RepeatInterval: 4 * time.Hour, SendResolved: true,
		QuietHours: []alerting.QuietWindow{{Days: []time.Weekday{0, 6}, From: "22:00", To: "06:00", TimeZone: "Asia/Shanghai"}},
		RobotIDs:   []int64{f.robotA.ID, f.robotA2.ID}, ContactIDs: []int64{f.contactA.ID}, GroupIDs: []int64{f.groupA.ID}}
}

func countRules(t *testing.T, d *db.DB) int {
	t.Helper()
	rs, err := d.Rules(context.Background(), db.AllTeams)
	if err != nil {
		t.Fatal(err)
	}
	return len(rs)
}

func auditActions(t *testing.T, d *db.DB, objectType string) []string {
	t.Helper()
	evs, _, err := d.AuditEvents(context.Background(), db.AuditFilter{ObjectType: objectType})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func TestRuleCRUD(t *testing.T) {
	ctx := context.Background()
	f := newRulesFixture(t)
	d := f.d
	r, err := d.CreateRule(ctx, rulesActor, f.input("Nodes down"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.RuleByID(ctx, db.TeamScope(f.a.ID), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Nodes down" || got.TeamName != "alpha" || !got.Enabled || got.Severity != "critical" || got.Source != "alertmanager" {
		t.Errorf("got %+v", got)
	}
	if len(got.Matchers) != 1 || got.Matchers[0].String() != `job=~"node.*"` {
		t.Errorf("matchers = %+v", got.Matchers)
	}
	if got.Condition == nil || *got.Condition != (alerting.Condition{Metric: "cpu", Op: ">", Threshold: 90, For: 5 * time.Minute}) {
		t.Errorf("condition = %+v", got.Condition)
	}
	if got.GroupWait != 30*time.Second || got.RepeatInterval != 4*time.Hour || !got.SendResolved || !got.AtAll {
		t.Errorf("grouping = %v %v %v %v", got.GroupWait, got.RepeatInterval, got.SendResolved, got.AtAll)
	}
	if !slices.Equal(got.GroupBy, []string{"alertname", "instance"}) || len(got.QuietHours) != 1 ||
		got.QuietHours[0].TimeZone != "Asia/Shanghai" || !slices.Equal(got.QuietHours[0].Days, []time.Weekday{0, 6}) {
		t.Errorf("group by %v, quiet hours %+v", got.GroupBy, got.QuietHours)
	}
	wantRobots := []int64{f.robotA.ID, f.robotA2.ID}
	slices.Sort(wantRobots)
	if !slices.Equal(got.RobotIDs, wantRobots) || !slices.Equal(got.ContactIDs, []int64{f.contactA.ID}) ||
		!slices.Equal(got.GroupIDs, []int64{f.groupA.ID}) {
		t.Errorf("links = %v %v %v", got.RobotIDs, got.ContactIDs, got.GroupIDs)
	}

	// Another team's member does not see it.
	if _, err := d.RuleByID(ctx, db.TeamScope(f.b.ID), r.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("other team: err = %v, want ErrNotFound", err)
	}
	if rs, _ := d.Rules(ctx, db.TeamScope(f.b.ID)); len(rs) != 0 {
		t.Errorf("other team lists %d rules", len(rs))
	}

	// Duplicate name in the team.
	if _, err := d.CreateRule(ctx, rulesActor, f.input("Nodes down")); !errors.Is(err, db.ErrConflict) {
		t.Errorf("duplicate: err = %v, want ErrConflict", err)
	}

	// Update: fewer robots, no condition, and the team cannot change.
	in := f.input("Nodes really down")
	in.TeamID = f.b.ID
	in.Condition, in.RobotIDs, in.ContactIDs, in.GroupIDs = nil, []int64{f.robotA2.ID}, nil, nil
	up, err := d.UpdateRule(ctx, rulesActor, db.TeamScope(f.a.ID), r.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "Nodes really down" || up.TeamID != f.a.ID || up.Condition != nil ||
		!slices.Equal(up.RobotIDs, []int64{f.robotA2.ID}) || len(up.ContactIDs) != 0 || len(up.GroupIDs) != 0 {
		t.Errorf("updated = %+v", up)
	}
	if _, err := d.UpdateRule(ctx, rulesActor, db.TeamScope(f.b.ID), r.ID, in); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("update from other team: err = %v", err)
	}

	off, err := d.SetRuleEnabled(ctx, rulesActor, db.TeamScope(f.a.ID), r.ID, false)
	if err != nil || off.Enabled {
		t.Fatalf("disable: %v %v", off.Enabled, err)
	}
	if got, _ := d.RuleByID(ctx, db.AllTeams, r.ID); got.Enabled {
		t.Error("still enabled after disable")
	}

	if err := d.DeleteRule(ctx, rulesActor, db.TeamScope(f.b.ID), r.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("delete from other team: err = %v", err)
	}
	if err := d.DeleteRule(ctx, rulesActor, db.TeamScope(f.a.ID), r.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.RuleByID(ctx, db.AllTeams, r.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("after delete: err = %v", err)
	}
	want := []string{"rule.delete", "rule.disable", "rule.update", "rule.create"}
	if got := auditActions(t, d, "rule"); !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

func TestRuleForeignRefsRefused(t *testing.T) {
	ctx := context.Background()
	f := newRulesFixture(t)
	r, err := f.d.CreateRule(ctx, rulesActor, f.input("mine"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		mod   func(*db.RuleInput)
		field string
		id    int64
	}{
		{"other team's robot", func(in *db.RuleInput) { in.RobotIDs = append(in.RobotIDs, f.robotB.ID) }, "robot_id", f.robotB.ID},
		{"unknown robot", func(in *db.RuleInput) { in.RobotIDs = []int64{9999} }, "robot_id", 9999},
		{"other team's contact", func(in *db.RuleInput) { in.ContactIDs = []int64{f.contactB.ID} }, "contact_id", f.contactB.ID},
		{"other team's group", func(in *db.RuleInput) { in.GroupIDs = []int64{f.groupB.ID} }, "group_id", f.groupB.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := f.input("new " + tc.name)
			tc.mod(&in)
			_, err := f.d.CreateRule(ctx, rulesActor, in)
			var fe *db.ForeignRefError
			if !errors.As(err, &fe) || !errors.Is(err, db.ErrForeignRef) || fe.Field != tc.field || fe.ID != tc.id {
				t.Fatalf("create: err = %v, want ForeignRefError{%s %d}", err, tc.field, tc.id)
			}
			if n := countRules(t, f.d); n != 1 {
				t.Errorf("rules after refused create = %d, want 1", n)
			}
			in.Name = "changed"
			if _, err := f.d.UpdateRule(ctx, rulesActor, db.AllTeams, r.ID, in); !errors.As(err, &fe) {
				t.Fatalf("update: err = %v, want ForeignRefError", err)
			}
			got, err := f.d.RuleByID(ctx, db.AllTeams, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "mine" || len(got.RobotIDs) != 2 || len(got.ContactIDs) != 1 || len(got.GroupIDs) != 1 {
				t.Errorf("refused update changed the rule: %+v", got)
			}
		})
	}
	if got := auditActions(t, f.d, "rule"); !slices.Equal(got, []string{"rule.create"}) {
		t.Errorf("audit = %v, want only the first create", got)
	}
}

func TestObjectsUsedByRuleCannotBeDeleted(t *testing.T) {
	ctx := context.Background()
	f := newRulesFixture(t)
	r, err := f.d.CreateRule(ctx, rulesActor, f.input("uses everything"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.d.DeleteRobot(ctx, rulesActor, db.AllTeams, f.robotA.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("delete robot: err = %v, want ErrInUse", err)
	}
	if err := f.d.DeleteContact(ctx, rulesActor, db.AllTeams, f.contactA.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("delete contact: err = %v, want ErrInUse", err)
	}
	if err := f.d.DeleteContactGroup(ctx, rulesActor, db.AllTeams, f.groupA.ID); !errors.Is(err, db.ErrInUse) {
		t.Errorf("delete group: err = %v, want ErrInUse", err)
	}
	for _, tc := range []struct {
		name string
		fn   func(context.Context, int64) ([]string, error)
		id   int64
	}{
		{"robot", f.d.RuleNamesUsingRobot, f.robotA.ID},
		{"contact", f.d.RuleNamesMentioningContact, f.contactA.ID},
		{"group", f.d.RuleNamesMentioningGroup, f.groupA.ID},
	} {
		names, err := tc.fn(ctx, tc.id)
		if err != nil || !slices.Equal(names, []string{"uses everything"}) {
			t.Errorf("%s: names = %v, %v", tc.name, names, err)
		}
	}
	if names, _ := f.d.RuleNamesUsingRobot(ctx, f.robotB.ID); len(names) != 0 {
		t.Errorf("unused robot: names = %v", names)
	}
	// Once the rule is gone, they can be deleted.
	if err := f.d.DeleteRule(ctx, rulesActor, db.AllTeams, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.d.DeleteRobot(ctx, rulesActor, db.AllTeams, f.robotA.ID); err != nil {
		t.Errorf("delete robot after rule: %v", err)
	}
	if err := f.d.DeleteContactGroup(ctx, rulesActor, db.AllTeams, f.groupA.ID); err != nil {
		t.Errorf("delete group after rule: %v", err)
	}
	if err := f.d.DeleteContact(ctx, rulesActor, db.AllTeams, f.contactA.ID); err != nil {
		t.Errorf("delete contact after rule: %v", err)
	}
}

func TestEnabledRules(t *testing.T) {
	ctx := context.Background()
	f := newRulesFixture(t)
	on, err := f.d.CreateRule(ctx, rulesActor, f.input("on"))
	if err != nil {
		t.Fatal(err)
	}
	offIn := f.input("off")
	offIn.Enabled = false
	if _, err := f.d.CreateRule(ctx, rulesActor, offIn); err != nil {
		t.Fatal(err)
	}
	bIn := db.RuleInput{TeamID: f.b.ID, Name: "beta rule", Enabled: true, Severity: "info", RobotIDs: []int64{f.robotB.ID},
		GroupIDs: []int64{f.groupB.ID}, RepeatInterval: time.Hour}
	bRule, err := f.d.CreateRule(ctx, rulesActor, bIn)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := f.d.EnabledRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]db.Rule{}
	for _, r := range rules {
		byID[r.ID] = r
	}
	if len(rules) != 2 {
		t.Fatalf("enabled rules = %d, want 2", len(rules))
	}
	if r := byID[on.ID]; len(r.RobotIDs) != 2 || !slices.Equal(r.ContactIDs, []int64{f.contactA.ID}) ||
		!slices.Equal(r.GroupIDs, []int64{f.groupA.ID}) || len(r.Matchers) != 1 {
		t.Errorf("alpha rule = %+v", r)
	}
	if r := byID[bRule.ID]; !slices.Equal(r.RobotIDs, []int64{f.robotB.ID}) || len(r.ContactIDs) != 0 ||
		!slices.Equal(r.GroupIDs, []int64{f.groupB.ID}) || r.Condition != nil {
		t.Errorf("beta rule = %+v", r)
	}
}

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	f := newRulesFixture(t)
	d := f.d
	plain := "ad_" + strings.Repeat("x", 28) + "Qz9k"
	k, err := d.CreateAPIToken(ctx, rulesActor, f.a.ID, "prometheus", plain)
	if err != nil {
		t.Fatal(err)
	}
	if k.Hint != "ad_…Qz9k" || k.TeamName != "alpha" || k.CreatedBy != "rules-tester" {
		t.Errorf("token = %+v", k)
	}
	global, err := d.CreateAPIToken(ctx, rulesActor, 0, "global grafana", "ad_global-token-0000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.TokenByPlain(ctx, plain)
	if err != nil || got.ID != k.ID || got.TeamID != f.a.ID {
		t.Fatalf("by plain: %+v, %v", got, err)
	}
	if _, err := d.TokenByPlain(ctx, plain+"x"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("unknown: err = %v", err)
	}
	// Only the hash is stored: the database file never holds the token.
	raw, err := sql.Open("sqlite", "file:"+f.path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var hash, hint string
	if err := raw.QueryRowContext(ctx, `SELECT token_hash, token_hint FROM api_tokens WHERE id = ?`, k.ID).Scan(&hash, &hint); err != nil {
		t.Fatal(err)
	}
	if hash != db.HashToken(plain) || strings.Contains(hash+hint, plain) {
		t.Errorf("stored hash %q, hint %q: want only the SHA-256 of the token", hash, hint)
	}
	// Members see their team's tokens only; global ones are for admins.
	if ks, _ := d.APITokens(ctx, db.TeamScope(f.a.ID)); len(ks) != 1 || ks[0].ID != k.ID {
		t.Errorf("team tokens = %+v", ks)
	}
	if ks, _ := d.APITokens(ctx, db.AllTeams); len(ks) != 2 || ks[0].ID != global.ID || ks[0].TeamID != 0 {
		t.Errorf("all tokens = %+v", ks)
	}
	if err := d.RevokeAPIToken(ctx, rulesActor, db.TeamScope(f.b.ID), k.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoke from other team: err = %v", err)
	}
	if err := d.RevokeAPIToken(ctx, rulesActor, db.TeamScope(f.a.ID), global.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("member revoking a global token: err = %v", err)
	}
	used := time.UnixMilli(1_900_000_000_000)
	if err := d.TouchTokens(ctx, map[int64]time.Time{k.ID: used, global.ID: used.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := d.TouchTokens(ctx, map[int64]time.Time{k.ID: used.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := d.RevokeAPIToken(ctx, rulesActor, db.TeamScope(f.a.ID), k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TokenByPlain(ctx, plain); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("revoked: err = %v, want ErrNotFound", err)
	}
	ks, _ := d.APITokens(ctx, db.AllTeams)
	for _, x := range ks {
		switch x.ID {
		case k.ID:
			if x.RevokedAt.IsZero() || !x.LastUsedAt.Equal(used) {
				t.Errorf("revoked token = %+v", x)
			}
		case global.ID:
			if !x.RevokedAt.IsZero() || !x.LastUsedAt.Equal(used.Add(time.Minute)) {
				t.Errorf("global token = %+v", x)
			}
		}
	}
	evs, _, err := d.AuditEvents(ctx, db.AuditFilter{ObjectType: "api_token"})
	if err != nil || len(evs) != 3 {
		t.Fatalf("audit = %d events, %v", len(evs), err)
	}
	for _, e := range evs {
		if strings.Contains(e.Before+e.After, plain) || strings.Contains(e.Before+e.After, db.HashToken(plain)) {
			t.Errorf("audit %s holds the token: %s %s", e.Action, e.Before, e.After)
		}
	}
}

func TestSilences(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1_800_000_000_000)
	clock := now
	d := dbtest.Open(t, db.Options{Now: func() time.Time { return clock }})
	a, _ := d.CreateTeam(ctx, rulesActor, "alpha")
	b, _ := d.CreateTeam(ctx, rulesActor, "beta")
	ms := alerting.Matchers{mustMatcher("severity", "=", "critical")}
	mk := func(team int64, comment string, starts, ends time.Time) db.Silence {
		s, err := d.CreateSilence(ctx, rulesActor, db.Silence{TeamID: team, Matchers: ms, StartsAt: starts, EndsAt: ends, Comment: comment})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	active := mk(a.ID, "maintenance", now.Add(-time.Hour), now.Add(time.Hour))
	past := mk(a.ID, "old", now.Add(-3*time.Hour), now.Add(-2*time.Hour))
	future := mk(b.ID, "tomorrow", now.Add(24*time.Hour), now.Add(25*time.Hour))
	global := mk(0, "everyone", now, now.Add(time.Minute))
	if _, err := d.CreateSilence(ctx, rulesActor, db.Silence{TeamID: a.ID, Matchers: ms, StartsAt: now, EndsAt: now, Comment: "empty"}); err == nil {
		t.Error("a silence ending when it starts was stored")
	}
	if active.CreatedBy != "rules-tester" || active.TeamName != "alpha" || global.TeamID != 0 || global.TeamName != "" {
		t.Errorf("created = %+v / %+v", active, global)
	}
	ids := func(ss []db.Silence) []int64 {
		var out []int64
		for _, s := range ss {
			out = append(out, s.ID)
		}
		return out
	}
	got, err := d.ActiveSilences(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{active.ID, global.ID}; !slices.Equal(ids(got), want) {
		t.Errorf("active at now = %v, want %v", ids(got), want)
	}
	if got, _ := d.ActiveSilences(ctx, now.Add(time.Hour)); len(got) != 0 {
		t.Errorf("active at the end (exclusive) = %v", ids(got))
	}
	if got, _ := d.ActiveSilences(ctx, now.Add(24*time.Hour)); !slices.Equal(ids(got), []int64{future.ID}) {
		t.Errorf("active tomorrow = %v", ids(got))
	}
	// Newest first; members see their team's and the global ones.
	if got, _ := d.Silences(ctx, db.TeamScope(a.ID)); !slices.Equal(ids(got), []int64{global.ID, past.ID, active.ID}) {
		t.Errorf("alpha sees %v", ids(got))
	}
	if got, _ := d.Silences(ctx, db.AllTeams); len(got) != 4 || got[0].Matchers[0] != ms[0] {
		t.Errorf("all = %+v", got)
	}
	if err := d.ExpireSilence(ctx, rulesActor, db.TeamScope(a.ID), global.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("member expiring a global silence: err = %v", err)
	}
	if err := d.ExpireSilence(ctx, rulesActor, db.TeamScope(b.ID), active.ID); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("other team expiring: err = %v", err)
	}
	clock = now.Add(10 * time.Minute)
	if err := d.ExpireSilence(ctx, rulesActor, db.TeamScope(a.ID), active.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.ExpireSilence(ctx, rulesActor, db.AllTeams, future.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.ActiveSilences(ctx, clock); len(got) != 0 {
		t.Errorf("active after expiry = %v", ids(got))
	}
	if got, _ := d.ActiveSilences(ctx, now.Add(24*time.Hour)); len(got) != 0 {
		t.Errorf("expired future silence still active tomorrow: %v", ids(got))
	}
	all, _ := d.Silences(ctx, db.AllTeams)
	for _, s := range all {
		if s.ID == active.ID && !s.EndsAt.Equal(clock) {
			t.Errorf("expired silence ends %v, want %v", s.EndsAt, clock)
		}
	}
	want := []string{"silence.expire", "silence.expire", "silence.create", "silence.create", "silence.create", "silence.create"}
	if got := auditActions(t, d, "silence"); !slices.Equal(got, want) {
		t.Errorf("audit = %v, want %v", got, want)
	}
}

func mustMatcher(name, op, value string) alerting.Matcher {
	m, err := alerting.NewMatcher(name, alerting.MatchOp(op), value)
	if err != nil {
		panic(err)
	}
	return m
}
