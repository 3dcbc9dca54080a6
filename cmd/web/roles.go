package main

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/notify"
	"alertdesk/pipeline"
)

// The console's roles (db.Console): the work that runs on exactly one console of a
// database at a time. On SQLite this console holds them all from start to shutdown.
//
//   - pipeline: group flushes, threshold timers, auto-resolve, escalation steps and
//     repeat-until-ack (pipeline.RunTimers);
//   - delivery: the outbox engine (claims, sends, retries, digests, expiry, the send
//     governor), a new delivery.Engine per tenure: its Start is the crash recovery a
//     console runs at start (claims left in sending are queued again, the send windows
//     are seeded from the last minute of attempts, plus one send per robot that may have
//     been in flight);
//   - jobs: daily summaries, shift hand-offs (pipeline.RunJobs) and retention.
//
// The three are separate leases because nothing ties them: they meet only in the database
// (the outbox between pipeline and delivery), and every write is serialised by the writer
// lock. Usually one console takes all three; after a death they may land on different
// consoles, which then wake each other only through the engine's 1 s poll of the outbox.

// deliveryRole is the delivery engine while this console holds the role. Handlers and
// the pipeline see it as their delivery service: Wake reaches the running engine (if
// any), a test-send goes through the running engine's governor or, without the role,
// through a standby engine that counts the robot's recorded sends of the last minute.
type deliveryRole struct {
	build   func(f db.Fence) *delivery.Engine
	standby *delivery.Engine
	log     *slog.Logger
	// shutdownWait bounds the sends in flight at a clean shutdown; a lost lease gives them
	// lostWait (less than the lease margin, so they end before another console starts).
	shutdownWait, lostWait time.Duration
	shuttingDown           atomic.Bool

	mu  sync.Mutex
	cur *delivery.Engine
}

func (r *deliveryRole) current() *delivery.Engine {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// Wake tells the running engine that notifications were queued.
func (r *deliveryRole) Wake() {
	if e := r.current(); e != nil {
		e.Wake()
	}
}

// TestSend sends a test message through the robot's governor.
func (r *deliveryRole) TestSend(ctx context.Context, a db.Actor, robot db.Robot, ruleID int64, msg notify.Message) (delivery.TestSendResult, error) {
	if e := r.current(); e != nil {
		return e.TestSend(ctx, a, robot, ruleID, msg)
	}
	return r.standby.TestSend(ctx, a, robot, ruleID, msg)
}

func (r *deliveryRole) work() db.RoleWork {
	return db.RoleWork{
		Start: func(ctx context.Context, f db.Fence) error {
			e := r.build(f)
			if err := e.Start(ctx); err != nil {
				return err
			}
			r.mu.Lock()
			r.cur = e
			r.mu.Unlock()
			return nil
		},
		Stop: func() {
			r.mu.Lock()
			e := r.cur
			r.cur = nil
			r.mu.Unlock()
			if e == nil {
				return
			}
			wait := r.lostWait
			if r.shuttingDown.Load() {
				wait = r.shutdownWait
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			if err := e.Close(ctx); err != nil {
				r.log.Warn("delivery engine: sends still in flight when it stopped were cancelled; the console holding delivery next sends them again",
					"error", err)
			}
		},
	}
}

// loopRole runs fns in goroutines while the role is held; Stop cancels them and waits.
func loopRole(fns ...func(ctx context.Context, f db.Fence)) db.RoleWork {
	var mu sync.Mutex
	var cancel context.CancelFunc
	var wg sync.WaitGroup
	return db.RoleWork{
		Start: func(_ context.Context, f db.Fence) error {
			mu.Lock()
			defer mu.Unlock()
			var ctx context.Context
			ctx, cancel = context.WithCancel(context.Background())
			for _, fn := range fns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					fn(ctx, f)
				}()
			}
			return nil
		},
		Stop: func() {
			mu.Lock()
			c := cancel
			cancel = nil
			mu.Unlock()
			if c != nil {
				c()
			}
			wg.Wait()
		},
	}
}

// roleWork is every role's work for this console.
func roleWork(dr *deliveryRole, alerts *pipeline.Pipeline, database *db.DB, retention time.Duration, log *slog.Logger) map[string]db.RoleWork {
	return map[string]db.RoleWork{
		db.RolePipeline: loopRole(alerts.RunTimers),
		db.RoleDelivery: dr.work(),
		db.RoleJobs: loopRole(
			func(ctx context.Context, _ db.Fence) { alerts.RunJobs(ctx) },
			func(ctx context.Context, _ db.Fence) {
				database.RunRetention(ctx, retention, time.Hour, log.With("component", "retention"))
			}),
	}
}

// errKeysFromFiles: a second console on PostgreSQL whose keys come from its data directory.
var errKeysFromFiles = errors.New("another console is running on this PostgreSQL database, and this one's keys come from its data " +
	"directory's keys.json, which cannot be shared between machines: set ALERTDESK_ENCRYPTION_KEY and ALERTDESK_SESSION_KEY " +
	"(the same values) in the environment of every console sharing the database")
