package handlers_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/handlers"
)

// tryLogin posts one sign-in attempt from c and returns the status.
func tryLogin(t *testing.T, c *client, user, pw string) int {
	t.Helper()
	if c.csrf == "" {
		c.get(t, "/login")
	}
	return c.postForm(t, "/login", url.Values{"username": {user}, "password": {pw}}, false).Code
}

// newThrottleServer is a test server whose clock stands still unless the test moves it.
func newThrottleServer(t *testing.T) *testServer {
	ts := newTestServer(t)
	ts.Clock.Freeze()
	return ts
}

func from(ts *testServer, ip string) *client {
	c := ts.anon()
	c.addr = net.JoinHostPort(ip, "40000")
	return c
}

// The lock-out of the attack report: five wrong passwords for admin from one address
// made the right password fail from every address for 15 minutes. Now the attacker's
// own address is slowed down, and admin signs in from another address at once.
func TestThrottleDoesNotLockOutTheOwner(t *testing.T) {
	ts := newThrottleServer(t)
	attacker := from(ts, "198.51.100.7")
	refused := 0
	for range 20 {
		switch code := tryLogin(t, attacker, "admin", "wrong guess"); code {
		case http.StatusUnprocessableEntity:
		case http.StatusTooManyRequests:
			refused++
		default:
			t.Fatalf("attacker's attempt: status %d", code)
		}
	}
	if refused == 0 {
		t.Fatal("20 quick wrong passwords from one address were never slowed down")
	}
	owner := from(ts, "203.0.113.9")
	owner.signIn(t, "admin", testPassword) // fails the test unless 303
}

// Delays grow with each failure of (user, address) and are not a hard refusal: once the
// delay has passed, the right password works from the attacker's address too.
func TestThrottleDelaysGrowThenLetIn(t *testing.T) {
	ts := newThrottleServer(t)
	c := from(ts, "198.51.100.8")
	c.get(t, "/login")
	var waits []int
	for attempts := 0; len(waits) < 5; attempts++ {
		if attempts > 50 {
			t.Fatalf("after 50 attempts only these delays: %v", waits)
		}
		rec := c.postForm(t, "/login", url.Values{"username": {"alice"}, "password": {"wrong guess"}}, false)
		switch rec.Code {
		case http.StatusUnprocessableEntity: // checked, wrong
		case http.StatusTooManyRequests:
			secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
			if err != nil || secs < 1 {
				t.Fatalf("429 without a usable Retry-After: %q", rec.Header().Get("Retry-After"))
			}
			waits = append(waits, secs)
			ts.Clock.Advance(time.Duration(secs) * time.Second)
		default:
			t.Fatalf("status %d; body:\n%s", rec.Code, rec.Body)
		}
	}
	if len(waits) < 3 {
		t.Fatalf("waits = %v, want growing delays after a few failures", waits)
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1] {
			t.Fatalf("waits = %v, want non-decreasing", waits)
		}
	}
	if waits[len(waits)-1] <= waits[0] {
		t.Fatalf("waits = %v, want them to grow", waits)
	}
	// Right password while a delay runs: refused without looking at it.
	if code := tryLogin(t, c, "alice", "wrong guess"); code != http.StatusUnprocessableEntity {
		t.Fatalf("attempt after the delay: status %d, want 422", code)
	}
	if code := tryLogin(t, c, "alice", testPassword); code != http.StatusTooManyRequests {
		t.Fatalf("right password during the delay: status %d, want 429", code)
	}
	ts.Clock.Advance(time.Hour)
	c.signIn(t, "alice", testPassword)
}

// One address guessing many names (or an office behind one NAT address where someone
// mistypes a lot) is slowed per address, but never shut out for long.
func TestThrottlePerAddressIsADelayNotALockout(t *testing.T) {
	ts := newThrottleServer(t)
	nat := from(ts, "192.0.2.50")
	for i := range 60 {
		if tryLogin(t, nat, "nobody"+strconv.Itoa(i), "wrong guess") == http.StatusTooManyRequests {
			ts.Clock.Advance(2 * time.Second)
		}
	}
	colleague := from(ts, "192.0.2.50")
	if tryLogin(t, colleague, "bob", testPassword) == http.StatusTooManyRequests {
		ts.Clock.Advance(time.Minute) // the per-address delay is capped at a minute
	}
	colleague.signIn(t, "bob", testPassword)
}

// 100 refused attempts write one audit row with the count, not 100 rows.
func TestThrottleAuditsRefusalsInAggregate(t *testing.T) {
	ts := newThrottleServer(t)
	c := from(ts, "198.51.100.9")
	for range 4 {
		if code := tryLogin(t, c, "admin", "wrong guess"); code != http.StatusUnprocessableEntity {
			t.Fatalf("status %d, want 422", code)
		}
	}
	for range 100 {
		if code := tryLogin(t, c, "admin", "wrong guess"); code != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", code)
		}
	}
	if n := auditCount(t, ts, "user.login_throttled"); n != 0 {
		t.Fatalf("throttled rows during the burst = %d, want 0 (written when it ends)", n)
	}
	ts.Clock.Advance(2 * time.Minute)
	tryLogin(t, from(ts, "203.0.113.10"), "bob", testPassword) // any attempt closes quiet bursts
	events, _, err := ts.DB.AuditEvents(context.Background(), db.AuditFilter{Action: "user.login_throttled", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || !strings.Contains(events[0].After, `"refused_attempts":100`) || events[0].IP != "198.51.100.9" {
		t.Fatalf("throttled rows = %+v, want one with refused_attempts 100 from 198.51.100.9", events)
	}
	if n := auditCount(t, ts, "user.login_failed"); n != 4 {
		t.Fatalf("login_failed rows = %d, want 4 (one per password actually checked)", n)
	}
}

// X-Forwarded-For is believed only from a listed proxy: otherwise an attacker would pick
// a fresh address for every guess (or someone else's to slow them down).
func TestThrottleClientAddressFromTrustedProxyOnly(t *testing.T) {
	ts := newThrottleServer(t)
	guess := func(c *client, n int) (refused bool) {
		for range n {
			if tryLogin(t, c, "admin", "wrong guess") == http.StatusTooManyRequests {
				refused = true
			}
		}
		return refused
	}
	// No trusted proxy: a forged header changes nothing, the peer address is throttled.
	direct := from(ts, "198.51.100.20")
	for i := range 10 {
		direct.header = http.Header{"X-Forwarded-For": {"10.9.8." + strconv.Itoa(i)}}
		guess(direct, 1)
	}
	direct.header = http.Header{"X-Forwarded-For": {"10.9.9.9"}}
	if !guess(direct, 1) {
		t.Fatal("forged X-Forwarded-For from an untrusted peer escaped the throttle")
	}

	// Behind a listed proxy, each client behind it is judged by its own address.
	_, proxyNet, _ := net.ParseCIDR("192.0.2.0/28")
	ts.rebuild(func(d *handlers.Deps) { d.Config.TrustedProxies = []*net.IPNet{proxyNet} })
	viaProxy := from(ts, "192.0.2.3")
	viaProxy.header = http.Header{"X-Forwarded-For": {"198.51.100.30"}}
	if !guess(viaProxy, 10) {
		t.Fatal("a client behind the trusted proxy was not throttled")
	}
	other := from(ts, "192.0.2.3")
	other.header = http.Header{"X-Forwarded-For": {"203.0.113.31"}}
	other.signIn(t, "admin", testPassword)
	rows, _, err := ts.DB.AuditEvents(context.Background(), db.AuditFilter{Action: "user.login", Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].IP != "203.0.113.31" {
		t.Fatalf("login audit = %+v, %v; want the client's address from X-Forwarded-For", rows, err)
	}
}

// Two consoles on one database share the throttle: failures counted on one delay the
// next attempt on the other (a load balancer sends each attempt anywhere), and a
// restarted console remembers them. The owner still signs in from another address.
func TestThrottleSharedBetweenConsoles(t *testing.T) {
	ts := newThrottleServer(t)
	other := *ts
	other.Server = handlers.New(ts.deps) // a second console on the same database
	for range 4 {
		if code := tryLogin(t, from(ts, "198.51.100.20"), "admin", "wrong guess"); code != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password on console 1: status %d, want 422", code)
		}
	}
	if code := tryLogin(t, from(ts, "198.51.100.20"), "admin", "wrong guess"); code != http.StatusTooManyRequests {
		t.Fatalf("fifth attempt on console 1: status %d, want 429", code)
	}
	if code := tryLogin(t, from(&other, "198.51.100.20"), "admin", testPassword); code != http.StatusTooManyRequests {
		t.Fatalf("the same address on console 2 during the delay: status %d, want 429", code)
	}
	from(&other, "203.0.113.20").signIn(t, "admin", testPassword)
	ts.Clock.Advance(time.Hour)
	from(&other, "198.51.100.20").signIn(t, "admin", testPassword)
}
