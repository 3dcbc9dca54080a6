package db

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Console is this process's membership of the database's consoles: its registry row with
// a heartbeat, and the roles it holds under leases (see cluster.go for what runs where).
//
// On PostgreSQL each role is a lease row renewed every Renew (1 s) until now+TTL (5 s) by
// the database's clock. A console that cannot renew stops the role's work once TTL-Margin
// has passed since the last renewal it sent (by its own monotonic clock), which is before
// the lease can end for the others (an expiry is never earlier than the renewal's send
// time plus TTL): so the old holder has stopped before a new one starts. A console that
// dies (SIGKILL, lost machine) stops renewing; within TTL + Renew another console takes the
// role over and its Start runs the same recovery a console runs at start (claims left in
// sending are queued again). The lease's epoch is a fencing token: claims and group
// flushes are written under it and refused once the role moved on.
//
// On SQLite one console owns the file: the roles are held from Start to Close, with no
// lease.
type Console struct {
	d    *DB
	info ConsoleInfo
	opts ConsoleOptions
	work map[string]RoleWork

	mu   sync.Mutex
	held map[string]Fence

	stop chan struct{}
	wg   sync.WaitGroup
}

// RoleWork starts and stops one role's work. Start runs when the console takes the role
// (it may run recovery first) and returns once the work runs; Stop must stop it promptly
// (within the Margin), and is called only after a successful Start.
type RoleWork struct {
	Start func(ctx context.Context, f Fence) error
	Stop  func()
}

// ConsoleOptions tune a Console; the zero value is the production setting.
type ConsoleOptions struct {
	TTL    time.Duration // lease length; default 5s
	Renew  time.Duration // renewal and heartbeat interval; default 1s
	Margin time.Duration // a holder stops this long before its lease could end; default 2s
	// Now is the clock leases are measured by; default the database's (ClusterNow).
	Now func(ctx context.Context) (time.Time, error)
	Log *slog.Logger
	// OnBeat, when set, is told after each heartbeat which roles the console holds (metrics).
	OnBeat func(held []string, at time.Time)
}

// HeartbeatTimeout: a console whose heartbeat is older is dead.
const HeartbeatTimeout = 10 * time.Second

// NewConsole registers nothing yet: Start does.
func (d *DB) NewConsole(info ConsoleInfo, work map[string]RoleWork, opts ConsoleOptions) *Console {
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Second
	}
	if opts.Renew <= 0 {
		opts.Renew = time.Second
	}
	if opts.Margin <= 0 || opts.Margin >= opts.TTL {
		opts.Margin = min(2*time.Second, opts.TTL/2)
	}
	if opts.Now == nil {
		opts.Now = d.ClusterNow
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if info.ID == "" {
		info.ID = NewConsoleID()
	}
	if info.SchemaVersion == "" {
		info.SchemaVersion = SchemaVersion()
	}
	return &Console{d: d, info: info, opts: opts, work: work, held: map[string]Fence{}, stop: make(chan struct{})}
}

// ID is the console's id.
func (c *Console) ID() string { return c.info.ID }

// Roles lists the roles the console holds now, sorted.
func (c *Console) Roles() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.held))
	for r := range c.held {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// Start registers the console and starts taking its roles (on SQLite: takes them all now).
func (c *Console) Start(ctx context.Context) error {
	now, err := c.opts.Now(ctx)
	if err != nil {
		return err
	}
	if err := c.d.RegisterConsole(ctx, c.info, now); err != nil {
		return err
	}
	roles := make([]string, 0, len(c.work))
	for _, r := range AllRoles {
		if _, ok := c.work[r]; ok {
			roles = append(roles, r)
		}
	}
	for r := range c.work {
		if !contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if !c.d.dia.postgres {
		for _, r := range roles {
			if err := c.work[r].Start(ctx, Fence{}); err != nil {
				c.stopAll()
				return err
			}
			c.setHeld(r, Fence{}, true)
		}
	} else {
		for _, r := range roles {
			c.wg.Add(1)
			go c.runRole(r)
		}
	}
	c.beat()
	c.wg.Add(1)
	go c.heartbeat()
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Close stops every role's work, releases the leases (so another console takes the roles
// at once) and marks the console stopped.
func (c *Console) Close(ctx context.Context) {
	select {
	case <-c.stop:
		return
	default:
	}
	close(c.stop)
	c.wg.Wait()
	if !c.d.dia.postgres {
		c.stopAll()
	}
	now, err := c.opts.Now(ctx)
	if err != nil {
		now = c.d.now()
	}
	if err := c.d.StopConsole(ctx, c.info.ID, now); err != nil {
		c.opts.Log.Warn("console registry: marking this console stopped failed", "error", err)
	}
}

func (c *Console) stopAll() {
	for _, r := range c.Roles() {
		c.work[r].Stop()
		c.setHeld(r, Fence{}, false)
	}
}

func (c *Console) setHeld(role string, f Fence, held bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if held {
		c.held[role] = f
	} else {
		delete(c.held, role)
	}
}

func (c *Console) heartbeat() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.Renew)
	defer t.Stop()
	lastPrune := time.Time{}
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.beat()
		if time.Since(lastPrune) > time.Minute {
			lastPrune = time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if now, err := c.opts.Now(ctx); err == nil {
				// Dead consoles' rows are kept an hour for the record, then removed.
				_, _ = c.d.PruneConsoles(ctx, now.Add(-time.Hour))
			}
			cancel()
		}
	}
}

func (c *Console) beat() {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Renew*3)
	defer cancel()
	now, err := c.opts.Now(ctx)
	roles := c.Roles()
	if err == nil {
		err = c.d.HeartbeatConsole(ctx, c.info.ID, roles, now)
	}
	if err == nil && c.opts.OnBeat != nil {
		c.opts.OnBeat(roles, now)
	}
	if err != nil {
		c.opts.Log.Warn("console heartbeat failed", "error", err)
	}
}

// runRole takes, keeps and gives up one role on PostgreSQL until Close.
func (c *Console) runRole(role string) {
	defer c.wg.Done()
	w := c.work[role]
	log := c.opts.Log.With("role", role)
	var fence Fence
	held := false
	var validUntil time.Time // monotonic: the work stops at this instant without a renewal
	lose := func(why string) {
		log.Warn("console: giving up the role", "reason", why, "epoch", fence.Epoch)
		w.Stop()
		c.setHeld(role, Fence{}, false)
		held = false
		// End the tenure in the database too (best effort): a renewal this console sent
		// that the database carried out late must not leave the old epoch standing, and
		// taking the role again then starts a new epoch (TryLease on an ended lease).
		rctx, rcancel := context.WithTimeout(context.Background(), c.opts.Renew)
		_ = c.d.ReleaseLease(rctx, fence)
		rcancel()
	}
	for {
		wait := c.opts.Renew
		if !held {
			sent := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), c.opts.Renew*2)
			now, err := c.opts.Now(ctx)
			var l Lease
			ok := false
			if err == nil {
				l, ok, err = c.d.TryLease(ctx, role, c.info.ID, now, c.opts.TTL)
			}
			cancel()
			if err != nil {
				log.Warn("console: taking the role failed", "error", err)
			}
			if ok {
				fence = Fence{Role: role, Holder: c.info.ID, Epoch: l.Epoch}
				validUntil = sent.Add(c.opts.TTL - c.opts.Margin)
				log.Info("console: took the role", "epoch", l.Epoch)
				sctx, scancel := context.WithTimeout(context.Background(), c.opts.TTL-c.opts.Margin)
				err := w.Start(sctx, fence)
				scancel()
				if err != nil {
					log.Error("console: starting the role's work failed; releasing it", "error", err)
					rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
					_ = c.d.ReleaseLease(rctx, fence)
					rcancel()
				} else {
					held = true
					c.setHeld(role, fence, true)
					wait = 0 // renew at once: Start may have taken a while
				}
			}
		} else {
			sent := time.Now()
			ctx, cancel := context.WithDeadline(context.Background(), validUntil)
			now, err := c.opts.Now(ctx)
			ok := false
			if err == nil {
				ok, err = c.d.RenewLease(ctx, fence, now, c.opts.TTL)
			}
			cancel()
			switch {
			case err == nil && ok && !time.Now().Before(validUntil):
				// The work had to stop by now whatever the database says: a renewal that
				// comes back this late is treated as the lease's loss.
				lose("the lease's renewal came back too late")
			case err == nil && ok:
				validUntil = sent.Add(c.opts.TTL - c.opts.Margin)
			case err == nil && !ok:
				lose("another console took the role over")
			case !time.Now().Before(validUntil):
				lose("the lease could not be renewed in time: " + err.Error())
			default:
				log.Warn("console: renewing the role's lease failed; trying again", "error", err)
			}
			if held {
				if left := time.Until(validUntil); left < wait {
					wait = max(left, 0)
				}
			}
		}
		if wait == 0 {
			select {
			case <-c.stop:
			default:
				continue
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-c.stop:
			t.Stop()
			if held {
				w.Stop()
				c.setHeld(role, Fence{}, false)
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				if err := c.d.ReleaseLease(ctx, fence); err != nil && !errors.Is(err, context.Canceled) {
					log.Warn("console: releasing the role failed; it passes on when the lease ends", "error", err)
				}
				cancel()
			}
			return
		case <-t.C:
		}
	}
}
