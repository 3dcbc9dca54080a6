package handlers

import (
	"sync"
	"time"
)

// loginThrottle slows password guessing without locking anyone out. Failed sign-ins are
// counted per (user name, client address) and per client address; past a few free
// failures each further attempt on that key must wait a delay that doubles with every
// failure, up to a cap. An attempt that comes too early is refused before the password is
// looked at. Because the pair key includes the address, guessing admin's password from
// one address never delays admin signing in from another; the per-address delay is capped
// low, so an office behind one NAT address is slowed by an attacker among it, not shut out.
//
// The state lives in memory: a restart forgets it, and several console processes would
// not share it. That is acceptable for a single-process console; a shared store belongs
// with the sessions table if the console is ever run as several replicas.
type loginThrottle struct {
	mu     sync.Mutex
	now    func() time.Time
	keys   map[string]*throttleKey
	bursts map[string]*refusedBurst
	pair   throttleRule
	addr   throttleRule
	forget time.Duration // a key's failures are forgotten this long after its last one
	gap    time.Duration // refusals this far apart belong to different bursts
}

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

type throttleKey struct {
	failures int
	last     time.Time
}

// refusedBurst is a run of refused attempts for one (user name, address), audited as
// one row with a count when it ends.
type refusedBurst struct {
	User, IP    string
	Count       int
	First, Last time.Time
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{now: time.Now, keys: map[string]*throttleKey{}, bursts: map[string]*refusedBurst{},
		pair:   throttleRule{free: 3, base: time.Second, max: 15 * time.Minute},
		addr:   throttleRule{free: 10, base: time.Second, max: time.Minute},
		forget: time.Hour, gap: time.Minute}
}

func pairKey(user, ip string) string { return "u:" + user + "\x00ip:" + ip }
func addrKey(ip string) string       { return "ip:" + ip }

// wait returns how long user at ip must still wait before the next attempt (0 = go ahead).
func (t *loginThrottle) wait(user, ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	return max(t.waitFor(pairKey(user, ip), t.pair, now), t.waitFor(addrKey(ip), t.addr, now))
}

func (t *loginThrottle) waitFor(key string, r throttleRule, now time.Time) time.Duration {
	k := t.keys[key]
	if k == nil {
		return 0
	}
	if now.Sub(k.last) >= t.forget {
		delete(t.keys, key)
		return 0
	}
	return max(0, k.last.Add(r.delay(k.failures)).Sub(now))
}

// fail counts a wrong password (or unknown user) for user at ip.
func (t *loginThrottle) fail(user, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.keys) > 100_000 { // bound memory under a credential-stuffing flood
		for key, k := range t.keys {
			if now.Sub(k.last) >= t.forget {
				delete(t.keys, key)
			}
		}
	}
	for _, key := range []string{pairKey(user, ip), addrKey(ip)} {
		k := t.keys[key]
		if k == nil || now.Sub(k.last) >= t.forget {
			k = &throttleKey{}
			t.keys[key] = k
		}
		k.failures++
		k.last = now
	}
}

// succeed forgets the failures of user at ip (the address's own count stays).
func (t *loginThrottle) succeed(user, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, pairKey(user, ip))
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
