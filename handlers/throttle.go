package handlers

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"alertdesk/db"
)

// loginThrottle slows password guessing without locking anyone out. Failed sign-ins are
// counted per (user name, client address) and per client address; past a few free
// failures each further attempt on that key must wait a delay that doubles with every
// failure, up to a cap. An attempt that comes too early is refused before the password is
// looked at. Because the pair key includes the address, guessing admin's password from
// one address never delays admin signing in from another; the per-address delay is capped
// low, so an office behind one NAT address is slowed by an attacker among it, not shut out.
//
// The counts live in the database (login_failures), so every console sharing it throttles
// alike: a delay earned on one console holds on the others behind the same load balancer,
// and a restart forgets nothing. A key is forgotten an hour after its last failure (the
// rows are pruned now and then). The refused attempts' bursts, which only shape the audit
// log, stay in this console's memory: each console audits the refusals it made.
// A database error while reading the counts lets the attempt through (logged): the
// password check that follows needs the database anyway.
type loginThrottle struct {
	mu        sync.Mutex
	now       func() time.Time
	store     throttleStore
	bursts    map[string]*refusedBurst
	pair      throttleRule
	addr      throttleRule
	forget    time.Duration // a key's failures are forgotten this long after its last one
	gap       time.Duration // refusals this far apart belong to different bursts
	lastPrune time.Time
}

// throttleStore keeps the failure counts (db.DB).
type throttleStore interface {
	LoginFailures(ctx context.Context, user, ip string) (pair, addr db.LoginFailure, err error)
	RecordLoginFailure(ctx context.Context, user, ip string, now time.Time, forget time.Duration) error
	ClearLoginFailures(ctx context.Context, user, ip string) error
	PruneLoginFailures(ctx context.Context, cutoff time.Time) (int64, error)
}

// throttleTimeout bounds each of the throttle's database statements.
const throttleTimeout = 5 * time.Second

// throttleRule: failures beyond free make the next attempt wait base·2^(n-free-1), at most max.
type throttleRule struct {
	free int
	base time.Duration
	max  time.Duration
}

func (r throttleRule) delay(failures int) time.Duration {
	if failures <= r.free {
		return 0
	}
	d := r.base
	for i := r.free + 1; i < failures && d < r.max; i++ {
		d *= 2
	}
	return min(d, r.max)
}

// refusedBurst is a run of refused attempts for one (user name, address), audited as
// one row with a count when it ends.
type refusedBurst struct {
	User, IP    string
	Count       int
	First, Last time.Time
}

func newLoginThrottle(store throttleStore) *loginThrottle {
	return &loginThrottle{now: time.Now, store: store, bursts: map[string]*refusedBurst{},
		pair:   throttleRule{free: 3, base: time.Second, max: 15 * time.Minute},
		addr:   throttleRule{free: 10, base: time.Second, max: time.Minute},
		forget: time.Hour, gap: time.Minute}
}

func pairKey(user, ip string) string { return "u:" + user + "\x00ip:" + ip }

// wait returns how long user at ip must still wait before the next attempt (0 = go ahead).
func (t *loginThrottle) wait(user, ip string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	pair, addr, err := t.store.LoginFailures(ctx, user, ip)
	if err != nil {
		slog.Warn("sign-in throttle: reading the failure counts failed; the attempt goes ahead", "error", err)
		return 0
	}
	now := t.now()
	return max(t.waitFor(pair, t.pair, now), t.waitFor(addr, t.addr, now))
}

func (t *loginThrottle) waitFor(k db.LoginFailure, r throttleRule, now time.Time) time.Duration {
	if k.Failures == 0 || now.Sub(k.Last) >= t.forget {
		return 0
	}
	return max(0, k.Last.Add(r.delay(k.Failures)).Sub(now))
}

// fail counts a wrong password (or unknown user) for user at ip.
func (t *loginThrottle) fail(user, ip string) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	now := t.now()
	if err := t.store.RecordLoginFailure(ctx, user, ip, now, t.forget); err != nil {
		slog.Warn("sign-in throttle: counting a failed sign-in failed", "error", err)
	}
	t.mu.Lock()
	prune := now.Sub(t.lastPrune) >= 10*time.Minute
	if prune {
		t.lastPrune = now
	}
	t.mu.Unlock()
	if prune { // keys forgotten anyway are deleted, so a credential-stuffing flood leaves no heap of rows
		if _, err := t.store.PruneLoginFailures(ctx, now.Add(-t.forget)); err != nil {
			slog.Warn("sign-in throttle: pruning old failure counts failed", "error", err)
		}
	}
}

// succeed forgets the failures of user at ip (the address's own count stays).
func (t *loginThrottle) succeed(user, ip string) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	if err := t.store.ClearLoginFailures(ctx, user, ip); err != nil {
		slog.Warn("sign-in throttle: forgetting the failures after a sign-in failed", "error", err)
	}
}

// refused counts an attempt that came too early; it is audited with its burst.
func (t *loginThrottle) refused(user, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := pairKey(user, ip)
	b := t.bursts[key]
	if b == nil {
		if len(t.bursts) > 10_000 {
			return // the ended bursts are flushed first; beyond that an attacker only loses rows, not us memory
		}
		b = &refusedBurst{User: user, IP: ip, First: now}
		t.bursts[key] = b
	}
	b.Count++
	b.Last = now
}

// endedBursts removes and returns the bursts that ended: quiet for gap, or whose key
// is let through again (before is the key of an attempt about to be allowed).
func (t *loginThrottle) endedBursts(allowedUser, allowedIP string) []refusedBurst {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	allowed := pairKey(allowedUser, allowedIP)
	var out []refusedBurst
	for key, b := range t.bursts {
		if key == allowed || now.Sub(b.Last) >= t.gap {
			out = append(out, *b)
			delete(t.bursts, key)
		}
	}
	return out
}
