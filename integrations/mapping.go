// Package integrations turns what any monitoring tool posts (JSON or a form-encoded body)
// into the console's alerts, through a mapping of jq expressions kept per integration,
// and ships presets for the common tools.
package integrations

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"alertdesk/alerting"
)

// Source is the alert source of everything that arrives through an integration.
const Source = "integration"

// Body formats a mapping reads.
const (
	FormatAuto = "auto" // JSON when the body starts with { or [, else form-encoded
	FormatJSON = "json"
	FormatForm = "form"
)

// ProtocolHuaweiSMN makes an integration answer Huawei Cloud SMN's subscription
// confirmations and unwrap its notifications.
const ProtocolHuaweiSMN = "huawei-smn"

// Time formats besides a Go layout.
const (
	TimeRFC3339 = "rfc3339"
	TimeUnix    = "unix"    // seconds since 1970, number or string
	TimeUnixMS  = "unix_ms" // milliseconds since 1970
)

// Mapping says how one tool's payload becomes alerts. Every string named an expression is
// jq, run with "." bound to the item being mapped (each value of Alerts) and $body to the
// whole payload.
type Mapping struct {
	Format   string `json:"format,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	// Alerts yields one item per alert; "" means the payload itself is one alert.
	Alerts    string `json:"alerts,omitempty"`
	Alertname string `json:"alertname"`
	// LabelsFrom yields an object whose entries become labels; Labels then add or override
	// single labels (name → expression).
	LabelsFrom      string            `json:"labels_from,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	AnnotationsFrom string            `json:"annotations_from,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	// Severity becomes the "severity" label after SeverityMap (tool's value → ours,
	// compared without regard to case; values not in the map are kept as they are).
	Severity    string            `json:"severity,omitempty"`
	SeverityMap map[string]string `json:"severity_map,omitempty"`
	// Status yields the tool's status; it is resolved when it equals one of
	// ResolvedValues (without regard to case), else firing. With no ResolvedValues,
	// "resolved" means resolved. No Status: always firing.
	Status         string   `json:"status,omitempty"`
	ResolvedValues []string `json:"resolved_values,omitempty"`
	// ResolvedWhenEnded: an alert whose ends_at is at or before the time of receipt is
	// resolved (the Alertmanager API's rule, which vmalert follows).
	ResolvedWhenEnded bool `json:"resolved_when_ended,omitempty"`
	// Fingerprint yields the tool's dedup key (any text): firing and resolved events with
	// the same key are the same alert. "": the fingerprint of the labels.
	Fingerprint string `json:"fingerprint,omitempty"`
	StartsAt    string `json:"starts_at,omitempty"`
	EndsAt      string `json:"ends_at,omitempty"`
	// TimeFormat is rfc3339 (default), unix, unix_ms or a Go layout such as
	// "2006.01.02 15:04:05"; TimeZone (IANA name, default UTC) applies to layouts without one.
	TimeFormat string `json:"time_format,omitempty"`
	TimeZone   string `json:"time_zone,omitempty"`
	Value      string `json:"value,omitempty"`
	SourceURL  string `json:"source_url,omitempty"`
	// StaticLabels are added to every alert (after the mapped labels, before Extract).
	StaticLabels map[string]string `json:"static_labels,omitempty"`
	Extract      []Extraction      `json:"extract,omitempty"`
	// AutoResolveMinutes resolves a firing alert this many minutes after the tool last sent
	// it, for tools that never send a resolve (0: never).
	AutoResolveMinutes int `json:"auto_resolve_minutes,omitempty"`
}

// MaxAutoResolveMinutes bounds AutoResolveMinutes: a week.
const MaxAutoResolveMinutes = 7 * 24 * 60

// AutoResolve is how long after its last receipt a firing alert is resolved (0: never).
func (c *Compiled) AutoResolve() time.Duration {
	return time.Duration(c.m.AutoResolveMinutes) * time.Minute
}

// Extraction copies part of a field into a label: the first capture group of Regex
// (or the whole match) in the text From yields. No match: the label is not set.
type Extraction struct {
	From  string `json:"from"`
	Regex string `json:"regex"`
	Label string `json:"label"`
}

// Compiled is a validated mapping, ready to convert payloads.
type Compiled struct {
	m Mapping
	// runTimeout bounds one payload's expressions (0 = RunTimeout); tests that check a
	// limit other than time raise it, so a loaded machine cannot turn their refusal into
	// a timeout.
	runTimeout      time.Duration
	alerts          *expr
	alertname       *expr
	labelsFrom      *expr
	labels          []namedExpr
	annotationsFrom *expr
	annotations     []namedExpr
	severity        *expr
	severityMap     map[string]string
	status          *expr
	resolved        []string
	fingerprint     *expr
	startsAt        *expr
	endsAt          *expr
	loc             *time.Location
	value           *expr
	sourceURL       *expr
	extract         []compiledExtraction
}

type namedExpr struct {
	name string
	e    *expr
}

type compiledExtraction struct {
	from  *expr
	re    *regexp.Regexp
	label string
}

// Bounds of a mapping.
const (
	maxMappedLabels = 64
	maxRegexBytes   = 1000
	maxStaticBytes  = 1024
)

// Mapping returns the mapping c was compiled from.
// maxAlertsPerPayload bounds how many alerts one payload's alerts expression may yield:
// the body size limit bounds the payload, but an expression could still multiply it.
const maxAlertsPerPayload = 100_000

func (c *Compiled) Mapping() Mapping { return c.m }

// Compile validates m; an error is an *alerting.FieldError naming the mapping's field
// ("alertname", "labels.host", "extract[1].regex", …).
func Compile(m Mapping) (*Compiled, error) {
	c := &Compiled{m: m, loc: time.UTC}
	bad := func(field string, err error) error { return &alerting.FieldError{Field: field, Message: err.Error()} }
	one := func(field, src string, dst **expr) error {
		e, err := compileExpr(src)
		if err != nil {
			return bad(field, err)
		}
		*dst = e
		return nil
	}
	switch m.Format {
	case "", FormatAuto, FormatJSON, FormatForm:
	default:
		return nil, &alerting.FieldError{Field: "format", Message: fmt.Sprintf("must be %q, %q or %q, not %q", FormatAuto, FormatJSON, FormatForm, m.Format)}
	}
	switch m.Protocol {
	case "", ProtocolHuaweiSMN:
	default:
		return nil, &alerting.FieldError{Field: "protocol", Message: fmt.Sprintf("must be empty or %q, not %q", ProtocolHuaweiSMN, m.Protocol)}
	}
	if m.AutoResolveMinutes < 0 || m.AutoResolveMinutes > MaxAutoResolveMinutes {
		return nil, &alerting.FieldError{Field: "auto_resolve_minutes",
			Message: fmt.Sprintf("must be from 0 (never) to %d minutes (a week), not %d", MaxAutoResolveMinutes, m.AutoResolveMinutes)}
	}
	if strings.TrimSpace(m.Alertname) == "" {
		return nil, &alerting.FieldError{Field: "alertname", Message: "is required: an expression that names the alert, such as .name or \"Host down\""}
	}
	for _, f := range []struct {
		field, src string
		dst        **expr
	}{
		{"alerts", m.Alerts, &c.alerts}, {"alertname", m.Alertname, &c.alertname},
		{"labels_from", m.LabelsFrom, &c.labelsFrom}, {"annotations_from", m.AnnotationsFrom, &c.annotationsFrom},
		{"severity", m.Severity, &c.severity}, {"status", m.Status, &c.status},
		{"fingerprint", m.Fingerprint, &c.fingerprint}, {"starts_at", m.StartsAt, &c.startsAt},
		{"ends_at", m.EndsAt, &c.endsAt}, {"value", m.Value, &c.value}, {"source_url", m.SourceURL, &c.sourceURL},
	} {
		if err := one(f.field, f.src, f.dst); err != nil {
			return nil, err
		}
	}
	var err error
	if c.labels, err = compileNamed("labels", m.Labels, true); err != nil {
		return nil, err
	}
	if c.annotations, err = compileNamed("annotations", m.Annotations, false); err != nil {
		return nil, err
	}
	if len(m.SeverityMap) > 0 && c.severity == nil {
		return nil, &alerting.FieldError{Field: "severity", Message: "is required when severity_map is set: an expression for the tool's severity"}
	}
	c.severityMap = make(map[string]string, len(m.SeverityMap))
	for _, k := range sortedKeys(m.SeverityMap) {
		v := strings.TrimSpace(m.SeverityMap[k])
		if v == "" || len(v) > 64 || len(k) > 256 {
			return nil, &alerting.FieldError{Field: "severity_map." + k, Message: "must map to a severity of 1 to 64 characters, such as critical, warning or info"}
		}
		c.severityMap[strings.ToLower(strings.TrimSpace(k))] = v
	}
	for _, v := range m.ResolvedValues {
		c.resolved = append(c.resolved, strings.ToLower(strings.TrimSpace(v)))
	}
	if len(m.ResolvedValues) > 0 && c.status == nil {
		return nil, &alerting.FieldError{Field: "status", Message: "is required when resolved_values is set: an expression for the tool's status"}
	}
	if err := checkTimeFormat(m.TimeFormat); err != nil {
		return nil, &alerting.FieldError{Field: "time_format", Message: err.Error()}
	}
	if m.TimeZone != "" {
		if c.loc, err = time.LoadLocation(m.TimeZone); err != nil {
			return nil, &alerting.FieldError{Field: "time_zone", Message: fmt.Sprintf("must be an IANA time zone such as Asia/Shanghai or UTC, not %q", m.TimeZone)}
		}
	}
	if len(m.StaticLabels) > maxMappedLabels {
		return nil, &alerting.FieldError{Field: "static_labels", Message: fmt.Sprintf("may have at most %d labels", maxMappedLabels)}
	}
	for _, k := range sortedKeys(m.StaticLabels) {
		if !alerting.ValidLabelName(k) {
			return nil, &alerting.FieldError{Field: "static_labels." + k, Message: "is not a valid label name (letters, digits and _, not starting with a digit)"}
		}
		if v := m.StaticLabels[k]; v == "" || len(v) > maxStaticBytes {
			return nil, &alerting.FieldError{Field: "static_labels." + k, Message: fmt.Sprintf("must have a value of 1 to %d bytes", maxStaticBytes)}
		}
	}
	if len(m.Extract) > 16 {
		return nil, &alerting.FieldError{Field: "extract", Message: "may have at most 16 extractions"}
	}
	for i, x := range m.Extract {
		field := "extract[" + strconv.Itoa(i) + "]"
		var ce compiledExtraction
		if !alerting.ValidLabelName(x.Label) {
			return nil, &alerting.FieldError{Field: field + ".label", Message: "is not a valid label name (letters, digits and _, not starting with a digit)"}
		}
		ce.label = x.Label
		if strings.TrimSpace(x.From) == "" {
			return nil, &alerting.FieldError{Field: field + ".from", Message: "is required: an expression for the text to search, such as .trigger_name"}
		}
		if err := one(field+".from", x.From, &ce.from); err != nil {
			return nil, err
		}
		if x.Regex == "" || len(x.Regex) > maxRegexBytes {
			return nil, &alerting.FieldError{Field: field + ".regex", Message: fmt.Sprintf("must be a regular expression of 1 to %d bytes", maxRegexBytes)}
		}
		if ce.re, err = regexp.Compile(x.Regex); err != nil {
			return nil, &alerting.FieldError{Field: field + ".regex", Message: "is not a valid RE2 regular expression: " + strings.TrimPrefix(err.Error(), "error parsing regexp: ")}
		}
		c.extract = append(c.extract, ce)
	}
	return c, nil
}

func compileNamed(field string, m map[string]string, labelNames bool) ([]namedExpr, error) {
	if len(m) > maxMappedLabels {
		return nil, &alerting.FieldError{Field: field, Message: fmt.Sprintf("may have at most %d entries", maxMappedLabels)}
	}
	var out []namedExpr
	for _, name := range sortedKeys(m) {
		if labelNames && !alerting.ValidLabelName(name) || !labelNames && (name == "" || len(name) > 256) {
			return nil, &alerting.FieldError{Field: field + "." + name, Message: "is not a valid name (letters, digits and _, not starting with a digit)"}
		}
		e, err := compileExpr(m[name])
		if err != nil {
			return nil, &alerting.FieldError{Field: field + "." + name, Message: err.Error()}
		}
		if e == nil {
			return nil, &alerting.FieldError{Field: field + "." + name, Message: "needs an expression (remove the row to leave it out)"}
		}
		out = append(out, namedExpr{name, e})
	}
	return out, nil
}

func checkTimeFormat(f string) error {
	switch f {
	case "", TimeRFC3339, TimeUnix, TimeUnixMS:
		return nil
	}
	if len(f) > 64 || !strings.Contains(f, "2006") && !strings.Contains(f, "06") {
		return fmt.Errorf("must be rfc3339, unix, unix_ms or a Go layout with a year such as 2006.01.02 15:04:05, not %q", f)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Confirmation is a protocol step a tool asked for instead of sending alerts.
type Confirmation struct {
	Kind string // "SubscriptionConfirmation", "UnsubscribeConfirmation"
	URL  string // where an operator confirms it (the console never calls out)
}

// Result is what one payload became.
type Result struct {
	Alerts       []alerting.Alert
	Confirmation *Confirmation
}

// RunTimeout bounds the time all expressions of one payload may take together.
const RunTimeout = 2 * time.Second

// Convert maps one payload to alerts. contentType may be "" (the format is then guessed
// for FormatAuto). now fills in the end of resolved alerts that carry none. A refusal is
// an *alerting.FieldError naming the field: "body" for an unreadable payload,
// "alerts[2].labels.host" for a mapped value that failed.
func (c *Compiled) Convert(ctx context.Context, body []byte, contentType string, now time.Time) (Result, error) {
	limit := c.runTimeout
	if limit <= 0 {
		limit = RunTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	doc, err := c.decode(body, contentType)
	if err != nil {
		return Result{}, err
	}
	if c.m.Protocol == ProtocolHuaweiSMN {
		var conf *Confirmation
		if doc, conf, err = unwrapSMN(doc); err != nil || conf != nil {
			return Result{Confirmation: conf}, err
		}
	}
	v := vars{body: doc, now: float64(now.UnixMilli()) / 1000}
	items := []any{doc}
	if c.alerts != nil {
		if items, err = c.alerts.all(ctx, doc, v, maxAlertsPerPayload); err != nil {
			return Result{}, &alerting.FieldError{Field: "alerts", Message: "the mapping's alerts expression " + err.Error()}
		}
		if len(items) == 0 {
			return Result{}, &alerting.FieldError{Field: "alerts", Message: "the mapping's alerts expression found no alert in this payload"}
		}
	}
	wire := make([]wireAlert, len(items))
	for i, item := range items {
		if wire[i], err = c.one(ctx, item, v, now); err != nil {
			if fe, ok := err.(*alerting.FieldError); ok && len(items) > 1 {
				fe.Field = "alerts[" + strconv.Itoa(i) + "]." + fe.Field
			}
			return Result{}, err
		}
	}
	// The console's own parser checks what the mapping produced, so an integration's
	// alerts obey exactly the limits and rules of every other source.
	encoded, err := json.Marshal(wire)
	if err != nil {
		return Result{}, fmt.Errorf("integrations: encode alerts: %w", err)
	}
	alerts, err := alerting.ParseJSON(encoded, alerting.Limits{})
	if err != nil {
		if fe, ok := err.(*alerting.FieldError); ok {
			fe.Field = renameField(fe.Field, len(items) > 1)
		}
		return Result{}, err
	}
	for i := range alerts {
		alerts[i].Source = Source
	}
	return Result{Alerts: alerts}, nil
}

// renameField turns the console parser's "[2].startsAt" into the mapping's
// "alerts[2].starts_at" (or "starts_at" for a payload of one alert).
func renameField(f string, many bool) string {
	prefix := ""
	if strings.HasPrefix(f, "[") {
		end := strings.Index(f, "]")
		if many {
			prefix = "alerts" + f[:end+1] + "."
		}
		f = strings.TrimPrefix(f[end+1:], ".")
	}
	for wire, ours := range map[string]string{"startsAt": "starts_at", "endsAt": "ends_at", "generatorURL": "source_url"} {
		if f == wire {
			f = ours
		}
	}
	return prefix + f
}

// wireAlert is the console's own alert JSON (alerting.ParseJSON).
type wireAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	Value        *float64          `json:"value,omitempty"`
	StartsAt     string            `json:"startsAt,omitempty"`
	EndsAt       string            `json:"endsAt,omitempty"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
	Fingerprint  string            `json:"fingerprint,omitempty"`
}

func (c *Compiled) one(ctx context.Context, item any, doc vars, now time.Time) (wireAlert, error) {
	w := wireAlert{Status: alerting.StatusFiring, Labels: map[string]string{}, Annotations: map[string]string{}}
	fail := func(field string, err error) error {
		return &alerting.FieldError{Field: field, Message: "the mapping's expression " + err.Error()}
	}
	if c.labelsFrom != nil {
		if err := c.object(ctx, c.labelsFrom, item, doc, w.Labels, true); err != nil {
			return w, fail("labels_from", err)
		}
	}
	for _, l := range c.labels {
		v, err := l.e.text(ctx, item, doc)
		if err != nil {
			return w, fail("labels."+l.name, err)
		}
		setLabel(w.Labels, l.name, v)
	}
	for k, v := range c.m.StaticLabels {
		w.Labels[k] = v
	}
	for i, x := range c.extract {
		v, err := x.from.text(ctx, item, doc)
		if err != nil {
			return w, fail("extract["+strconv.Itoa(i)+"].from", err)
		}
		if m := x.re.FindStringSubmatch(v); m != nil {
			if len(m) > 1 {
				setLabel(w.Labels, x.label, m[1])
			} else {
				setLabel(w.Labels, x.label, m[0])
			}
		}
	}
	if c.severity != nil {
		v, err := c.severity.text(ctx, item, doc)
		if err != nil {
			return w, fail("severity", err)
		}
		if mapped, ok := c.severityMap[strings.ToLower(strings.TrimSpace(v))]; ok {
			v = mapped
		}
		setLabel(w.Labels, "severity", v)
	}
	name, err := c.alertname.text(ctx, item, doc)
	if err != nil {
		return w, fail("alertname", err)
	}
	if strings.TrimSpace(name) == "" {
		return w, &alerting.FieldError{Field: "alertname", Message: "the mapping found no alert name in this payload (" + c.alertname.src + " gave nothing)"}
	}
	w.Labels["alertname"] = name
	if c.annotationsFrom != nil {
		if err := c.object(ctx, c.annotationsFrom, item, doc, w.Annotations, false); err != nil {
			return w, fail("annotations_from", err)
		}
	}
	for _, a := range c.annotations {
		v, err := a.e.text(ctx, item, doc)
		if err != nil {
			return w, fail("annotations."+a.name, err)
		}
		// Tools running on Windows (Zabbix messages) end lines with CRLF.
		setLabel(w.Annotations, a.name, strings.ReplaceAll(v, "\r\n", "\n"))
	}
	if c.status != nil {
		v, err := c.status.text(ctx, item, doc)
		if err != nil {
			return w, fail("status", err)
		}
		v = strings.ToLower(strings.TrimSpace(v))
		if len(c.resolved) == 0 && v == alerting.StatusResolved || slices.Contains(c.resolved, v) {
			w.Status = alerting.StatusResolved
		}
	}
	if c.fingerprint != nil {
		key, err := c.fingerprint.text(ctx, item, doc)
		if err != nil {
			return w, fail("fingerprint", err)
		}
		if key != "" {
			// Any text the tool uses as its key, hashed to the console's fingerprint
			// form so that firing and resolved events of one problem meet.
			w.Fingerprint = alerting.Fingerprint(map[string]string{"dedup_key": key})
		}
	}
	var starts, ends time.Time
	if starts, err = c.time(ctx, c.startsAt, "starts_at", item, doc); err != nil {
		return w, err
	}
	if ends, err = c.time(ctx, c.endsAt, "ends_at", item, doc); err != nil {
		return w, err
	}
	if !starts.IsZero() {
		w.StartsAt = starts.UTC().Format(time.RFC3339Nano)
	}
	if c.m.ResolvedWhenEnded && !ends.IsZero() && !ends.After(now) {
		w.Status = alerting.StatusResolved
	}
	if w.Status == alerting.StatusResolved {
		if ends.IsZero() {
			ends = now
		}
		w.EndsAt = ends.UTC().Format(time.RFC3339Nano)
	}
	if c.value != nil {
		v, err := c.value.first(ctx, item, doc)
		if err != nil {
			return w, fail("value", err)
		}
		if v != nil {
			f, ok := toNumber(v)
			if !ok {
				return w, &alerting.FieldError{Field: "value", Message: fmt.Sprintf("must be a number, the mapping gave %q", truncate(toText(v), 64))}
			}
			w.Value = &f
		}
	}
	if w.GeneratorURL, err = c.sourceURL.text(ctx, item, doc); err != nil {
		return w, fail("source_url", err)
	}
	return w, nil
}

// setLabel sets a label, leaving out empty values as Prometheus does.
func setLabel(m map[string]string, name, v string) {
	if v == "" {
		delete(m, name)
		return
	}
	m[name] = v
}

// object copies the entries of the object e yields into dst.
func (c *Compiled) object(ctx context.Context, e *expr, item any, doc vars, dst map[string]string, labelNames bool) error {
	v, err := e.first(ctx, item, doc)
	if err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("must yield an object, not %s", truncate(toText(v), 64))
	}
	for k, v := range obj {
		if labelNames && !alerting.ValidLabelName(k) {
			k = sanitizeLabelName(k)
		}
		setLabel(dst, k, toText(v))
	}
	return nil
}

// sanitizeLabelName makes a tool's key ("host.name", "告警级别") a usable label name.
func sanitizeLabelName(k string) string {
	var b strings.Builder
	for i, r := range k {
		switch {
		case r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func (c *Compiled) time(ctx context.Context, e *expr, field string, item any, doc vars) (time.Time, error) {
	if e == nil {
		return time.Time{}, nil
	}
	v, err := e.first(ctx, item, doc)
	if err != nil {
		return time.Time{}, &alerting.FieldError{Field: field, Message: "the mapping's expression " + err.Error()}
	}
	if v == nil || v == "" {
		return time.Time{}, nil
	}
	t, err := parseTime(v, c.m.TimeFormat, c.loc)
	if err != nil {
		return time.Time{}, &alerting.FieldError{Field: field, Message: err.Error()}
	}
	return t, nil
}

func parseTime(v any, format string, loc *time.Location) (time.Time, error) {
	switch format {
	case TimeUnix, TimeUnixMS:
		f, ok := toNumber(v)
		if !ok || f <= 0 {
			return time.Time{}, fmt.Errorf("must be a %s timestamp, the mapping gave %q", format, truncate(toText(v), 64))
		}
		if format == TimeUnix {
			return time.UnixMilli(int64(f * 1000)), nil
		}
		return time.UnixMilli(int64(f)), nil
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("must be text in the time_format, the mapping gave %s", truncate(toText(v), 64))
	}
	if format == "" || format == TimeRFC3339 {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
		if err != nil {
			return time.Time{}, fmt.Errorf("must be an RFC3339 time like 2026-11-24T02:09:55Z, not %q", truncate(s, 64))
		}
		return t, nil
	}
	t, err := time.ParseInLocation(format, strings.TrimSpace(s), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be a time in the format %s, not %q", format, truncate(s, 64))
	}
	return t, nil
}

func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// decode reads the payload as JSON or as a form-encoded body (each field a string, a
// repeated field an array of strings).
func (c *Compiled) decode(body []byte, contentType string) (any, error) {
	format := c.m.Format
	if format == "" || format == FormatAuto {
		format = guessFormat(body, contentType)
	}
	if format == FormatForm {
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &alerting.FieldError{Field: "body", Message: "is not a form-encoded body: " + err.Error()}
		}
		if len(vals) == 0 {
			return nil, &alerting.FieldError{Field: "body", Message: "is empty"}
		}
		out := make(map[string]any, len(vals))
		for k, vs := range vals {
			if len(vs) == 1 {
				out[k] = vs[0]
				continue
			}
			list := make([]any, len(vs))
			for i, v := range vs {
				list[i] = v
			}
			out[k] = list
		}
		return out, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, &alerting.FieldError{Field: "body", Message: "is empty"}
		}
		return nil, &alerting.FieldError{Field: "body", Message: "is not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &alerting.FieldError{Field: "body", Message: "has more than one JSON value"}
	}
	return doc, nil
}

func guessFormat(body []byte, contentType string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/x-www-form-urlencoded") {
		return FormatForm
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] != '{' && trimmed[0] != '[' && bytes.Contains(trimmed, []byte("=")) {
		return FormatForm
	}
	return FormatJSON
}

// unwrapSMN handles Huawei Cloud SMN's HTTP(S) envelope: a subscription or unsubscribe
// confirmation becomes a Confirmation; a notification's message (the alert, as a JSON
// string or plain text) becomes the document the mapping reads, with the envelope's
// fields kept under "smn".
func unwrapSMN(doc any) (any, *Confirmation, error) {
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, nil, &alerting.FieldError{Field: "body", Message: "is not an SMN message (a JSON object with a type)"}
	}
	kind, _ := obj["type"].(string)
	switch kind {
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		u, _ := obj["subscribe_url"].(string)
		if kind == "UnsubscribeConfirmation" {
			if uu, ok := obj["unsubscribe_url"].(string); ok {
				u = uu
			}
		}
		return nil, &Confirmation{Kind: kind, URL: u}, nil
	case "Notification":
		msg, _ := obj["message"].(string)
		envelope := map[string]any{}
		for k, v := range obj {
			if k != "message" {
				envelope[k] = v
			}
		}
		var inner any = msg
		dec := json.NewDecoder(strings.NewReader(msg))
		dec.UseNumber()
		var parsed any
		if err := dec.Decode(&parsed); err == nil {
			inner = parsed
		}
		if m, ok := inner.(map[string]any); ok {
			m["smn"] = envelope
			return m, nil, nil
		}
		return map[string]any{"message": inner, "smn": envelope}, nil, nil
	case "":
		return nil, nil, &alerting.FieldError{Field: "type", Message: "is required: SMN sends SubscriptionConfirmation, Notification or UnsubscribeConfirmation"}
	}
	return nil, nil, &alerting.FieldError{Field: "type", Message: fmt.Sprintf("must be SubscriptionConfirmation, Notification or UnsubscribeConfirmation, not %q", truncate(kind, 64))}
}
