package alerting

import (
	"maps"
	"testing"
)

func TestGroupLabelsAndKey(t *testing.T) {
	labels := map[string]string{"alertname": "NodeDown", "instance": "n1:9100", "job": "node", "severity": "critical"}
	other := map[string]string{"alertname": "NodeDown", "instance": "n2:9100", "job": "node", "severity": "critical"}
	tests := []struct {
		name    string
		groupBy []string
		want    map[string]string
		same    bool // n1 and n2 share a group
	}{
		{"no group-by: one group per rule", nil, map[string]string{}, true},
		{"by alertname", []string{"alertname"}, map[string]string{"alertname": "NodeDown"}, true},
		{"by instance", []string{"alertname", "instance"}, map[string]string{"alertname": "NodeDown", "instance": "n1:9100"}, false},
		{"missing labels are left out", []string{"job", "team"}, map[string]string{"job": "node"}, true},
		{"... means all labels", []string{"job", "..."}, labels, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GroupLabels(tt.groupBy, labels); !maps.Equal(got, tt.want) {
				t.Errorf("GroupLabels = %v, want %v", got, tt.want)
			}
			k1, k2 := GroupKey(7, tt.groupBy, labels), GroupKey(7, tt.groupBy, other)
			if (k1 == k2) != tt.same {
				t.Errorf("keys %s and %s: same=%v, want %v", k1, k2, k1 == k2, tt.same)
			}
			if k := GroupKey(7, tt.groupBy, labels); k != k1 {
				t.Errorf("GroupKey is not deterministic: %s then %s", k1, k)
			}
			if k := GroupKey(8, tt.groupBy, labels); k == k1 {
				t.Errorf("rules 7 and 8 share the key %s", k)
			}
		})
	}
	if got, want := GroupKey(7, []string{"alertname"}, labels), "7:"+Fingerprint(map[string]string{"alertname": "NodeDown"}); got != want {
		t.Errorf("GroupKey = %s, want %s", got, want)
	}
	if GroupKey(1, []string{"job", "alertname"}, labels) != GroupKey(1, []string{"alertname", "job"}, labels) {
		t.Errorf("GroupKey depends on the order of groupBy")
	}
}
