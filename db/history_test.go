package db_test

import (
	"alertdesk/db/dbtest"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

// historyFix is a database with two teams, two robots each and a raw connection for
// writing history rows as the delivery engine and the alert pipeline would.
type historyFix struct {
	d      *db.DB
	raw    *sql.DB
	now    time.Time
	teamA  db.Team
	teamB  db.Team
	robotA db.Robot // alpha, dingtalk
	robotC db.Robot // alpha, feishu
	robotB db.Robot // beta, wecom
	ruleA  int64    // alpha
	ruleB  int64    // beta
}

var historyActor = db.Actor{UserID: 0, Name: "tester", IP: "127.0.0.1"}

func newHistoryFix(t testing.TB) *historyFix {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "test.db")
	now := time.Date(2026, 11, 24, 12, 30, 0, 0, time.UTC)
	d := dbtest.OpenAt(t, path, db.Options{Now: func() time.Time { return now }})
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = raw.Close() })
	f := &historyFix{d: d, raw: raw, now: now}
	if f.teamA, err = d.CreateTeam(ctx, historyActor, "alpha"); err != nil {
		t.Fatal(err)
	}
	if f.teamB, err = d.CreateTeam(ctx, historyActor, "beta"); err != nil {
		t.Fatal(err)
	}
	robot := func(team db.Team, name, platform string) db.Robot {
		r, err := d.CreateRobot(ctx, historyActor, db.RobotInput{TeamID: team.ID, Name: name, Platform: platform,
			WebhookURL: "https://example.test/hook/" + name, WebhookHint: "…" + name, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.robotA, f.robotC, f.robotB = robot(f.teamA, "a-ding", "dingtalk"), robot(f.teamA, "a-feishu", "feishu"), robot(f.teamB, "b-wecom", "wecom")
	rule := func(team db.Team, name string) int64 {
		var id int64
		if err := raw.QueryRow(`INSERT INTO rules (team_id, name, created_at, updated_at) VALUES (?, ?, 0, 0) RETURNING id`,
			team.ID, name).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.ruleA, f.ruleB = rule(f.teamA, "HighCPU alpha"), rule(f.teamB, "DiskFull beta")
	return f
}

// notification writes a notification of robot r (rule 0 = test-send) and its attempts'
// outcomes, the first at `at`, the next ones a second apart. It returns the notification id.
func (f *historyFix) notification(t testing.TB, r db.Robot, rule int64, state, search string, at time.Time, outcomes ...string) int64 {
	t.Helper()
	kind := "firing"
	var ruleArg any = rule
	if rule == 0 {
		kind, ruleArg = "test", nil
	}
	var id int64
	err := f.raw.QueryRow(`INSERT INTO notifications (team_id, robot_id, rule_id, kind, title, body, state, attempts,
		next_attempt_at, search, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'body', ?, ?, ?, ?, ?, ?) RETURNING id`,
		r.TeamID, r.ID, ruleArg, kind, "title "+search, state, len(outcomes), at.UnixMilli(), search, at.UnixMilli(),
		at.UnixMilli()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outcomes {
		status := 200
		if o == "muted" || o == "folded" || o == "expired" {
			status = 0
		}
		_, err := f.raw.Exec(`INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id, platform, kind,
			attempt, at, outcome, http_status, code, message, summary, latency_ms, request_url, request_body, response, search)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0', 'msg', ?, 120, 'https://example.test/hook/…', '{"text":"x"}', '{"errcode":0}', ?)`,
			id, r.TeamID, r.ID, rule, r.Platform, kind, i+1, at.Add(time.Duration(i)*time.Second).UnixMilli(), o, status,
			"summary "+o, search)
		if err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func (f *historyFix) alert(t testing.TB, team int64, name string, received time.Time, notifications ...int64) int64 {
	t.Helper()
	var id int64
	err := f.raw.QueryRow(`INSERT INTO alerts (team_id, source, fingerprint, status, name, labels, starts_at, received_at)
		VALUES (?, 'api', ?, 'firing', ?, '{"alertname":"x"}', ?, ?) RETURNING id`,
		team, fmt.Sprintf("%s-%d", name, received.UnixNano()), name, received.UnixMilli(), received.UnixMilli()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range notifications {
		if _, err := f.raw.Exec(`INSERT INTO notification_alerts (notification_id, alert_id) VALUES (?, ?)`, n, id); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func historyIDs(t testing.TB, d *db.DB, f db.HistoryFilter) []int64 {
	t.Helper()
	rows, _, err := d.History(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.NotificationID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestHistoryFiltersAndScope(t *testing.T) {
	f := newHistoryFix(t)
	h := f.now.Add(-time.Hour)
	nA := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "HighCPU service=api", h.Add(-3*time.Hour), "delivered")
	nC := f.notification(t, f.robotC, f.ruleA, db.StateFailed, "HighCPU service=web", h.Add(-2*time.Hour), "retry", "rejected")
	nT := f.notification(t, f.robotA, 0, db.StateFailed, "test a-ding", h.Add(-1*time.Hour), "misconfigured")
	nB := f.notification(t, f.robotB, f.ruleB, db.StateMuted, "DiskFull 100%_full", h, "muted")

	all := db.AllTeams
	member := db.TeamScope(f.teamA.ID)
	tests := []struct {
		name string
		f    db.HistoryFilter
		want []int64
	}{
		{"everything", db.HistoryFilter{Scope: all}, []int64{nA, nC, nT, nB}},
		{"member sees own team only", db.HistoryFilter{Scope: member}, []int64{nA, nC, nT}},
		{"member asking for the other team gets nothing", db.HistoryFilter{Scope: member, TeamID: f.teamB.ID}, nil},
		{"member asking for another team's robot gets nothing", db.HistoryFilter{Scope: member, RobotID: f.robotB.ID}, nil},
		{"team", db.HistoryFilter{Scope: all, TeamID: f.teamB.ID}, []int64{nB}},
		{"robot", db.HistoryFilter{Scope: all, RobotID: f.robotC.ID}, []int64{nC}},
		{"rule", db.HistoryFilter{Scope: all, RuleID: f.ruleA}, []int64{nA, nC}},
		{"test-sends", db.HistoryFilter{Scope: all, TestOnly: true}, []int64{nT}},
		{"platform", db.HistoryFilter{Scope: all, Platform: "wecom"}, []int64{nB}},
		{"outcome", db.HistoryFilter{Scope: all, Outcome: "rejected"}, []int64{nC}},
		{"from", db.HistoryFilter{Scope: all, From: h.Add(-90 * time.Minute)}, []int64{nT, nB}},
		{"to is exclusive", db.HistoryFilter{Scope: all, To: h.Add(-3 * time.Hour)}, nil},
		{"range", db.HistoryFilter{Scope: all, From: h.Add(-4 * time.Hour), To: h.Add(-90 * time.Minute)}, []int64{nA, nC}},
		{"free text", db.HistoryFilter{Scope: all, Query: "service=web"}, []int64{nC}},
		{"free text is a substring, case-insensitive", db.HistoryFilter{Scope: all, Query: "highcpu"}, []int64{nA, nC}},
		{"LIKE wildcards are literal", db.HistoryFilter{Scope: all, Query: "100%_"}, []int64{nB}},
		{"a lone % matches only a %", db.HistoryFilter{Scope: all, Query: "%"}, []int64{nB}},
		{"three filters", db.HistoryFilter{Scope: all, TeamID: f.teamA.ID, Platform: "feishu", Outcome: "retry"}, []int64{nC}},
		{"three filters, no match", db.HistoryFilter{Scope: all, TeamID: f.teamA.ID, Platform: "wecom", Outcome: "retry"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := historyIDs(t, f.d, tt.f); !slices.Equal(got, tt.want) {
				t.Errorf("notifications = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("rows carry names and attempt details", func(t *testing.T) {
		rows, more, err := f.d.History(context.Background(), db.HistoryFilter{Scope: all, RobotID: f.robotC.ID})
		if err != nil {
			t.Fatal(err)
		}
		if more || len(rows) != 2 {
			t.Fatalf("rows = %d (more %v), want 2 attempts", len(rows), more)
		}
		r := rows[0] // newest first: the second attempt
		if r.Attempt.Attempt != 2 || r.Outcome != "rejected" || r.RobotName != "a-feishu" || r.TeamName != "alpha" ||
			r.RuleName != "HighCPU alpha" || r.Summary != "summary rejected" || r.LatencyMS != 120 || r.HTTPStatus != 200 {
			t.Errorf("row = %+v", r)
		}
		if !rows[0].At.After(rows[1].At) {
			t.Errorf("not newest first: %v then %v", rows[0].At, rows[1].At)
		}
	})
}

func TestHistoryKeysetPagination(t *testing.T) {
	f := newHistoryFix(t)
	// 130 attempts, many sharing a millisecond, so the cursor must settle ties by id.
	base := f.now.Add(-time.Hour)
	for i := range 65 {
		f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "x", base.Add(time.Duration(i/5)*time.Millisecond), "delivered")
		f.notification(t, f.robotB, f.ruleB, db.StateDelivered, "x", base.Add(time.Duration(i/5)*time.Millisecond), "delivered")
	}
	var seen []int64
	filter := db.HistoryFilter{Scope: db.AllTeams, Limit: 50}
	pages := 0
	for {
		rows, more, err := f.d.History(context.Background(), filter)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range rows {
			if n := len(seen); n > 0 {
				prev := seen[n-1]
				_ = prev
			}
			seen = append(seen, r.ID)
		}
		if !more {
			break
		}
		last := rows[len(rows)-1]
		filter.Before = &db.HistoryCursor{At: last.At.UnixMilli(), ID: last.ID}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if pages != 3 || len(seen) != 130 {
		t.Fatalf("pages = %d, rows = %d; want 3 pages of 130 rows", pages, len(seen))
	}
	sorted := slices.Clone(seen)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != 130 {
		t.Error("a row was shown twice")
	}
	// Rows were inserted in time order, so newest-first is descending id order here.
	if !slices.IsSortedFunc(seen, func(a, b int64) int { return int(b - a) }) {
		t.Errorf("rows not in (at, id) descending order: %v", seen)
	}
}

// planProblems returns the lines of a query plan that scan a table without an index,
// or sort the result in a temporary b-tree (which reads every matching row first).
func planProblems(plan []string, sortOK bool) []string {
	var bad []string
	for _, line := range plan {
		switch {
		case strings.HasPrefix(line, "SCAN ") && !strings.Contains(line, "USING") && !strings.Contains(line, "CONSTANT ROW") &&
			!strings.HasPrefix(line, "SCAN CONSTANT"):
			bad = append(bad, line)
		case !sortOK && strings.Contains(line, "TEMP B-TREE FOR ORDER BY"):
			bad = append(bad, line)
		}
	}
	return bad
}

// historyPlanCases are the history's main queries: the default page, each single filter,
// filters combined, members' scope, the next page.
func historyPlanCases(teamID, robotID, ruleID int64, now time.Time) map[string]db.HistoryFilter {
	all, member := db.AllTeams, db.TeamScope(teamID)
	cur := &db.HistoryCursor{At: now.Add(-time.Hour).UnixMilli(), ID: 1000}
	day := now.Add(-24 * time.Hour)
	return map[string]db.HistoryFilter{
		"default page":          {Scope: all, Limit: 50},
		"next page":             {Scope: all, Before: cur, Limit: 50},
		"member default":        {Scope: member, Limit: 50},
		"member next page":      {Scope: member, Before: cur, Limit: 50},
		"from":                  {Scope: all, From: day, Limit: 50},
		"to":                    {Scope: all, To: day, Limit: 50},
		"from and to":           {Scope: all, From: day.Add(-24 * time.Hour), To: day, Limit: 50},
		"team":                  {Scope: all, TeamID: teamID, Limit: 50},
		"rule":                  {Scope: all, RuleID: ruleID, Limit: 50},
		"test-sends":            {Scope: all, TestOnly: true, Limit: 50},
		"robot":                 {Scope: all, RobotID: robotID, Limit: 50},
		"platform":              {Scope: all, Platform: "feishu", Limit: 50},
		"outcome":               {Scope: all, Outcome: "rejected", Limit: 50},
		"free text":             {Scope: all, Query: "HighCPU", Limit: 50},
		"team+platform+outcome": {Scope: all, TeamID: teamID, Platform: "feishu", Outcome: "rejected", Limit: 50},
		"robot+outcome+range":   {Scope: all, RobotID: robotID, Outcome: "delivered", From: day, Limit: 50},
		"member+rule+outcome":   {Scope: member, RuleID: ruleID, Outcome: "retry", Limit: 50},
		"member+outcome+text":   {Scope: member, Outcome: "rejected", Query: "api", Limit: 50},
		"csv export, all":       {Scope: all},
		"csv export, filtered":  {Scope: all, Outcome: "rejected", From: day},
		"csv export, member":    {Scope: member, Platform: "wecom"},
	}
}

func TestHistoryQueryPlansUseIndexes(t *testing.T) {
	f := newHistoryFix(t)
	ctx := context.Background()
	for name, hf := range historyPlanCases(f.teamA.ID, f.robotA.ID, f.ruleA, f.now) {
		q, args := hf.HistoryQuery()
		plan, err := f.d.ExplainQueryPlan(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bad := planProblems(plan, false); len(bad) > 0 {
			t.Errorf("%s: plan has %q\nfull plan: %q", name, bad, plan)
		}
	}
	for _, s := range []db.Scope{db.AllTeams, db.TeamScope(f.teamA.ID)} {
		attQ, attArgs, alQ, alArgs := db.DashboardQueries(s, f.now.Add(-24*time.Hour))
		for _, q := range []struct {
			sql  string
			args []any
		}{{attQ, attArgs}, {alQ, alArgs}} {
			plan, err := f.d.ExplainQueryPlan(ctx, q.sql, q.args...)
			if err != nil {
				t.Fatal(err)
			}
			// GROUP BY hour may sort its few groups; a full scan is the failure.
			if bad := planProblems(plan, true); len(bad) > 0 {
				t.Errorf("dashboard (%+v): plan has %q\nfull plan: %q", s, bad, plan)
			}
		}
	}
}

// TestPlanProblemsDetectsScans makes sure the plan check can fail.
func TestPlanProblemsDetectsScans(t *testing.T) {
	f := newHistoryFix(t)
	plan, err := f.d.ExplainQueryPlan(context.Background(), `SELECT * FROM delivery_attempts WHERE message = ? ORDER BY latency_ms`, "x")
	if err != nil {
		t.Fatal(err)
	}
	if bad := planProblems(plan, false); len(bad) != 2 {
		t.Errorf("problems = %q, want the full scan and the sort; plan %q", bad, plan)
	}
}

func TestNotificationDetailAndResend(t *testing.T) {
	f := newHistoryFix(t)
	ctx := context.Background()
	at := f.now.Add(-2 * time.Hour)
	failed := f.notification(t, f.robotA, f.ruleA, db.StateFailed, "HighCPU", at, "retry", "misconfigured")
	delivered := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "HighCPU", at, "delivered")
	other := f.notification(t, f.robotB, f.ruleB, db.StateFailed, "DiskFull", at, "rejected")
	a1 := f.alert(t, f.teamA.ID, "HighCPU", at.Add(-time.Minute), failed)
	f.alert(t, f.teamA.ID, "HighCPU2", at.Add(-time.Minute), failed)
	// a digest with two folded notifications
	digest := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "digest", at, "delivered")
	fold1 := f.notification(t, f.robotA, f.ruleA, db.StateFolded, "x", at.Add(-time.Minute), "folded")
	fold2 := f.notification(t, f.robotA, f.ruleA, db.StateFolded, "y", at.Add(-time.Minute), "folded")
	if _, err := f.raw.Exec(`UPDATE notifications SET kind = 'digest' WHERE id = ?`, digest); err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Exec(`UPDATE notifications SET digest_id = ? WHERE id IN (?, ?)`, digest, fold1, fold2); err != nil {
		t.Fatal(err)
	}

	member := db.TeamScope(f.teamA.ID)
	nd, err := f.d.NotificationDetail(ctx, member, failed)
	if err != nil {
		t.Fatal(err)
	}
	if len(nd.Attempts) != 2 || nd.Attempts[0].Outcome != "retry" || nd.Attempts[1].Outcome != "misconfigured" ||
		nd.Attempts[1].RequestURL == "" || nd.Attempts[1].Response == "" {
		t.Errorf("attempts = %+v", nd.Attempts)
	}
	if len(nd.Alerts) != 2 || nd.Alerts[0].ID != a1 || nd.Alerts[0].Name != "HighCPU" {
		t.Errorf("alerts = %+v", nd.Alerts)
	}
	if nd.RobotName != "a-ding" || nd.RuleName != "HighCPU alpha" || nd.TeamName != "alpha" || nd.Platform != "dingtalk" {
		t.Errorf("names = %q %q %q %q", nd.RobotName, nd.RuleName, nd.TeamName, nd.Platform)
	}
	dd, err := f.d.NotificationDetail(ctx, member, digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(dd.Folded) != 2 || dd.Folded[0].ID != fold1 || dd.Folded[1].ID != fold2 {
		t.Errorf("folded = %+v", dd.Folded)
	}
	if fd, _ := f.d.NotificationDetail(ctx, member, fold1); fd.DigestOf != digest {
		t.Errorf("folded notification's digest = %d, want %d", fd.DigestOf, digest)
	}
	if _, err := f.d.NotificationDetail(ctx, member, other); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another team's notification: err = %v, want ErrNotFound", err)
	}

	t.Run("resend another team's", func(t *testing.T) {
		if _, err := f.d.ResendNotification(ctx, historyActor, member, other); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("resend delivered is refused", func(t *testing.T) {
		n, err := f.d.ResendNotification(ctx, historyActor, member, delivered)
		if !errors.Is(err, db.ErrWrongState) || n.State != db.StateDelivered {
			t.Errorf("err = %v, state %q; want ErrWrongState, delivered", err, n.State)
		}
	})
	t.Run("resend failed", func(t *testing.T) {
		n, err := f.d.ResendNotification(ctx, historyActor, member, failed)
		if err != nil {
			t.Fatal(err)
		}
		var state string
		var attempts int
		var next int64
		var claimed sql.NullInt64
		if err := f.raw.QueryRow(`SELECT state, attempts, next_attempt_at, claimed_at FROM notifications WHERE id = ?`, failed).
			Scan(&state, &attempts, &next, &claimed); err != nil {
			t.Fatal(err)
		}
		if state != db.StateQueued || attempts != 2 || next != f.now.UnixMilli() || claimed.Valid || n.State != db.StateQueued {
			t.Errorf("after resend: state %q, attempts %d, next %d, claimed %v", state, attempts, next, claimed)
		}
		events, _, err := f.d.AuditEvents(ctx, db.AuditFilter{Action: "notification.resend"})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].ObjectID != failed || events[0].TeamID != f.teamA.ID ||
			!strings.Contains(events[0].Before, `"failed"`) {
			t.Errorf("audit = %+v", events)
		}
		// queued now: a second resend is refused
		if _, err := f.d.ResendNotification(ctx, historyActor, member, failed); !errors.Is(err, db.ErrWrongState) {
			t.Errorf("second resend: err = %v, want ErrWrongState", err)
		}
	})
}

func TestDashboardSummary(t *testing.T) {
	f := newHistoryFix(t)
	ctx := context.Background()
	hourAgo := f.now.Add(-time.Hour)
	f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "a", hourAgo, "delivered")
	f.notification(t, f.robotA, f.ruleA, db.StateFailed, "a", hourAgo, "retry", "rejected")
	f.notification(t, f.robotA, 0, db.StateFailed, "test", hourAgo, "misconfigured") // test-sends are not counted
	f.notification(t, f.robotB, f.ruleB, db.StateDelivered, "b", f.now.Add(-10*time.Minute), "delivered")
	f.notification(t, f.robotB, f.ruleB, db.StateDelivered, "b", f.now.Add(-30*time.Hour), "delivered") // too old
	nA := f.notification(t, f.robotA, f.ruleA, db.StateDelivered, "c", hourAgo, "muted")
	f.alert(t, f.teamA.ID, "a", hourAgo)
	f.alert(t, 0, "global carried", hourAgo, nA) // a global-token alert the team's notification carried
	f.alert(t, 0, "global not carried", hourAgo)
	f.alert(t, f.teamB.ID, "b", f.now.Add(-5*time.Minute))
	if _, err := f.raw.Exec(`UPDATE robots SET status = 'failing', status_reason = 'removed' WHERE id = ?`, f.robotA.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.raw.Exec(`UPDATE robots SET throttled_until = ? WHERE id = ?`, f.now.Add(time.Minute).UnixMilli(), f.robotB.ID); err != nil {
		t.Fatal(err)
	}

	all, err := f.d.DashboardSummary(ctx, db.AllTeams, f.now, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Hours) != 24 || !all.Hours[23].Hour.Equal(f.now.Truncate(time.Hour)) {
		t.Fatalf("hours = %d, last %v", len(all.Hours), all.Hours[len(all.Hours)-1].Hour)
	}
	if all.Alerts != 4 || all.Delivered != 2 || all.Failed != 2 {
		t.Errorf("all teams: alerts %d delivered %d failed %d, want 4 2 2", all.Alerts, all.Delivered, all.Failed)
	}
	if h := all.Hours[22]; h.Delivered != 1 || h.Failed != 2 || h.Alerts != 3 {
		t.Errorf("the hour before: %+v", h)
	}
	if len(all.Robots) != 2 || len(all.Latest) != 7 {
		t.Errorf("robots %d latest %d, want 2 and 7", len(all.Robots), len(all.Latest))
	}
	for _, r := range all.Robots {
		if r.WebhookURL != "" {
			t.Error("the dashboard carries a decrypted webhook")
		}
	}
	m, err := f.d.DashboardSummary(ctx, db.TeamScope(f.teamA.ID), f.now, 3)
	if err != nil {
		t.Fatal(err)
	}
	if m.Alerts != 2 || m.Delivered != 1 || m.Failed != 2 || len(m.Robots) != 1 || m.Robots[0].ID != f.robotA.ID || len(m.Latest) != 3 {
		t.Errorf("member: alerts %d delivered %d failed %d robots %d latest %d; want 2 1 2 1 3",
			m.Alerts, m.Delivered, m.Failed, len(m.Robots), len(m.Latest))
	}
	for _, r := range m.Latest {
		if r.TeamID != f.teamA.ID {
			t.Errorf("member sees another team's delivery %+v", r)
		}
	}
}

// benchDB opens the seeded data directory named by ALERTDESK_BENCH_DATA (see cmd/seed).
func benchDB(tb testing.TB) *db.DB {
	tb.Helper()
	dir := os.Getenv("ALERTDESK_BENCH_DATA")
	if dir == "" {
		tb.Skip("set ALERTDESK_BENCH_DATA to a data directory filled by go run ./cmd/seed")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var kf struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &kf); err != nil {
		tb.Fatal(err)
	}
	key, err := hex.DecodeString(kf.Data)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := db.Open(context.Background(), filepath.Join(dir, "alertdesk.db"), db.Options{DataKey: key})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// TestSeededQueryPlans checks the plans against the seeded million rows (with the
// statistics the seed gathers), and prints them with their times.
func TestSeededQueryPlans(t *testing.T) {
	d := benchDB(t)
	ctx := context.Background()
	robots, err := d.RobotNames(ctx, db.AllTeams)
	if err != nil || len(robots) == 0 {
		t.Fatalf("robots: %v", err)
	}
	rules, err := d.RuleNames(ctx, db.AllTeams)
	if err != nil || len(rules) == 0 {
		t.Fatalf("rules: %v", err)
	}
	now := d.Now()
	for name, hf := range historyPlanCases(robots[0].TeamID, robots[0].ID, rules[0].ID, now) {
		q, args := hf.HistoryQuery()
		plan, err := d.ExplainQueryPlan(ctx, q, args...)
		if err != nil {
			t.Fatal(err)
		}
		if bad := planProblems(plan, false); len(bad) > 0 {
			t.Errorf("%s: plan has %q\nfull plan: %q", name, bad, plan)
		}
		if hf.Limit == 0 {
			t.Logf("%-24s plan %q", name, plan)
			continue
		}
		start := time.Now()
		if _, _, err := d.History(ctx, hf); err != nil {
			t.Fatal(err)
		}
		t.Logf("%-24s %8s plan %q", name, time.Since(start).Round(10*time.Microsecond), plan)
	}
}
