package delivery

import (
	"math"
	"sync"
	"time"

	"alertdesk/db"
	"alertdesk/notify"
)

// The governor keeps each robot within its platform's rate limit with rolling windows
// of the robot's recent sends.
//
// A send is counted at the moment its answer arrived, which is never earlier than the
// moment the platform counted it; a new send is allowed when fewer than the limit were
// counted in the window before now, which is never later than the moment it will arrive.
// So every window the platform looks at holds at most as many sends as one the governor
// looked at. The windows are a little longer than the platforms' (slack) to absorb clock
// differences.
const (
	minuteWindow = time.Minute + time.Second
	secondWindow = time.Second + 50*time.Millisecond
)

// limitOf is the robot's budget: the platform's limit with the robot's overrides.
func limitOf(r db.Robot) notify.Limit {
	lim := notify.Platform(r.Platform).Limit()
	if r.PerMinute > 0 {
		lim.PerMinute = r.PerMinute
	}
	if r.PerSecond > 0 {
		lim.PerSecond = r.PerSecond
	}
	return lim
}

type governor struct {
	mu   sync.Mutex
	sent []time.Time // ascending; only the last minuteWindow matters
	// reserved counts sends in flight outside the robot's worker (test-sends): they take
	// a slot from the moment they are allowed until their answer is counted.
	reserved int
	// tests are the test-sends this governor counted, by notification id, with their
	// times (so that one recorded by another console is counted once; see learnTestSends).
	tests map[int64]time.Time
}

// knowTest notes that the test-send recorded as notification id is counted already.
func (g *governor) knowTest(id int64, at time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.tests == nil {
		g.tests = map[int64]time.Time{}
	}
	g.tests[id] = at
}

// learnTests counts the recorded test-sends the governor does not know yet (made by
// another console) and forgets the known ones older than the window before now.
// Test-sends made before seeded were counted when the engine seeded its windows.
func (g *governor) learnTests(marks []db.SendMark, now, seeded time.Time) {
	var add []time.Time
	g.mu.Lock()
	if g.tests == nil {
		g.tests = map[int64]time.Time{}
	}
	for id, at := range g.tests {
		if !at.After(now.Add(-2 * minuteWindow)) {
			delete(g.tests, id)
		}
	}
	for _, m := range marks {
		if _, ok := g.tests[m.NotificationID]; !ok && !m.At.Before(seeded) {
			g.tests[m.NotificationID] = m.At
			add = append(add, m.At)
		}
	}
	g.mu.Unlock()
	for _, t := range add {
		g.record(t)
	}
}

func (g *governor) trim(now time.Time) {
	cut := 0
	for cut < len(g.sent) && !g.sent[cut].After(now.Add(-minuteWindow)) {
		cut++
	}
	if cut > 0 {
		g.sent = append(g.sent[:0], g.sent[cut:]...)
	}
}

// countSince counts sends after t.
func (g *governor) countSince(t time.Time) int {
	n := 0
	for i := len(g.sent) - 1; i >= 0 && g.sent[i].After(t); i-- {
		n++
	}
	return n
}

// budget is how many more sends the minute window allows now (a robot with only a
// per-second limit gets sixty seconds' worth).
func (g *governor) budget(now time.Time, lim notify.Limit) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trim(now)
	perMinute := lim.PerMinute
	if perMinute <= 0 && lim.PerSecond > 0 {
		perMinute = lim.PerSecond * 60
	}
	if perMinute <= 0 {
		return math.MaxInt32
	}
	return max(0, perMinute-g.countSince(now.Add(-minuteWindow))-g.reserved)
}

// reserve takes a slot for a send made outside the robot's worker if both windows allow
// one now; otherwise it says when the next slot is. release counts the send when its
// answer arrives.
func (g *governor) reserve(now time.Time, lim notify.Limit) (ok bool, next time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trim(now)
	full := func(limit int, window time.Duration) bool {
		return limit > 0 && g.countSince(now.Add(-window))+g.reserved >= limit
	}
	if full(lim.PerMinute, minuteWindow) || full(lim.PerSecond, secondWindow) {
		g.mu.Unlock()
		next = g.nextFree(now, lim)
		g.mu.Lock()
		if !next.After(now) { // only reservations fill the window: they end within seconds
			next = now.Add(time.Second)
		}
		return false, next
	}
	g.reserved++
	return true, time.Time{}
}

func (g *governor) release(answered time.Time) {
	g.mu.Lock()
	g.reserved--
	g.mu.Unlock()
	g.record(answered)
}

// windowHit says which of the robot's windows a rate-limit refusal most likely came from:
// the minute window when the robot has used its minute budget, else the second window.
func (g *governor) windowHit(now time.Time, lim notify.Limit) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	if lim.PerSecond > 0 && (lim.PerMinute <= 0 || g.countSince(now.Add(-minuteWindow)) < lim.PerMinute) {
		return time.Second
	}
	return time.Minute
}

// nextFree is the earliest time, not before now, at which a send is allowed.
func (g *governor) nextFree(now time.Time, lim notify.Limit) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trim(now)
	at := now
	check := func(limit int, window time.Duration) {
		if limit <= 0 {
			return
		}
		c := g.countSince(now.Add(-window))
		if c < limit {
			return
		}
		// The (c-limit)-th send in the window must leave it: at s + window exactly it no
		// longer counts.
		s := g.sent[len(g.sent)-c+(c-limit)]
		if t := s.Add(window); t.After(at) {
			at = t
		}
	}
	check(lim.PerMinute, minuteWindow)
	check(lim.PerSecond, secondWindow)
	return at
}

func (g *governor) record(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := len(g.sent)
	for i > 0 && g.sent[i-1].After(t) {
		i--
	}
	g.sent = append(g.sent, time.Time{})
	copy(g.sent[i+1:], g.sent[i:])
	g.sent[i] = t
}
