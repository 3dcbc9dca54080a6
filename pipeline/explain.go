package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"alertdesk/db"
)

// Explanation answers "why was I (not) notified?" for one alert with the pipeline's own
// decisions: the same matching, silences, quiet hours and group state a real evaluation
// uses, asked now.
type Explanation struct {
	Rules    []RuleVerdict
	Silences []db.Silence  // silences that mute the alert now
	Groups   []GroupReport // the groups the alert is in now
}

// RuleVerdict is one rule's decision about the alert.
type RuleVerdict struct {
	Rule     db.Rule
	Matched  bool // the rule matched the alert when it arrived
	Disabled bool
	Verdict  string
	Details  []string
}

// GroupReport is the state of a group the alert is in.
type GroupReport struct {
	Group   db.AlertGroup
	Summary string
}

// Explainer answers the why page with the pipeline's decision functions. The pipeline has
// one; a console without intake (tests) can make its own.
type Explainer struct {
	db  *db.DB
	now func() time.Time
}

// NewExplainer returns an explainer over d that reads the time from now (nil: d.Now).
func NewExplainer(d *db.DB, now func() time.Time) *Explainer {
	if now == nil {
		now = d.Now
	}
	return &Explainer{db: d, now: now}
}

// Explainer is the pipeline's own explainer.
func (p *Pipeline) Explainer() *Explainer { return NewExplainer(p.db, p.now) }

// Explain asks the pipeline about alert a against rules (the rules the viewer may see)
// and silences (the active ones the viewer may see).
func (p *Explainer) Explain(ctx context.Context, a db.StoredAlert, rules []db.Rule, silences []db.Silence) (Explanation, error) {
	now := p.now()
	var ex Explanation
	for _, r := range rules {
		v, err := p.verdict(ctx, r, a, now)
		if err != nil {
			return ex, err
		}
		ex.Rules = append(ex.Rules, v)
	}
	for _, s := range silences {
		cs := compiledSilence{teamID: s.TeamID}
		cs.Matchers, cs.StartsAt, cs.EndsAt = s.Matchers, s.StartsAt, s.EndsAt
		if cs.Mutes(a.Labels, now) {
			ex.Silences = append(ex.Silences, s)
		}
	}
	groups, err := p.db.GroupsOfAlert(ctx, a.ID)
	if err != nil {
		return ex, err
	}
	for _, g := range groups {
		ex.Groups = append(ex.Groups, GroupReport{Group: g, Summary: groupSummary(g, now)})
	}
	return ex, nil
}

func groupSummary(g db.AlertGroup, now time.Time) string {
	switch {
	case g.FlushFailures > 0:
		return fmt.Sprintf("Its group could not be flushed (%d failed attempts, last: %s); it is retried at %s, other groups are not held up.",
			g.FlushFailures, g.LastError, g.FlushAt.UTC().Format(time.RFC3339))
	case g.FlushAt.IsZero():
		return "Its group has nothing to say now."
	case g.FlushAt.After(now):
		return "Its group speaks next at " + g.FlushAt.UTC().Format(time.RFC3339) + " (group wait or repeat interval)."
	default:
		return "Its group is due now and is being flushed."
	}
}

func (p *Explainer) verdict(ctx context.Context, r db.Rule, a db.StoredAlert, now time.Time) (RuleVerdict, error) {
	v := RuleVerdict{Rule: r, Matched: slices.Contains(a.MatchedRules, r.ID)}
	cr, _ := compileRule(r)
	if r.UpdatedAt.After(a.ReceivedAt) {
		v.Details = append(v.Details, "The rule was changed after this alert arrived ("+r.UpdatedAt.UTC().Format(time.RFC3339)+
			"); the verdict below is about the rule as it is now.")
	}
	switch acc := cr.accepts(a.Source, a.Labels); {
	case !r.Enabled && !v.Matched:
		v.Verdict = "The rule is disabled."
		v.Disabled = true
	case acc == acceptWrongSource:
		v.Verdict = "The rule only takes alerts from " + r.Source + "; this one came from " + a.Source + "."
	case acc == acceptNoMatch:
		_, failed := cr.matchers.Match(a.Labels)
		m := cr.matchers[failed]
		if got, present := a.Labels[m.Name]; !present {
			v.Verdict = fmt.Sprintf("Matcher %s failed: the alert has no label %q.", m.String(), m.Name)
		} else {
			v.Verdict = fmt.Sprintf("Matcher %s failed: label %s is %q.", m.String(), m.Name, got)
		}
	case v.Matched:
		v.Verdict = "All matchers matched (" + cr.matchers.String() + ")."
	default:
		v.Verdict = "The matchers match now, but did not when the alert arrived (the rule changed or was disabled then)."
	}
	if cond := r.Condition; cond != nil && v.Matched {
		metric := cond.Metric
		if metric == "" {
			metric = "value"
		}
		line := fmt.Sprintf("Threshold: %s %s %g for %s.", metric, cond.Op, cond.Threshold, cond.For)
		av := alertOf(a)
		if val, has := av.Value(cond.Metric); has {
			line += fmt.Sprintf(" This alert's value is %g.", val)
		} else {
			line += " This alert has no value for it, so the condition cannot hold."
		}
		sr, ok, err := p.db.SeriesOf(ctx, r.ID, a.Fingerprint)
		if err != nil {
			return v, err
		}
		switch {
		case ok && sr.Firing:
			line += " The series is firing."
		case ok && !sr.PendingSince.IsZero():
			line += " The series is pending since " + sr.PendingSince.UTC().Format(time.RFC3339) + "."
		default:
			line += " The series is not pending or firing now."
		}
		v.Details = append(v.Details, line)
	}
	if v.Matched {
		if w := cr.quietNow(now); w != "" {
			v.Details = append(v.Details, "The rule's quiet hours are in force now "+w+": notifications are held back and recorded as muted.")
		}
	}
	return v, nil
}
