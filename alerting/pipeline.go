package alerting

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
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
	db      *db.DB
	log     *slog.Logger
	now     func() time.Time
	baseURL string
	kick    func()
	people  PeopleResolver

	rules atomic.Pointer[ruleSet]
	jobs  chan *job
	wake  chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup

	// Received counts stored (not duplicate) alerts per source, for metrics.
	OnReceived func(source string, n int)
}

// PeopleResolver resolves a rule's mentions into the people to @-mention.
type PeopleResolver func(ctx context.Context, teamID int64, contactIDs, groupIDs []int64) ([]db.MentionPerson, error)

// PipelineOptions configure NewPipeline.
type PipelineOptions struct {
	BaseURL string
	Now     func() time.Time
	Kick    func() // wakes the delivery engine after notifications were queued
	People  PeopleResolver
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
	alerts []Alert
	prep   []prepared
	rs     *ruleSet
	res    IngestResult
	err    error
	done   chan struct{}
}

// prepared is an alert with everything that needs no database worked out in the
// request's goroutine (matching, JSON, group keys), so the single writer only writes.
type prepared struct {
	alert       *Alert
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

func prepare(rs *ruleSet, teamID int64, alerts []Alert) []prepared {
	candidates := rs.all
	if teamID != 0 {
		candidates = rs.byTeam[teamID]
	}
	out := make([]prepared, len(alerts))
	for i := range alerts {
		a := &alerts[i]
		pr := prepared{alert: a, labels: mustJSON(a.Labels), annotations: mustJSON(a.Annotations), values: mustJSON(a.Values)}
		for _, r := range candidates {
			if r.Source != "" && r.Source != a.Source {
				continue
			}
			if ok, _ := r.matchers.Match(a.Labels); ok {
				pr.matches = append(pr.matches, match{rule: r, groupKey: GroupKey(r.ID, r.GroupBy, a.Labels),
					groupLabels: mustJSON(GroupLabels(r.GroupBy, a.Labels))})
			}
		}
		out[i] = pr
	}
	return out
}

type compiledRule struct {
	db.Rule
	matchers Matchers
	cond     *Condition
	quiet    []QuietWindow
}

type compiledSilence struct {
	teamID int64
	Silence
}

type ruleSet struct {
	all      []*compiledRule
	byTeam   map[int64][]*compiledRule
	byID     map[int64]*compiledRule
	silences []compiledSilence
}

// NewPipeline builds a pipeline; call Start to run it.
func NewPipeline(d *db.DB, log *slog.Logger, opts PipelineOptions) *Pipeline {
	p := &Pipeline{db: d, log: log, now: opts.Now, baseURL: opts.BaseURL, kick: opts.Kick, people: opts.People,
		jobs: make(chan *job, 4096), wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if p.now == nil {
		p.now = time.Now
	}
	if p.kick == nil {
		p.kick = func() {}
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
	go p.flushLoop()
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
		return fmt.Errorf("alerting: load rules: %w", err)
	}
	silences, err := p.db.ActiveSilences(ctx, p.now())
	if err != nil {
		return fmt.Errorf("alerting: load silences: %w", err)
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
		ms, err := CompileMatchers(s.Matchers)
		if err != nil {
			continue
		}
		rs.silences = append(rs.silences, compiledSilence{teamID: s.TeamID,
			Silence: Silence{ID: s.ID, Matchers: ms, StartsAt: s.StartsAt, EndsAt: s.EndsAt, Comment: s.Comment, CreatedBy: s.CreatedBy}})
	}
	p.rules.Store(rs)
	p.Wake()
	return nil
}

// ReloadAsync reloads in the background (for handlers that must not wait).
func (p *Pipeline) ReloadAsync() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Reload(ctx); err != nil {
			p.log.Error("reload rules", "error", err)
		}
	}()
}

// CompileMatchers turns stored matchers into matchers.
func CompileMatchers(in []db.Matcher) (Matchers, error) {
	out := make(Matchers, 0, len(in))
	for _, m := range in {
		cm, err := NewMatcher(m.Name, MatchOp(m.Op), m.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, cm)
	}
	return out, nil
}

// compileRule prepares a stored rule for matching.
func compileRule(r db.Rule) (*compiledRule, error) {
	ms, err := CompileMatchers(r.Matchers)
	if err != nil {
		return nil, err
	}
	cr := &compiledRule{Rule: r, matchers: ms}
	if r.Condition != nil {
		cr.cond = &Condition{Metric: r.Condition.Metric, Op: Comparison(r.Condition.Op), Threshold: r.Condition.Threshold,
			For: time.Duration(r.Condition.ForMS) * time.Millisecond}
	}
	for _, q := range r.QuietHours {
		w := QuietWindow{From: q.From, To: q.To, TimeZone: q.TZ}
		for _, d := range q.Days {
			w.Days = append(w.Days, time.Weekday(d))
		}
		cr.quiet = append(cr.quiet, w)
	}
	return cr, nil
}

// ErrStopped: the pipeline is shutting down and takes no more alerts.
var ErrStopped = errors.New("alerting: pipeline stopped")

// Ingest stores alerts for a token's team (0 = a global token) and returns once they,
// and the group changes they cause, are committed.
func (p *Pipeline) Ingest(ctx context.Context, teamID int64, alerts []Alert) (IngestResult, error) {
	rs := p.rules.Load()
	j := &job{ctx: ctx, teamID: teamID, alerts: alerts, rs: rs, prep: prepare(rs, teamID, alerts), done: make(chan struct{})}
	select {
	case p.jobs <- j:
	case <-p.stop:
		return IngestResult{}, ErrStopped
	case <-ctx.Done():
		return IngestResult{}, ctx.Err()
	}
	select {
	case <-j.done:
		return j.res, j.err
	case <-ctx.Done():
		// The batch may still commit; the sender will redeliver and dedup absorbs it.
		return IngestResult{}, ctx.Err()
	}
}

const maxBatchAlerts = 4000

func (p *Pipeline) writeLoop() {
	defer p.done.Done()
	for {
		var first *job
		select {
		case first = <-p.jobs:
		case <-p.stop:
			// Drain what is queued, then stop.
			for {
				select {
				case j := <-p.jobs:
					p.writeBatch([]*job{j})
				default:
					return
				}
			}
		}
		batch := []*job{first}
		n := len(first.alerts)
	collect:
		for n < maxBatchAlerts {
			select {
			case j := <-p.jobs:
				batch = append(batch, j)
				n += len(j.alerts)
			default:
				break collect
			}
		}
		p.writeBatch(batch)
	}
}

func (p *Pipeline) writeBatch(batch []*job) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	flushSoon := false
	err := p.db.Intake(ctx, func(t *db.IntakeTx) error {
		for i, j := range batch {
			if j.ctx.Err() != nil {
				j.err = j.ctx.Err()
				continue
			}
			sp := "r" + strconv.Itoa(i)
			if err := t.Savepoint(sp); err != nil {
				return err
			}
			res, soon, err := p.ingestOne(t, j.teamID, j.prep)
			if err != nil {
				j.err = err
				if rerr := t.RollbackTo(sp); rerr != nil {
					return rerr
				}
				continue
			}
			if err := t.Release(sp); err != nil {
				return err
			}
			j.res = res
			flushSoon = flushSoon || soon
		}
		return nil
	})
	for _, j := range batch {
		if err != nil && j.err == nil {
			j.err = err
		}
		if j.err == nil && p.OnReceived != nil && j.res.Stored > 0 && len(j.alerts) > 0 {
			p.OnReceived(j.alerts[0].Source, j.res.Stored)
		}
		close(j.done)
	}
	if err != nil {
		p.log.Error("intake batch failed", "error", err, "requests", len(batch))
	}
	if flushSoon {
		p.Wake()
	}
}

// ingestOne stores one request's prepared alerts and updates groups; soon reports that a
// group became due at once (group wait 0).
func (p *Pipeline) ingestOne(t *db.IntakeTx, teamID int64, prep []prepared) (res IngestResult, soon bool, err error) {
	now := t.Now
	rows := make([]db.NewAlert, len(prep))
	stored := make([]db.StoredAlert, len(prep))
	for i := range prep {
		pr := &prep[i]
		a := pr.alert
		stored[i] = db.StoredAlert{TeamID: teamID, Source: a.Source, Fingerprint: a.Fingerprint, Status: a.Status, Name: a.Name(),
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, ReceivedAt: now}
		if stored[i].StartsAt.IsZero() {
			stored[i].StartsAt = now
		}
		for _, m := range pr.matches {
			stored[i].MatchedRules = append(stored[i].MatchedRules, m.rule.ID)
		}
		rows[i] = db.NewAlert{Alert: &stored[i], Labels: pr.labels, Annotations: pr.annotations, Values: pr.values}
	}
	if err := t.InsertAlerts(rows); err != nil {
		return res, false, err
	}
	for i := range prep {
		pr := &prep[i]
		a := pr.alert
		if !rows[i].Inserted {
			res.Duplicates++
			continue
		}
		res.Stored++
		res.Matched += len(pr.matches)
		for _, m := range pr.matches {
			r := m.rule
			status := a.Status
			if r.cond != nil {
				st, ok, err := p.stepSeries(t, r, a, stored[i].ID)
				if err != nil {
					return res, false, err
				}
				if !ok {
					continue
				}
				status = st
			}
			changed, err := t.JoinGroup(r.ID, m.groupKey, m.groupLabels, a.Fingerprint, stored[i].ID, status, now.Add(r.GroupWait))
			if err != nil {
				return res, false, err
			}
			if changed && r.GroupWait <= 0 {
				soon = true
			}
		}
	}
	return res, soon, nil
}

// stepSeries feeds a threshold rule's series and says which status, if any, the alert has
// for this rule now: "firing" once the condition held for the duration, "resolved" when it
// stops; ok is false while pending or when nothing changed for the group.
func (p *Pipeline) stepSeries(t *db.IntakeTx, r *compiledRule, a *Alert, alertID int64) (string, bool, error) {
	v, has := a.Value(r.cond.Metric)
	prev, _, err := t.Series(r.ID, a.Fingerprint)
	if err != nil {
		return "", false, err
	}
	if !has && a.Status != StatusResolved {
		return "", false, nil // no value to compare: the condition cannot hold
	}
	st, tr := r.cond.Step(SeriesState{PendingSince: prev.PendingSince, Firing: prev.Firing, LastValue: prev.LastValue},
		v, a.Status == StatusResolved, t.Now)
	if err := t.SaveSeries(db.Series{RuleID: r.ID, Fingerprint: a.Fingerprint, PendingSince: st.PendingSince,
		Firing: st.Firing, LastValue: st.LastValue, AlertID: alertID}); err != nil {
		return "", false, err
	}
	switch {
	case tr == BecameFiring || (st.Firing && tr == NoChange):
		return StatusFiring, true, nil
	case tr == BecameResolved:
		return StatusResolved, true, nil
	}
	return "", false, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "{}"
	}
	return string(b)
}

// Wake makes the flusher look for due groups now.
func (p *Pipeline) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Pipeline) flushLoop() {
	defer p.done.Done()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	lastSilences := time.Time{}
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		case <-p.wake:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if p.now().Sub(lastSilences) > 15*time.Second {
			// Silences start and end by the clock; refresh the active set now and then.
			if err := p.Reload(ctx); err != nil {
				p.log.Error("reload rules", "error", err)
			}
			lastSilences = p.now()
		}
		if err := p.tickSeries(ctx); err != nil {
			p.log.Error("threshold timers", "error", err)
		}
		if err := p.FlushDue(ctx); err != nil {
			p.log.Error("group flush", "error", err)
		}
		cancel()
	}
}

// tickSeries fires pending threshold series whose duration has passed without a new
// observation (their last value still holds).
func (p *Pipeline) tickSeries(ctx context.Context) error {
	pending, err := p.db.PendingSeries(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	rs := p.rules.Load()
	now := p.now()
	for _, sr := range pending {
		r := rs.byID[sr.RuleID]
		if r == nil || r.cond == nil {
			continue
		}
		st, tr := r.cond.Tick(SeriesState{PendingSince: sr.PendingSince, LastValue: sr.LastValue}, now)
		if tr != BecameFiring {
			continue
		}
		alert, err := p.db.AlertByID(ctx, db.AllTeams, sr.AlertID)
		if err != nil {
			continue
		}
		err = p.db.Intake(ctx, func(t *db.IntakeTx) error {
			if err := t.SaveSeries(db.Series{RuleID: r.ID, Fingerprint: sr.Fingerprint, PendingSince: st.PendingSince,
				Firing: true, LastValue: st.LastValue, AlertID: sr.AlertID}); err != nil {
				return err
			}
			_, err := t.JoinGroup(r.ID, GroupKey(r.ID, r.GroupBy, alert.Labels), mustJSON(GroupLabels(r.GroupBy, alert.Labels)),
				sr.Fingerprint, sr.AlertID, StatusFiring, now.Add(r.GroupWait))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// FlushDue renders and queues the notifications of every group that is due.
func (p *Pipeline) FlushDue(ctx context.Context) error {
	for {
		groups, err := p.db.DueGroups(ctx, p.now(), 100)
		if err != nil {
			return err
		}
		if len(groups) == 0 {
			return nil
		}
		queued := false
		for _, g := range groups {
			q, err := p.flushGroup(ctx, g)
			if err != nil {
				return fmt.Errorf("group %d: %w", g.ID, err)
			}
			queued = queued || q
		}
		if queued {
			p.kick()
		}
		if len(groups) < 100 {
			return nil
		}
	}
}

// flushGroup decides what a due group says, renders it per robot and writes it.
func (p *Pipeline) flushGroup(ctx context.Context, g db.AlertGroup) (bool, error) {
	rs := p.rules.Load()
	r := rs.byID[g.RuleID]
	now := p.now()
	if r == nil {
		// Rule disabled or deleted: nothing to say now; keep the group for when it returns.
		return false, p.db.FlushGroup(ctx, db.GroupFlush{GroupID: g.ID})
	}
	members, err := p.db.AlertGroupMembers(ctx, g.ID)
	if err != nil {
		return false, err
	}
	var firing, resolved []db.StoredAlert
	changed := false
	for _, m := range members {
		if !m.Notified {
			changed = true
		}
		switch {
		case m.Alert.Status == StatusFiring:
			firing = append(firing, m.Alert)
		case !m.Notified:
			resolved = append(resolved, m.Alert)
		}
	}
	kind := ""
	switch {
	case len(firing) > 0 && (changed || !g.LastSentAt.IsZero()):
		kind = "firing"
	case len(firing) == 0 && len(resolved) > 0 && r.SendResolved:
		kind = "resolved"
	}
	next := time.Time{}
	if len(firing) > 0 {
		next = now.Add(r.RepeatInterval)
	}
	flush := db.GroupFlush{GroupID: g.ID, NextFlush: next}
	if kind == "" {
		return false, p.db.FlushGroup(ctx, flush)
	}
	send := append([]db.StoredAlert{}, firing...)
	if r.SendResolved {
		send = append(send, resolved...)
	}
	// Silences mute single alerts; a notification whose alerts are all silenced is muted.
	var silencedBy []string
	var kept []db.StoredAlert
	for _, a := range send {
		if s := p.silencing(rs, r.TeamID, a.Labels, now); s != nil {
			silencedBy = append(silencedBy, fmt.Sprintf("silence #%d (%s)", s.ID, s.Comment))
			continue
		}
		kept = append(kept, a)
	}
	muted := ""
	if len(kept) == 0 {
		muted = "Silenced: every alert matched " + strings.Join(dedupe(silencedBy), ", ")
		kept = send
	} else if w := r.quietNow(now); w != "" {
		muted = "Held back by the rule's quiet hours " + w
	}
	out, err := p.render(ctx, r, g, kept, kind, muted)
	if err != nil {
		return false, err
	}
	flush.Outgoing = out
	if err := p.db.FlushGroup(ctx, flush); err != nil {
		return false, err
	}
	return muted == "" && len(out) > 0, nil
}

func (r *compiledRule) quietNow(now time.Time) string {
	for _, w := range r.quiet {
		if w.Contains(now) {
			days := make([]string, 0, len(w.Days))
			for _, d := range w.Days {
				days = append(days, d.String()[:3])
			}
			tz := w.TimeZone
			if tz == "" {
				tz = "UTC"
			}
			return fmt.Sprintf("(%s %s–%s %s)", strings.Join(days, ","), w.From, w.To, tz)
		}
	}
	return ""
}

func (p *Pipeline) silencing(rs *ruleSet, teamID int64, labels map[string]string, now time.Time) *compiledSilence {
	for i := range rs.silences {
		s := &rs.silences[i]
		if (s.teamID == 0 || s.teamID == teamID) && s.Mutes(labels, now) {
			return s
		}
	}
	return nil
}

func dedupe(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// render writes one notification per enabled robot of the rule.
func (p *Pipeline) render(ctx context.Context, r *compiledRule, g db.AlertGroup, alerts []db.StoredAlert, kind, muted string) ([]db.Outgoing, error) {
	as := make([]Alert, len(alerts))
	ids := make([]int64, len(alerts))
	var search strings.Builder
	for i, sa := range alerts {
		as[i] = Alert{Source: sa.Source, Fingerprint: sa.Fingerprint, Status: sa.Status, Labels: sa.Labels,
			Annotations: sa.Annotations, Values: sa.Values, StartsAt: sa.StartsAt, EndsAt: sa.EndsAt, GeneratorURL: sa.GeneratorURL}
		ids[i] = sa.ID
		if search.Len() < 2000 {
			search.WriteString(sa.Name)
			for _, k := range sortedKeys(sa.Labels) {
				search.WriteString(" " + k + "=" + sa.Labels[k])
			}
			search.WriteString("\n")
		}
	}
	data := NewTemplateData(as, g.GroupLabels)
	data.RuleName, data.Severity, data.Team, data.Kind = r.Name, r.Severity, r.TeamName, kind
	data.ConsoleURL = p.baseURL + "/history?rule=" + strconv.FormatInt(r.ID, 10)
	whyURL := map[string]string{}
	for i, sa := range alerts {
		whyURL[sa.Fingerprint+sa.Status] = p.baseURL + "/alerts/" + strconv.FormatInt(ids[i], 10)
	}
	for _, list := range [][]TemplateAlert{data.Alerts, data.Firing, data.Resolved} {
		for i := range list {
			list[i].WhyURL = whyURL[list[i].Fingerprint+list[i].Status]
		}
	}
	var people []db.MentionPerson
	if p.people != nil && (len(r.ContactIDs) > 0 || len(r.GroupIDs) > 0) {
		var err error
		if people, err = p.people(ctx, r.TeamID, r.ContactIDs, r.GroupIDs); err != nil {
			return nil, err
		}
	}
	state := db.StateQueued
	if muted != "" {
		state = db.StateMuted
	}
	var out []db.Outgoing
	for _, robotID := range r.RobotIDs {
		robot, err := p.db.RobotByID(ctx, db.TeamScope(r.TeamID), robotID)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !robot.Enabled {
			continue // a disabled robot is not a notification object until enabled again
		}
		rendered, err := p.renderFor(ctx, r, robot.Platform, data)
		if err != nil {
			return nil, err
		}
		n := db.Notification{TeamID: r.TeamID, RobotID: robot.ID, RuleID: r.ID, GroupKey: g.Key, Kind: kind,
			Severity: r.Severity, Title: rendered.Title, Body: rendered.Body, Mentions: db.Mentions{People: people, AtAll: r.AtAll},
			State: state, AlertCount: len(alerts), Search: search.String()}
		if muted != "" {
			n.LastOutcome, n.LastSummary = db.OutcomeMuted, muted
		}
		out = append(out, db.Outgoing{Notification: n, AlertIDs: ids, Platform: robot.Platform, MutedBecause: muted})
	}
	return out, nil
}

// renderFor renders the rule's templates for a platform. A template that fails at run
// time falls back to the platform's default, with a note, so the alert still goes out.
func (p *Pipeline) renderFor(ctx context.Context, r *compiledRule, platform string, data TemplateData) (Rendered, error) {
	defTitle, defBody := DefaultTemplates(platform)
	title, body := r.TitleTemplate, r.BodyTemplate
	if title == "" {
		title = defTitle
	}
	if body == "" {
		body = defBody
	}
	out, err := Render(ctx, title, body, data, RenderLimits{})
	if err == nil {
		return out, nil
	}
	fallback, ferr := Render(ctx, defTitle, defBody, data, RenderLimits{})
	if ferr != nil {
		return Rendered{}, ferr
	}
	fallback.Body = "(The rule's template failed: " + err.Error() + "; the default template was used.)\n\n" + fallback.Body
	return fallback, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
