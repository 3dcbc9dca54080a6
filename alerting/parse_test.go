package alerting

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// samples are webhook bodies captured from a real Alertmanager 0.34.2, copied from
// ../shared/samples into testdata so the tests do not depend on the checkout's neighbours.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return b
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseAlertmanagerSamples(t *testing.T) {
	start := "2026-11-24T02:09:55.200487562Z"
	tests := []struct {
		file string
		want []Alert
	}{
		{
			file: "alertmanager-webhook.json",
			want: []Alert{{
				Source:      SourceAlertmanager,
				Fingerprint: "8c77d5865e910658",
				Status:      StatusFiring,
				Labels:      map[string]string{"alertname": "DiskFull", "instance": "db-1:9100", "job": "node", "severity": "critical"},
				Annotations: map[string]string{"description": "Root fs is 97% full", "summary": "Disk almost full on db-1"},
				StartsAt:    mustTime(t, "2026-11-24T02:09:39.422906463Z"),
				// EndsAt: AM's 0001-01-01T00:00:00Z becomes the zero time.
				GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up",
				GroupKey:     `{}:{alertname="DiskFull"}`,
			}},
		},
		{
			file: "alertmanager-webhook-resolved.json",
			want: []Alert{{
				Source:       SourceAlertmanager,
				Fingerprint:  "8c77d5865e910658",
				Status:       StatusResolved,
				Labels:       map[string]string{"alertname": "DiskFull", "instance": "db-1:9100", "job": "node", "severity": "critical"},
				Annotations:  map[string]string{"description": "Root fs is 97% full", "summary": "Disk almost full on db-1"},
				StartsAt:     mustTime(t, "2026-11-24T02:09:39.422906463Z"),
				EndsAt:       mustTime(t, "2026-11-24T02:09:46Z"),
				GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up",
				GroupKey:     `{}:{alertname="DiskFull"}`,
			}},
		},
		{
			file: "alertmanager-webhook-grouped.json",
			want: []Alert{
				{
					Source:      SourceAlertmanager,
					Fingerprint: "d2866836291cf747",
					Status:      StatusFiring,
					Labels:      map[string]string{"alertname": "NodeDown", "instance": "n1:9100", "job": "node", "severity": "critical"},
					Annotations: map[string]string{"summary": "n1 down"},
					StartsAt:    mustTime(t, start),
					GroupKey:    `{}:{alertname="NodeDown"}`,
				},
				{
					Source:      SourceAlertmanager,
					Fingerprint: "f1685a3c086ff1e8",
					Status:      StatusFiring,
					Labels:      map[string]string{"alertname": "NodeDown", "instance": "n2:9100", "job": "node", "severity": "critical"},
					Annotations: map[string]string{"summary": "n2 down"},
					StartsAt:    mustTime(t, start),
					GroupKey:    `{}:{alertname="NodeDown"}`,
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseAlertmanager(sample(t, tt.file), Limits{})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
			for _, a := range got {
				// Our fingerprint is Alertmanager's own, so alerts from any source line up.
				if fp := Fingerprint(a.Labels); fp != a.Fingerprint {
					t.Errorf("Fingerprint(%v) = %s, want Alertmanager's %s", a.Labels, fp, a.Fingerprint)
				}
			}
		})
	}
}

func TestParseAlertmanagerVersionAndExtras(t *testing.T) {
	body := func(version string) string {
		return `{` + version + `"status":"firing","receiver":"a\\.b","notification_reason":"repeat interval elapsed",
			"routeLabels":{"team":"db"},"truncatedAlerts":3,"futureField":{"x":[1,2]},
			"alerts":[{"status":"firing","labels":{"alertname":"X"},"startsAt":"2026-01-02T03:04:05+08:00","endsAt":"0001-01-01T00:00:00Z","extra":true}]}`
	}
	tests := []struct {
		name, version, wantField string
	}{
		{"version 4", `"version":"4",`, ""},
		{"version missing", ``, ""},
		{"version 3", `"version":"3",`, "version"},
		{"version as number", `"version":4,`, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAlertmanager([]byte(body(tt.version)), Limits{})
			if tt.wantField != "" {
				checkFieldError(t, err, tt.wantField, "")
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			want := time.Date(2026, 1, 1, 19, 4, 5, 0, time.UTC)
			if len(got) != 1 || !got[0].StartsAt.Equal(want) || got[0].StartsAt.Location() != time.UTC {
				t.Fatalf("got %+v, want one alert starting at %v (UTC)", got, want)
			}
			if got[0].Fingerprint != Fingerprint(map[string]string{"alertname": "X"}) {
				t.Errorf("got fingerprint %q, want the computed one", got[0].Fingerprint)
			}
		})
	}
}

func TestParseGrafana(t *testing.T) {
	body := `{
	  "receiver": "alertdesk", "status": "firing", "orgId": 1, "version": "1",
	  "groupKey": "{}/{}:{alertname=\"HighCPU\"}", "truncatedAlerts": 0, "state": "alerting",
	  "title": "[FIRING:1] HighCPU", "message": "…", "externalURL": "http://grafana:3000/",
	  "groupLabels": {"alertname": "HighCPU"}, "commonLabels": {}, "commonAnnotations": {},
	  "alerts": [{
	    "status": "firing",
	    "labels": {"alertname": "HighCPU", "grafana_folder": "Infra", "instance": "web-1"},
	    "annotations": {"summary": "CPU high", "__dashboardUid__": "abc"},
	    "startsAt": "2026-11-24T02:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
	    "generatorURL": "http://grafana:3000/alerting/grafana/uid1/view",
	    "fingerprint": "0b8d0e0e2b8b5a1f",
	    "silenceURL": "http://grafana:3000/alerting/silence/new", "dashboardURL": "", "panelURL": "",
	    "values": {"B": 44.2, "C": 1}, "valueString": "[ var='B' labels={} value=44.2 ]",
	    "ruleUID": "uid1", "orgId": 1, "enrichments": {"a": [1]}
	  }, {
	    "status": "resolved",
	    "labels": {"alertname": "HighCPU", "instance": "web-2"},
	    "annotations": {}, "startsAt": "2026-11-24T01:00:00Z", "endsAt": "2026-11-24T01:30:00Z",
	    "generatorURL": "", "values": null
	  }]
	}`
	got, err := ParseGrafana([]byte(body), Limits{})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d alerts, want 2", len(got))
	}
	a := got[0]
	if a.Source != SourceGrafana || a.Fingerprint != "0b8d0e0e2b8b5a1f" || a.GroupKey != `{}/{}:{alertname="HighCPU"}` {
		t.Errorf("got %+v, want Grafana's fingerprint and groupKey", a)
	}
	if !reflect.DeepEqual(a.Values, map[string]float64{"B": 44.2, "C": 1}) {
		t.Errorf("got values %v, want B=44.2 C=1", a.Values)
	}
	if v, ok := a.Value("B"); !ok || v != 44.2 {
		t.Errorf("Value(B) = %v, %v; want 44.2, true", v, ok)
	}
	if _, ok := a.Value(""); ok {
		t.Errorf(`Value("") with two values and none named "value" should not be found`)
	}
	r := got[1]
	if r.Status != StatusResolved || !r.EndsAt.Equal(time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)) || r.Values != nil {
		t.Errorf("got %+v, want resolved at 01:30 without values", r)
	}
	if r.Fingerprint != Fingerprint(r.Labels) {
		t.Errorf("got fingerprint %q, want the computed %q", r.Fingerprint, Fingerprint(r.Labels))
	}

	_, err = ParseGrafana([]byte(strings.Replace(body, `"version": "1"`, `"version": "4"`, 1)), Limits{})
	checkFieldError(t, err, "version", `unsupported version "4"`)
	_, err = ParseGrafana([]byte(strings.Replace(body, `"values": {"B": 44.2, "C": 1}`, `"values": {"B": "high"}`, 1)), Limits{})
	checkFieldError(t, err, "alerts[0].values", "must be an object of numbers")
}

func TestParseJSON(t *testing.T) {
	labels := map[string]string{"alertname": "QueueDeep", "queue": "orders"}
	fp := Fingerprint(labels)
	tests := []struct {
		name string
		body string
		want []Alert
	}{
		{
			name: "single object with defaults",
			body: `{"labels":{"queue":"orders","alertname":"QueueDeep"},"value":1234.5}`,
			want: []Alert{{Source: SourceAPI, Fingerprint: fp, Status: StatusFiring, Labels: labels, Values: map[string]float64{"value": 1234.5}}},
		},
		{
			name: "array",
			body: ` [
				{"status":"firing","labels":{"alertname":"QueueDeep","queue":"orders"},"annotations":{"summary":"<b>deep</b>\n*queue*"},
				 "startsAt":"2026-11-24T02:00:00Z","endsAt":"2026-11-24T03:00:00Z","generatorURL":"https://app.example/q","fingerprint":"my-id-1"},
				{"status":"resolved","labels":{"alertname":"QueueDeep","queue":"orders"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"2026-11-24T02:10:00Z","value":0}
			]`,
			want: []Alert{
				{
					Source: SourceAPI, Fingerprint: "my-id-1", Status: StatusFiring, Labels: labels,
					Annotations:  map[string]string{"summary": "<b>deep</b>\n*queue*"},
					StartsAt:     time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC),
					GeneratorURL: "https://app.example/q",
				},
				{
					Source: SourceAPI, Fingerprint: fp, Status: StatusResolved, Labels: labels,
					Values:   map[string]float64{"value": 0},
					StartsAt: time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC),
					EndsAt:   time.Date(2026, 11, 24, 2, 10, 0, 0, time.UTC),
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSON([]byte(tt.body), Limits{})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestFingerprintStableAcrossSources(t *testing.T) {
	am := `{"version":"4","alerts":[{"status":"firing","labels":{"severity":"warning","alertname":"X","job":"api"},"startsAt":"2026-11-24T02:00:00Z"}]}`
	api := `{"labels":{"job":"api","alertname":"X","severity":"warning"}}`
	a, err := ParseAlertmanager([]byte(am), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseJSON([]byte(api), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Fingerprint != b[0].Fingerprint {
		t.Errorf("got %s from Alertmanager and %s from the API, want the same", a[0].Fingerprint, b[0].Fingerprint)
	}
	tests := []struct {
		a, b map[string]string
		same bool
	}{
		{map[string]string{"a": "1", "b": "2"}, map[string]string{"b": "2", "a": "1"}, true},
		{map[string]string{"a": "1", "b": "2"}, map[string]string{"a": "1", "b": "3"}, false},
		// The separator keeps "ab"+"" apart from "a"+"b".
		{map[string]string{"ab": ""}, map[string]string{"a": "b"}, false},
		{map[string]string{"a": "1"}, map[string]string{"a": "1", "b": ""}, false},
	}
	for _, tt := range tests {
		fa, fb := Fingerprint(tt.a), Fingerprint(tt.b)
		if (fa == fb) != tt.same || len(fa) != 16 {
			t.Errorf("Fingerprint(%v) = %s, Fingerprint(%v) = %s; want same=%v, 16 digits", tt.a, fa, tt.b, fb, tt.same)
		}
	}
	if got := Fingerprint(nil); got != "cbf29ce484222325" {
		t.Errorf("Fingerprint(nil) = %s, want the FNV-1a offset basis cbf29ce484222325", got)
	}
}

func checkFieldError(t *testing.T, err error, field, msgContains string) {
	t.Helper()
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("got error %v (%T), want a *FieldError for %q", err, err, field)
	}
	if fe.Field != field {
		t.Errorf("got field %q (%s), want %q", fe.Field, fe.Message, field)
	}
	if !strings.Contains(fe.Message, msgContains) {
		t.Errorf("got message %q, want it to contain %q", fe.Message, msgContains)
	}
}

func TestParseBadInput(t *testing.T) {
	const ok = `{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z"}`
	am := func(alerts ...string) string {
		return `{"version":"4","status":"firing","alerts":[` + strings.Join(alerts, ",") + `]}`
	}
	type parser func([]byte, Limits) ([]Alert, error)
	tests := []struct {
		name   string
		parse  parser
		body   string
		lim    Limits
		field  string
		msgHas string
	}{
		{"malformed", ParseAlertmanager, `{"alerts":[{"status":"firing",}]}`, Limits{}, "body", "is not valid JSON at byte 31: invalid character '}'"},
		{"truncated", ParseAlertmanager, `{"alerts":[`, Limits{}, "body", "ends too early"},
		{"empty", ParseJSON, ``, Limits{}, "body", "is empty"},
		{"body not an object", ParseAlertmanager, `[1,2]`, Limits{}, "body", "must be a JSON object"},
		{"alerts missing", ParseAlertmanager, `{"version":"4"}`, Limits{}, "alerts", "is required"},
		{"alerts not an array", ParseAlertmanager, `{"alerts":{"a":1}}`, Limits{}, "alerts", "must be an array of alert objects"},
		{"alerts empty", ParseAlertmanager, `{"alerts":[]}`, Limits{}, "alerts", "at least one"},
		{"alert not an object", ParseAlertmanager, am(ok, `"x"`), Limits{}, "alerts[1]", "must be an object"},
		{"labels as array", ParseAlertmanager, am(ok, ok, `{"status":"firing","labels":["a"],"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[2].labels", "must be an object of string values"},
		{"label value a number", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","n":1}}`), Limits{}, "alerts[0].labels", "must be an object of string values"},
		{"status as number", ParseAlertmanager, am(ok, `{"status":1,"labels":{"alertname":"A"}}`), Limits{}, "alerts[1].status", "must be a string"},
		{"status invalid", ParseAlertmanager, am(`{"status":"pending","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].status", `must be "firing" or "resolved", not "pending"`},
		{"status missing", ParseAlertmanager, am(`{"labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].status", "is required"},
		{"startsAt not a time", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"startsAt":"yesterday"}`), Limits{}, "alerts[0].startsAt", `RFC 3339 time like 2026-11-24T02:09:55Z, not "yesterday"`},
		{"startsAt a number", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"startsAt":1700000000}`), Limits{}, "alerts[0].startsAt", "must be a string"},
		{"startsAt missing", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"}}`), Limits{}, "alerts[0].startsAt", "is required"},
		{"labels missing", ParseAlertmanager, am(`{"status":"firing","startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels", "is required"},
		{"label control char", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","b":"ok","instance":"x\u0007y","z":"x\ny"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels.instance", "control characters"},
		{"label newline", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","z":"x\ny"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels.z", "control characters"},
		{"label invalid UTF-8", ParseAlertmanager, am("{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\xff\"},\"startsAt\":\"2026-11-24T02:00:00Z\"}"), Limits{}, "alerts[0].labels.alertname", "valid UTF-8"},
		{"label C1 control", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A\u0085"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels.alertname", "control characters"},
		{"label name with a control character", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","x\u0007":"v","z\n":"v"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels", `label name "x\a" is not valid`},
		{"label name empty", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","":"v"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels", `label name "" is not valid`},
		{"label name too long", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","` + strings.Repeat("n", 257) + `":"v"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].labels", `is not valid (1 to 256 bytes`},
		{"version wrong type", ParseAlertmanager, `{"version":4,"alerts":[` + ok + `]}`, Limits{}, "version", "must be a string"},
		{"version unknown", ParseAlertmanager, `{"version":"5","alerts":[` + ok + `]}`, Limits{}, "version", `unsupported version "5"`},
		{"startsAt year 0000", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"startsAt":"0000-01-01T00:00:00Z"}`), Limits{}, "alerts[0].startsAt", "before 2000"},
		{"startsAt year 9999", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"startsAt":"9999-12-31T23:59:59Z"}`), Limits{}, "alerts[0].startsAt", "more than a day ahead"},
		{"firing endsAt before startsAt", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"2026-11-24T01:00:00Z"}`), Limits{}, "alerts[0].endsAt", "before startsAt"},
		{"api startsAt year 0000", ParseJSON, `{"labels":{"alertname":"A"},"startsAt":"0000-01-01T00:00:00Z"}`, Limits{}, "startsAt", "before 2000"},
		{"api startsAt year 9999", ParseJSON, `[{"labels":{"alertname":"A"}},{"labels":{"alertname":"A"},"startsAt":"9999-01-01T00:00:00Z"}]`, Limits{}, "[1].startsAt", "more than a day ahead"},
		{"api resolved endsAt before startsAt", ParseJSON, `{"status":"resolved","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"2026-11-24T01:00:00Z"}`, Limits{}, "endsAt", "before startsAt"},
		{"api resolved endsAt year 9999", ParseJSON, `{"status":"resolved","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"9999-01-01T00:00:00Z"}`, Limits{}, "endsAt", "more than a day ahead"},
		{"api resolved endsAt year 0000", ParseJSON, `{"status":"resolved","labels":{"alertname":"A"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"0000-01-01T00:00:00Z"}`, Limits{}, "endsAt", "before startsAt"},
		{"annotation control char", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"annotations":{"summary":"ok\n\tfine","description":"bell\u0007"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{}, "alerts[0].annotations.description", "other than newline and tab"},
		{"annotations as string", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A"},"annotations":"x"}`), Limits{}, "alerts[0].annotations", "must be an object of string values"},
		{"too many labels", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"A","b":"1","c":"2"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{MaxLabels: 2}, "alerts[0].labels", "too many labels: 3 (limit 2)"},
		{"label too long", ParseAlertmanager, am(`{"status":"firing","labels":{"alertname":"ABCDEF"},"startsAt":"2026-11-24T02:00:00Z"}`), Limits{MaxLabelBytes: 5}, "alerts[0].labels.alertname", "too long: 6 bytes (limit 5)"},
		{"grafana labels as array", ParseGrafana, `{"version":"1","alerts":[{"status":"firing","labels":["a"]}]}`, Limits{}, "alerts[0].labels", "must be an object of string values"},
		{"grafana values as array", ParseGrafana, `{"alerts":[` + ok + `,{"values":[1]}]}`, Limits{}, "alerts[1].values", "must be an object of numbers"},
		{"invalid UTF-8 in an annotation", ParseAlertmanager, am("{\"status\":\"firing\",\"labels\":{\"alertname\":\"A\"},\"annotations\":{\"summary\":\"caf\xe9\"},\"startsAt\":\"2026-11-24T02:00:00Z\"}"), Limits{}, "alerts[0].annotations.summary", "valid UTF-8"},
		{"api value as string", ParseJSON, `{"labels":{"alertname":"A"},"value":"12"}`, Limits{}, "value", "must be a number"},
		{"api array value as string", ParseJSON, `[{"labels":{"alertname":"A"}},{"labels":{"alertname":"A"},"value":"12"}]`, Limits{}, "[1].value", "must be a number"},
		{"api labels as array", ParseJSON, `[{"labels":["a"]}]`, Limits{}, "[0].labels", "must be an object of string values"},
		{"api not an object", ParseJSON, `"firing"`, Limits{}, "body", "must be a JSON object or an array"},
		{"api element not an object", ParseJSON, `[{"labels":{"a":"b"}}, 3]`, Limits{}, "[1]", "must be an object"},
		{"api labels missing", ParseJSON, `{"status":"firing"}`, Limits{}, "labels", "is required"},
		{"api Alertmanager body", ParseJSON, `{"version":"4","alerts":[{}]}`, Limits{}, "labels", "looks like an Alertmanager or Grafana body"},
		{"api resolved without endsAt", ParseJSON, `{"status":"resolved","labels":{"alertname":"A"}}`, Limits{}, "endsAt", "required when status is resolved"},
		{"api bad fingerprint", ParseJSON, `{"labels":{"alertname":"A"},"fingerprint":"has space"}`, Limits{}, "fingerprint", "printable ASCII"},
		{"api javascript-free generatorURL control", ParseJSON, `{"labels":{"alertname":"A"},"generatorURL":"http://x/\u0000"}`, Limits{}, "generatorURL", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse([]byte(tt.body), tt.lim)
			if err == nil {
				t.Fatalf("got %d alerts and no error, want a FieldError for %q", len(got), tt.field)
			}
			checkFieldError(t, err, tt.field, tt.msgHas)
		})
	}
}

// Bad UTF-8 in a field we do not keep does not refuse Alertmanager's body:
// a 4xx would be final.
func TestParseUTF8OutsideKeptFields(t *testing.T) {
	body := "{\"receiver\":\"caf\xe9\",\"alerts\":[{\"status\":\"firing\",\"labels\":{\"alertname\":\"Caf\u00e9\"},\"startsAt\":\"2026-11-24T02:00:00Z\"}]}"
	got, err := ParseAlertmanager([]byte(body), Limits{})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if got[0].Name() != "Café" {
		t.Errorf("got name %q, want %q", got[0].Name(), "Café")
	}
}

// HTML and markdown in values are allowed: they are escaped when rendered.
func TestParseAllowsMarkup(t *testing.T) {
	body := `{"labels":{"alertname":"<script>alert(1)</script>","x":"**bold** [link](http://e)"},"annotations":{"summary":"<at user_id=\"all\">x</at>"}}`
	got, err := ParseJSON([]byte(body), Limits{})
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if got[0].Name() != "<script>alert(1)</script>" {
		t.Errorf("got name %q, want it unchanged", got[0].Name())
	}
}

func TestAlertValue(t *testing.T) {
	tests := []struct {
		values map[string]float64
		metric string
		want   float64
		ok     bool
	}{
		{map[string]float64{"B": 3}, "", 3, true},
		{map[string]float64{"B": 3, "value": 7}, "", 7, true},
		{map[string]float64{"B": 3, "C": 1}, "", 0, false},
		{map[string]float64{"B": 3, "C": 1}, "C", 1, true},
		{nil, "", 0, false},
		{nil, "B", 0, false},
	}
	for _, tt := range tests {
		got, ok := Alert{Values: tt.values}.Value(tt.metric)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Value(%q) over %v = %v, %v; want %v, %v", tt.metric, tt.values, got, ok, tt.want, tt.ok)
		}
	}
}

func tenAlertBody() []byte {
	var alerts []string
	for i := range 10 {
		alerts = append(alerts, fmt.Sprintf(`{"status":"firing","labels":{"alertname":"NodeDown","instance":"n%d:9100","job":"node","severity":"critical"},
			"annotations":{"summary":"n%d down","description":"Node n%d has been unreachable for 5 minutes."},
			"startsAt":"2026-11-24T02:09:55.200487562Z","endsAt":"0001-01-01T00:00:00Z",
			"generatorURL":"http://prometheus.example:9090/graph?g0.expr=up","fingerprint":"%016x"}`, i, i, i, i+1))
	}
	return []byte(`{"receiver":"hook","status":"firing","alerts":[` + strings.Join(alerts, ",") +
		`],"notification_reason":"first notification","groupLabels":{"alertname":"NodeDown"},
		"commonLabels":{"alertname":"NodeDown","job":"node","severity":"critical"},"commonAnnotations":{},
		"routeLabels":{},"externalURL":"http://vm:9093","version":"4","groupKey":"{}:{alertname=\"NodeDown\"}","truncatedAlerts":0}`)
}

func BenchmarkParseAlertmanager(b *testing.B) {
	body := tenAlertBody()
	if _, err := ParseAlertmanager(body, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := ParseAlertmanager(body, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10, "ns/alert")
}

func BenchmarkFingerprint(b *testing.B) {
	labels := map[string]string{"alertname": "NodeDown", "instance": "n1:9100", "job": "node", "severity": "critical"}
	b.ReportAllocs()
	for b.Loop() {
		Fingerprint(labels)
	}
}
