package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/db/dbtest"
)

type countingWaker struct{ n atomic.Int32 }

func (w *countingWaker) Wake() { w.n.Add(1) }

// Two consoles on one PostgreSQL database, each with its pipeline: both take alerts in,
// only the one holding the pipeline role flushes, every group is flushed exactly once, and
// when that console dies (its database closes without releasing anything) the other takes
// the flushes over.
func TestTwoConsolesFlushEachGroupOnce(t *testing.T) {
	if os.Getenv(dbtest.PostgresEnv) == "" {
		t.Skip(dbtest.PostgresEnv + " is not set")
	}
	// Every console runs with the same data key (ALERTDESK_ENCRYPTION_KEY).
	key := make([]byte, 32)
	clk := &clock{now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	path := dbtest.NewPostgres(t)
	d0 := dbtest.OpenAt(t, path, db.Options{Now: clk.Now, DataKey: key})
	f := &fixture{t: t, ctx: context.Background(), db: d0, clock: clk, path: path}
	team, err := d0.CreateTeam(f.ctx, db.SystemActor, "payments")
	if err != nil {
		t.Fatal(err)
	}
	robot, err := d0.CreateRobot(f.ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "robot", Platform: "wecom",
		WebhookURL: "https://example.invalid/wecom", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d0.CreateRule(f.ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Enabled: true, Name: "r", Severity: "critical",
		GroupBy: []string{"service"}, GroupWait: 10 * time.Second, RepeatInterval: 24 * time.Hour, RobotIDs: []int64{robot.ID}}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	type console struct {
		d     *db.DB
		p     *Pipeline
		waker *countingWaker
		c     *db.Console
	}
	start := func(id string) console {
		d, err := db.Open(f.ctx, f.path, db.Options{Now: f.clock.Now, DataKey: key})
		if err != nil {
			t.Fatal(err)
		}
		w := &countingWaker{}
		p := New(d, NewComposer(d, "http://console"), log, Options{Now: f.clock.Now, Waker: w, ExternalTimers: true})
		if err := p.Start(f.ctx); err != nil {
			t.Fatal(err)
		}
		stopped := make(chan func(), 1)
		work := map[string]db.RoleWork{db.RolePipeline: {
			Start: func(_ context.Context, fence db.Fence) error {
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { defer close(done); p.RunTimers(ctx, fence) }()
				stopped <- func() { cancel(); <-done }
				return nil
			},
			Stop: func() { (<-stopped)() },
		}}
		c := d.NewConsole(db.ConsoleInfo{ID: id, Hostname: "test", PID: 1, Version: "test"}, work,
			db.ConsoleOptions{TTL: time.Second, Renew: 100 * time.Millisecond, Margin: 400 * time.Millisecond, Log: log})
		if err := c.Start(f.ctx); err != nil {
			t.Fatal(err)
		}
		return console{d: d, p: p, waker: w, c: c}
	}
	a := start("A")
	waitUntil(t, "A to hold the pipeline", func() bool { return len(a.c.Roles()) == 1 })
	b := start("B")
	defer func() { b.c.Close(f.ctx); b.p.Close(); b.d.Close() }()

	t0 := f.clock.Now()
	for i := range 10 {
		cons := []console{a, b}[i%2] // intake on either console
		if _, err := cons.p.Ingest(f.ctx, 0, []alerting.Alert{alert("Down", alerting.StatusFiring,
			map[string]string{"service": fmt.Sprint("svc", i)}, t0)}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Add(11 * time.Second)
	waitUntil(t, "every group to be flushed", func() bool { return len(f.notifications()) == 10 })
	if b.waker.n.Load() != 0 {
		t.Errorf("B flushed while A held the pipeline role")
	}
	// A few more rounds of both loops change nothing: each group was flushed once.
	time.Sleep(1200 * time.Millisecond)
	if n := len(f.notifications()); n != 10 {
		t.Fatalf("%d notifications for 10 groups", n)
	}
	// A dies; B takes the pipeline over and flushes what arrives next.
	a.d.Close()
	waitUntil(t, "B to take the pipeline over", func() bool { return len(b.c.Roles()) == 1 })
	if _, err := b.p.Ingest(f.ctx, 0, []alerting.Alert{alert("Down", alerting.StatusFiring,
		map[string]string{"service": "late"}, f.clock.Now())}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(11 * time.Second)
	waitUntil(t, "B to flush the new group", func() bool { return len(f.notifications()) == 11 })
	if b.waker.n.Load() == 0 {
		t.Error("B took the pipeline over but did not flush")
	}
	a.c.Close(f.ctx)
	a.p.Close()
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
