package alerting

import "strconv"

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
