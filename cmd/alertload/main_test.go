package main

import (
	"testing"
	"time"

	"alertdesk/alerting"
)

// The generated bodies must be valid Alertmanager v4 payloads, or the load test measures
// 400s: parse them with the console's own parser.
func TestBodyIsAValidAlertmanagerPayload(t *testing.T) {
	for _, repeat := range []bool{false, true} {
		o := options{perBody: 10, services: 100, repeat: repeat}
		alerts, err := alerting.ParseAlertmanager(body(nil, o, 3, time.Now()), alerting.Limits{})
		if err != nil {
			t.Fatalf("repeat=%v: %v", repeat, err)
		}
		if len(alerts) != 10 || alerts[0].Labels["job"] != "load" || alerts[0].Labels["service"] == "" {
			t.Fatalf("alerts = %+v", alerts[0])
		}
	}
}
