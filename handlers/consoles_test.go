package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

// The dashboard's Consoles card: administrators see every live console with its host,
// pid, times and what it does (on SQLite the one console); other users do not see it.
func TestDashboardConsolesCard(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.login(t, "admin", testPassword)
	body := admin.get(t, "/").Body.String()
	if !strings.Contains(body, `data-testid="dashboard-consoles"`) {
		t.Fatalf("the admin's dashboard has no consoles card:\n%s", body)
	}
	if !ts.DB.Postgres() {
		// SQLite, no registry row: this console alone, doing everything.
		if n := strings.Count(body, `data-testid="console-row"`); n != 1 || !strings.Contains(body, "this console") ||
			!strings.Contains(body, "sending") || !strings.Contains(body, "alone on its SQLite database") {
			t.Fatalf("SQLite card: %d rows; body:\n%s", n, body)
		}
	}
	// A registered console (another machine) that holds delivery.
	now, err := ts.DB.ClusterNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.DB.RegisterConsole(ctx, db.ConsoleInfo{ID: "c0ffee00aabbccdd", Hostname: "node-7", PID: 4242, Version: "v"}, now); err != nil {
		t.Fatal(err)
	}
	if err := ts.DB.HeartbeatConsole(ctx, "c0ffee00aabbccdd", []string{db.RoleDelivery}, now); err != nil {
		t.Fatal(err)
	}
	if ts.DB.Postgres() {
		if _, ok, err := ts.DB.TryLease(ctx, db.RoleDelivery, "c0ffee00aabbccdd", now, time.Minute); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	body = admin.get(t, "/").Body.String()
	for _, want := range []string{`title="c0ffee00aabbccdd">c0ffee00<`, "node-7", "pid 4242", "Last heartbeat"} {
		if !strings.Contains(body, want) {
			t.Fatalf("card lacks %q:\n%s", want, body)
		}
	}
	row := body[strings.Index(body, "node-7"):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "sending") || strings.Contains(row, "grouping") {
		t.Fatalf("node-7's row should say it sends, and only that: %s", row)
	}
	// In Chinese.
	admin.header = http.Header{"Accept-Language": {"zh-CN"}}
	body = admin.get(t, "/").Body.String()
	for _, want := range []string{"最近心跳", "消息发送", "进程号 4242"} {
		if !strings.Contains(body, want) {
			t.Fatalf("Chinese card lacks %q", want)
		}
	}
	// A member's dashboard has no consoles card.
	member := ts.login(t, "alice", testPassword)
	if rec := member.get(t, "/"); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `data-testid="dashboard-consoles"`) {
		t.Fatalf("member's dashboard: %d, shows the consoles card: %v", rec.Code, strings.Contains(rec.Body.String(), "dashboard-consoles"))
	}
}
