package handlers

import (
	"context"
	"encoding/json"
	"regexp/syntax"
	"strings"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/i18n"
)

// sampleAlert is the body of the token page's sample request: an alert shaped to hit one
// of the rules the token feeds, so the newcomer's first alert reaches a chat group.
type sampleAlert struct {
	Body string // JSON for POST /api/v1/alerts
	Rule string // the rule it hits, "" when none would take it
	URL  string // that rule's page
}

// sampleAlertFor picks the first enabled rule with a robot that takes alerts from the
// console's own API without a held threshold, and builds labels its matchers accept
// (checked with the matchers themselves). scope is the token's team, or all for a
// global token.
func (s *Server) sampleAlertFor(ctx context.Context, scope db.Scope) (sampleAlert, error) {
	rules, err := s.deps.DB.Rules(ctx, scope)
	if err != nil {
		return sampleAlert{}, err
	}
	for _, r := range rules {
		if !r.Enabled || len(r.RobotIDs) == 0 || (r.Source != "" && r.Source != "api") ||
			(r.Condition != nil && (r.Condition.For > 0 || (r.Condition.Metric != "" && r.Condition.Metric != "value"))) {
			continue
		}
		labels, ok := labelsMatching(r.Matchers)
		if !ok {
			continue
		}
		if _, set := labels["alertname"]; !set {
			labels["alertname"] = "AlertdeskTest"
		}
		if _, set := labels["severity"]; !set {
			labels["severity"] = r.Severity
		}
		body := map[string]any{"status": "firing", "labels": labels,
			"annotations": map[string]string{"summary": i18n.T(ctx, "rules.sample_summary_rule", "Rule", r.Name)}}
		if c := r.Condition; c != nil {
			v, ok := valueMeeting(*c)
			if !ok {
				continue
			}
			body["value"] = v
		}
		b, err := json.Marshal(body)
		if err != nil {
			return sampleAlert{}, err
		}
		return sampleAlert{Body: string(b), Rule: r.Name, URL: "/rules/" + itoa(r.ID)}, nil
	}
	b, err := json.Marshal(map[string]any{"status": "firing", "labels": map[string]string{"alertname": "AlertdeskTest", "severity": "warning"},
		"annotations": map[string]string{"summary": i18n.T(ctx, "rules.sample_summary")}})
	return sampleAlert{Body: string(b)}, err
}

// labelsMatching builds label values the matchers accept: the value of an equality, a
// string generated from a regular expression, nothing for a negative matcher (a missing
// label is ""). The result is checked against the matchers.
func labelsMatching(ms alerting.Matchers) (map[string]string, bool) {
	labels := map[string]string{}
	for _, m := range ms {
		switch m.Op {
		case alerting.MatchEqual:
			if m.Value != "" {
				labels[m.Name] = m.Value
			}
		case alerting.MatchRegexp:
			if re, err := syntax.Parse(m.Value, syntax.Perl); err == nil {
				if v := exampleOf(re.Simplify()); v != "" {
					labels[m.Name] = v
				}
			}
		}
	}
	for _, m := range ms { // a negative matcher that refuses the empty value wants something else
		if _, set := labels[m.Name]; !set && !m.Matches(labels) {
			labels[m.Name] = "sample-" + strings.ToLower(m.Name)
		}
	}
	ok, _ := ms.Match(labels)
	return labels, ok
}

// exampleOf returns a short string the regular expression matches (best effort: the
// caller checks it).
func exampleOf(re *syntax.Regexp) string {
	switch re.Op {
	case syntax.OpLiteral:
		return string(re.Rune)
	case syntax.OpCharClass:
		if len(re.Rune) > 0 {
			return string(re.Rune[0])
		}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return "x"
	case syntax.OpCapture, syntax.OpPlus:
		return exampleOf(re.Sub[0])
	case syntax.OpRepeat:
		return strings.Repeat(exampleOf(re.Sub[0]), re.Min)
	case syntax.OpConcat:
		var b strings.Builder
		for _, sub := range re.Sub {
			b.WriteString(exampleOf(sub))
		}
		return b.String()
	case syntax.OpAlternate:
		return exampleOf(re.Sub[0])
	}
	return "" // empty match, star, quest, anchors
}

// valueMeeting is a value that meets the threshold condition.
func valueMeeting(c alerting.Condition) (float64, bool) {
	switch c.Op {
	case alerting.Greater, alerting.NotEqual:
		return c.Threshold + 1, true
	case alerting.GreaterEqual, alerting.Equal, alerting.LessEqual:
		return c.Threshold, true
	case alerting.Less:
		return c.Threshold - 1, true
	}
	return 0, false
}
