package integrations

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
)

func fieldOf(t *testing.T, err error) string {
	t.Helper()
	var fe *alerting.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v (%T), want a *alerting.FieldError", err, err)
	}
	return fe.Field
}

func TestCompileRefusesBadMappingsNamingTheField(t *testing.T) {
	ok := Mapping{Alertname: ".name"}
	tests := []struct {
		name      string
		change    func(m *Mapping)
		wantField string
		wantText  string
	}{
		{"no alertname", func(m *Mapping) { m.Alertname = " " }, "alertname", "is required"},
		{"syntax error", func(m *Mapping) { m.Alertname = ".name |" }, "alertname", "not a valid jq expression"},
		{"bad label expression", func(m *Mapping) { m.Labels = map[string]string{"host": ".a[["} }, "labels.host", "not a valid jq"},
		{"bad label name", func(m *Mapping) { m.Labels = map[string]string{"host\x01": ".a"} }, "labels.host\x01", "not a valid name"},
		{"empty label expression", func(m *Mapping) { m.Labels = map[string]string{"host": ""} }, "labels.host", "needs an expression"},
		{"environment", func(m *Mapping) { m.Annotations = map[string]string{"x": "$ENV.HOME"} }, "annotations.x", "environment"},
		{"env function", func(m *Mapping) { m.Severity = "env.PATH" }, "severity", "environment"},
		{"input", func(m *Mapping) { m.Value = "input" }, "value", "other inputs"},
		{"unbounded range", func(m *Mapping) { m.Alerts = "range(1e9)" }, "alerts", "range"},
		{"loops", func(m *Mapping) { m.Alerts = "repeat(.)" }, "alerts", "repeat"},
		{"recursion by definition", func(m *Mapping) { m.Alertname = "def f: f; f" }, "alertname", "may not define functions"},
		{"reduce", func(m *Mapping) { m.Alertname = `reduce .[] as $x (""; . + .)` }, "alertname", "reduce"},
		{"string repetition", func(m *Mapping) { m.Alertname = `"x" * 1000000000` }, "alertname", "multiply"},
		{"too long", func(m *Mapping) { m.SourceURL = strings.Repeat(".a // ", 400) + ".b" }, "source_url", "at most 2000"},
		{"bad format", func(m *Mapping) { m.Format = "xml" }, "format", "must be"},
		{"bad protocol", func(m *Mapping) { m.Protocol = "sns" }, "protocol", "must be"},
		{"severity map without severity", func(m *Mapping) { m.SeverityMap = map[string]string{"Disaster": "critical"} }, "severity", "required when severity_map"},
		{"empty severity target", func(m *Mapping) { m.Severity = ".s"; m.SeverityMap = map[string]string{"Disaster": ""} }, "severity_map.Disaster", "must map"},
		{"resolved values without status", func(m *Mapping) { m.ResolvedValues = []string{"OK"} }, "status", "required when resolved_values"},
		{"bad time format", func(m *Mapping) { m.TimeFormat = "dd/mm" }, "time_format", "Go layout"},
		{"bad time zone", func(m *Mapping) { m.TimeZone = "Mars/Olympus" }, "time_zone", "IANA"},
		{"bad static label name", func(m *Mapping) { m.StaticLabels = map[string]string{"team\nname": "x"} }, "static_labels.team\nname", "not a valid label name"},
		{"empty static label", func(m *Mapping) { m.StaticLabels = map[string]string{"team": ""} }, "static_labels.team", "1 to 1024"},
		{"negative auto-resolve", func(m *Mapping) { m.AutoResolveMinutes = -5 }, "auto_resolve_minutes", "from 0 (never)"},
		{"auto-resolve over a week", func(m *Mapping) { m.AutoResolveMinutes = MaxAutoResolveMinutes + 1 }, "auto_resolve_minutes", "a week"},
		{"bad regex", func(m *Mapping) { m.Extract = []Extraction{{From: ".a", Regex: "(", Label: "host"}} }, "extract[0].regex", "RE2"},
		{"lookbehind is not RE2", func(m *Mapping) { m.Extract = []Extraction{{From: ".a", Regex: "(?<=x)y", Label: "host"}} }, "extract[0].regex", "RE2"},
		{"extraction without source", func(m *Mapping) { m.Extract = []Extraction{{Regex: "x", Label: "host"}} }, "extract[0].from", "required"},
		{"extraction label", func(m *Mapping) { m.Extract = []Extraction{{From: ".a", Regex: "x", Label: "a\tb"}} }, "extract[0].label", "not a valid label name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ok
			tt.change(&m)
			_, err := Compile(m)
			if err == nil {
				t.Fatal("compiled, want a refusal")
			}
			if got := fieldOf(t, err); got != tt.wantField {
				t.Errorf("field = %q, want %q (%v)", got, tt.wantField, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
		})
	}
	if _, err := Compile(ok); err != nil {
		t.Fatalf("the base mapping is refused: %v", err)
	}
}

func TestConvertRefusesBadPayloadsNamingTheField(t *testing.T) {
	m := Mapping{
		Alerts:    `.items[]?`,
		Alertname: `.name`,
		Labels:    map[string]string{"host": `.host`},
		StartsAt:  `.at`,
		Value:     `.v`,
	}
	c, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	c.runTimeout = time.Minute // these refusals are about the payload, never about time
	tests := []struct {
		name, body, wantField, wantText string
	}{
		{"not JSON", `{"items": [`, "body", "not valid JSON"},
		{"empty", ``, "body", "is empty"},
		{"two documents", `{"items":[]} {}`, "body", "more than one"},
		{"no alerts", `{"items": []}`, "alerts", "found no alert"},
		{"no name", `{"items": [{"host": "a"}]}`, "alertname", "found no alert name"},
		{"name in the second alert", `{"items": [{"name": "a"}, {"host": "b"}]}`, "alerts[1].alertname", "found no alert name"},
		{"bad time", `{"items": [{"name": "a", "at": "yesterday"}]}`, "starts_at", "RFC3339"},
		{"value not a number", `{"items": [{"name": "a", "v": "lots"}]}`, "value", "must be a number"},
		{"expression fails", `{"items": [5]}`, "labels.host", "expected an object"},
		{"label with control characters", `{"items": [{"name": "a", "host": "x\u0001"}]}`, "labels", ""},
		{"too many alerts", `{"items": [` + strings.Repeat(`{"name":"a"},`, maxAlertsPerPayload) + `{"name":"a"}]}`, "alerts", "more than 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Convert(context.Background(), []byte(tt.body), "application/json", receivedAt)
			if err == nil {
				t.Fatal("converted, want a refusal")
			}
			if got := fieldOf(t, err); !strings.HasPrefix(got, tt.wantField) {
				t.Errorf("field = %q, want %q (%v)", got, tt.wantField, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
		})
	}
}

func TestConvertEnrichesLabels(t *testing.T) {
	c, err := Compile(Mapping{
		Alertname:    `.trigger`,
		Labels:       map[string]string{"team": `"from payload"`},
		StaticLabels: map[string]string{"team": "storage", "env": "prod"},
		Extract: []Extraction{
			{From: `.trigger`, Regex: `on host (\S+)`, Label: "host"},
			{From: `.trigger`, Regex: `disk`, Label: "kind"},
			{From: `.trigger`, Regex: `never (\d+)`, Label: "absent"},
		},
		Severity:    `.sev`,
		SeverityMap: map[string]string{"disaster": "critical"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Convert(context.Background(), []byte(`{"trigger": "Free disk space is low on host db-3 (/var)", "sev": "Disaster"}`), "", receivedAt)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Alerts[0]
	want := map[string]string{"alertname": "Free disk space is low on host db-3 (/var)", "team": "storage", "env": "prod",
		"host": "db-3", "kind": "disk", "severity": "critical"}
	for k, v := range want {
		if a.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, a.Labels[k], v)
		}
	}
	if _, ok := a.Labels["absent"]; ok || len(a.Labels) != len(want) {
		t.Errorf("labels = %v, want exactly %v", a.Labels, want)
	}
	if a.Fingerprint != alerting.Fingerprint(a.Labels) {
		t.Errorf("without a dedup key the fingerprint is the labels'; got %s", a.Fingerprint)
	}
	if !a.StartsAt.IsZero() {
		t.Errorf("startsAt = %v, want zero for the pipeline to fill in", a.StartsAt)
	}
}

func TestConvertFormBodiesAndStatus(t *testing.T) {
	c, err := Compile(Mapping{Alertname: `.alertName`, Status: `.state`, ResolvedValues: []string{"ok"},
		Fingerprint: `.id`, EndsAt: `.ts`, TimeFormat: TimeUnix, Labels: map[string]string{"dims": `[.dim] | flatten | map(select(. != null)) | join(",")`}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Convert(context.Background(), []byte("alertName=CPU+high&state=OK&id=42&ts=1795975795&dim=a&dim=b"), "application/x-www-form-urlencoded", receivedAt)
	if err != nil {
		t.Fatal(err)
	}
	a := res.Alerts[0]
	if a.Status != alerting.StatusResolved || !a.EndsAt.Equal(time.Unix(1795975795, 0)) || a.Labels["dims"] != "a,b" {
		t.Errorf("got %+v", a)
	}
	if a.Fingerprint != alerting.Fingerprint(map[string]string{"dedup_key": "42"}) {
		t.Errorf("fingerprint %s is not the dedup key's", a.Fingerprint)
	}
	// Without a content type, a body that is not JSON but looks like a form is read as one.
	if _, err := c.Convert(context.Background(), []byte("alertName=x&state=firing"), "", receivedAt); err != nil {
		t.Errorf("form body without content type: %v", err)
	}
}

func TestConvertStopsSlowExpressions(t *testing.T) {
	// Nested iteration over a big array: bounded by the payload, but slow; the run's
	// deadline stops it and the refusal says so.
	c, err := Compile(Mapping{Alertname: `[.[] as $a | .[] as $b | .[] as $c | $a + $b + $c] | length | tostring`})
	if err != nil {
		t.Fatal(err)
	}
	body := "[" + strings.Repeat("1,", 5000) + "1]"
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Convert(ctx, []byte(body), "", receivedAt)
	if err == nil || !strings.Contains(err.Error(), "took too long") {
		t.Fatalf("err = %v, want a refusal saying it took too long", err)
	}
}
