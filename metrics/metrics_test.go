package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIntakeCounters(t *testing.T) {
	var obs Intake
	obs.Refused("alertmanager", "labels", 2)
	obs.Clamped("grafana", 1)
	obs.Truncated(98)
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{
		`alertdesk_intake_alerts_refused_total{reason="labels",source="alertmanager"} 2`,
		`alertdesk_intake_resolves_clamped_total{source="grafana"} 1`,
		`alertdesk_intake_alerts_truncated_total 98`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
