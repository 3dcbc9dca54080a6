package db_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/db/dbtest"
)

// A role's lease on a fake clock: taken by one console, refused to another while it is
// renewed, taken over (with a new epoch) once it ran out, and the old holder's renewal and
// fenced claims are refused from then on. Both engines.
func TestLeaseAcquireExpireTakeover(t *testing.T) {
	ctx := context.Background()
	d, r := outboxFixture(t)
	t0 := time.UnixMilli(1_800_000_000_000)
	ttl := 5 * time.Second

	a, ok, err := d.TryLease(ctx, db.RoleDelivery, "A", t0, ttl)
	if err != nil || !ok || a.Holder != "A" || a.Epoch != 1 || !a.ExpiresAt.Equal(t0.Add(ttl)) {
		t.Fatalf("A takes: %+v %v %v", a, ok, err)
	}
	if l, ok, err := d.TryLease(ctx, db.RoleDelivery, "B", t0.Add(time.Second), ttl); err != nil || ok || l.Holder != "A" {
		t.Fatalf("B while A holds: %+v %v %v", l, ok, err)
	}
	fa := db.Fence{Role: db.RoleDelivery, Holder: "A", Epoch: a.Epoch}
	if ok, err := d.RenewLease(ctx, fa, t0.Add(2*time.Second), ttl); err != nil || !ok {
		t.Fatalf("A renews: %v %v", ok, err)
	}
	// Renewing by TryLease keeps the epoch.
	if l, ok, err := d.TryLease(ctx, db.RoleDelivery, "A", t0.Add(2*time.Second), ttl); err != nil || !ok || l.Epoch != 1 {
		t.Fatalf("A renews by TryLease: %+v %v %v", l, ok, err)
	}
	if _, ok, _ := d.TryLease(ctx, db.RoleDelivery, "B", t0.Add(6900*time.Millisecond), ttl); ok {
		t.Fatal("B took the lease before it ran out")
	}
	ids := outboxEnqueue(t, d, r, "x", "y")
	if got, err := d.ClaimFenced(ctx, r.ID, ids[:1], t0, fa, time.Minute); err != nil || len(got) != 1 {
		t.Fatalf("A claims under its fence: %v %v", got, err)
	}
	// A stops renewing (dies): B takes the role over at the expiry.
	b, ok, err := d.TryLease(ctx, db.RoleDelivery, "B", t0.Add(7*time.Second), ttl)
	if err != nil || !ok || b.Holder != "B" || b.Epoch != 2 {
		t.Fatalf("B takes over: %+v %v %v", b, ok, err)
	}
	if ok, err := d.RenewLease(ctx, fa, t0.Add(7*time.Second), ttl); err != nil || ok {
		t.Fatalf("A renews after the takeover: %v %v, want refused", ok, err)
	}
	if _, err := d.ClaimFenced(ctx, r.ID, ids[1:], t0, fa, time.Minute); !errors.Is(err, db.ErrFenced) {
		t.Fatalf("A claims after the takeover: %v, want ErrFenced", err)
	}
	if err := d.FlushGroup(ctx, db.GroupFlush{GroupID: 1, Version: -1, Fence: db.Fence{Role: db.RolePipeline, Holder: "A", Epoch: 9}}); !errors.Is(err, db.ErrFenced) {
		t.Fatalf("a flush under a stale fence: %v, want ErrFenced", err)
	}
	// B's recovery queues A's claim again; A's late result is not recorded over it.
	rec, err := d.RecoverSendingByRobot(ctx, t0.Add(7*time.Second))
	if err != nil || rec[r.ID] != 1 {
		t.Fatalf("recovery: %v %v", rec, err)
	}
	fb := db.Fence{Role: db.RoleDelivery, Holder: "B", Epoch: b.Epoch}
	got, err := d.ClaimFenced(ctx, r.ID, ids, t0.Add(7*time.Second), fb, time.Minute)
	if err != nil || len(got) != 2 {
		t.Fatalf("B claims: %v %v", got, err)
	}
	late := db.DeliveryResult{Notification: got[0], Platform: "wecom", State: db.StateDelivered, ClaimedBy: "A",
		Attempt: db.Attempt{At: t0.Add(8 * time.Second), Outcome: "delivered"}}
	if err := d.RecordResults(ctx, []db.DeliveryResult{late}); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.NotificationByID(ctx, ids[0]); n.State != db.StateSending {
		t.Fatalf("A's late result was recorded over B's claim: %s", n.State)
	}
	// A clean release lets the next console in at once.
	if err := d.ReleaseLease(ctx, fb); err != nil {
		t.Fatal(err)
	}
	if l, ok, err := d.TryLease(ctx, db.RoleDelivery, "A", t0.Add(8*time.Second), ttl); err != nil || !ok || l.Epoch != 3 {
		t.Fatalf("A after B released: %+v %v %v", l, ok, err)
	}
}

func TestConsoleRegistry(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	t0 := time.UnixMilli(1_800_000_000_000)
	for _, id := range []string{"one", "two"} {
		if err := d.RegisterConsole(ctx, db.ConsoleInfo{ID: id, Hostname: "h", PID: 7, Version: "v"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.HeartbeatConsole(ctx, "one", []string{db.RolePipeline, db.RoleDelivery}, t0.Add(20*time.Second)); err != nil {
		t.Fatal(err)
	}
	if d.Postgres() {
		// On PostgreSQL the roles shown are the console's unexpired leases.
		for _, r := range []string{db.RoleDelivery, db.RolePipeline} {
			if _, ok, err := d.TryLease(ctx, r, "one", t0.Add(20*time.Second), time.Minute); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
	}
	live, err := d.LiveConsoles(ctx, t0.Add(25*time.Second), db.HeartbeatTimeout)
	if err != nil || len(live) != 1 || live[0].ID != "one" || strings.Join(live[0].Roles, ",") != "pipeline,delivery" ||
		live[0].SchemaVersion != db.SchemaVersion() || live[0].PID != 7 {
		t.Fatalf("live = %+v, %v", live, err)
	}
	if err := d.StopConsole(ctx, "one", t0.Add(26*time.Second)); err != nil {
		t.Fatal(err)
	}
	if live, _ := d.LiveConsoles(ctx, t0.Add(26*time.Second), db.HeartbeatTimeout); len(live) != 0 {
		t.Fatalf("a stopped console is live: %+v", live)
	}
	if n, err := d.PruneConsoles(ctx, t0.Add(10*time.Second)); err != nil || n != 1 {
		t.Fatalf("prune = %d, %v; want the one dead since t0", n, err)
	}
	if v, _ := d.Version(ctx, "rules"); v != 0 {
		t.Fatalf("version before any change = %d", v)
	}
	_ = d.BumpVersion(ctx, "rules")
	if v, _ := d.Version(ctx, "rules"); v != 1 {
		t.Fatalf("version after a change = %d", v)
	}
}

// A renewal that comes after the lease ended is refused even when nobody took the role
// in between: it must not bring the ended tenure back under its old epoch. Taking the
// role again (by the same console or another) starts a new epoch. Both engines.
func TestLateRenewalDoesNotReviveLease(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	t0 := time.UnixMilli(1_800_000_000_000)
	ttl := 5 * time.Second
	a, ok, err := d.TryLease(ctx, db.RolePipeline, "A", t0, ttl)
	if err != nil || !ok || a.Epoch != 1 {
		t.Fatalf("A takes: %+v %v %v", a, ok, err)
	}
	fa := db.Fence{Role: db.RolePipeline, Holder: "A", Epoch: a.Epoch}
	if ok, err := d.RenewLease(ctx, fa, t0.Add(4*time.Second), ttl); err != nil || !ok {
		t.Fatalf("A renews in time: %v %v", ok, err)
	}
	// The lease now ends at t0+9s; a renewal at the expiry or after it is too late.
	for _, at := range []time.Duration{9 * time.Second, 14 * time.Second} {
		if ok, err := d.RenewLease(ctx, fa, t0.Add(at), ttl); err != nil || ok {
			t.Fatalf("A renews at t0+%s, after its lease ended: %v %v, want refused", at, ok, err)
		}
	}
	if l, err := d.LeaseOf(ctx, db.RolePipeline); err != nil || !l.ExpiresAt.Equal(t0.Add(9*time.Second)) || l.Epoch != 1 {
		t.Fatalf("lease after the late renewals = %+v, %v; want it ended at t0+9s, epoch 1", l, err)
	}
	live, err := d.LiveConsoles(ctx, t0.Add(14*time.Second), db.HeartbeatTimeout)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range live {
		if len(c.Roles) > 0 && d.Postgres() {
			t.Fatalf("a console holds %v after its lease ended", c.Roles)
		}
	}
	// A takes the role again: a new tenure, a new epoch, and the old fence is dead.
	a2, ok, err := d.TryLease(ctx, db.RolePipeline, "A", t0.Add(14*time.Second), ttl)
	if err != nil || !ok || a2.Epoch != 2 {
		t.Fatalf("A takes the role again after the expiry: %+v %v %v, want epoch 2", a2, ok, err)
	}
	if ok, err := d.RenewLease(ctx, fa, t0.Add(15*time.Second), ttl); err != nil || ok {
		t.Fatalf("renewal under the old epoch: %v %v, want refused", ok, err)
	}
	if ok, err := d.RenewLease(ctx, db.Fence{Role: db.RolePipeline, Holder: "A", Epoch: 2}, t0.Add(15*time.Second), ttl); err != nil || !ok {
		t.Fatalf("renewal under the new epoch: %v %v", ok, err)
	}
}

// A killed console's heartbeat row names the roles it held until the heartbeat times
// out; the live consoles list shows only unexpired leases (PostgreSQL).
func TestLiveConsolesRolesAreUnexpiredLeases(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.Options{})
	if !d.Postgres() {
		t.Skip("leases exist on PostgreSQL only")
	}
	t0 := time.UnixMilli(1_800_000_000_000)
	for _, id := range []string{"dead", "alive"} {
		if err := d.RegisterConsole(ctx, db.ConsoleInfo{ID: id, Hostname: "h", PID: 1, Version: "v"}, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, err := d.TryLease(ctx, db.RolePipeline, "dead", t0, 5*time.Second); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := d.HeartbeatConsole(ctx, "dead", []string{db.RolePipeline}, t0); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.TryLease(ctx, db.RoleJobs, "alive", t0.Add(6*time.Second), 5*time.Second); err != nil || !ok {
		t.Fatal(ok, err)
	}
	_ = d.HeartbeatConsole(ctx, "alive", []string{db.RoleJobs}, t0.Add(6*time.Second))
	live, err := d.LiveConsoles(ctx, t0.Add(7*time.Second), db.HeartbeatTimeout)
	if err != nil || len(live) != 2 {
		t.Fatalf("live = %+v, %v", live, err)
	}
	for _, c := range live {
		want := map[string]string{"dead": "", "alive": "jobs"}[c.ID]
		if got := strings.Join(c.Roles, ","); got != want {
			t.Errorf("%s holds %q, want %q", c.ID, got, want)
		}
	}
}

// A database migrated by a newer alertdesk is refused with words saying to upgrade.
func TestNewerSchemaRefused(t *testing.T) {
	addr := dbtest.Addr(t)
	d := dbtest.OpenAt(t, addr, db.Options{})
	name := "0999_future.sql"
	if d.Postgres() {
		name = "postgres/" + name
	}
	d.Close()
	var w *sql.DB
	var err error
	if d.Postgres() {
		w, err = db.OpenSQL(addr)
	} else {
		w, err = sql.Open("sqlite", "file:"+addr+"?_pragma=busy_timeout(5000)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)`, name); err != nil {
		t.Fatal(err)
	}
	_, err = db.Open(context.Background(), addr, db.Options{})
	if !errors.Is(err, db.ErrNewerSchema) || !strings.Contains(err.Error(), "0999_future.sql") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("err = %v, want ErrNewerSchema naming the migration and saying to upgrade", err)
	}
}

// roleCounter is a role's work that counts how many consoles run it at once.
type roleCounter struct {
	running  *atomic.Int32
	overlaps *atomic.Int32
	starts   atomic.Int32
}

func (c *roleCounter) work() db.RoleWork {
	return db.RoleWork{
		Start: func(context.Context, db.Fence) error {
			if c.running.Add(1) > 1 {
				c.overlaps.Add(1)
			}
			c.starts.Add(1)
			return nil
		},
		Stop: func() { c.running.Add(-1) },
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two consoles on one PostgreSQL database: the roles run on one at a time; when the
// holder dies (its database handle closes without releasing anything) the other takes
// every role over, and never do both run one.
func TestConsolesTakeOverOnPostgres(t *testing.T) {
	url := dbtest.NewPostgres(t)
	ctx := context.Background()
	running := map[string]*atomic.Int32{}
	overlaps := map[string]*atomic.Int32{}
	for _, r := range db.AllRoles {
		running[r], overlaps[r] = new(atomic.Int32), new(atomic.Int32)
	}
	opts := db.ConsoleOptions{TTL: time.Second, Renew: 100 * time.Millisecond, Margin: 400 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	start := func(id string) (*db.DB, *db.Console, map[string]*roleCounter) {
		d, err := db.Open(ctx, url, db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		counters := map[string]*roleCounter{}
		work := map[string]db.RoleWork{}
		for _, r := range db.AllRoles {
			counters[r] = &roleCounter{running: running[r], overlaps: overlaps[r]}
			work[r] = counters[r].work()
		}
		c := d.NewConsole(db.ConsoleInfo{ID: id, Hostname: "test", PID: 1, Version: "test"}, work, opts)
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return d, c, counters
	}
	da, ca, _ := start("A")
	waitFor(t, "A to hold every role", func() bool { return len(ca.Roles()) == 3 })
	db2, cb, cntB := start("B")
	defer db2.Close()
	defer cb.Close(ctx)
	// B stays a standby while A renews.
	time.Sleep(1500 * time.Millisecond)
	if roles := cb.Roles(); len(roles) != 0 {
		t.Fatalf("B holds %v while A is alive", roles)
	}
	live, err := db2.LiveConsoles(ctx, time.Now(), db.HeartbeatTimeout)
	if err != nil || len(live) != 2 {
		t.Fatalf("live consoles = %+v, %v", live, err)
	}
	// A dies: its connections close, nothing is released.
	da.Close()
	waitFor(t, "B to take every role over", func() bool { return len(cb.Roles()) == 3 })
	waitFor(t, "A to have stopped its work", func() bool { return len(ca.Roles()) == 0 })
	for _, r := range db.AllRoles {
		if n := overlaps[r].Load(); n != 0 {
			t.Errorf("role %s ran on two consoles at once %d time(s)", r, n)
		}
		if cntB[r].starts.Load() != 1 {
			t.Errorf("B started %s %d times", r, cntB[r].starts.Load())
		}
		l, err := db2.LeaseOf(ctx, r)
		if err != nil || l.Holder != "B" || l.Epoch != 2 {
			t.Errorf("lease %s = %+v, %v", r, l, err)
		}
	}
	ca.Close(ctx)
}

// Two consoles claiming the same notifications at once on PostgreSQL: every one is
// claimed exactly once.
func TestClaimsNeverDoubleHeldOnPostgres(t *testing.T) {
	url := dbtest.NewPostgres(t)
	ctx := context.Background()
	d1 := dbtest.OpenAt(t, url, db.Options{})
	d2 := dbtest.OpenAt(t, url, db.Options{})
	team, err := d1.CreateTeam(ctx, db.SystemActor, "ops")
	if err != nil {
		t.Fatal(err)
	}
	r, err := d1.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "r", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…k", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	titles := make([]string, 200)
	for i := range titles {
		titles[i] = "n"
	}
	ids := outboxEnqueue(t, d1, r, titles...)
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w, d := range []*db.DB{d1, d2, d1, d2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(ids); i += 5 {
				got, err := d.ClaimFenced(ctx, r.ID, ids[i:i+5], time.Now(), db.Fence{}, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, n := range got {
					seen[n.ID]++
				}
				mu.Unlock()
			}
			_ = w
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("notification %d claimed %d times", id, seen[id])
		}
	}
}
