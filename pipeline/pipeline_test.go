package pipeline

import (
	"alertdesk/alerting"
	"alertdesk/db/dbtest"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/db"
)

// clock is a controllable time source shared by the db and the pipeline.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *db.DB
	clock  *clock
	p      *Pipeline
	team   db.Team
	robots []db.Robot
	path   string
}

// rawQuery reads the database directly, as strings, to check what was stored.
func rawQuery(f *fixture, query string) ([][]string, error) {
	conn, err := db.OpenSQL(f.path)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	rows, err := conn.QueryContext(f.ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	// Monday 2026-11-23 10:00 UTC
	clk := &clock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	path := dbtest.Addr(t)
	d := dbtest.OpenAt(t, path, db.Options{Now: clk.Now})
	team, err := d.CreateTeam(ctx, db.SystemActor, "payments")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, db: d, clock: clk, team: team, path: path}
	for _, p := range []string{"dingtalk", "wecom"} {
		r, err := d.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: p + " robot", Platform: p,
			WebhookURL: "https://example.invalid/" + p, WebhookHint: "…", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		f.robots = append(f.robots, r)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.p = New(d, NewComposer(d, "http://console"), log, Options{Now: clk.Now})
	// Only the batch writer runs; the tests drive flushes and timers by hand.
	if err := f.p.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	f.p.done.Add(1)
	go f.p.writeLoop()
	t.Cleanup(func() { close(f.p.stop); f.p.done.Wait() })
	return f
}

func (f *fixture) rule(in db.RuleInput) db.Rule {
	f.t.Helper()
	in.TeamID, in.Enabled = f.team.ID, true
	if in.Name == "" {
		in.Name = "rule " + f.t.Name()
	}
	if in.Severity == "" {
		in.Severity = "critical"
	}
	if in.RepeatInterval == 0 {
		in.RepeatInterval = 4 * time.Hour
	}
	if in.RobotIDs == nil {
		in.RobotIDs = []int64{f.robots[0].ID}
	}
	r, err := f.db.CreateRule(f.ctx, db.SystemActor, in)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.p.Reload(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) ingest(teamID int64, alerts ...alerting.Alert) IngestResult {
	f.t.Helper()
	res, err := f.p.Ingest(f.ctx, teamID, alerts)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) flush() {
	f.t.Helper()
	if err := f.p.tickSeries(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	if err := f.p.FlushDue(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

type sent struct{ kind, state, title, body string }

// notifications lists the outbox in order.
func (f *fixture) notifications() []sent {
	f.t.Helper()
	var out []sent
	err := f.db.Intake(f.ctx, func(t *db.IntakeTx) error { return nil }) // barrier: writer idle
	if err != nil {
		f.t.Fatal(err)
	}
	rows, err := rawQuery(f, `SELECT kind, state, title, body FROM notifications ORDER BY id`)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range rows {
		out = append(out, sent{r[0], r[1], r[2], r[3]})
	}
	return out
}

func alert(name, status string, labels map[string]string, starts time.Time) alerting.Alert {
	l := map[string]string{"alertname": name}
	for k, v := range labels {
		l[k] = v
	}
	a := alerting.Alert{Source: alerting.SourceAPI, Status: status, Labels: l, Annotations: map[string]string{"summary": name + " summary"},
		StartsAt: starts}
	if status == alerting.StatusResolved {
		a.EndsAt = starts.Add(time.Minute)
	}
	a.Fingerprint = alerting.Fingerprint(l)
	return a
}

func TestSamplesProduceNotifications(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{Matchers: alerting.Matchers{mustMatcher("severity", "=", "critical")},
		GroupBy: []string{"alertname"}, GroupWait: 30 * time.Second, SendResolved: true,
		RobotIDs: []int64{f.robots[0].ID, f.robots[1].ID}})
	for _, name := range []string{"alertmanager-webhook.json", "alertmanager-webhook-grouped.json"} {
		body, err := os.ReadFile(filepath.Join("..", "alerting", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := alerting.ParseAlertmanager(body, alerting.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		f.ingest(0, alerts...)
	}
	f.flush()
	if got := f.notifications(); len(got) != 0 {
		t.Fatalf("notifications before group wait = %d, want 0", len(got))
	}
	f.clock.Add(31 * time.Second)
	f.flush()
	got := f.notifications()
	if len(got) != 4 { // two groups (DiskFull; NodeDown with 2 alerts), two robots each
		t.Fatalf("notifications = %+v, want 4 (two groups × two robots)", got)
	}
	var bodies string
	for _, n := range got {
		if n.kind != "firing" || n.state != db.StateQueued {
			t.Errorf("notification = %+v, want a queued firing message", n)
		}
		bodies += n.title + n.body
	}
	for _, want := range []string{"db-1", "n1:9100", "n2:9100", "[FIRING:2]"} {
		if !strings.Contains(bodies, want) {
			t.Errorf("the messages do not mention %q", want)
		}
	}
	// The resolved sample resolves DiskFull on db-1: that group says so; NodeDown still fires.
	body, _ := os.ReadFile(filepath.Join("..", "alerting", "testdata", "alertmanager-webhook-resolved.json"))
	alerts, err := alerting.ParseAlertmanager(body, alerting.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	f.ingest(0, alerts...)
	f.clock.Add(31 * time.Second)
	f.flush()
	got = f.notifications()
	if len(got) != 6 || got[4].kind != "resolved" || got[5].kind != "resolved" {
		t.Fatalf("after resolve: %+v, want 6 with two resolved", got)
	}
}

func TestRedeliveryChangesNothing(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	a := alert("X", alerting.StatusFiring, nil, f.clock.Now())
	if res := f.ingest(0, a); res.Stored != 1 {
		t.Fatalf("first delivery stored %d", res.Stored)
	}
	f.flush()
	if res := f.ingest(0, a); res.Stored != 0 || res.Duplicates != 1 {
		t.Fatalf("redelivery = %+v, want 1 duplicate", res)
	}
	f.flush()
	if got := f.notifications(); len(got) != 1 {
		t.Fatalf("notifications = %d, want 1", len(got))
	}
}

func TestGroupingRepeatAndResolve(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupBy: []string{"service"}, GroupWait: 10 * time.Second, RepeatInterval: time.Hour, SendResolved: true,
		Matchers: alerting.Matchers{mustMatcher("team", "=", "pay")}})
	t0 := f.clock.Now()
	f.ingest(0,
		alert("A", alerting.StatusFiring, map[string]string{"team": "pay", "service": "api"}, t0),
		alert("B", alerting.StatusFiring, map[string]string{"team": "pay", "service": "api"}, t0),
		alert("C", alerting.StatusFiring, map[string]string{"team": "pay", "service": "db"}, t0),
		alert("D", alerting.StatusFiring, map[string]string{"team": "other", "service": "db"}, t0), // no match
	)
	f.clock.Add(11 * time.Second)
	f.flush()
	got := f.notifications()
	if len(got) != 2 {
		t.Fatalf("groups notified = %d, want 2 (api, db)", len(got))
	}
	if !strings.Contains(got[0].title+got[1].title, "[FIRING:2]") {
		t.Errorf("the api group should carry 2 alerts: %q / %q", got[0].title, got[1].title)
	}
	// Nothing changes: no message until the repeat interval.
	f.clock.Add(30 * time.Minute)
	f.flush()
	if n := len(f.notifications()); n != 2 {
		t.Fatalf("before repeat: %d notifications, want 2", n)
	}
	f.clock.Add(31 * time.Minute)
	f.flush()
	if n := len(f.notifications()); n != 4 {
		t.Fatalf("after repeat interval: %d notifications, want 4", n)
	}
	// Resolve C: the db group sends a resolved message and goes idle.
	f.ingest(0, alert("C", alerting.StatusResolved, map[string]string{"team": "pay", "service": "db"}, t0))
	f.clock.Add(11 * time.Second)
	f.flush()
	got = f.notifications()
	if len(got) != 5 || got[4].kind != "resolved" {
		t.Fatalf("after resolve: %+v, want a 5th, resolved notification", got)
	}
	f.clock.Add(2 * time.Hour)
	f.flush()
	if n := len(f.notifications()); n != 6 { // only the api group repeats
		t.Fatalf("after the resolved group went idle: %d notifications, want 6", n)
	}
}

func TestSendResolvedOff(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupWait: 0, SendResolved: false, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	t0 := f.clock.Now()
	f.ingest(0, alert("X", alerting.StatusFiring, nil, t0))
	f.flush()
	f.ingest(0, alert("X", alerting.StatusResolved, nil, t0))
	f.flush()
	if got := f.notifications(); len(got) != 1 {
		t.Fatalf("notifications = %+v, want only the firing one", got)
	}
}

func TestSilencesAndQuietHoursRecordMuted(t *testing.T) {
	t.Run("silence", func(t *testing.T) {
		f := newFixture(t)
		f.rule(db.RuleInput{GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=~", "X|Y")}, GroupBy: []string{"alertname"}})
		if _, err := f.db.CreateSilence(f.ctx, db.SystemActor, db.Silence{TeamID: f.team.ID,
			Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}, StartsAt: f.clock.Now().Add(-time.Minute),
			EndsAt: f.clock.Now().Add(time.Hour), Comment: "maintenance"}); err != nil {
			t.Fatal(err)
		}
		if err := f.p.Reload(f.ctx); err != nil {
			t.Fatal(err)
		}
		f.ingest(0, alert("X", alerting.StatusFiring, nil, f.clock.Now()), alert("Y", alerting.StatusFiring, nil, f.clock.Now()))
		f.flush()
		got := f.notifications()
		if len(got) != 2 {
			t.Fatalf("notifications = %+v, want 2", got)
		}
		states := got[0].state + "," + got[1].state
		if !strings.Contains(states, db.StateMuted) || !strings.Contains(states, db.StateQueued) {
			t.Fatalf("states = %s, want one muted (X) and one queued (Y)", states)
		}
		rows, _ := rawQuery(f, `SELECT outcome, summary FROM delivery_attempts`)
		if len(rows) != 1 || rows[0][0] != "muted" || !strings.Contains(rows[0][1], "maintenance") {
			t.Fatalf("attempts = %v, want one muted attempt naming the silence", rows)
		}
	})
	t.Run("quiet hours", func(t *testing.T) {
		f := newFixture(t)
		// Monday 10:00 UTC is 18:00 in Shanghai: inside 17:00–09:00 there.
		f.rule(db.RuleInput{GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")},
			QuietHours: []alerting.QuietWindow{{Days: []time.Weekday{time.Monday}, From: "17:00", To: "09:00", TimeZone: "Asia/Shanghai"}}})
		f.ingest(0, alert("X", alerting.StatusFiring, nil, f.clock.Now()))
		f.flush()
		got := f.notifications()
		if len(got) != 1 || got[0].state != db.StateMuted {
			t.Fatalf("notifications = %+v, want one muted", got)
		}
	})
}

func TestThresholdTimeline(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupWait: 0, SendResolved: true, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "cpu")},
		Condition: &alerting.Condition{Metric: "value", Op: ">", Threshold: 90, For: 5 * time.Minute}})
	obs := func(v float64) {
		a := alert("cpu", alerting.StatusFiring, map[string]string{"host": "a"}, f.clock.Now())
		a.Values = map[string]float64{"value": v}
		f.ingest(0, a)
		f.flush()
	}
	obs(95) // pending
	f.clock.Add(2 * time.Minute)
	obs(50) // dips: pending cleared
	f.clock.Add(time.Minute)
	obs(96) // pending again
	f.clock.Add(4 * time.Minute)
	f.flush()
	if n := len(f.notifications()); n != 0 {
		t.Fatalf("fired after 4 minutes of holding: %d notifications", n)
	}
	f.clock.Add(90 * time.Second) // no new observation: the timer fires the still-holding series
	f.flush()
	got := f.notifications()
	if len(got) != 1 || got[0].kind != "firing" {
		t.Fatalf("after 5m30s of holding: %+v, want one firing", got)
	}
	f.clock.Add(time.Minute)
	obs(10) // stops holding: resolves
	got = f.notifications()
	if len(got) != 2 || got[1].kind != "resolved" {
		t.Fatalf("after the value dropped: %+v, want a resolved notification", got)
	}
}

func TestTeamTokenSeesOnlyItsRules(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	other, _ := f.db.CreateTeam(f.ctx, db.SystemActor, "other")
	if res := f.ingest(other.ID, alert("X", alerting.StatusFiring, nil, f.clock.Now())); res.Matched != 0 {
		t.Fatalf("another team's token matched %d rules", res.Matched)
	}
	if res := f.ingest(f.team.ID, alert("X", alerting.StatusFiring, nil, f.clock.Now())); res.Matched != 1 {
		t.Fatalf("own team's token matched %d rules, want 1", res.Matched)
	}
}

// mustMatcher compiles a matcher a test writes by hand.
func mustMatcher(name, op, value string) alerting.Matcher {
	m, err := alerting.NewMatcher(name, alerting.MatchOp(op), value)
	if err != nil {
		panic(err)
	}
	return m
}

// Alertmanager's truncatedAlerts (alerts its max_alerts left out of the body) is counted in
// the group's message.
func TestSourceTruncatedAlertsAreCounted(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupBy: []string{"alertname"}, GroupWait: 0, SendResolved: true,
		Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	a := alert("X", alerting.StatusFiring, map[string]string{"instance": "a"}, f.clock.Now())
	a.SourceTruncated = 1234
	f.ingest(f.team.ID, a)
	f.flush()
	ns := f.notifications()
	if len(ns) != 1 || !strings.Contains(ns[0].body, "1234 more that the source left out") {
		t.Fatalf("notifications = %+v, want one counting the 1234 alerts the source left out", ns)
	}
}

// A group whose rule has no robot that can take messages keeps its news: it is not marked
// notified, the failure is recorded on the group, and it goes out once a robot is back.
func TestGroupWithoutUsableRobotWaits(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupBy: []string{"alertname"}, GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	if _, err := f.db.SetRobotEnabled(f.ctx, db.SystemActor, db.AllTeams, f.robots[0].ID, false); err != nil {
		t.Fatal(err)
	}
	f.ingest(f.team.ID, alert("X", alerting.StatusFiring, nil, f.clock.Now()))
	f.flush()
	if ns := f.notifications(); len(ns) != 0 {
		t.Fatalf("notifications = %+v, want none while the robot is disabled", ns)
	}
	failing, err := f.db.FailingGroups(f.ctx, db.AllTeams, 0)
	if err != nil || len(failing) != 1 || !strings.Contains(failing[0].LastError, "robots") {
		t.Fatalf("failing groups = %+v, %v; want the group with the reason", failing, err)
	}
	if _, err := f.db.SetRobotEnabled(f.ctx, db.SystemActor, db.AllTeams, f.robots[0].ID, true); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(flushRetryMax)
	f.flush()
	if ns := f.notifications(); len(ns) != 1 || ns[0].kind != "firing" {
		t.Fatalf("notifications = %+v, want the firing message once the robot is back", ns)
	}
}

// A group larger than a message shows lists ShownAlerts alerts of each status and counts
// the rest, with a link to the group's alerts; the link lists exactly the group's alerts.
func TestLargeGroupShowsTopAlertsAndCountsTheRest(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupBy: []string{"alertname"}, GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")}})
	var batch []alerting.Alert
	for i := range ShownAlerts + 5 {
		batch = append(batch, alert("X", alerting.StatusFiring, map[string]string{"instance": fmt.Sprintf("node-%02d", i)}, f.clock.Now()))
	}
	f.ingest(f.team.ID, batch...)
	groups, err := f.db.DueGroups(f.ctx, f.clock.Now(), 10)
	if err != nil || len(groups) != 1 {
		t.Fatalf("groups = %v, %v", groups, err)
	}
	f.flush()
	ns := f.notifications()
	if len(ns) != 1 {
		t.Fatalf("notifications = %+v, want one", ns)
	}
	body := ns[0].body
	link := fmt.Sprintf("http://console/alerts?group=%d", groups[0].ID)
	if !strings.Contains(body, "… and 5 more (5 firing, 0 resolved)") || !strings.Contains(body, link) ||
		strings.Count(body, "node-") != ShownAlerts || !strings.Contains(body, fmt.Sprint(ShownAlerts+5)) {
		t.Errorf("body shows %d alerts; want %d, the count of the 5 more and %s:\n%s", strings.Count(body, "node-"), ShownAlerts, link, body)
	}
	in, _, err := f.db.Alerts(f.ctx, db.AllTeams, db.AlertFilter{GroupID: groups[0].ID, Limit: 200})
	if err != nil || len(in) != ShownAlerts+5 {
		t.Errorf("the group's alerts: %d, %v; want %d", len(in), err, ShownAlerts+5)
	}
}

// A rule template that fails on a real group (data-dependent: it passed the save check)
// sends the platform's default instead and records why on the notification; the error
// text never reaches the chat group.
func TestTemplateFailureAtSendUsesDefaultAndIsRecorded(t *testing.T) {
	f := newFixture(t)
	r := f.rule(db.RuleInput{GroupBy: []string{"alertname"}, GroupWait: 0, Matchers: alerting.Matchers{mustMatcher("alertname", "=", "X")},
		BodyTemplate: `{{(index .Alerts 5).Name}}`})
	f.ingest(f.team.ID, alert("X", alerting.StatusFiring, nil, f.clock.Now()))
	f.flush()
	ns := f.notifications()
	if len(ns) != 1 || strings.Contains(ns[0].body, "index") || strings.Contains(ns[0].body, "template") || !strings.Contains(ns[0].body, "X") {
		t.Fatalf("notifications = %+v, want the default template's message without the error", ns)
	}
	why, at, err := f.db.LastTemplateFailure(f.ctx, r.ID)
	if err != nil || !strings.Contains(why, "Body template") || at.IsZero() {
		t.Errorf("recorded failure = %q at %v (%v), want the body template's error", why, at, err)
	}
}

// An alert of a tool that never resolves is resolved once its integration's quiet time
// has passed since it was last received, and the resolve goes out like any other.
func TestAutoResolveResolvesQuietAlerts(t *testing.T) {
	f := newFixture(t)
	f.rule(db.RuleInput{GroupBy: []string{"alertname"}, GroupWait: 0, SendResolved: true,
		Matchers: alerting.Matchers{mustMatcher("alertname", "=", "PingDown")}})
	a := alert("PingDown", alerting.StatusFiring, map[string]string{"monitor": "shop"}, f.clock.Now())
	f.ingest(f.team.ID, a)
	f.flush()
	if err := f.db.ArmAutoResolve(f.ctx, f.team.ID, []alerting.Alert{a}, f.clock.Now().Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(9 * time.Minute)
	if err := f.p.autoResolve(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.flush()
	if ns := f.notifications(); len(ns) != 1 {
		t.Fatalf("before its time: notifications = %+v, want only the firing one", ns)
	}
	f.clock.Add(time.Minute)
	if err := f.p.autoResolve(f.ctx); err != nil {
		t.Fatal(err)
	}
	f.flush()
	ns := f.notifications()
	if len(ns) != 2 || ns[1].kind != "resolved" {
		t.Fatalf("notifications = %+v, want the firing one and then the resolve", ns)
	}
	if due, err := f.db.DueAutoResolves(f.ctx, f.clock.Now().Add(time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("still armed after the resolve: %+v, %v", due, err)
	}
}
