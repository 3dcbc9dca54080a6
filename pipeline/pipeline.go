package pipeline

import (
	"alertdesk/alerting"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"alertdesk/db"
)

// Pipeline takes alerts from the intake to the outbox: it stores them, matches them
// against the enabled rules, keeps threshold state, groups them per rule, and after a
// group's wait renders one notification per robot into the outbox.
//
// Intake requests are committed in batches: concurrent requests queue their alerts, one
// goroutine writes a whole batch in a single transaction (a SAVEPOINT per request keeps
// a bad request from undoing the others) and then answers every waiting request. A
// request is acknowledged only after its commit.
type Pipeline struct {
	db       *db.DB
	log      *slog.Logger
	now      func() time.Time
	composer *Composer
	waker    Waker
	observer Observer
	// reopenWindow: a group firing again this soon after its incident ended reopens it.
	reopenWindow time.Duration

	rules atomic.Pointer[ruleSet]
	// externalTimers: the caller runs RunTimers and RunJobs under the roles (several consoles).
	externalTimers bool
	fencePtr       atomic.Pointer[db.Fence]
	jobs           chan *job
	wake           chan struct{}
	stop           chan struct{}
	done           sync.WaitGroup
}

// Waker is woken after notifications were written to the outbox (the delivery engine).
type Waker interface{ Wake() }

// Observer is told what the pipeline does (the metrics package reports it).
type Observer interface {
	// Received: n new alerts stored from source.
	Received(source string, n int)
	// FlushFailed: a group flush failed and will be retried.
	FlushFailed()
}

type nopWaker struct{}

func (nopWaker) Wake() {}

type nopObserver struct{}

func (nopObserver) Received(string, int) {}
func (nopObserver) FlushFailed()         {}

// Options configure New; the zero value works (real clock, nothing woken, no metrics).
type Options struct {
	Now      func() time.Time
	Waker    Waker    // the delivery engine
	Observer Observer // metrics
	// ReopenWindow: a group firing again this soon after its incident resolved or was
	// closed reopens it, later it opens a new one (default DefaultReopenWindow).
	ReopenWindow time.Duration
	// ExternalTimers: Start runs only the intake writer and the rules sync; the timed work
	// runs when the caller calls RunTimers and RunJobs (under the console's roles).
	ExternalTimers bool
}

// IngestResult says what happened to the alerts of one request.
type IngestResult struct {
	Stored     int // new alerts committed
	Duplicates int // redeliveries: committed before, ignored now
	Matched    int // alert × rule matches
}

type job struct {
	ctx    context.Context
	teamID int64
	alerts []alerting.Alert
	prep   []prepared
	rs     *ruleSet
	res    IngestResult
	err    error
	done   chan struct{}
}

// prepared is an alert with everything that needs no database worked out in the
// request's goroutine (matching, JSON, group keys), so the single writer only writes.
type prepared struct {
	alert       *alerting.Alert
	labels      string
	annotations string
	values      string
	matches     []match
}

type match struct {
	rule        *compiledRule
	groupKey    string
	groupLabels string
}

func prepare(rs *ruleSet, teamID int64, alerts []alerting.Alert) []prepared {
	candidates := rs.all
	if teamID != 0 {
		candidates = rs.byTeam[teamID]
	}
	out := make([]prepared, len(alerts))
	for i := range alerts {
		a := &alerts[i]
		pr := prepared{alert: a, labels: mustJSON(a.Labels), annotations: mustJSON(a.Annotations), values: mustJSON(a.Values)}
		for _, r := range candidates {
			if r.accepts(a.Source, a.Labels) == acceptMatched {
				pr.matches = append(pr.matches, match{rule: r, groupKey: alerting.GroupKey(r.ID, r.GroupBy, a.Labels),
					groupLabels: mustJSON(alerting.GroupLabels(r.GroupBy, a.Labels))})
			}
		}
		out[i] = pr
	}
	return out
}

type compiledRule struct {
	db.Rule
	matchers alerting.Matchers
	cond     *alerting.Condition
	quiet    []alerting.QuietWindow
}

type compiledSilence struct {
	teamID int64
	alerting.Silence
}

type ruleSet struct {
	all      []*compiledRule
	byTeam   map[int64][]*compiledRule
	byID     map[int64]*compiledRule
	silences []compiledSilence
}

// New builds a pipeline that composes its messages with composer; call Start to run it.
func New(d *db.DB, composer *Composer, log *slog.Logger, opts Options) *Pipeline {
	p := &Pipeline{db: d, log: log, now: opts.Now, composer: composer, waker: opts.Waker, observer: opts.Observer,
		reopenWindow: opts.ReopenWindow, externalTimers: opts.ExternalTimers,
		jobs: make(chan *job, 4096), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if p.now == nil {
		p.now = time.Now
	}
	if p.waker == nil {
		p.waker = nopWaker{}
	}
	if p.observer == nil {
		p.observer = nopObserver{}
	}
	p.rules.Store(&ruleSet{byTeam: map[int64][]*compiledRule{}, byID: map[int64]*compiledRule{}})
	return p
}

// Start loads the rules and runs the batch writer and the group flusher until Close.
func (p *Pipeline) Start(ctx context.Context) error {
	if err := p.Reload(ctx); err != nil {
		return err
	}
	p.done.Add(2)
	go p.writeLoop()
	if p.externalTimers {
		go p.syncLoop()
	} else {
		go p.flushLoop()
	}
	return nil
}

// Close stops the pipeline after the queued requests are written.
func (p *Pipeline) Close() {
	close(p.stop)
	p.done.Wait()
}

// Reload re-reads enabled rules and active silences; handlers call it after a change.
func (p *Pipeline) Reload(ctx context.Context) error {
	rules, err := p.db.EnabledRules(ctx)
	if err != nil {
		return fmt.Errorf("pipeline: load rules: %w", err)
	}
	silences, err := p.db.ActiveSilences(ctx, p.now())
	if err != nil {
		return fmt.Errorf("pipeline: load silences: %w", err)
	}
	rs := &ruleSet{byTeam: map[int64][]*compiledRule{}, byID: map[int64]*compiledRule{}}
	for _, r := range rules {
		cr, err := compileRule(r)
		if err != nil {
			p.log.Warn("rule skipped: it no longer compiles", "rule_id", r.ID, "error", err)
			continue
		}
		rs.all = append(rs.all, cr)
		rs.byTeam[r.TeamID] = append(rs.byTeam[r.TeamID], cr)
		rs.byID[r.ID] = cr
	}
	for _, s := range silences {
		rs.silences = append(rs.silences, compiledSilence{teamID: s.TeamID,
			Silence: alerting.Silence{ID: s.ID, Matchers: s.Matchers, StartsAt: s.StartsAt, EndsAt: s.EndsAt, Comment: s.Comment, CreatedBy: s.CreatedBy}})
	}
	p.rules.Store(rs)
	p.Wake()
	return nil
}

// ReloadAsync reloads in the background (for handlers that must not wait), and tells
// the other consoles on the database to reload theirs (the rules version).
func (p *Pipeline) ReloadAsync() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.db.BumpVersion(ctx, rulesVersion); err != nil {
			p.log.Error("rules version", "error", err)
		}
		if err := p.Reload(ctx); err != nil {
			p.log.Error("reload rules", "error", err)
		}
	}()
}

// acceptance is a rule's answer to an alert.
type acceptance int

const (
	acceptMatched     acceptance = iota
	acceptWrongSource            // the rule takes alerts of another source only
	acceptNoMatch                // a matcher failed
)

// accepts is the pipeline's matching decision: the intake and the why page both ask it.
func (r *compiledRule) accepts(source string, labels map[string]string) acceptance {
	if r.Source != "" && r.Source != source {
		return acceptWrongSource
	}
	if ok, _ := r.matchers.Match(labels); !ok {
		return acceptNoMatch
	}
	return acceptMatched
}

// compileRule prepares a stored rule for matching.
func compileRule(r db.Rule) (*compiledRule, error) {
	return &compiledRule{Rule: r, matchers: r.Matchers, cond: r.Condition, quiet: r.QuietHours}, nil
}
