package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// ErrStopped: the pipeline is shutting down and takes no more alerts.
var ErrStopped = errors.New("pipeline: stopped")

// Ingest stores alerts for a token's team (0 = a global token) and returns once they,
// and the group changes they cause, are committed.
func (p *Pipeline) Ingest(ctx context.Context, teamID int64, alerts []alerting.Alert) (IngestResult, error) {
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
		if j.err == nil && j.res.Stored > 0 && len(j.alerts) > 0 {
			p.observer.Received(j.alerts[0].Source, j.res.Stored)
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
	// The request's group changes, collected per group in arrival order so that each group
	// is written once per request.
	type groupRef struct {
		rule *compiledRule
		key  string
	}
	var order []groupRef
	joins := map[groupRef][]db.GroupJoin{}
	labelsOf := map[groupRef]string{}
	truncated := map[groupRef]int{}
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
			ref := groupRef{rule: r, key: m.groupKey}
			if _, seen := joins[ref]; !seen {
				order = append(order, ref)
				labelsOf[ref] = m.groupLabels
			}
			joins[ref] = append(joins[ref], db.GroupJoin{Fingerprint: a.Fingerprint, AlertID: stored[i].ID, Status: status})
			truncated[ref] = max(truncated[ref], a.SourceTruncated)
		}
	}
	for _, ref := range order {
		changed, err := t.JoinGroup(ref.rule.ID, ref.key, labelsOf[ref], joins[ref], truncated[ref], now.Add(ref.rule.GroupWait))
		if err != nil {
			return res, false, err
		}
		if changed && ref.rule.GroupWait <= 0 {
			soon = true
		}
	}
	return res, soon, nil
}

// stepSeries feeds a threshold rule's series and says which status, if any, the alert has
// for this rule now: "firing" once the condition held for the duration, "resolved" when it
// stops; ok is false while pending or when nothing changed for the group.
func (p *Pipeline) stepSeries(t *db.IntakeTx, r *compiledRule, a *alerting.Alert, alertID int64) (string, bool, error) {
	v, has := a.Value(r.cond.Metric)
	prev, _, err := t.Series(r.ID, a.Fingerprint)
	if err != nil {
		return "", false, err
	}
	if !has && a.Status != alerting.StatusResolved {
		return "", false, nil // no value to compare: the condition cannot hold
	}
	st, tr := r.cond.Step(alerting.SeriesState{PendingSince: prev.PendingSince, Firing: prev.Firing, LastValue: prev.LastValue},
		v, a.Status == alerting.StatusResolved, t.Now)
	if err := t.SaveSeries(db.Series{RuleID: r.ID, Fingerprint: a.Fingerprint, PendingSince: st.PendingSince,
		Firing: st.Firing, LastValue: st.LastValue, AlertID: alertID}); err != nil {
		return "", false, err
	}
	switch {
	case tr == alerting.BecameFiring || (st.Firing && tr == alerting.NoChange):
		return alerting.StatusFiring, true, nil
	case tr == alerting.BecameResolved:
		return alerting.StatusResolved, true, nil
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
