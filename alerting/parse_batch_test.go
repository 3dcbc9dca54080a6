package alerting

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// utf8Names are label names as Alertmanager 0.34 passes them (and Grafana's built-in
// Alertmanager: dotted names).
var utf8Names = map[string]string{"host.keyword": "db-1", "customer-environment": "prod", "机房": "上海", "00": "zero"}

// amBodyWith is a real Alertmanager body (testdata) whose alerts get extra labels and,
// when edit is set, are rewritten by it (as decoded JSON objects).
func amBodyWith(t testing.TB, file string, extra map[string]string, edit func(i int, a map[string]any)) []byte {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(sample(t, file), &env); err != nil {
		t.Fatal(err)
	}
	for i, a := range env["alerts"].([]any) {
		obj := a.(map[string]any)
		labels := obj["labels"].(map[string]any)
		for k, v := range extra {
			labels[k] = v
		}
		if edit != nil {
			edit(i, obj)
		}
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseUTF8LabelNames(t *testing.T) {
	for _, file := range []string{"alertmanager-webhook.json", "alertmanager-webhook-grouped.json", "alertmanager-webhook-resolved.json"} {
		b, err := ParseAlertmanagerBatch(amBodyWith(t, file, utf8Names, nil), Limits{})
		if err != nil || len(b.Refused) != 0 || len(b.Alerts) == 0 {
			t.Fatalf("%s: got %d alerts, refused %v, error %v; want all stored", file, len(b.Alerts), b.Refused, err)
		}
		for _, a := range b.Alerts {
			for k, v := range utf8Names {
				if a.Labels[k] != v {
					t.Errorf("%s: label %q = %q, want %q", file, k, a.Labels[k], v)
				}
			}
		}
	}
	for name := range utf8Names {
		if !ValidLabelName(name) {
			t.Errorf("ValidLabelName(%q) = false", name)
		}
	}
	for _, bad := range []string{"", "a\x00b", "tab\there", "nl\n", strings.Repeat("x", 257), "\xff"} {
		if ValidLabelName(bad) {
			t.Errorf("ValidLabelName(%q) = true, want false", bad)
		}
	}
}

// A matcher, a group-by list and a template all work with UTF-8 label names.
func TestUTF8LabelNamesInMatchersGroupsAndTemplates(t *testing.T) {
	b, err := ParseAlertmanagerBatch(amBodyWith(t, "alertmanager-webhook-grouped.json", utf8Names, nil), Limits{})
	if err != nil || len(b.Alerts) != 2 {
		t.Fatalf("parse: %d alerts, %v", len(b.Alerts), err)
	}
	ms, err := ParseMatchers(`{"host.keyword"="db-1", customer-environment=~"prod|stage", "机房"!="北京"}`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, failed := ms.Match(b.Alerts[0].Labels); !ok {
		t.Errorf("matcher %d of %s did not match %v", failed, ms, b.Alerts[0].Labels)
	}
	back, err := ParseMatchers(ms.String())
	if err != nil || back.String() != ms.String() {
		t.Errorf("ParseMatchers(%s) = %v, %v; want it back", ms, back, err)
	}

	groupBy, err := ParseLabelNames(`alertname, host.keyword, "机房"`)
	if err != nil || !slices.Equal(groupBy, []string{"alertname", "host.keyword", "机房"}) {
		t.Fatalf("ParseLabelNames = %q, %v", groupBy, err)
	}
	gl := GroupLabels(groupBy, b.Alerts[0].Labels)
	if gl["host.keyword"] != "db-1" || gl["机房"] != "上海" || len(gl) != 3 {
		t.Errorf("GroupLabels = %v", gl)
	}
	// Both alerts share host.keyword and 机房: one group.
	if GroupKey(1, groupBy, b.Alerts[0].Labels) != GroupKey(1, groupBy, b.Alerts[1].Labels) {
		t.Errorf("alerts with the same grouping labels fell into different groups")
	}
	other := map[string]string{"alertname": "NodeDown", "host.keyword": "db-2", "机房": "上海"}
	if GroupKey(1, groupBy, b.Alerts[0].Labels) == GroupKey(1, groupBy, other) {
		t.Errorf("a different host.keyword gave the same group")
	}

	data := NewTemplateData(b.Alerts, gl)
	out, err := Render(context.Background(), `{{index .GroupLabels "host.keyword"}}`,
		`{{range .Alerts}}{{index .Labels "host.keyword"}} in {{index .Labels "机房"}} / {{index .Labels "customer-environment"}} / {{index .Labels "00"}}; {{end}}`+
			`{{join ", " (sortedPairs .CommonLabels)}}`, data, RenderLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Title != "db-1" || !strings.Contains(out.Body, "db-1 in 上海 / prod / zero; ") || !strings.Contains(out.Body, "host.keyword=db-1") {
		t.Errorf("rendered %q / %q", out.Title, out.Body)
	}
}

func TestParseLabelNames(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"alertname, instance", []string{"alertname", "instance"}, ""},
		{" ... ", []string{"..."}, ""},
		{"host.keyword,customer-environment , 机房,00,", []string{"host.keyword", "customer-environment", "机房", "00"}, ""},
		{`"a,b", "say \"hi\""`, []string{"a,b", `say "hi"`}, ""},
		{`a, b"c`, nil, "has a quote inside"},
		{`"open`, nil, "missing its closing"},
		{`"a" b`, nil, "expected a comma"},
		{"a\x07b", nil, "is not a label name"},
	}
	for _, tt := range tests {
		got, err := ParseLabelNames(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseLabelNames(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseLabelNames(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if back, err := ParseLabelNames(FormatLabelNames(got)); err != nil || !slices.Equal(back, got) {
			t.Errorf("FormatLabelNames(%q) = %q reads back as %q, %v", got, FormatLabelNames(got), back, err)
		}
	}
}

// One bad alert, however it is bad, is refused on its own: the others are stored.
func TestParseBatchRefusesOnlyTheBadAlert(t *testing.T) {
	const good = `{"status":"firing","labels":{"alertname":"Good%d"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"0001-01-01T00:00:00Z"}`
	bad := []struct {
		name, alert, field, msg string
	}{
		{"label name with a control character", `{"status":"firing","labels":{"alertname":"Bad","a\u0001":"x"},"startsAt":"2026-11-24T02:00:00Z"}`, "alerts[1].labels", "label name"},
		{"status wrong type", `{"status":1,"labels":{"alertname":"Bad"},"startsAt":"2026-11-24T02:00:00Z"}`, "alerts[1].status", "must be a string"},
		{"labels wrong type", `{"status":"firing","labels":["Bad"],"startsAt":"2026-11-24T02:00:00Z"}`, "alerts[1].labels", "object of string values"},
		{"not an object", `"Bad"`, "alerts[1]", "must be an object"},
		{"null", `null`, "alerts[1].status", "is required"},
		{"startsAt year 0000", `{"status":"firing","labels":{"alertname":"Bad"},"startsAt":"0000-01-01T00:00:00Z"}`, "alerts[1].startsAt", "before 2000"},
		{"startsAt year 9999", `{"status":"firing","labels":{"alertname":"Bad"},"startsAt":"9999-01-01T00:00:00Z"}`, "alerts[1].startsAt", "more than a day ahead"},
		{"firing endsAt before startsAt", `{"status":"firing","labels":{"alertname":"Bad"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"2026-11-23T02:00:00Z"}`, "alerts[1].endsAt", "before startsAt"},
	}
	for _, tc := range bad {
		for _, src := range []struct {
			name  string
			parse func([]byte, Limits) (Batch, error)
		}{{"alertmanager", ParseAlertmanagerBatch}, {"grafana", ParseGrafanaBatch}} {
			t.Run(src.name+"/"+tc.name, func(t *testing.T) {
				body := `{"alerts":[` + fmt.Sprintf(good, 0) + "," + tc.alert + "," + fmt.Sprintf(good, 2) + `]}`
				b, err := src.parse([]byte(body), Limits{})
				if err != nil {
					t.Fatalf("whole body refused: %v", err)
				}
				if len(b.Alerts) != 2 || b.Alerts[0].Name() != "Good0" || b.Alerts[1].Name() != "Good2" {
					t.Errorf("stored %v, want Good0 and Good2", b.Alerts)
				}
				if len(b.Refused) != 1 {
					t.Fatalf("refused %v, want one", b.Refused)
				}
				r := b.Refused[0]
				if r.Index != 1 || r.Field != tc.field || !strings.Contains(r.Message, tc.msg) {
					t.Errorf("refusal %+v, want index 1, field %q, message with %q", r, tc.field, tc.msg)
				}
				if strings.Contains(tc.alert, `{"alertname":"Bad"`) && r.Name != "Bad" {
					t.Errorf("refusal names alert %q, want Bad", r.Name)
				}
				if r.Reason() == "other" {
					t.Errorf("reason of %q is other", r.Field)
				}
				// The all-or-nothing form refuses the body, naming the same field.
				if _, err := ParseAlertmanager([]byte(body), Limits{}); src.name == "alertmanager" {
					checkFieldError(t, err, tc.field, tc.msg)
				}
			})
		}
	}
}

// A resolve is never dropped for an odd endsAt: it is kept with endsAt = startsAt and
// the correction is reported. The zero time means "absent" on a firing alert.
func TestParseResolveEndsAtClamped(t *testing.T) {
	start := "2026-11-24T02:00:00Z"
	tests := []struct{ endsAt, msg string }{
		{`"2026-11-24T01:00:00Z"`, "before startsAt"},
		{`"9999-12-31T23:59:59Z"`, "more than a day ahead"},
		{`"0000-01-01T00:00:00Z"`, "before startsAt"},
		{`"0001-01-01T00:00:00Z"`, "missing"},
		{`""`, "missing"},
		{`"later"`, "missing or not a time"},
	}
	for _, tt := range tests {
		body := `{"alerts":[{"status":"resolved","labels":{"alertname":"R"},"startsAt":"` + start + `","endsAt":` + tt.endsAt + `}]}`
		b, err := ParseAlertmanagerBatch([]byte(body), Limits{})
		if err != nil || len(b.Alerts) != 1 || len(b.Refused) != 0 {
			t.Fatalf("endsAt %s: alerts %v refused %v err %v; want the resolve kept", tt.endsAt, b.Alerts, b.Refused, err)
		}
		if !b.Alerts[0].EndsAt.Equal(mustTime(t, start)) {
			t.Errorf("endsAt %s: stored endsAt %v, want startsAt", tt.endsAt, b.Alerts[0].EndsAt)
		}
		if len(b.Clamped) != 1 || b.Clamped[0].Field != "alerts[0].endsAt" || !strings.Contains(b.Clamped[0].Message, tt.msg) {
			t.Errorf("endsAt %s: clamped %+v, want one naming alerts[0].endsAt with %q", tt.endsAt, b.Clamped, tt.msg)
		}
	}
	// Firing with the zero endsAt Alertmanager and Grafana send: absent, nothing clamped.
	b, err := ParseGrafanaBatch([]byte(`{"alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"`+start+`","endsAt":"0001-01-01T00:00:00Z"}]}`), Limits{})
	if err != nil || len(b.Alerts) != 1 || !b.Alerts[0].EndsAt.IsZero() || len(b.Clamped)+len(b.Refused) != 0 {
		t.Errorf("zero endsAt: %+v, %v", b, err)
	}
	// A sound resolve is stored as sent.
	b, _ = ParseAlertmanagerBatch([]byte(`{"alerts":[{"status":"resolved","labels":{"a":"b"},"startsAt":"`+start+`","endsAt":"2026-11-24T03:00:00Z"}]}`), Limits{})
	if len(b.Clamped) != 0 || !b.Alerts[0].EndsAt.Equal(mustTime(t, "2026-11-24T03:00:00Z")) {
		t.Errorf("sound resolve: %+v", b)
	}
}

func TestParseTimesAgainstNow(t *testing.T) {
	now := mustTime(t, "2026-11-24T12:00:00Z")
	body := func(startsAt string) []byte {
		return []byte(`{"alerts":[{"status":"firing","labels":{"a":"b"},"startsAt":"` + startsAt + `"}]}`)
	}
	if b, _ := ParseAlertmanagerBatch(body("2026-11-25T11:00:00Z"), Limits{Now: now}); len(b.Alerts) != 1 {
		t.Errorf("23 h ahead refused: %+v", b.Refused)
	}
	if b, _ := ParseAlertmanagerBatch(body("2026-11-25T13:00:00Z"), Limits{Now: now}); len(b.Refused) != 1 {
		t.Errorf("25 h ahead accepted")
	}
	if b, _ := ParseAlertmanagerBatch(body("2000-01-01T00:00:00Z"), Limits{Now: now}); len(b.Alerts) != 1 {
		t.Errorf("2000-01-01 refused: %+v", b.Refused)
	}
}

func TestParseTruncatedAlertsAndNoCountLimit(t *testing.T) {
	b, err := ParseAlertmanagerBatch(amBodyWith(t, "alertmanager-webhook.json", nil, nil), Limits{})
	if err != nil || b.Truncated != 0 {
		t.Fatalf("truncated = %d, %v", b.Truncated, err)
	}
	var env map[string]any
	_ = json.Unmarshal(sample(t, "alertmanager-webhook-grouped.json"), &env)
	env["truncatedAlerts"] = 42
	alerts := make([]any, 1500)
	for i := range alerts {
		alerts[i] = map[string]any{"status": "firing", "labels": map[string]string{"alertname": "NodeDown", "instance": fmt.Sprintf("n%d:9100", i)},
			"startsAt": "2026-11-24T02:09:55Z", "endsAt": "0001-01-01T00:00:00Z"}
	}
	env["alerts"] = alerts
	body, _ := json.Marshal(env)
	b, err = ParseAlertmanagerBatch(body, Limits{})
	if err != nil || len(b.Alerts) != 1500 || b.Truncated != 42 {
		t.Fatalf("1,500 alerts: got %d, truncated %d, %v", len(b.Alerts), b.Truncated, err)
	}
}

// FuzzParsers: whatever the bytes, the parsers answer without panicking, every alert they
// return is one the pipeline can store, and every alert of the body is either returned or
// refused. Normal test runs go through the seed corpus only; go test -fuzz=FuzzParsers
// explores further.
func FuzzParsers(f *testing.F) {
	for _, file := range []string{"alertmanager-webhook.json", "alertmanager-webhook-grouped.json", "alertmanager-webhook-resolved.json"} {
		f.Add(sample(f, file))
		f.Add(amBodyWith(f, file, utf8Names, nil))
	}
	f.Add(tenAlertBody())
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"alerts":null}`, `{"alerts":[null,1,"x",{}]}`, `{"alerts":{}}`,
		`{"version":4}`, `[{"labels":{"a":"b"}}]`, `{"labels":{"host.keyword":"x"},"status":"resolved","endsAt":"0000-01-01T00:00:00Z"}`,
		`{"alerts":[{"status":"resolved","labels":{"a":"b"},"startsAt":"2026-11-24T02:00:00Z","endsAt":"9999-01-01T00:00:00Z"}],"truncatedAlerts":-3}`,
		"{\"alerts\":[{\"labels\":{\"\xff\":\"\xfe\"}}]}"} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		lim := Limits{Now: now}
		for _, parse := range []func([]byte, Limits) (Batch, error){ParseAlertmanagerBatch, ParseGrafanaBatch} {
			b, err := parse(body, lim)
			if err != nil {
				if len(b.Alerts)+len(b.Refused) != 0 {
					t.Fatalf("error %v with alerts", err)
				}
				continue
			}
			if b.Truncated < 0 {
				t.Fatalf("truncated %d", b.Truncated)
			}
			var env struct{ Alerts []json.RawMessage }
			if json.Unmarshal(body, &env) == nil && len(env.Alerts) != len(b.Alerts)+len(b.Refused) {
				t.Fatalf("%d alerts in the body, %d stored + %d refused", len(env.Alerts), len(b.Alerts), len(b.Refused))
			}
			for _, a := range b.Alerts {
				checkStorable(t, a, now)
			}
		}
		if alerts, err := ParseJSON(body, lim); err == nil {
			for _, a := range alerts {
				checkStorable(t, a, now)
			}
		}
		// The text parsers take anything typed into a form.
		if ms, err := ParseMatchers(string(body)); err == nil {
			if back, err := ParseMatchers(ms.String()); err != nil || back.String() != ms.String() {
				t.Fatalf("matchers %s do not read back: %v", ms, err)
			}
		}
		if names, err := ParseLabelNames(string(body)); err == nil {
			if back, err := ParseLabelNames(FormatLabelNames(names)); err != nil || !slices.Equal(back, names) {
				t.Fatalf("names %q do not read back: %q, %v", names, back, err)
			}
		}
	})
}

func checkStorable(t *testing.T, a Alert, now time.Time) {
	t.Helper()
	if a.Status != StatusFiring && a.Status != StatusResolved {
		t.Fatalf("status %q", a.Status)
	}
	if len(a.Labels) == 0 {
		t.Fatalf("no labels")
	}
	for k, v := range a.Labels {
		if !ValidLabelName(k) || !cleanText(v, false) {
			t.Fatalf("label %q=%q", k, v)
		}
	}
	if !a.StartsAt.IsZero() && (a.StartsAt.Before(MinTime) || a.StartsAt.After(now.Add(MaxAhead))) {
		t.Fatalf("startsAt %v", a.StartsAt)
	}
	if a.Firing() != a.EndsAt.IsZero() {
		t.Fatalf("status %s with endsAt %v", a.Status, a.EndsAt)
	}
	if !a.EndsAt.IsZero() && !a.StartsAt.IsZero() && a.EndsAt.Before(a.StartsAt) {
		t.Fatalf("endsAt %v before startsAt %v", a.EndsAt, a.StartsAt)
	}
}
