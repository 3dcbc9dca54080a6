package alerting

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultTemplatesRender(t *testing.T) {
	data := SampleData("Node down", "critical")
	tests := []struct {
		platform string
		want     []string
		notWant  []string
	}{
		{
			platform: PlatformDingTalk,
			want: []string{
				"### FIRING: Node down\n\n",
				"**Severity:** critical · **Team:** ops · **Firing:** 2 · **Resolved:** 0",
				"**NodeDown** · **FIRING**",
				"n1:9100 is down", "n2:9100 is down",
				"> Prometheus has not been able to scrape n1:9100 for 5 minutes.",
				"Labels: alertname=NodeDown, instance=n1:9100, job=node, severity=critical",
				"Started: 2026-11-24 02:09:55 UTC (5m ago)",
				"[Source](http://prometheus.example:9090/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0)",
				"[Why this message](http://localhost:8080/alerts/" + data.Alerts[0].Fingerprint + ")",
				"[Open in alertdesk](http://localhost:8080/deliveries)",
			},
			notWant: []string{"\n\n\n", "<no value>"},
		},
		{
			platform: PlatformFeishu,
			want: []string{
				"**FIRING: Node down**\n**Severity:** critical",
				"**NodeDown** · **FIRING**\nn1:9100 is down\n",
				"Labels: alertname=NodeDown, instance=n2:9100, job=node, severity=critical",
				"Started: 2026-11-24 02:09:55 UTC (5m ago)",
				"[Open in alertdesk](http://localhost:8080/deliveries)",
			},
			notWant: []string{"###", "<font", "\n\n\n", "<no value>"},
		},
		{
			platform: PlatformLark,
			want:     []string{"**FIRING: Node down**"},
			notWant:  []string{"###"},
		},
		{
			platform: PlatformWeCom,
			want: []string{
				`<font color="warning">**FIRING**</font> **Node down**`,
				`> Severity: <font color="comment">critical</font> · Team: ops`,
				`<font color="warning">**NodeDown**</font> n1:9100 is down`,
				"> Started: 2026-11-24 02:09:55 UTC",
			},
			notWant: []string{"###", `color="info"`, "<no value>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.platform, func(t *testing.T) {
			title, body := DefaultTemplates(tt.platform)
			if err := CheckTemplate(title); err != nil {
				t.Fatalf("CheckTemplate(title): %v", err)
			}
			if err := CheckTemplate(body); err != nil {
				t.Fatalf("CheckTemplate(body): %v", err)
			}
			r, err := Render(context.Background(), title, body, data, RenderLimits{})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if want := "[FIRING:2] Node down (critical)"; r.Title != want {
				t.Errorf("got title %q, want %q", r.Title, want)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("body does not contain %q:\n%s", w, r.Body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(r.Body, w) {
					t.Errorf("body contains %q:\n%s", w, r.Body)
				}
			}
			if len(r.Body) > 4096 {
				t.Errorf("sample body is %d bytes, more than WeCom's 4096", len(r.Body))
			}
		})
	}
}

func TestDefaultTemplatesResolvedAndTest(t *testing.T) {
	start := time.Date(2026, 11, 24, 2, 9, 39, 0, time.UTC)
	alerts := []Alert{{
		Source: SourceAlertmanager, Status: StatusResolved, Fingerprint: "8c77d5865e910658",
		Labels:      map[string]string{"alertname": "DiskFull", "instance": "db-1:9100"},
		Annotations: map[string]string{"summary": "Disk almost full on db-1"},
		Values:      map[string]float64{"B": 97.5},
		StartsAt:    start, EndsAt: start.Add(7 * time.Second),
		GeneratorURL: "javascript:alert(1)",
	}}
	data := NewTemplateData(alerts, nil)
	data.RuleName, data.Severity = "Disk", "warning"
	data.Now = start.Add(time.Minute)
	for _, platform := range []string{PlatformDingTalk, PlatformFeishu, PlatformWeCom} {
		title, body := DefaultTemplates(platform)
		r, err := Render(context.Background(), title, body, data, RenderLimits{})
		if err != nil {
			t.Fatalf("%s: %v", platform, err)
		}
		if r.Title != "[RESOLVED] Disk (warning)" {
			t.Errorf("%s: got title %q", platform, r.Title)
		}
		for _, w := range []string{"RESOLVED", "Resolved: 2026-11-24 02:09:46 UTC", "B=97.5"} {
			if !strings.Contains(r.Body, w) {
				t.Errorf("%s: body does not contain %q:\n%s", platform, w, r.Body)
			}
		}
		if strings.Contains(r.Body, "javascript") || strings.Contains(r.Body, "[Source]") {
			t.Errorf("%s: a javascript: URL became a link:\n%s", platform, r.Body)
		}
		if platform == PlatformWeCom && !strings.Contains(r.Body, `<font color="info">**RESOLVED**</font>`) {
			t.Errorf("wecom: resolved is not in info colour:\n%s", r.Body)
		}
	}
	data.Kind = "test"
	title, body := DefaultTemplates(PlatformDingTalk)
	r, err := Render(context.Background(), title, body, data, RenderLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Title, "[TEST] ") || !strings.HasPrefix(r.Body, "### [TEST] RESOLVED: Disk") {
		t.Errorf("test kind not marked: title %q, body %q", r.Title, r.Body)
	}
}

// Values from alerts must not be able to add formatting, HTML or mentions.
func TestDefaultTemplatesEscapeValues(t *testing.T) {
	data := SampleData("Node down", "critical")
	evil := `<at user_id="all">x</at> <@zhangsan> <font color="warning">**boom**</font> [click](http://evil)`
	data.Alerts[0].Labels["instance"] = evil
	data.Alerts[0].Annotations["summary"] = "# Heading\n- item\n`code` ~~strike~~ _it_ a|b & c"
	for _, platform := range []string{PlatformDingTalk, PlatformFeishu, PlatformWeCom} {
		title, body := DefaultTemplates(platform)
		r, err := Render(context.Background(), title, body, data, RenderLimits{})
		if err != nil {
			t.Fatalf("%s: %v", platform, err)
		}
		for _, bad := range []string{"<at ", "<@zhangsan>", `<font color="warning">**boom**`, "[click](", "\n# Heading", "\n- item", "`code`", "~~strike~~", "_it_"} {
			if strings.Contains(r.Body, bad) {
				t.Errorf("%s: body contains %q unescaped:\n%s", platform, bad, r.Body)
			}
		}
		for _, good := range []string{"&lt;at user\\_id=\"all\"&gt;", "&lt;@zhangsan&gt;", "\\*\\*boom\\*\\*", "\\[click\\](http://evil)", "\\# Heading", "\\- item", "a\\|b &amp; c"} {
			if !strings.Contains(r.Body, good) {
				t.Errorf("%s: body does not contain %q:\n%s", platform, good, r.Body)
			}
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text 123", "plain text 123"},
		{"n1:9100", "n1:9100"},
		{"node-exporter 97.5% v1.2", "node-exporter 97.5% v1.2"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"a & b", "a &amp; b"},
		{"**bold** _it_ `code` ~~s~~", "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~"},
		{"[link](http://x)", "\\[link\\](http://x)"},
		{"![img](http://x)", "!\\[img\\](http://x)"},
		{"back\\slash", "back\\\\slash"},
		{"# title", "\\# title"},
		{"issue #12", "issue #12"},
		{"- item\n  + sub\n1. first\n 22. second", "\\- item\n  \\+ sub\n1\\. first\n 22\\. second"},
		{"1.5 is fine", "1.5 is fine"},
		{"-5 degrees", "-5 degrees"},
		{"---\n===", "\\---\n\\==="},
		{"a | b", "a \\| b"},
		{"中文 标签 ✓", "中文 标签 ✓"},
	}
	for _, tt := range tests {
		if got := MarkdownEscape(tt.in); got != tt.want {
			t.Errorf("MarkdownEscape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://prometheus:9090/graph?g0.expr=up", "http://prometheus:9090/graph?g0.expr=up"},
		{"HTTPS://x.example/a", "HTTPS://x.example/a"},
		{"https://x.example/a b(c)<d>\"e'`", "https://x.example/a%20b%28c%29%3Cd%3E%22e%27%60"},
		{"javascript:alert(1)", ""},
		{"ftp://x", ""},
		{"", ""},
		{"http://x/\n", ""},
	}
	for _, tt := range tests {
		if got := SafeURL(tt.in); got != tt.want {
			t.Errorf("SafeURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTemplateFuncs(t *testing.T) {
	data := SampleData("Node down", "critical")
	tests := []struct{ src, want string }{
		{`{{.RuleName | toUpper}} {{.Severity | toLower}} {{title "node down-now"}}`, "NODE DOWN critical Node Down-Now"},
		{`{{join ", " (sortedPairs .CommonLabels)}}`, "alertname=NodeDown, job=node, severity=critical"},
		{`{{range .Alerts}}{{.Name}}@{{.Labels.instance}} {{end}}`, "NodeDown@n1:9100 NodeDown@n2:9100"},
		{`{{(index .Alerts 0).StartsAt | since}}`, "5m"},
		{`{{(index .Alerts 0).StartsAt | date "2006-01-02 15:04"}}`, "2026-11-24 02:09"},
		{`{{(index .Alerts 0).StartsAt | tz "Asia/Shanghai" | date "15:04 MST"}}`, "10:09 CST"},
		{`{{"abcdef" | truncate 4}}|{{"abc" | truncate 4}}|{{"中文标签名" | truncate 3}}`, "abc…|abc|中文…"},
		{`{{.Labels.missing | default "none"}}|{{$.Team | default "none"}}`, "none|ops"},
		{`{{.GroupLabels.alertname}} {{len .Firing}} {{len .Resolved}} {{.Kind}}`, "NodeDown 2 0 firing"},
		{`{{range $k, $v := .CommonLabels}}{{$k}} {{end}}`, "alertname job severity"},
		{`{{range $a := .Alerts}}{{range $a.Labels}}x{{end}}{{end}}`, "xxxxxxxx"},
		{`{{printf "%s-%d" .Severity 3}}`, "critical-3"},
	}
	for _, tt := range tests {
		src := tt.src
		if strings.Contains(src, ".Labels.missing") {
			src = `{{with index .Alerts 0}}` + src + `{{end}}`
		}
		r, err := Render(context.Background(), "t", src, data, RenderLimits{})
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if r.Body != tt.want {
			t.Errorf("%s: got %q, want %q", tt.src, r.Body, tt.want)
		}
	}
}

func checkTemplateError(t *testing.T, err error, line int, msg string) {
	t.Helper()
	var te *TemplateError
	if !errors.As(err, &te) {
		t.Fatalf("got %v (%T), want a *TemplateError", err, err)
	}
	if te.Line != line || !strings.Contains(te.Message, msg) {
		t.Errorf("got line %d %q, want line %d containing %q", te.Line, te.Message, line, msg)
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		{"unknown function", "a\nb\n{{foo .RuleName}}", 3, `function "foo" not defined`},
		{"unclosed action", "line one\n{{if .Firing}}\nx", 3, "unexpected EOF"},
		{"stray end", "a\n{{end}}", 2, "unexpected {{end}}"},
		{"template call", "ok\n{{define \"x\"}}{{template \"x\"}}{{end}}\n\n{{template \"x\"}}", 4, "{{template}} and {{block}} are not supported"},
		{"block", "{{block \"b\" .}}x{{end}}", 1, "{{template}} and {{block}} are not supported"},
		{"range over a number", "\n{{range 1000000000}}x{{end}}", 2, "range can only walk the alert lists and label maps"},
		{"range over a method", "{{range .Now.UnixNano}}{{end}}", 1, "range can only walk"},
		{"range over a variable", "{{$n := 1000000000}}{{range $n}}{{end}}", 1, "range can only walk"},
		{"range over the dot", "{{with 1000000000}}{{range .}}{{end}}{{end}}", 1, "range can only walk"},
		{"range over len", "{{range len .Alerts}}{{end}}", 1, "range can only walk"},
		{"ranges three deep", "{{range .Alerts}}\n{{range $.Alerts}}\n{{range $.Alerts}}{{end}}{{end}}{{end}}", 3, "range cannot be nested more than 2 deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTemplateError(t, CheckTemplate(tt.src), tt.line, tt.msg)
			_, err := Render(context.Background(), "title", tt.src, SampleData("r", "critical"), RenderLimits{})
			checkTemplateError(t, err, tt.line, tt.msg)
			if te := (*TemplateError)(nil); errors.As(err, &te) && te.Template != "body" {
				t.Errorf("got template %q, want body", te.Template)
			}
		})
	}
	if got := (&TemplateError{Line: 3, Message: `function "foo" not defined`}).Error(); got != `line 3: function "foo" not defined` {
		t.Errorf("Error() = %q", got)
	}
	// A range that is not nested too deep, over allowed data, passes.
	if err := CheckTemplate("{{range .Alerts}}{{range sortedPairs .Labels}}{{.}}{{end}}{{end}}{{range .Firing}}{{end}}"); err != nil {
		t.Errorf("got %v, want no error", err)
	}
}

func TestTemplateExecutionErrors(t *testing.T) {
	data := SampleData("r", "critical")
	tests := []struct {
		name, title, body string
		template          string
		line              int
		msg               string
	}{
		{"unknown field", "ok", "one\ntwo\n{{.Nope}}", "body", 3, "can't evaluate field Nope in type TemplateData"},
		{"title error", "{{index .Alerts 5}}", "ok", "title", 1, "index out of range: 5"},
		{"function error", "ok", "\n{{.Now | tz \"Mars/Base\"}}", "body", 2, `error calling tz: unknown time zone "Mars/Base"`},
		{"range over a label value", "ok", "{{range (index .Alerts 0).Labels.instance}}{{end}}", "body", 1, "range can only walk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(context.Background(), tt.title, tt.body, data, RenderLimits{})
			checkTemplateError(t, err, tt.line, tt.msg)
			var te *TemplateError
			if errors.As(err, &te) && te.Template != tt.template {
				t.Errorf("got template %q, want %q", te.Template, tt.template)
			}
		})
	}
}

func TestRenderLimits(t *testing.T) {
	data := SampleData("r", "critical")
	// The size checks run with a generous time limit: with the default 100 ms a loaded
	// machine could stop them by time first and report the wrong limit.
	sizeOnly := RenderLimits{Timeout: time.Minute}
	// Output beyond MaxBytes stops the run.
	_, err := Render(context.Background(), "t", `{{range .Alerts}}{{range $.Alerts}}{{printf "%0999999d" 1}}{{end}}{{end}}`, data, RenderLimits{MaxBytes: 1000, Timeout: time.Minute})
	checkTemplateError(t, err, 1, "error calling printf: the value would be longer than 1000 bytes")
	big := make([]TemplateAlert, 300)
	for i := range big {
		big[i] = data.Alerts[0]
	}
	data.Alerts = big
	_, err = Render(context.Background(), "t", `{{range .Alerts}}{{range $.Alerts}}{{.Name}} {{end}}{{end}}`, data, sizeOnly)
	checkTemplateError(t, err, 0, "body output is longer than 65536 bytes")
	// Doubling a variable without writing is stopped by the string limit.
	_, err = Render(context.Background(), "t", `{{$x := "aaaaaaaa"}}{{range .Alerts}}{{$x = printf "%s%s" $x $x}}{{end}}`, data, sizeOnly)
	checkTemplateError(t, err, 1, "the value would be longer than 65536 bytes")
	_, err = Render(context.Background(), "t", `{{$x := "&&&&&&&&"}}{{range .Alerts}}{{$x = print $x $x | html}}{{end}}`, data, sizeOnly)
	checkTemplateError(t, err, 1, "the value would be longer than 65536 bytes")
	// 300×300 iterations take longer than a nanosecond-scale limit.
	_, err = Render(context.Background(), "t", `{{range .Alerts}}{{range $.Alerts}}{{end}}{{end}}`, data, RenderLimits{Timeout: time.Microsecond})
	checkTemplateError(t, err, 0, "template took longer than 1µs")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Render(ctx, "t", `{{range .Alerts}}{{range $.Alerts}}{{end}}{{end}}`, data, RenderLimits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	long := strings.Repeat("x", MaxTemplateBytes+1)
	checkTemplateError(t, CheckTemplate(long), 0, "template is too long")
}

func TestNewTemplateData(t *testing.T) {
	t0 := time.Date(2026, 11, 24, 2, 0, 0, 0, time.UTC)
	alerts := []Alert{
		{Status: StatusFiring, Fingerprint: "a", Labels: map[string]string{"alertname": "X", "job": "node", "i": "1"}, Annotations: map[string]string{"runbook": "r", "s": "1"}, StartsAt: t0},
		{Status: StatusResolved, Fingerprint: "b", Labels: map[string]string{"alertname": "X", "job": "node", "i": "2"}, Annotations: map[string]string{"runbook": "r", "s": "2"}, StartsAt: t0, EndsAt: t0.Add(time.Minute)},
	}
	d := NewTemplateData(alerts, map[string]string{"alertname": "X"})
	if d.Status != StatusFiring || d.Kind != "firing" || len(d.Alerts) != 2 || len(d.Firing) != 1 || len(d.Resolved) != 1 {
		t.Errorf("got status %q kind %q %d/%d/%d alerts, want firing with 2/1/1", d.Status, d.Kind, len(d.Alerts), len(d.Firing), len(d.Resolved))
	}
	if d.Firing[0].Fingerprint != "a" || d.Resolved[0].Fingerprint != "b" || d.Alerts[1].Name != "X" {
		t.Errorf("alerts split wrongly: %+v", d)
	}
	if len(d.CommonLabels) != 2 || d.CommonLabels["job"] != "node" || len(d.CommonAnnotations) != 1 || d.CommonAnnotations["runbook"] != "r" {
		t.Errorf("got common labels %v and annotations %v", d.CommonLabels, d.CommonAnnotations)
	}
	if r := NewTemplateData(alerts[1:], nil); r.Status != StatusResolved || r.Kind != "resolved" || r.GroupLabels == nil {
		t.Errorf("resolved-only group: got status %q kind %q", r.Status, r.Kind)
	}
}

func TestSampleForTakesTheRulesLabels(t *testing.T) {
	d := SampleFor("disk alerts", "critical", "http://console.example", mustMatchers(t, `alertname="DiskFull"`, `env=~"prod|staging"`, `instance=~"db-.*"`))
	if len(d.Alerts) != 2 {
		t.Fatalf("alerts = %d, want 2", len(d.Alerts))
	}
	for _, a := range d.Alerts {
		if a.Labels["alertname"] != "DiskFull" || a.Labels["env"] != "prod" || a.Name != "DiskFull" {
			t.Errorf("sample labels = %v, want alertname DiskFull and env prod", a.Labels)
		}
		if !strings.HasPrefix(a.WhyURL, "http://console.example/") {
			t.Errorf("WhyURL = %q, want the console's address", a.WhyURL)
		}
	}
	if d.RuleName != "disk alerts" || d.GroupLabels["alertname"] != "DiskFull" {
		t.Errorf("data = %+v", d)
	}
}

func mustMatchers(t *testing.T, exprs ...string) Matchers {
	t.Helper()
	ms, err := ParseMatchers("{" + strings.Join(exprs, ",") + "}")
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestHumanDurationAndQuote(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 26 * time.Hour: "1d2h",
		76*time.Hour + 30*time.Minute: "3d4h30m", 48 * time.Hour: "2d", 90 * time.Second: "1m30s"} {
		if got := HumanDuration(d); got != want {
			t.Errorf("HumanDuration(%s) = %q, want %q", d, got, want)
		}
	}
	if got := Quote("disk full\non /var\n"); got != "> disk full\n> on /var" {
		t.Errorf("Quote = %q", got)
	}
}
