package delivery

import (
	"alertdesk/db/dbtest"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one test's world: a temp database, a sandbox behind httptest, a sender
// allowed to reach it, and a manual clock shared by all of them.
type env struct {
	t      testing.TB
	ctx    context.Context
	clk    *ManualClock
	db     *db.DB
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	sender *notify.Sender
	team   db.Team
	obs    *countingObserver
}

type envOpts struct {
	senderTimeout time.Duration
	hangFor       time.Duration
	realClock     bool
}

func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	ctx := context.Background()
	clk := NewManualClock(t0)
	now := clk.Now
	if o.realClock {
		now = time.Now
	}
	d := dbtest.Open(t, db.Options{Now: now})
	if o.hangFor == 0 {
		o.hangFor = 10 * time.Second
	}
	sb := sandbox.New(sandbox.Options{Now: now, HangFor: o.hangFor, MaxMessages: 50000})
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb))
	t.Cleanup(srv.Close)
	if o.senderTimeout == 0 {
		o.senderTimeout = 5 * time.Second
	}
	sender := notify.NewSender(notify.HostPolicy{ExtraHosts: []string{srv.Listener.Addr().String()}}, o.senderTimeout)
	sender.SetClock(now)
	team, err := d.CreateTeam(ctx, db.SystemActor, "ops")
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, clk: clk, db: d, sb: sb, srv: srv, sender: sender, team: team, obs: &countingObserver{}}
}

// robot registers a sandbox robot and the matching console robot. dbSecret overrides
// the secret the console stores ("" = the sandbox's); perMinute > 0 overrides the
// platform's budget (and lifts the per-second limit likewise).
func (e *env) robot(cfg sandbox.RobotConfig, dbSecret string, perMinute int) (db.Robot, sandbox.RobotConfig) {
	e.t.Helper()
	sr := e.sb.AddRobot(cfg)
	secret := sr.Secret
	if dbSecret != "" {
		secret = dbSecret
	}
	perSecond := 0
	if perMinute > 0 {
		perSecond = perMinute
	}
	r, err := e.db.CreateRobot(e.ctx, db.SystemActor, db.RobotInput{TeamID: e.team.ID, Name: sr.Name, Platform: string(sr.Platform),
		WebhookURL: e.srv.URL + "/sandbox" + sandbox.WebhookPath(sr.Platform, sr.Token), WebhookHint: "…test",
		Secret: secret, Keywords: sr.Keywords, Enabled: true, PerMinute: perMinute, PerSecond: perSecond})
	if err != nil {
		e.t.Fatal(err)
	}
	return r, sr
}

func (e *env) engine(o Options) *Engine {
	o.Clock = e.clk
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.BaseURL == "" {
		o.BaseURL = "http://console.test"
	}
	if o.Observer == nil {
		o.Observer = e.obs
	}
	eng := New(e.db, e.sender, o)
	if err := eng.Start(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Close(ctx)
	})
	return eng
}

// enqueue queues n notifications for robot r, titled prefix-0 … prefix-(n-1).
func (e *env) enqueue(r db.Robot, prefix string, n int, mod func(i int, it *db.OutboxItem)) []int64 {
	e.t.Helper()
	items := make([]db.OutboxItem, n)
	for i := range items {
		items[i] = db.OutboxItem{Notification: db.Notification{TeamID: r.TeamID, RobotID: r.ID, Kind: "firing",
			Severity: "warning", Title: fmt.Sprintf("%s-%d", prefix, i), Body: fmt.Sprintf("alert %s-%d is firing", prefix, i),
			Search: fmt.Sprintf("%s-%d", prefix, i)}}
		if mod != nil {
			mod(i, &items[i])
		}
	}
	ids, err := e.db.Enqueue(e.ctx, items)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) notification(id int64) db.Notification {
	e.t.Helper()
	n, err := e.db.NotificationByID(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) attempts(id int64) []db.Attempt {
	e.t.Helper()
	as, err := e.db.AttemptsOf(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return as
}

func (e *env) robotNow(id int64) db.Robot {
	e.t.Helper()
	r, err := e.db.RobotByID(e.ctx, db.AllTeams, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// waitFor polls cond (real time) until it holds or fails the test after 15s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// idle waits until eng has looked at the outbox and its robot workers have finished:
// nothing more happens until the manual clock moves.
func (e *env) idle(eng *Engine) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := eng.Idle(ctx); err != nil {
		e.t.Fatalf("engine did not settle: %v", err)
	}
}

// waitState waits until notification id is in state.
func (e *env) waitState(id int64, state string) db.Notification {
	e.t.Helper()
	var n db.Notification
	waitFor(e.t, fmt.Sprintf("notification %d to be %s", id, state), func() bool {
		n = e.notification(id)
		return n.State == state
	})
	return n
}

type countingObserver struct {
	mu       sync.Mutex
	outcomes map[string]int
	digests  int
	folded   int
	waits    int
}

func (o *countingObserver) Outcome(_ string, _ int64, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.outcomes == nil {
		o.outcomes = map[string]int{}
	}
	o.outcomes[outcome]++
}

func (o *countingObserver) Digest(_ string, n int, created bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if created {
		o.digests++
	}
	o.folded += n
}

func (o *countingObserver) ThrottleWait(string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.waits++
}

func (o *countingObserver) QueueDepth(map[string]int) {}

func (o *countingObserver) count(outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outcomes[outcome]
}
