package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

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
	lastSilences, lastSummaries := time.Time{}, time.Time{}
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
		p.timerPass(ctx)
		if p.now().Sub(lastSummaries) > 20*time.Second {
			p.jobsPass(ctx)
			lastSummaries = p.now()
		}
		cancel()
	}
}

// timerPass is one round of the pipeline role's timed work: threshold timers,
// auto-resolve, due group flushes, escalation steps and repeat-until-ack.
func (p *Pipeline) timerPass(ctx context.Context) {
	if err := p.tickSeries(ctx); err != nil {
		p.log.Error("threshold timers", "error", err)
	}
	if err := p.autoResolve(ctx); err != nil {
		p.log.Error("auto-resolve", "error", err)
	}
	if err := p.FlushDue(ctx); err != nil {
		p.log.Error("group flush", "error", err)
	}
	if err := p.Escalate(ctx); err != nil {
		p.log.Error("escalation", "error", err)
	}
}

// jobsPass is one round of the jobs role's pipeline work: daily summaries and shift
// hand-off notices.
func (p *Pipeline) jobsPass(ctx context.Context) {
	if err := p.PostSummaries(ctx); err != nil {
		p.log.Error("daily summaries", "error", err)
	}
	if err := p.PostHandoffs(ctx); err != nil {
		p.log.Error("hand-off notices", "error", err)
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
		st, tr := r.cond.Tick(alerting.SeriesState{PendingSince: sr.PendingSince, LastValue: sr.LastValue}, now)
		if tr != alerting.BecameFiring {
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
			_, err := t.JoinGroup(r.ID, alerting.GroupKey(r.ID, r.GroupBy, alert.Labels), mustJSON(alerting.GroupLabels(r.GroupBy, alert.Labels)),
				[]db.GroupJoin{{Fingerprint: sr.Fingerprint, AlertID: sr.AlertID, Status: alerting.StatusFiring}}, 0, now.Add(r.GroupWait))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
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

// allSilenced reports whether every firing alert of a snapshot is silenced (all of them are
// in it): such a group opens no incident.
func (p *Pipeline) allSilenced(rs *ruleSet, r *compiledRule, snap db.GroupSnapshot, now time.Time) bool {
	if snap.FiringTotal == 0 || len(snap.Firing) != snap.FiringTotal {
		return false
	}
	for _, a := range snap.Firing {
		if p.silencing(rs, r.TeamID, a.Labels, now) == nil {
			return false
		}
	}
	return true
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

// ShownAlerts is how many alerts of each status a message lists; the rest of a group is
// counted ("… and 9,850 more firing") with a link to the group's alerts, so a group of
// any size flushes in bounded time and memory.
const ShownAlerts = 20

// Flush retry backoff: a group whose flush failed is tried again after 2 s, doubling up
// to 5 minutes, while every other group flushes on time.
const (
	flushRetryBase = 2 * time.Second
	flushRetryMax  = 5 * time.Minute
)

// FlushDue renders and queues the notifications of every group that is due. A group that
// cannot be flushed (a template, a robot, anything) is retried with backoff and recorded
// on the group; it never holds up another group.
func (p *Pipeline) FlushDue(ctx context.Context) error {
	const page = 100
	for {
		groups, err := p.db.DueGroups(ctx, p.now(), page)
		if err != nil {
			return err
		}
		queued := false
		for _, g := range groups {
			q, err := p.flushGroup(ctx, g)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, db.ErrFenced) {
					return err // another console flushes now: not this group's failure
				}
				p.flushFailed(ctx, g, err)
				continue
			}
			queued = queued || q
		}
		if queued {
			p.waker.Wake()
		}
		if len(groups) < page {
			return nil
		}
	}
}

func (p *Pipeline) flushFailed(ctx context.Context, g db.AlertGroup, err error) {
	wait := flushRetryBase
	for i := 0; i < g.FlushFailures && wait < flushRetryMax; i++ {
		wait *= 2
	}
	wait = min(wait, flushRetryMax)
	p.log.Error("group flush failed; retrying it later, other groups go on", "group_id", g.ID, "rule_id", g.RuleID,
		"failures", g.FlushFailures+1, "retry_in", wait, "error", err)
	p.observer.FlushFailed()
	if rerr := p.db.GroupFlushFailed(ctx, g.ID, err.Error(), p.now().Add(wait)); rerr != nil {
		p.log.Error("record group flush failure", "group_id", g.ID, "error", rerr)
	}
}

// flushGroup decides what a due group says, composes it per robot and writes it. It reads
// the group at one version (db.SnapshotGroup) and accounts for exactly the members at or
// below it (db.FlushGroup), so an alert that joins meanwhile is in the next message.
func (p *Pipeline) flushGroup(ctx context.Context, g db.AlertGroup) (bool, error) {
	rs := p.rules.Load()
	r := rs.byID[g.RuleID]
	now := p.now()
	if r == nil {
		// Rule disabled or deleted: nothing is said and nothing is marked; the group waits
		// with its changes for the rule to return (Reload makes it due again).
		return false, p.db.FlushGroup(ctx, db.GroupFlush{GroupID: g.ID, Version: -1, Fence: p.fence()})
	}
	snap, err := p.db.SnapshotGroup(ctx, g.ID, ShownAlerts)
	if errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	incident, err := p.trackIncident(ctx, r, g, snap, p.allSilenced(rs, r, snap, now))
	if err != nil {
		return false, err
	}
	d := decide(r, g, snap, now, incident)
	flush := db.GroupFlush{GroupID: g.ID, Version: snap.Version, NextFlush: d.next, Again: now.Add(r.GroupWait)}
	if d.kind == "" {
		flush.Fence = p.fence()
		return false, p.db.FlushGroup(ctx, flush)
	}
	// Silences mute single alerts; a notification whose alerts are all silenced is muted.
	var silencedBy []string
	var shown []db.StoredAlert
	for _, a := range d.alerts {
		if s := p.silencing(rs, r.TeamID, a.Labels, now); s != nil {
			silencedBy = append(silencedBy, fmt.Sprintf("silence #%d (%s)", s.ID, s.Comment))
			continue
		}
		shown = append(shown, a)
	}
	muted := ""
	switch {
	case len(shown) == 0 && d.omitted == 0:
		muted = "Silenced: every alert matched " + strings.Join(dedupe(silencedBy), ", ")
		shown = d.alerts
	case r.quietNow(now) != "":
		muted = "Held back by the rule's quiet hours " + r.quietNow(now)
	}
	out, err := p.outgoing(ctx, r, g, d, shown, muted, incident.ID)
	if err != nil {
		return false, err
	}
	flush.Outgoing = out
	flush.Fence = p.fence()
	if err := p.db.FlushGroup(ctx, flush); err != nil {
		return false, err
	}
	return muted == "" && len(out) > 0, nil
}

// decision is what a group flush says: its kind ("" = nothing), the alerts it shows, the
// totals it counts and when the group speaks again.
type decision struct {
	kind                  string
	alerts                []db.StoredAlert
	firing, resolved      int // totals carried (resolved only when the rule sends them)
	omitted               int // carried but not shown
	sourceTruncated       int // left out by the source (Alertmanager's truncatedAlerts)
	next                  time.Time
	firingNow, resolvedOK bool
}

func decide(r *compiledRule, g db.AlertGroup, snap db.GroupSnapshot, now time.Time, incident db.Incident) decision {
	var d decision
	d.firingNow = snap.FiringTotal > 0
	switch {
	case d.firingNow && (snap.Changed || !g.LastSentAt.IsZero()):
		d.kind = "firing"
	case !d.firingNow && snap.ResolvedTotal > 0 && r.SendResolved:
		d.kind = "resolved"
	}
	if d.firingNow {
		d.next = now.Add(r.RepeatInterval)
	}
	// Repeat until acknowledged: an unacknowledged incident is re-notified every
	// RepeatUnacked; once acknowledged, claimed or closed the rule's repeat interval counts
	// from the last message again, so a repeat that fell due by the shorter period is held.
	// An escalation policy replaces it (Escalate walks the policy's steps).
	if r.RepeatUnacked > 0 && r.EscalationPolicyID == 0 && d.firingNow {
		if incident.State == db.IncidentTriggered {
			d.next = now.Add(r.RepeatUnacked)
		} else if d.kind == "firing" && !snap.Changed && now.Before(g.LastSentAt.Add(r.RepeatInterval)) {
			d.kind, d.next = "", g.LastSentAt.Add(r.RepeatInterval)
		}
	}
	d.alerts = append(d.alerts, snap.Firing...)
	d.firing = snap.FiringTotal
	if r.SendResolved {
		d.alerts = append(d.alerts, snap.Resolved...)
		d.resolved = snap.ResolvedTotal
	}
	d.omitted = d.firing + d.resolved - len(d.alerts)
	d.sourceTruncated = snap.SourceTruncated
	return d
}

// groupData is the template model of a flush: the alerts shown, each with its why link,
// and the totals of the whole group.
func (p *Pipeline) groupData(r *compiledRule, g db.AlertGroup, d decision, shown []db.StoredAlert) alerting.TemplateData {
	as := make([]alerting.Alert, len(shown))
	for i, sa := range shown {
		as[i] = alertOf(sa)
	}
	data := alerting.NewTemplateData(as, g.GroupLabels)
	data.Kind = d.kind
	base := p.composer.BaseURL()
	whyURL := map[string]string{}
	for _, sa := range shown {
		whyURL[sa.Fingerprint+sa.Status] = base + "/alerts/" + strconv.FormatInt(sa.ID, 10)
	}
	for _, list := range [][]alerting.TemplateAlert{data.Alerts, data.Firing, data.Resolved} {
		for i := range list {
			list[i].WhyURL = whyURL[list[i].Fingerprint+list[i].Status]
		}
	}
	data.SetCounts(d.firing, d.resolved, base+"/alerts?group="+strconv.FormatInt(g.ID, 10))
	data.SourceOmitted = d.sourceTruncated
	return data
}

// outgoing composes one notification per enabled robot of the rule.
func (p *Pipeline) outgoing(ctx context.Context, r *compiledRule, g db.AlertGroup, d decision, shown []db.StoredAlert, muted string, incident int64) ([]db.Outgoing, error) {
	data := p.groupData(r, g, d, shown)
	ids := make([]int64, len(shown))
	var search strings.Builder
	for i, sa := range shown {
		ids[i] = sa.ID
		if search.Len() < 2000 {
			search.WriteString(sa.Name)
			for _, k := range slices.Sorted(maps.Keys(sa.Labels)) {
				search.WriteString(" " + k + "=" + sa.Labels[k])
			}
			search.WriteString("\n")
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
		c, err := p.composer.ComposeIncident(ctx, r.Rule, robot, data, 0, incident)
		if err != nil {
			return nil, err
		}
		if c.TemplateFailure != "" {
			p.log.Warn("rule template failed on this group; the platform's default template was used",
				"rule_id", r.ID, "group_id", g.ID, "error", c.TemplateFailure)
		}
		n := db.Notification{TeamID: r.TeamID, RobotID: robot.ID, RuleID: r.ID, GroupKey: g.Key, Kind: d.kind,
			Severity: r.Severity, Title: c.Message.Title, Body: c.Message.Body,
			Mentions: db.Mentions{People: c.Message.Mentions, AtAll: c.Message.AtAll},
			State:    state, AlertCount: d.firing + d.resolved, Search: search.String(), TemplateFailure: c.TemplateFailure,
			IncidentID: incident, Actions: c.Message.Actions}
		if muted != "" {
			n.LastOutcome, n.LastSummary = db.OutcomeMuted, muted
		}
		out = append(out, db.Outgoing{Notification: n, AlertIDs: ids, Platform: robot.Platform, MutedBecause: muted})
	}
	if len(out) == 0 {
		// Nothing could carry the group's news: keep it unnotified and retry (with
		// backoff, visibly) rather than mark it notified without a message.
		return nil, errNoRobot
	}
	return out, nil
}

// errNoRobot: none of a rule's robots can take messages now.
var errNoRobot = errors.New("none of the rule's robots can take messages (deleted or disabled); the group waits and is retried")

// alertOf is a stored alert as the alerting package sees it.
func alertOf(sa db.StoredAlert) alerting.Alert {
	return alerting.Alert{Source: sa.Source, Fingerprint: sa.Fingerprint, Status: sa.Status, Labels: sa.Labels,
		Annotations: sa.Annotations, Values: sa.Values, StartsAt: sa.StartsAt, EndsAt: sa.EndsAt, GeneratorURL: sa.GeneratorURL}
}
