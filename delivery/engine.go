// Package delivery is the delivery engine: it drains the durable outbox (the
// notifications table) per robot, in order, through a send governor that keeps every
// robot within its platform's rate limit, folding a backlog into one digest message
// instead of dropping it, retries by the class of the platform's answer, and records
// every attempt.
//
// Guarantees:
//   - A notification is a row before any request is made; the engine claims rows
//     (state sending) in a transaction, sends, and records the outcome, the attempt
//     row and the robot's health in one transaction after the send.
//   - At least once: rows left in sending by a crash are queued again on Start. Each
//     robot has at most one request in flight and its next send waits until the previous
//     outcome is committed, so a crash duplicates at most one message per robot.
//   - Nothing is dropped silently: a notification ends delivered, failed (the platform
//     refused it or the robot is misconfigured), folded into a digest, or expired after
//     MaxAge, each with a delivery_attempts row saying so.
package delivery

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
)

// Sender sends one message to one robot: render → sign → send → classify.
// *notify.Sender is one.
type Sender interface {
	Send(ctx context.Context, r notify.Robot, m notify.Message) (notify.Prepared, notify.Outcome)
}

// Observer is told what the engine does (metrics.Engine reports it to Prometheus).
type Observer interface {
	// Outcome: one notification outcome (delivered, retry, rate_limited, misconfigured,
	// rejected, expired, folded); latency is zero when nothing was sent.
	Outcome(platform string, robotID int64, outcome string, latency time.Duration)
	// Digest: n notifications folded into a digest; created when the digest is new.
	Digest(platform string, n int, created bool)
	// ThrottleWait: the governor held a robot back to stay within its rate limit.
	ThrottleWait(platform string)
	// QueueDepth: pending notifications by state, refreshed periodically.
	QueueDepth(byState map[string]int)
}

type nopObserver struct{}

func (nopObserver) Outcome(string, int64, string, time.Duration) {}
func (nopObserver) Digest(string, int, bool)                     {}
func (nopObserver) ThrottleWait(string)                          {}
func (nopObserver) QueueDepth(map[string]int)                    {}

// Options tune the engine; the zero value works (with time.Now and no metrics).
type Options struct {
	BaseURL  string        // console URL for links in messages: BaseURL + "/history/<id>"
	MaxAge   time.Duration // notifications older than this expire; default 24h
	Clock    Clock         // default: the real clock
	Log      *slog.Logger  // default: slog.Default()
	Observer Observer      // default: none

	ClaimBatch     int           // notifications claimed per robot per transaction; default 32
	ScanBatch      int           // notifications of a robot's queue read at a time; default 512
	RecordBatch    int           // results committed per transaction at most; default 512
	RecordLinger   time.Duration // how long the recorder waits for more results before committing; default 2ms
	BackoffBase    time.Duration // first retry delay for class retry; default 2s, doubling
	BackoffMax     time.Duration // cap of the retry delay; default 5m
	Jitter         float64       // ± fraction applied to retry delays; default 0.2
	PollInterval   time.Duration // fallback scan of the outbox without a Wake; default 5s
	ExpireInterval time.Duration // how often old notifications are expired; default 1m
	DepthInterval  time.Duration // how often the queue-depth gauge is refreshed; default 15s
	DigestTitles   int           // titles listed in a digest before "… and N more"; default 50
	// Language is the language of digests and truncation notes of teams that chose none
	// (the console's default message language); "" is English.
	Language string
	Rand     func() float64

	// Fence, when set, is this console's tenure of the delivery role (several consoles on
	// one PostgreSQL database): claims are made under it and refused once another console
	// took the role over, and results are recorded only for this console's claims.
	Fence db.Fence
	// ClaimLease is how long a claim holds (lease_until) before another console may take
	// it over; default 30s. Informative: the console taking delivery over requeues every
	// claim of its predecessor, whose lease on the role has ended.
	ClaimLease time.Duration
}

// Minimum waits after a rate-limit answer (docs/PLATFORMS.md §4.3).
const (
	minuteRateWait = 60 * time.Second // DingTalk, WeCom
	secondRateWait = time.Second      // Feishu, Lark
)

// Engine drains the outbox. Build it with New, then Start; Close stops it.
type Engine struct {
	db     *db.DB
	sender Sender
	opts   Options
	clock  Clock
	log    *slog.Logger
	obs    Observer

	kick    chan struct{}
	idleReq chan chan struct{}
	// pacing counts workers waiting for the clock between two sends of a claimed batch
	// (per-second pacing); paced tells the loop one started waiting.
	pacing   atomic.Int32
	paced    chan struct{}
	stopCh   chan struct{}
	stopping atomic.Bool
	fenced   atomic.Bool // a claim was refused: another console holds delivery
	loopDone chan struct{}
	exited   chan workerExit
	workers  sync.WaitGroup

	sendCtx    context.Context // cancelled only when Close runs out of time
	cancelSend context.CancelFunc

	recIn   chan recordReq
	recDone chan struct{}

	langMu sync.Mutex
	langs  map[int64]teamLang // team language cache

	govMu sync.Mutex
	govs  map[int64]*governor
	// seeded: the send windows were seeded from the sends recorded before it (Start).
	seeded time.Time

	randMu sync.Mutex

	startOnce, closeOnce sync.Once
	started              atomic.Bool
}

type workerExit struct {
	robotID int64
	nextAt  time.Time // when the robot has work again; zero = when kicked
}

// New returns an engine over d that sends with s.
func New(d *db.DB, s Sender, opts Options) *Engine {
	if opts.MaxAge <= 0 {
		opts.MaxAge = 24 * time.Hour
	}
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.ClaimBatch <= 0 {
		opts.ClaimBatch = 32
	}
	if opts.ScanBatch < opts.ClaimBatch {
		opts.ScanBatch = max(512, opts.ClaimBatch)
	}
	if opts.RecordBatch <= 0 {
		opts.RecordBatch = 512
	}
	if opts.RecordLinger <= 0 {
		opts.RecordLinger = 2 * time.Millisecond
	}
	if opts.BackoffBase <= 0 {
		opts.BackoffBase = 2 * time.Second
	}
	if opts.BackoffMax <= 0 {
		opts.BackoffMax = 5 * time.Minute
	}
	if opts.Jitter < 0 || opts.Jitter >= 1 {
		opts.Jitter = 0
	} else if opts.Jitter == 0 {
		opts.Jitter = 0.2
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.ExpireInterval <= 0 {
		opts.ExpireInterval = time.Minute
	}
	if opts.DepthInterval <= 0 {
		opts.DepthInterval = 15 * time.Second
	}
	if opts.DigestTitles <= 0 {
		opts.DigestTitles = 50
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	if opts.ClaimLease <= 0 {
		opts.ClaimLease = 30 * time.Second
	}
	sendCtx, cancel := context.WithCancel(context.Background())
	return &Engine{db: d, sender: s, opts: opts, clock: opts.Clock, log: opts.Log, obs: opts.Observer,
		kick: make(chan struct{}, 1), idleReq: make(chan chan struct{}), paced: make(chan struct{}, 1), stopCh: make(chan struct{}), loopDone: make(chan struct{}),
		exited: make(chan workerExit), sendCtx: sendCtx, cancelSend: cancel,
		recIn: make(chan recordReq, opts.RecordBatch), recDone: make(chan struct{}), govs: map[int64]*governor{}}
}

// Start recovers notifications a crashed process left in state sending, seeds each
// robot's send window from the last minute of attempts, expires what is too old and
// starts draining. ctx bounds only these start-up steps; the engine runs until Close.
func (e *Engine) Start(ctx context.Context) error {
	err := errors.New("outbox: engine already started")
	e.startOnce.Do(func() {
		err = e.start(ctx)
	})
	return err
}

func (e *Engine) start(ctx context.Context) error {
	now := e.clock.Now()
	recovered, err := e.db.RecoverSendingByRobot(ctx, now)
	if err != nil {
		return err
	}
	n := 0
	for _, k := range recovered {
		n += k
	}
	if n > 0 {
		e.log.Warn("outbox: queued again notifications a previous run claimed but did not record; "+
			"the one request per robot that may have been in flight can be delivered twice", "notifications", n)
	}
	sends, err := e.db.RecentSends(ctx, now.Add(-minuteWindow))
	if err != nil {
		return err
	}
	e.seeded = now // the sends recorded before now are counted here (test-sends included)
	for id, ts := range sends {
		g := e.governor(id)
		for _, t := range ts {
			g.record(t)
		}
	}
	// A recovered robot may have had one request in flight that the platform counted but
	// nobody recorded (its console died mid-send): count it as sent now, so the budget of
	// a robot taken over from a dead console is never overrun.
	for id := range recovered {
		e.governor(id).record(now)
	}
	e.expire(ctx)
	e.started.Store(true)
	go e.runRecorder()
	go e.loop()
	e.Wake()
	return nil
}

// Wake tells the engine that notifications were queued. It never blocks.
func (e *Engine) Wake() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Fenced reports whether the engine stopped sending because another console took the
// delivery role over (a claim was refused under its fence).
func (e *Engine) Fenced() bool { return e.fenced.Load() }

// Close stops claiming, waits for the sends in flight to finish and be recorded
// (until ctx ends; then they are cancelled and recorded as retries) and leaves
// everything else queued. The database stays open.
func (e *Engine) Close(ctx context.Context) error {
	var err error
	e.closeOnce.Do(func() {
		e.stopping.Store(true)
		close(e.stopCh)
		if !e.started.Load() {
			return
		}
		<-e.loopDone
		done := make(chan struct{})
		go func() {
			e.workers.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			err = ctx.Err()
			e.cancelSend()
			<-done
		}
		close(e.recIn)
		<-e.recDone
		e.cancelSend()
	})
	return err
}

func (e *Engine) governor(robotID int64) *governor {
	e.govMu.Lock()
	defer e.govMu.Unlock()
	g := e.govs[robotID]
	if g == nil {
		g = &governor{}
		e.govs[robotID] = g
	}
	return g
}

// loop is the dispatcher: it starts one worker per robot that has due work, and wakes
// up on Wake, when a robot's next notification or budget is due, and periodically.
func (e *Engine) loop() {
	defer close(e.loopDone)
	running := map[int64]bool{}
	recheck := map[int64]bool{}
	notBefore := map[int64]time.Time{}
	lastExpire, lastDepth := e.clock.Now(), time.Time{}
	start := func(id int64) {
		running[id] = true
		delete(notBefore, id)
		e.workers.Add(1)
		go func() {
			defer e.workers.Done()
			next := e.runRobot(id)
			select {
			case e.exited <- workerExit{robotID: id, nextAt: next}:
			case <-e.stopCh:
			}
		}()
	}
	var wake time.Time
	scan := func(kicked bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		now := e.clock.Now()
		wake = now.Add(e.opts.PollInterval)
		pending, err := e.db.PendingRobots(ctx)
		if err != nil {
			e.log.Error("outbox: listing robots with pending notifications failed", "error", err)
			return
		}
		for _, p := range pending {
			due := p.HeadDueAt
			if p.ThrottledUntil.After(due) {
				due = p.ThrottledUntil
			}
			if nb := notBefore[p.RobotID]; !kicked && nb.After(due) {
				due = nb
			}
			switch {
			case running[p.RobotID]:
				recheck[p.RobotID] = true
			case due.After(now):
				if due.Before(wake) {
					wake = due
				}
			default:
				start(p.RobotID)
			}
		}
		if now.Sub(lastExpire) >= e.opts.ExpireInterval {
			lastExpire = now
			e.expire(ctx)
		}
		if lastDepth.IsZero() || now.Sub(lastDepth) >= e.opts.DepthInterval {
			lastDepth = now
			if depth, err := e.db.QueueDepth(ctx); err == nil {
				e.obs.QueueDepth(depth)
			}
		}
	}
	var idleWaiters []chan struct{}
	releaseIdle := func() {
		if len(running) > int(e.pacing.Load()) {
			return // a worker is still sending (one waiting for the clock is idle)
		}
		for _, w := range idleWaiters {
			close(w)
		}
		idleWaiters = nil
	}
	scan(true)
	for {
		now := e.clock.Now()
		for _, nb := range notBefore {
			if nb.After(now) && nb.Before(wake) {
				wake = nb
			}
		}
		timer, stop := e.clock.After(wake.Sub(now))
		select {
		case <-e.stopCh:
			stop()
			return
		case <-e.kick:
			stop()
			scan(true)
		case <-e.paced:
			releaseIdle()
		case w := <-e.idleReq:
			stop()
			idleWaiters = append(idleWaiters, w)
			scan(true)
			releaseIdle()
		case <-timer:
			scan(false)
		case x := <-e.exited:
			stop()
			delete(running, x.robotID)
			if !x.nextAt.IsZero() {
				notBefore[x.robotID] = x.nextAt
			}
			if recheck[x.robotID] {
				delete(recheck, x.robotID)
				scan(true)
			}
			releaseIdle()
		}
	}
}

// Idle returns once the engine has looked at the outbox (as Wake makes it) and every
// robot worker it started has finished its pass: whatever was due at the engine's clock is
// sent, and the rest waits for its time. Tests on a manual clock use it to know that
// nothing more will happen until the clock moves.
func (e *Engine) Idle(ctx context.Context) error {
	w := make(chan struct{})
	select {
	case e.idleReq <- w:
	case <-e.loopDone:
		return errors.New("delivery: engine stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-w:
		return nil
	case <-e.loopDone:
		return errors.New("delivery: engine stopped")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// expire gives up on notifications older than MaxAge, visibly.
func (e *Engine) expire(ctx context.Context) {
	now := e.clock.Now()
	for {
		rows, err := e.db.ExpireOlderThan(ctx, now.Add(-e.opts.MaxAge), now, e.opts.MaxAge, 500)
		if err != nil {
			e.log.Error("outbox: expiring old notifications failed", "error", err)
			return
		}
		for _, r := range rows {
			e.obs.Outcome(r.Platform, r.RobotID, db.OutcomeExpired, 0)
		}
		if len(rows) > 0 {
			e.log.Warn("outbox: notifications expired undelivered", "count", len(rows), "max_age", e.opts.MaxAge)
		}
		if len(rows) < 500 {
			return
		}
	}
}

// backoff is the delay before retry n (n = attempts already made, from 0):
// BackoffBase·2^n capped at BackoffMax, ± Jitter.
func (e *Engine) backoff(n int) time.Duration {
	d := e.opts.BackoffBase
	for i := 0; i < n && d < e.opts.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, e.opts.BackoffMax)
	e.randMu.Lock()
	r := e.opts.Rand()
	e.randMu.Unlock()
	return time.Duration(float64(d) * (1 + e.opts.Jitter*(2*r-1)))
}

// rateLimitWait is how long a robot waits after a rate-limit answer: the window that was
// hit (a Feishu robot waits 1 s after a per-second refusal and the rest of the minute after
// a per-minute one; DingTalk and WeCom count per minute), or longer when the platform asks.
func rateLimitWait(g *governor, lim notify.Limit, now time.Time, retryAfter time.Duration) time.Duration {
	wait := minuteRateWait
	if g.windowHit(now, lim) == time.Second {
		wait = secondRateWait
	} else if free := g.nextFree(now, lim); free.After(now) {
		wait = free.Sub(now)
	}
	if retryAfter > minuteRateWait && wait < retryAfter {
		return retryAfter // the platform named a longer wait (Retry-After)
	}
	return max(wait, secondRateWait)
}
