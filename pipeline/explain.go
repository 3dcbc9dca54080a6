package pipeline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"alertdesk/db"
	"alertdesk/i18n"
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
		ex.Groups = append(ex.Groups, GroupReport{Group: g, Summary: groupSummary(ctx, g, now)})
	}
	return ex, nil
}

// groupSummary says in the reader's language (ctx) what the group will do next.
func groupSummary(ctx context.Context, g db.AlertGroup, now time.Time) string {
	switch {
	case g.FlushFailures > 0:
		return i18n.T(ctx, "why.group_failing", "Count", g.FlushFailures, "Error", g.LastError, "At", i18n.Time(ctx, g.FlushAt))
	case g.FlushAt.IsZero():
		return i18n.T(ctx, "why.group_quiet")
	case g.FlushAt.After(now):
		return i18n.T(ctx, "why.group_next", "At", i18n.Time(ctx, g.FlushAt))
	default:
		return i18n.T(ctx, "why.group_due")
	}
}

func (p *Explainer) verdict(ctx context.Context, r db.Rule, a db.StoredAlert, now time.Time) (RuleVerdict, error) {
	v := RuleVerdict{Rule: r, Matched: slices.Contains(a.MatchedRules, r.ID)}
	cr, _ := compileRule(r)
	if r.UpdatedAt.After(a.ReceivedAt) {
		v.Details = append(v.Details, i18n.T(ctx, "why.rule_changed", "At", i18n.Time(ctx, r.UpdatedAt)))
	}
	switch acc := cr.accepts(a.Source, a.Labels); {
	case !r.Enabled && !v.Matched:
		v.Verdict = i18n.T(ctx, "why.rule_disabled")
		v.Disabled = true
	case acc == acceptWrongSource:
		v.Verdict = i18n.T(ctx, "why.wrong_source", "Want", r.Source, "Got", a.Source)
	case acc == acceptNoMatch:
		_, failed := cr.matchers.Match(a.Labels)
		m := cr.matchers[failed]
		if got, present := a.Labels[m.Name]; !present {
			v.Verdict = i18n.T(ctx, "why.no_label", "Matcher", m.String(), "Label", m.Name)
		} else {
			v.Verdict = i18n.T(ctx, "why.label_differs", "Matcher", m.String(), "Label", m.Name, "Value", got)
		}
	case v.Matched:
		v.Verdict = i18n.T(ctx, "why.matched", "Matchers", cr.matchers.String())
	default:
		v.Verdict = i18n.T(ctx, "why.matches_now_only")
	}
	if cond := r.Condition; cond != nil && v.Matched {
		metric := cond.Metric
		if metric == "" {
			metric = "value"
		}
		line := i18n.T(ctx, "why.threshold", "Metric", metric, "Op", cond.Op, "Threshold", fmt.Sprintf("%g", cond.Threshold), "For", cond.For.String())
		av := alertOf(a)
		if val, has := av.Value(cond.Metric); has {
			line += " " + i18n.T(ctx, "why.value_is", "Value", fmt.Sprintf("%g", val))
		} else {
			line += " " + i18n.T(ctx, "why.no_value")
		}
		sr, ok, err := p.db.SeriesOf(ctx, r.ID, a.Fingerprint)
		if err != nil {
			return v, err
		}
		switch {
		case ok && sr.Firing:
			line += " " + i18n.T(ctx, "why.series_firing")
		case ok && !sr.PendingSince.IsZero():
			line += " " + i18n.T(ctx, "why.series_pending", "Since", i18n.Time(ctx, sr.PendingSince))
		default:
			line += " " + i18n.T(ctx, "why.series_idle")
		}
		v.Details = append(v.Details, line)
	}
	if v.Matched {
		if w := cr.quietNow(now); w != "" {
			v.Details = append(v.Details, i18n.T(ctx, "why.quiet_now", "Window", w))
		}
	}
	return v, nil
}
