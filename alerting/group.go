package alerting

import (
	"fmt"
	"strconv"
	"strings"
)

// GroupAll in a rule's group-by list groups by every label, as in Alertmanager.
const GroupAll = "..."

// GroupLabels returns the labels of an alert that decide its group: those
// named in groupBy that the alert has, or all of them when groupBy contains
// "...". An empty groupBy gives an empty set: one group per rule.
func GroupLabels(groupBy []string, labels map[string]string) map[string]string {
	out := make(map[string]string, len(groupBy))
	for _, name := range groupBy {
		if name == GroupAll {
			clear(out)
			for k, v := range labels {
				out[k] = v
			}
			return out
		}
		if v, ok := labels[name]; ok {
			out[name] = v
		}
	}
	return out
}

// GroupKey identifies the group an alert falls into for a rule:
// "<ruleID>:<Fingerprint(GroupLabels(groupBy, labels))>". It is short,
// deterministic and independent of the order of groupBy and of the labels.
func GroupKey(ruleID int64, groupBy []string, labels map[string]string) string {
	return strconv.FormatInt(ruleID, 10) + ":" + Fingerprint(GroupLabels(groupBy, labels))
}

// ParseLabelNames parses a comma-separated list of label names as typed into a
// rule's group-by field: `alertname, host.keyword, 机房`. A name that holds a
// comma, a quote or spaces at its ends is double-quoted with Go escapes
// (`"a,b"`); "..." stands for all labels. Empty items are skipped.
func ParseLabelNames(s string) ([]string, error) {
	var names []string
	for n := 1; ; n++ {
		s = strings.TrimLeft(s, " \t\r\n")
		if s == "" {
			return names, nil
		}
		var name string
		if s[0] == '"' {
			q, rest, err := quotedPrefix(s)
			if err != nil {
				return nil, fmt.Errorf("name %d %s", n, err)
			}
			name, s = q, strings.TrimLeft(rest, " \t\r\n")
			if s != "" && s[0] != ',' {
				return nil, fmt.Errorf("name %d: expected a comma after %s", n, QuoteLabelName(name))
			}
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			name, s = strings.TrimSpace(s[:end]), s[end:]
			if strings.ContainsRune(name, '"') {
				return nil, fmt.Errorf("name %d: %q has a quote inside: put the whole name in double quotes", n, truncateForError(name))
			}
		}
		s = strings.TrimPrefix(s, ",")
		if name == "" {
			continue
		}
		if name != GroupAll && !ValidLabelName(name) {
			return nil, fmt.Errorf("%q is not a label name (1 to %d bytes of text without control characters)", truncateForError(name), maxNameBytes)
		}
		names = append(names, name)
	}
}

// FormatLabelNames writes names so that ParseLabelNames reads them back.
func FormatLabelNames(names []string) string {
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name
		if name != strings.TrimSpace(name) || strings.ContainsAny(name, `,"`) {
			parts[i] = strconv.Quote(name)
		}
	}
	return strings.Join(parts, ", ")
}
