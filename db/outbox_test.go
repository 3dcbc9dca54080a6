package db_test

import (
	"alertdesk/db/dbtest"
	"context"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

func outboxFixture(t *testing.T) (*db.DB, db.Robot) {
	t.Helper()
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	team, err := d.CreateTeam(ctx, db.SystemActor, "ops")
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "r", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return d, r
}

func outboxEnqueue(t *testing.T, d *db.DB, r db.Robot, titles ...string) []int64 {
	t.Helper()
	var items []db.OutboxItem
	for i, title := range titles {
		items = append(items, db.OutboxItem{Notification: db.Notification{TeamID: r.TeamID, RobotID: r.ID, Kind: "firing",
			Severity: "critical", Title: title, Body: "b"}, AlertIDs: []int64{int64(1000 + i)}})
	}
	ids, err := d.Enqueue(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestOutboxClaimRecordRecover(t *testing.T) {
	ctx := context.Background()
	d, r := outboxFixture(t)
	now := time.UnixMilli(1_800_000_000_000)
	ids := outboxEnqueue(t, d, r, "a", "b", "c")

	due, wait, err := d.DueForRobot(ctx, r.ID, time.Now(), 2)
	if err != nil || len(due) != 2 || due[0].ID != ids[0] || !wait.IsZero() {
		t.Fatalf("DueForRobot = %+v, %v, %v", due, wait, err)
	}
	claimed, err := d.Claim(ctx, r.ID, ids[:2], now)
	if err != nil || len(claimed) != 2 || claimed[0].State != db.StateSending || claimed[1].Title != "b" {
		t.Fatalf("Claim = %+v, %v", claimed, err)
	}
	if again, _ := d.Claim(ctx, r.ID, ids[:2], now); len(again) != 0 {
		t.Fatalf("claimed twice: %+v", again)
	}
	res := db.DeliveryResult{Notification: claimed[0], Platform: "wecom", State: db.StateDelivered,
		Attempt: db.Attempt{At: now, Outcome: db.OutcomeDelivered, Summary: "Delivered in 3 ms", HTTPStatus: 200}}
	stale := res
	stale.Notification = claimed[1]
	stale.Notification.ID = 999999 // gone: must not fail the group
	if err := d.RecordResults(ctx, []db.DeliveryResult{res, stale}); err != nil {
		t.Fatalf("RecordResults: %v", err)
	}
	if n, _ := d.NotificationByID(ctx, ids[0]); n.State != db.StateDelivered || n.Attempts != 1 {
		t.Errorf("after record: %+v", n)
	}
	as, _ := d.AttemptsOf(ctx, ids[0])
	if len(as) != 1 || as[0].RobotID != r.ID || as[0].Kind != "firing" || as[0].Attempt != 1 {
		t.Errorf("attempts = %+v", as)
	}
	if rob, _ := d.RobotByID(ctx, db.AllTeams, r.ID); rob.Status != db.RobotVerified {
		t.Errorf("robot status = %s, want verified", rob.Status)
	}
	depth, _ := d.QueueDepth(ctx)
	if depth[db.StateSending] != 1 || depth[db.StateQueued] != 1 {
		t.Errorf("depth = %v", depth)
	}
	if n, err := d.RecoverSending(ctx, now); err != nil || n != 1 {
		t.Errorf("RecoverSending = %d, %v; want 1", n, err)
	}
	sends, _ := d.RecentSends(ctx, now.Add(-time.Minute))
	if len(sends[r.ID]) != 1 {
		t.Errorf("recent sends = %v", sends)
	}
}

func TestOutboxFoldMergesAndCopiesAlerts(t *testing.T) {
	ctx := context.Background()
	d, r := outboxFixture(t)
	now := time.Now()
	ids := outboxEnqueue(t, d, r, "a", "b", "c", "d")
	render := func(st db.DigestStats) (string, string) {
		return "folded " + string(rune('0'+st.Total)), strings.Join(st.Titles, ",")
	}
	dg, err := d.FoldIntoDigest(ctx, r.ID, 0, ids[:2], now, render)
	if err != nil || dg.Kind != "digest" || dg.State != db.StateQueued || dg.Title != "folded 2" || dg.Severity != "critical" {
		t.Fatalf("fold = %+v, %v", dg, err)
	}
	dg2, err := d.FoldIntoDigest(ctx, r.ID, dg.ID, ids[2:], now, render)
	if err != nil || dg2.ID != dg.ID || dg2.Title != "folded 4" || dg2.Body != "a,b,c,d" || dg2.AlertCount != 4 {
		t.Fatalf("merge = %+v, %v", dg2, err)
	}
	alerts, _ := d.AlertIDsOf(ctx, dg.ID)
	if len(alerts) != 4 {
		t.Errorf("digest carries alerts %v, want 4", alerts)
	}
	for _, id := range ids {
		n, _ := d.NotificationByID(ctx, id)
		as, _ := d.AttemptsOf(ctx, id)
		if n.State != db.StateFolded || n.DigestID != dg.ID || len(as) != 1 || as[0].Outcome != db.OutcomeFolded {
			t.Errorf("notification %d: %s into %d, attempts %+v", id, n.State, n.DigestID, as)
		}
	}
	// A digest folded into a new one hands its rows over.
	more := outboxEnqueue(t, d, r, "e")
	dg3, err := d.FoldIntoDigest(ctx, r.ID, 0, []int64{dg.ID, more[0]}, now, render)
	if err != nil || dg3.Title != "folded 6" {
		t.Fatalf("fold digest = %+v, %v", dg3, err)
	}
	if n, _ := d.NotificationByID(ctx, ids[0]); n.DigestID != dg3.ID {
		t.Errorf("folded row points at %d, want %d", n.DigestID, dg3.ID)
	}
}

func TestOutboxExpire(t *testing.T) {
	ctx := context.Background()
	d, r := outboxFixture(t)
	ids := outboxEnqueue(t, d, r, "old")
	rows, err := d.ExpireOlderThan(ctx, time.Now().Add(time.Hour), time.Now(), 24*time.Hour, 10)
	if err != nil || len(rows) != 1 || rows[0].ID != ids[0] || rows[0].Platform != "wecom" {
		t.Fatalf("expire = %+v, %v", rows, err)
	}
	as, _ := d.AttemptsOf(ctx, ids[0])
	if len(as) != 1 || as[0].Outcome != db.OutcomeExpired || !strings.Contains(as[0].Summary, "24h") {
		t.Errorf("attempts = %+v", as)
	}
	if rows, _ := d.ExpireOlderThan(ctx, time.Now().Add(time.Hour), time.Now(), 24*time.Hour, 10); len(rows) != 0 {
		t.Errorf("expired twice")
	}
}
