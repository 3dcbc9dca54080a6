package pipeline

import (
	"context"
	"time"

	"alertdesk/db"
)

// Several consoles on one database (issue 18): every console runs the intake (Ingest) and
// keeps its rules current; the timed work runs where the console holds the role:
// RunTimers under the pipeline role, RunJobs under the jobs role. A pipeline built with
// Options.ExternalTimers leaves both to its caller (cmd/web's role runner) and polls the
// database's rules version instead, so that a rule or silence changed on another console
// takes effect here within a second.

// fence is the pipeline role's tenure the flushes run under (zero: none, a single console).
func (p *Pipeline) fence() db.Fence {
	if f := p.fencePtr.Load(); f != nil {
		return *f
	}
	return db.Fence{}
}

// RunTimers runs the pipeline role's timed work — group flushes, threshold timers,
// auto-resolve, escalation steps, repeat-until-ack — every half second and whenever the
// pipeline is woken, until ctx ends. Flushes are written under f: once another console
// holds the role they are refused, so a group is never flushed by two consoles.
func (p *Pipeline) RunTimers(ctx context.Context, f db.Fence) {
	p.fencePtr.Store(&f)
	defer p.fencePtr.Store(nil)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		p.timerPass(pctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-p.stop:
			return
		case <-tick.C:
		case <-p.wake:
		}
	}
}

// RunJobs runs the jobs role's pipeline work — daily summaries and shift hand-off
// notices — every 20 seconds until ctx ends. Both remember in the database what they
// posted, so a console taking the role over does not post them again.
func (p *Pipeline) RunJobs(ctx context.Context) {
	tick := time.NewTicker(20 * time.Second)
	defer tick.Stop()
	for {
		jctx, cancel := context.WithTimeout(ctx, time.Minute)
		p.jobsPass(jctx)
		cancel()
		select {
		case <-ctx.Done():
			return
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// rulesVersion names the change counter of rules and silences in change_versions.
const rulesVersion = "rules"

// syncLoop keeps this console's rules and silences current: it reloads when another
// console bumped the rules version (polled every 250 ms), and every 15 seconds anyway
// (silences start and end by the clock).
func (p *Pipeline) syncLoop() {
	defer p.done.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var seen int64 = -1
	last := time.Now()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := p.db.Version(ctx, rulesVersion)
		if err != nil {
			p.log.Error("rules version", "error", err)
		}
		if (err == nil && v != seen) || time.Since(last) > 15*time.Second {
			if rerr := p.Reload(ctx); rerr != nil {
				p.log.Error("reload rules", "error", rerr)
			} else {
				last = time.Now()
				if err == nil {
					seen = v
				}
			}
		}
		cancel()
	}
}
