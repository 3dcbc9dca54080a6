package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/static"
)

// historyServer is the test server with a counting Kick and some history: robots in both
// teams and test-sends with chosen outcomes.
type historyServer struct {
	*testServer
	kicks  *atomic.Int32
	robotA db.Robot // alpha, dingtalk
	robotB db.Robot // beta, wecom
	okA    int64    // delivered test-send of robotA
	badA   int64    // failed (misconfigured) test-send of robotA
	badB   int64    // failed (rejected) test-send of robotB
}

// wakeCounter stands in for the delivery engine: it counts the wakes handlers send.
type wakeCounter struct{ n *atomic.Int32 }

func (w wakeCounter) Wake() { w.n.Add(1) }
func (wakeCounter) TestSend(context.Context, db.Actor, db.Robot, int64, notify.Message) (delivery.TestSendResult, error) {
	return delivery.TestSendResult{}, errors.New("no delivery in this test")
}

func newHistoryServer(t *testing.T) *historyServer {
	t.Helper()
	ts := newTestServer(t)
	hs := &historyServer{testServer: ts, kicks: &atomic.Int32{}}
	key := []byte("0123456789abcdef0123456789abcdef")
	ts.Server = handlers.New(handlers.Deps{
		DB:       ts.DB,
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Static:   static.FS,
		Config:   handlers.Config{BaseURL: "http://console.test", AssetVersion: "test", SessionAuthKey: key, SessionEncKey: key},
		Delivery: wakeCounter{hs.kicks},
	})
	ctx := context.Background()
	robot := func(team db.Team, name, platform string) db.Robot {
		r, err := ts.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: name, Platform: platform,
			WebhookURL: "https://example.test/hook/secret-token-" + name, WebhookHint: "…" + name, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	hs.robotA, hs.robotB = robot(ts.TeamA, "alpha-ding", "dingtalk"), robot(ts.TeamB, "beta-wecom", "wecom")
	send := func(r db.Robot, outcome, summary, response string) int64 {
		id, err := ts.DB.RecordTestSend(ctx, db.SystemActor, db.TestSend{Robot: r, Title: "Test-send", Body: "=cmd|' /C calc'!A0",
			Attempt: db.Attempt{Outcome: outcome, HTTPStatus: 200, Code: "400106", Message: "robot 不存在", Summary: summary,
				LatencyMS: 42, RequestURL: "https://example.test/hook/…" + r.Name[len(r.Name)-4:], RequestBody: `{"msgtype":"text"}`,
				Response: response}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	hs.okA = send(hs.robotA, db.OutcomeDelivered, "Delivered.", `{"errcode":0,"errmsg":"ok"}`)
	hs.badA = send(hs.robotA, db.OutcomeMisconfigured, "The robot was removed from its group.", `{"errcode":400106,"errmsg":"robot 不存在"}`)
	hs.badB = send(hs.robotB, db.OutcomeRejected, "=HYPERLINK(\"http://evil\")", `{"errcode":93000,"errmsg":"invalid webhook url"}`)
	return hs
}

// detailLinks are the notification ids the history page links to, in page order.
func detailLinks(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `href="/history/`)[1:] {
		id := part[:strings.IndexByte(part, '"')]
		if !strings.Contains(id, "/") {
			out = append(out, id)
		}
	}
	return out
}

func TestHistoryListFiltersAndScope(t *testing.T) {
	hs := newHistoryServer(t)
	admin := hs.login(t, "admin", testPassword)
	alice := hs.login(t, "alice", testPassword)
	auditor := hs.login(t, "auditor", testPassword)
	a, b, ok := idStr(hs.badA), idStr(hs.badB), idStr(hs.okA)

	tests := []struct {
		name string
		c    *client
		path string
		want []string
	}{
		{"admin sees all, newest first", admin, "/history", []string{b, a, ok}},
		{"auditor sees all", auditor, "/history", []string{b, a, ok}},
		{"member sees own team only", alice, "/history", []string{a, ok}},
		{"robot", admin, "/history?robot=" + idStr(hs.robotB.ID), []string{b}},
		{"outcome", admin, "/history?outcome=misconfigured", []string{a}},
		{"platform", admin, "/history?platform=wecom", []string{b}},
		{"team", admin, "/history?team=" + idStr(hs.TeamA.ID), []string{a, ok}},
		{"member's own team", alice, "/history?team=" + idStr(hs.TeamA.ID), []string{a, ok}},
		{"test-sends", admin, "/history?rule=test", []string{b, a, ok}},
		{"free text", admin, "/history?q=beta-wecom", []string{b}},
		{"robot and outcome", admin, "/history?robot=" + idStr(hs.robotA.ID) + "&outcome=delivered", []string{ok}},
		{"time range", admin, "/history?from=2000-01-01T00:00&to=2000-01-02T00:00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.c.get(t, tt.path)
			wantStatus(t, rec, http.StatusOK)
			if got := detailLinks(rec.Body.String()); !slices.Equal(got, tt.want) {
				t.Errorf("links = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("htmx gets the results fragment, with a shareable export link", func(t *testing.T) {
		rec := admin.getHTMX(t, "/history?outcome=rejected")
		wantStatus(t, rec, http.StatusOK)
		body := rec.Body.String()
		if strings.Contains(body, "<html") || !strings.Contains(body, `id="history-results"`) {
			t.Errorf("want only the results fragment, got:\n%s", body)
		}
		if !strings.Contains(body, `href="/history.csv?outcome=rejected"`) {
			t.Errorf("export link does not carry the filter:\n%s", body)
		}
	})
	t.Run("members get no team filter", func(t *testing.T) {
		if body := alice.get(t, "/history").Body.String(); strings.Contains(body, `name="team"`) {
			t.Error("the member's page offers a team filter")
		}
		if body := admin.get(t, "/history").Body.String(); !strings.Contains(body, `name="team"`) {
			t.Error("the admin's page has no team filter")
		}
	})
}

func TestHistoryBadInput(t *testing.T) {
	hs := newHistoryServer(t)
	admin := hs.login(t, "admin", testPassword)
	alice := hs.login(t, "alice", testPassword)
	secretOfB := "secret-token-beta-wecom"

	tests := []struct {
		name       string
		c          *client
		path       string
		wantStatus int
		wantText   []string
		wantLinks  []string // nil: not checked
	}{
		{"unknown outcome names the field and is ignored", admin, "/history?outcome=bogus", 422,
			[]string{"outcome", "Unknown outcome"}, []string{idStr(hs.badB), idStr(hs.badA), idStr(hs.okA)}},
		{"unknown platform", admin, "/history?platform=slack", 422, []string{"platform", "Pick DingTalk"}, nil},
		{"reversed time range", admin, "/history?from=2026-11-24T18:00&to=2026-11-24T09:00", 422,
			[]string{"to", "The end must be after the start"}, nil},
		{"garbage time", admin, "/history?from=yesterday", 422, []string{"from", "Use a date and time"}, nil},
		{"forged cursor", admin, "/history?before=bm90LWEtY3Vyc29y", 422, []string{"The page link is damaged"},
			[]string{idStr(hs.badB), idStr(hs.badA), idStr(hs.okA)}},
		{"cursor that is not base64", admin, "/history?before=%25%25%25", 422, []string{"The page link is damaged"}, nil},
		{"robot id that is not a number", admin, "/history?robot=abc", 422, []string{"robot", "Pick a robot"}, nil},
		{"unknown robot", admin, "/history?robot=999999", 422, []string{"no such robot"}, nil},
		{"member filtering by another team's robot gets no data", alice, "/history?robot=" + idStr(hs.robotB.ID), 422,
			[]string{"no such robot"}, []string{idStr(hs.badA), idStr(hs.okA)}},
		{"member naming another team: 404", alice, "/history?team=" + idStr(hs.TeamB.ID), 404, []string{"Not found"}, []string{}},
		{"member naming a bogus team: 404", alice, "/history?team=x", 404, []string{"Not found"}, []string{}},
		{"admin naming an unknown team", admin, "/history?team=424242", 422, []string{"no such team"}, nil},
		{"another team's notification: 404", alice, "/history/" + idStr(hs.badB), 404, []string{"Not found"}, nil},
		{"a notification id that is not a number", admin, "/history/abc", 404, []string{"Not found"}, nil},
		{"a notification that does not exist", admin, "/history/999999", 404, []string{"Not found"}, nil},
		{"CSV with a bad filter", admin, "/history.csv?outcome=bogus", 422, []string{"outcome: Unknown outcome"}, nil},
		{"CSV for another team: 404", alice, "/history.csv?team=" + idStr(hs.TeamB.ID), 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.c.get(t, tt.path)
			wantStatus(t, rec, tt.wantStatus)
			body := bodyText(rec)
			for _, w := range tt.wantText {
				if !strings.Contains(body, w) {
					t.Errorf("body lacks %q:\n%s", w, body)
				}
			}
			for _, leak := range []string{"db:", "sql", "panic", "goroutine", secretOfB} {
				if strings.Contains(body, leak) {
					t.Errorf("body leaks %q:\n%s", leak, body)
				}
			}
			if tt.wantLinks != nil {
				if got := detailLinks(rec.Body.String()); !slices.Equal(got, tt.wantLinks) && !(len(got) == 0 && len(tt.wantLinks) == 0) {
					t.Errorf("links = %v, want %v", got, tt.wantLinks)
				}
			}
			if tt.c == alice && strings.Contains(body, "beta-wecom") {
				t.Errorf("alice sees beta's robot:\n%s", body)
			}
		})
	}
}

func TestHistoryPagination(t *testing.T) {
	hs := newHistoryServer(t)
	ctx := context.Background()
	for range 60 {
		if _, err := hs.DB.RecordTestSend(ctx, db.SystemActor, db.TestSend{Robot: hs.robotA, Title: "t", Body: "b",
			Attempt: db.Attempt{Outcome: db.OutcomeDelivered, Summary: "Delivered."}}); err != nil {
			t.Fatal(err)
		}
	}
	admin := hs.login(t, "admin", testPassword)
	seen := map[string]bool{}
	path := "/history?platform=dingtalk"
	pages := 0
	for path != "" {
		rec := admin.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		for _, id := range detailLinks(rec.Body.String()) {
			if seen[id] {
				t.Fatalf("notification %s on two pages", id)
			}
			seen[id] = true
		}
		body := rec.Body.String()
		path = ""
		if i := strings.Index(body, `data-testid="history-next"`); i >= 0 {
			start := strings.LastIndex(body[:i], `href="`) + len(`href="`)
			path = strings.ReplaceAll(body[start:start+strings.IndexByte(body[start:], '"')], "&amp;", "&")
			if !strings.Contains(path, "platform=dingtalk") || !strings.Contains(path, "before=") {
				t.Fatalf("next link %q lost the filter or has no cursor", path)
			}
		}
		if pages++; pages > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if pages != 2 || len(seen) != 62 {
		t.Errorf("pages = %d, notifications = %d; want 2 pages, 62", pages, len(seen))
	}
}

func TestHistoryDetailAndResend(t *testing.T) {
	hs := newHistoryServer(t)
	alice := hs.login(t, "alice", testPassword)
	auditor := hs.login(t, "auditor", testPassword)

	rec := alice.get(t, "/history/"+idStr(hs.badA))
	wantStatus(t, rec, http.StatusOK)
	body := bodyText(rec)
	for _, want := range []string{"The robot was removed from its group.", `{"errcode":400106,"errmsg":"robot 不存在"}`,
		"POST https://example.test/hook/…ding", "400106", "42 ms", "misconfigured", "Resend", "test-send"} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %q", want)
		}
	}
	if strings.Contains(body, "secret-token-alpha-ding") {
		t.Error("detail shows the decrypted webhook")
	}
	if body := bodyText(alice.get(t, "/history/"+idStr(hs.okA))); strings.Contains(body, `data-testid="resend"`) ||
		!strings.Contains(body, "It was delivered; there is nothing to resend.") {
		t.Error("a delivered notification offers resend, or does not say why not")
	}
	if body := bodyText(auditor.get(t, "/history/"+idStr(hs.badA))); strings.Contains(body, `data-testid="resend"`) {
		t.Error("an auditor is offered resend")
	}

	t.Run("another team's notification", func(t *testing.T) {
		rec := alice.postForm(t, "/history/"+idStr(hs.badB)+"/resend", nil, false)
		wantStatus(t, rec, http.StatusNotFound)
		if got := hs.kicks.Load(); got != 0 {
			t.Errorf("kicks = %d, want 0", got)
		}
	})
	t.Run("auditor cannot resend", func(t *testing.T) {
		wantStatus(t, auditor.postForm(t, "/history/"+idStr(hs.badA)+"/resend", nil, false), http.StatusForbidden)
	})
	t.Run("without the CSRF token", func(t *testing.T) {
		wantStatus(t, alice.postForm(t, "/history/"+idStr(hs.badA)+"/resend", url.Values{"_csrf": {"forged"}}, false), http.StatusForbidden)
	})
	t.Run("delivered is refused in words", func(t *testing.T) {
		rec := alice.postForm(t, "/history/"+idStr(hs.okA)+"/resend", nil, false)
		wantStatus(t, rec, http.StatusConflict)
		if !strings.Contains(bodyText(rec), "It was delivered; there is nothing to resend.") {
			t.Errorf("body:\n%s", rec.Body)
		}
	})
	t.Run("failed is queued again", func(t *testing.T) {
		rec := alice.postForm(t, "/history/"+idStr(hs.badA)+"/resend", nil, false)
		wantStatus(t, rec, http.StatusSeeOther)
		if loc := rec.Header().Get("Location"); loc != "/history/"+idStr(hs.badA) {
			t.Errorf("Location = %q", loc)
		}
		if got := hs.kicks.Load(); got != 1 {
			t.Errorf("kicks = %d, want 1", got)
		}
		nd, err := hs.DB.NotificationDetail(context.Background(), db.AllTeams, hs.badA)
		if err != nil {
			t.Fatal(err)
		}
		if nd.State != db.StateQueued || nd.Attempts != nil && len(nd.Attempts) != 1 {
			t.Errorf("state = %q, attempts %d; want queued with its one attempt kept", nd.State, len(nd.Attempts))
		}
		page := bodyText(alice.get(t, "/history/"+idStr(hs.badA)))
		if !strings.Contains(page, "is queued again") || !strings.Contains(page, `data-testid="notification-state">queued`) {
			t.Errorf("after resend the page does not say queued:\n%s", page)
		}
		events, _, err := hs.DB.AuditEvents(context.Background(), db.AuditFilter{Action: "notification.resend"})
		if err != nil || len(events) != 1 || events[0].Actor != "alice" {
			t.Errorf("audit = %+v, %v", events, err)
		}
		// htmx gets HX-Redirect; a second resend is refused: it is queued now
		rec = alice.postForm(t, "/history/"+idStr(hs.badA)+"/resend", nil, true)
		wantStatus(t, rec, http.StatusConflict)
		if !strings.Contains(bodyText(rec), "still in the outbox") {
			t.Errorf("body:\n%s", rec.Body)
		}
	})
}

func TestHistoryCSV(t *testing.T) {
	hs := newHistoryServer(t)
	admin := hs.login(t, "admin", testPassword)
	alice := hs.login(t, "alice", testPassword)

	read := func(c *client, path string) [][]string {
		t.Helper()
		rec := c.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
			t.Errorf("Content-Disposition = %q", cd)
		}
		recs, err := csv.NewReader(rec.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	all := read(admin, "/history.csv")
	if len(all) != 4 || all[0][0] != "time" || all[0][7] != "outcome" {
		t.Fatalf("csv = %q", all)
	}
	var outcomes []string
	for _, r := range all[1:] {
		outcomes = append(outcomes, r[7])
	}
	if !slices.Equal(outcomes, []string{"rejected", "misconfigured", "delivered"}) {
		t.Errorf("outcomes = %v, want newest first", outcomes)
	}
	if got := all[1][11]; got != `'=HYPERLINK("http://evil")` {
		t.Errorf("summary cell = %q, want the formula defused", got)
	}
	if all[1][4] != "test-send" || all[1][2] != "beta-wecom" || all[1][13] != idStr(hs.badB) {
		t.Errorf("row = %q", all[1])
	}
	filtered := read(admin, "/history.csv?outcome=misconfigured&robot="+idStr(hs.robotA.ID))
	if len(filtered) != 2 || filtered[1][13] != idStr(hs.badA) {
		t.Errorf("filtered csv = %q", filtered)
	}
	mine := read(alice, "/history.csv")
	if len(mine) != 3 {
		t.Errorf("member csv has %d rows, want header + 2", len(mine))
	}
	for _, r := range mine[1:] {
		if r[1] != "alpha" {
			t.Errorf("member csv has another team's row %q", r)
		}
	}
	// a damaged cursor does not matter for the export: it is all rows anyway
	if got := read(admin, "/history.csv?before=xyz"); len(got) != 4 {
		t.Errorf("csv with a cursor has %d rows", len(got))
	}
}

func TestDashboard(t *testing.T) {
	hs := newHistoryServer(t)
	admin := hs.login(t, "admin", testPassword)
	alice := hs.login(t, "alice", testPassword)

	rec := admin.get(t, "/")
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	for _, want := range []string{`data-testid="hour-chart"`, `class="bar-ok"`, `data-testid="latest-deliveries"`,
		"alpha-ding", "beta-wecom", `data-testid="robot-trouble"`} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if strings.Contains(body, "style=") {
		t.Error("the dashboard has an inline style (the CSP forbids them)")
	}
	chart := body[strings.Index(body, `data-testid="hour-chart"`):]
	chart = chart[:strings.Index(chart, "</svg>")]
	if n := strings.Count(chart, "<rect class="); n != 24*3 {
		t.Errorf("chart has %d bars, want 72", n)
	}
	// Test-sends are not counted as notifications, but the robots' failures show.
	if !strings.Contains(body, "failing") {
		t.Error("failing robots are not listed")
	}
	mine := alice.get(t, "/").Body.String()
	if strings.Contains(mine, "beta-wecom") {
		t.Error("alice's dashboard shows beta's robot")
	}
	if !strings.Contains(mine, "alpha-ding") {
		t.Error("alice's dashboard lacks her robot")
	}
}

// --- benchmarks against a seeded data directory -------------------------------------------

// benchServer opens the data directory ALERTDESK_BENCH_DATA (go run ./cmd/seed) and
// returns the console over it and a signed-in admin and member.
func benchServer(b *testing.B) (*testServer, *client, *client) {
	b.Helper()
	dir := os.Getenv("ALERTDESK_BENCH_DATA")
	if dir == "" {
		b.Skip("set ALERTDESK_BENCH_DATA to a data directory filled by go run ./cmd/seed")
	}
	raw, err := os.ReadFile(filepath.Join(dir, "keys.json"))
	if err != nil {
		b.Fatal(err)
	}
	var kf struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &kf); err != nil {
		b.Fatal(err)
	}
	key, _ := hex.DecodeString(kf.Data)
	d, err := db.Open(context.Background(), filepath.Join(dir, "alertdesk.db"), db.Options{DataKey: key})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	skey := []byte("0123456789abcdef0123456789abcdef")
	ts := &testServer{DB: d, Server: handlers.New(handlers.Deps{DB: d, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Static: static.FS, Config: handlers.Config{AssetVersion: "bench", SessionAuthKey: skey, SessionEncKey: skey}})}
	pw := os.Getenv("ALERTDESK_BENCH_PASSWORD")
	if pw == "" {
		pw = "admin-password-123"
	}
	return ts, ts.login(b, "admin", pw), ts.login(b, "payments-lead", pw)
}

// BenchmarkHistoryPage serves history pages (full page, as a browser's first load) over
// the seeded history and reports the median and p95 per case:
//
//	ALERTDESK_BENCH_DATA=./data-seed go test ./handlers -run '^$' -bench 'HistoryPage|Dashboard' -benchtime 200x
func BenchmarkHistoryPage(b *testing.B) {
	ts, admin, member := benchServer(b)
	ctx := context.Background()
	robots, _ := ts.DB.RobotNames(ctx, db.AllTeams)
	rules, _ := ts.DB.RuleNames(ctx, db.AllTeams)
	var team int64
	for _, r := range robots {
		if r.TeamName == "payments" {
			team = r.TeamID
		}
	}
	robot, rule := idStr(robots[len(robots)/2].ID), idStr(rules[len(rules)/2].ID)
	cursor := func(c *client, path string) string { // the second page's URL
		body := c.get(b, path).Body.String()
		i := strings.Index(body, `data-testid="history-next"`)
		if i < 0 {
			return path
		}
		start := strings.LastIndex(body[:i], `href="`) + len(`href="`)
		return strings.ReplaceAll(body[start:start+strings.IndexByte(body[start:], '"')], "&amp;", "&")
	}
	day := time.Now().Add(-48 * time.Hour).Format("2006-01-02T15:04")
	cases := []struct {
		name string
		c    *client
		path string
	}{
		{"default", admin, "/history"},
		{"next-page", admin, cursor(admin, "/history")},
		{"from", admin, "/history?from=" + day},
		{"range", admin, "/history?from=" + time.Now().Add(-30*24*time.Hour).Format("2006-01-02T15:04") + "&to=" + day},
		{"team", admin, "/history?team=" + idStr(team)},
		{"rule", admin, "/history?rule=" + rule},
		{"test-sends", admin, "/history?rule=test"},
		{"robot", admin, "/history?robot=" + robot},
		{"platform", admin, "/history?platform=lark"},
		{"outcome-rare", admin, "/history?outcome=expired"},
		{"outcome", admin, "/history?outcome=rejected"},
		{"q", admin, "/history?q=DiskAlmostFull"},
		{"q-cjk", admin, "/history?q=" + url.QueryEscape("支付成功率")},
		{"three:team+platform+outcome", admin, "/history?team=" + idStr(team) + "&platform=feishu&outcome=retry"},
		{"three:robot+outcome+from", admin, "/history?robot=" + robot + "&outcome=delivered&from=" + day},
		{"three:rule+outcome+q", admin, "/history?rule=" + rule + "&outcome=delivered&q=service%3Dapi"},
		{"member-default", member, "/history"},
		{"member-next-page", member, cursor(member, "/history")},
		{"member:outcome+platform+q", member, "/history?outcome=rejected&platform=dingtalk&q=api"},
		{"htmx-fragment:outcome", admin, "/history?outcome=misconfigured"},
		{"worst:q-no-match", admin, "/history?q=no-such-alert-anywhere"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			htmx := strings.HasPrefix(tc.name, "htmx")
			benchGet(b, tc.c, tc.path, htmx)
		})
	}
}

func benchGet(b *testing.B, c *client, path string, htmx bool) {
	b.Helper()
	var durs []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		var rec interface{ Result() *http.Response }
		if htmx {
			rec = c.getHTMX(b, path)
		} else {
			rec = c.get(b, path)
		}
		durs = append(durs, time.Since(start))
		if code := rec.Result().StatusCode; code != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, code)
		}
	}
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	if n := len(durs); n > 0 {
		b.ReportMetric(float64(durs[n/2].Microseconds())/1000, "ms-median")
		b.ReportMetric(float64(durs[min(n-1, n*95/100)].Microseconds())/1000, "ms-p95")
	}
}

// BenchmarkDashboard serves the dashboard over the seeded history (admin and member).
func BenchmarkDashboard(b *testing.B) {
	_, admin, member := benchServer(b)
	b.Run("admin", func(b *testing.B) { benchGet(b, admin, "/", false) })
	b.Run("member", func(b *testing.B) { benchGet(b, member, "/", false) })
}
