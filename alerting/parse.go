package alerting

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldError is a refusal of an inbound body that names the offending field in
// JSON-path-ish form: "alerts[3].labels", "status", "alerts[0].startsAt",
// "alerts[0].labels.severity", or "body" when the JSON itself is malformed.
// For the API's own array form the paths start with the index: "[2].labels".
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Limits bound what one inbound body may carry. Zero fields take the defaults.
// The number of alerts per body has no limit of its own: the caller's body size
// limit bounds it, so that a large Alertmanager group is never refused by count.
type Limits struct {
	MaxLabels          int // labels (and, separately, annotations and values) per alert; default 64
	MaxLabelBytes      int // bytes per label value; default 4096 (label and annotation names: 256)
	MaxAnnotationBytes int // bytes per annotation value; default 16384

	// Now is the time of receipt that startsAt and endsAt are checked against;
	// zero means time.Now().
	Now time.Time

	// replaced is set when the body is not valid UTF-8: encoding/json then
	// turns the bad bytes into U+FFFD, which we refuse in the fields we keep.
	// (A U+FFFD sent as such is then refused too; bad bytes in fields we
	// ignore, such as receiver, are not.)
	replaced bool
}

// Default limits.
const (
	DefaultMaxLabels          = 64
	DefaultMaxLabelBytes      = 4096
	DefaultMaxAnnotationBytes = 16 << 10
	maxNameBytes              = 256
	maxURLBytes               = 4096
	maxFingerprintBytes       = 64

	// MaxAhead is how far in the future a startsAt (or a resolve's endsAt) may be:
	// senders' clocks drift, but a day ahead is a broken clock or a made-up time.
	MaxAhead = 24 * time.Hour
)

// MinTime is the earliest startsAt or endsAt accepted: nothing that alerts today
// started before 2000, and year 0000 or 0001 is a sender's zero value.
var MinTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

func (l Limits) forBody(body []byte) Limits {
	l.replaced = !utf8.Valid(body)
	return l.withDefaults()
}

// text reports whether s is text we keep: see cleanText.
func (l Limits) text(s string, multiline bool) bool {
	return cleanText(s, multiline) && !(l.replaced && strings.ContainsRune(s, utf8.RuneError))
}

func (l Limits) withDefaults() Limits {
	if l.MaxLabels <= 0 {
		l.MaxLabels = DefaultMaxLabels
	}
	if l.MaxLabelBytes <= 0 {
		l.MaxLabelBytes = DefaultMaxLabelBytes
	}
	if l.MaxAnnotationBytes <= 0 {
		l.MaxAnnotationBytes = DefaultMaxAnnotationBytes
	}
	if l.Now.IsZero() {
		l.Now = time.Now()
	}
	return l
}

// wireAlert is the part of an alert that Alertmanager, Grafana and the API share.
type wireAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type grafanaAlert struct {
	wireAlert
	Values map[string]float64 `json:"values"`
}

type apiAlert struct {
	wireAlert
	Value *float64 `json:"value"`
	// Alerts is only looked at to explain a misdirected Alertmanager or Grafana body.
	Alerts json.RawMessage `json:"alerts"`
}

// envelope is the top level of Alertmanager's and Grafana's webhook bodies.
// Fields we do not use (receiver, status, groupLabels, notification_reason,
// routeLabels, orgId, title, message, …) are ignored.
type envelope[A any] struct {
	Version         string `json:"version"`
	GroupKey        string `json:"groupKey"`
	TruncatedAlerts int    `json:"truncatedAlerts"`
	Alerts          []A    `json:"alerts"`
}

// Refusal is one alert of a body that was left out (Batch.Refused) or stored
// with a corrected endsAt (Batch.Clamped), with the reason in words.
type Refusal struct {
	Index   int    // position in the body's alerts array
	Field   string // JSON path of the offending field: "alerts[3].labels", "alerts[0].endsAt"
	Message string // what is wrong, for the operator
	Name    string // the alert's alertname label when it could be read
}

// Reason is a short, bounded name for the kind of refusal (the field it concerns:
// "labels", "startsAt", "status", …, or "alert" when the element was not an
// object), fit for a metric label.
func (r Refusal) Reason() string {
	f := r.Field
	if i := strings.IndexByte(f, ']'); i >= 0 {
		f = strings.TrimPrefix(f[i+1:], ".")
	}
	if i := strings.IndexByte(f, '.'); i >= 0 {
		f = f[:i]
	}
	switch f {
	case "":
		return "alert"
	case "status", "labels", "annotations", "values", "startsAt", "endsAt", "generatorURL", "fingerprint":
		return f
	}
	return "other"
}

// Batch is what a webhook body yields: the alerts to store, those refused one
// by one (the others are still stored: Alertmanager does not retry a 4xx, so
// refusing the whole body would lose every valid alert of the group), the
// resolves whose endsAt was clamped, and Alertmanager's count of alerts it left
// out of the body (truncatedAlerts, when max_alerts is set).
type Batch struct {
	Alerts    []Alert
	Refused   []Refusal
	Clamped   []Refusal
	Truncated int
}

// ParseAlertmanagerBatch parses an Alertmanager webhook body (version "4"; a
// missing version is accepted). Extra and future fields are ignored. An error
// means the body as a whole cannot be read (not JSON, wrong top-level shape,
// no alerts); a bad alert is refused on its own in Batch.Refused.
func ParseAlertmanagerBatch(body []byte, lim Limits) (Batch, error) {
	return parseEnvelope(body, lim, SourceAlertmanager, "4", func(a *wireAlert) (*wireAlert, map[string]float64) {
		return a, nil
	})
}

// ParseGrafanaBatch parses a Grafana webhook contact point body (version "1";
// a missing version is accepted) as ParseAlertmanagerBatch does. Each alert's
// "values" become Alert.Values.
func ParseGrafanaBatch(body []byte, lim Limits) (Batch, error) {
	return parseEnvelope(body, lim, SourceGrafana, "1", func(a *grafanaAlert) (*wireAlert, map[string]float64) {
		return &a.wireAlert, a.Values
	})
}

// ParseAlertmanager is ParseAlertmanagerBatch for callers that want all or
// nothing: the first refused alert is returned as a *FieldError.
func ParseAlertmanager(body []byte, lim Limits) ([]Alert, error) {
	return allOrNothing(ParseAlertmanagerBatch(body, lim))
}

// ParseGrafana is ParseGrafanaBatch for callers that want all or nothing.
func ParseGrafana(body []byte, lim Limits) ([]Alert, error) {
	return allOrNothing(ParseGrafanaBatch(body, lim))
}

func allOrNothing(b Batch, err error) ([]Alert, error) {
	if err != nil {
		return nil, err
	}
	if len(b.Refused) > 0 {
		r := b.Refused[0]
		return nil, &FieldError{r.Field, r.Message}
	}
	return b.Alerts, nil
}

func parseEnvelope[A any](body []byte, lim Limits, source, version string, split func(*A) (*wireAlert, map[string]float64)) (Batch, error) {
	lim = lim.forBody(body)
	var env envelope[A]
	// Fast path: the whole body at once. A type error inside one alert makes
	// encoding/json give up on that value, so then the alerts are read one by
	// one, and only the broken ones are refused.
	var elems []json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		var raw envelope[json.RawMessage]
		if err := json.Unmarshal(body, &raw); err != nil {
			return Batch{}, decodeError(body, err, "alerts", nil)
		}
		env.Version, env.GroupKey, env.TruncatedAlerts = raw.Version, raw.GroupKey, raw.TruncatedAlerts
		if raw.Alerts == nil {
			// "alerts": null reads as absent, like a missing field
			return Batch{}, &FieldError{"alerts", "is required (an array of alerts)"}
		}
		elems = raw.Alerts
		env.Alerts = make([]A, len(elems))
	}
	if env.Version != "" && env.Version != version {
		return Batch{}, &FieldError{"version", fmt.Sprintf("unsupported version %q (want %q)", env.Version, version)}
	}
	if env.Alerts == nil {
		return Batch{}, &FieldError{"alerts", "is required (an array of alerts)"}
	}
	if len(env.Alerts) == 0 {
		return Batch{}, &FieldError{"alerts", "must contain at least one alert"}
	}
	b := Batch{Alerts: make([]Alert, 0, len(env.Alerts)), Truncated: max(env.TruncatedAlerts, 0)}
	for i := range env.Alerts {
		p := path{prefix: "alerts", index: i}
		if elems != nil {
			if err := json.Unmarshal(elems[i], &env.Alerts[i]); err != nil {
				b.Refused = append(b.Refused, refusal(p, elementError(p, err), nameOf(elems[i])))
				continue
			}
		}
		w, values := split(&env.Alerts[i])
		a, clamp, err := normalise(p, w, source, true, lim)
		if err == nil {
			err = checkValues(p, values, lim)
		}
		if err != nil {
			b.Refused = append(b.Refused, refusal(p, err, w.Labels["alertname"]))
			continue
		}
		if clamp != nil {
			b.Clamped = append(b.Clamped, refusal(p, clamp, a.Name()))
		}
		a.Values = values
		a.GroupKey = env.GroupKey
		b.Alerts = append(b.Alerts, a)
	}
	return b, nil
}

func refusal(p path, err error, name string) Refusal {
	r := Refusal{Index: p.index, Field: p.at(""), Message: err.Error()}
	var fe *FieldError
	if errors.As(err, &fe) {
		r.Field, r.Message = fe.Field, fe.Message
	}
	if len(name) <= maxNameBytes && cleanText(name, false) {
		r.Name = name
	}
	return r
}

// elementError names the field of one alert element that did not decode.
func elementError(p path, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return &FieldError{p.at(""), "must be an object"}
		}
		return typeFieldError(p.at(jsonField(te)), te)
	}
	return &FieldError{p.at(""), "could not be read: " + err.Error()}
}

// nameOf reads the alertname label of an alert element that did not decode
// as a whole, so that the operator can tell which alert was refused.
func nameOf(raw json.RawMessage) string {
	var a struct {
		Labels map[string]json.RawMessage `json:"labels"`
	}
	if json.Unmarshal(raw, &a) != nil {
		return ""
	}
	var name string
	if json.Unmarshal(a.Labels["alertname"], &name) != nil {
		return ""
	}
	return name
}

// ParseJSON parses the console's own alert format: one object or an array of
// objects with status (default "firing"), labels (required), annotations,
// value (a number), startsAt, endsAt, generatorURL and fingerprint. A missing
// startsAt stays zero for the caller to fill in with the time of receipt.
// It is all or nothing: the first bad alert refuses the body, naming the field,
// so that the caller can fix it and send again.
func ParseJSON(body []byte, lim Limits) ([]Alert, error) {
	lim = lim.forBody(body)
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var list []apiAlert
		if err := json.Unmarshal(body, &list); err != nil {
			return nil, decodeError(body, err, "", locateInArray[apiAlert])
		}
		if len(list) == 0 {
			return nil, &FieldError{"alerts", "must contain at least one alert"}
		}
		out := make([]Alert, len(list))
		for i := range list {
			a, err := normaliseAPI(path{index: i}, &list[i], lim)
			if err != nil {
				return nil, err
			}
			out[i] = a
		}
		return out, nil
	}
	var one apiAlert
	if err := json.Unmarshal(body, &one); err != nil {
		return nil, decodeError(body, err, "", nil)
	}
	a, err := normaliseAPI(path{index: -1}, &one, lim)
	if err != nil {
		return nil, err
	}
	return []Alert{a}, nil
}

func normaliseAPI(p path, w *apiAlert, lim Limits) (Alert, error) {
	if w.Status == "" {
		w.Status = StatusFiring
	}
	if w.Labels == nil && len(w.Alerts) > 0 {
		return Alert{}, &FieldError{p.at("labels"), "is required (this looks like an Alertmanager or Grafana body: post it to that source's own URL)"}
	}
	a, _, err := normalise(p, &w.wireAlert, SourceAPI, false, lim)
	if err != nil {
		return Alert{}, err
	}
	if w.Value != nil {
		a.Values = map[string]float64{"value": *w.Value}
	}
	return a, nil
}

// path names one alert in a body; the strings are only built for errors.
type path struct {
	prefix string // "alerts" or "" for the API's own array
	index  int    // -1: the API's single object
}

func (p path) at(field string) string {
	if p.index < 0 {
		return field
	}
	s := p.prefix + "[" + strconv.Itoa(p.index) + "]"
	if field != "" {
		s += "." + field
	}
	return s
}

// normalise validates one wire alert and turns it into an Alert. The maps are
// moved, not copied. webhook is set for Alertmanager and Grafana: startsAt is
// then required, and a resolve whose endsAt is missing or impossible is kept
// with endsAt clamped (clamp says why) rather than dropped — a lost resolve
// leaves an alert firing forever. The console's own API refuses instead.
func normalise(p path, w *wireAlert, source string, webhook bool, lim Limits) (a Alert, clamp *FieldError, err error) {
	if w.Status != StatusFiring && w.Status != StatusResolved {
		if w.Status == "" {
			return Alert{}, nil, &FieldError{p.at("status"), fmt.Sprintf("is required (%q or %q)", StatusFiring, StatusResolved)}
		}
		return Alert{}, nil, &FieldError{p.at("status"), fmt.Sprintf("must be %q or %q, not %q", StatusFiring, StatusResolved, truncateForError(w.Status))}
	}
	if err := checkLabels(p, w.Labels, lim); err != nil {
		return Alert{}, nil, err
	}
	if err := checkAnnotations(p, w.Annotations, lim); err != nil {
		return Alert{}, nil, err
	}
	a = Alert{
		Source:       source,
		Status:       w.Status,
		Labels:       w.Labels,
		Annotations:  w.Annotations,
		GeneratorURL: w.GeneratorURL,
	}
	if a.StartsAt, err = parseTime(w.StartsAt); err != nil {
		return Alert{}, nil, &FieldError{p.at("startsAt"), err.Error()}
	}
	switch {
	case a.StartsAt.IsZero() && webhook:
		return Alert{}, nil, &FieldError{p.at("startsAt"), "is required (an RFC 3339 time)"}
	case a.StartsAt.IsZero():
	case a.StartsAt.Before(MinTime):
		return Alert{}, nil, &FieldError{p.at("startsAt"), fmt.Sprintf("%s is before %d: not a real start time", w.StartsAt, MinTime.Year())}
	case a.StartsAt.After(lim.Now.Add(MaxAhead)):
		return Alert{}, nil, &FieldError{p.at("startsAt"), fmt.Sprintf("%s is more than a day ahead of the console's clock", truncateForError(w.StartsAt))}
	}
	if a.EndsAt, err = parseTime(w.EndsAt); err != nil {
		if !webhook || a.Status == StatusFiring {
			return Alert{}, nil, &FieldError{p.at("endsAt"), err.Error()}
		}
		a.EndsAt = time.Time{} // a resolve: clamped below
	}
	// The time endsAt is compared with: startsAt, or for the API's alerts
	// without one (the caller fills in the time of receipt) the earliest time.
	start := a.StartsAt
	if start.IsZero() {
		start = MinTime
	}
	if a.Status == StatusFiring {
		// A firing alert's endsAt is only Alertmanager's guess of when it would
		// time out; it is not kept, but one before startsAt is nonsense.
		if !a.EndsAt.IsZero() && a.EndsAt.Before(start) {
			return Alert{}, nil, &FieldError{p.at("endsAt"), fmt.Sprintf("%s is before startsAt", truncateForError(w.EndsAt))}
		}
		a.EndsAt = time.Time{}
	} else {
		var why string
		switch {
		case a.EndsAt.IsZero() && !webhook && err == nil:
			return Alert{}, nil, &FieldError{p.at("endsAt"), "is required when status is resolved"}
		case a.EndsAt.IsZero():
			why = "is missing or not a time"
		case a.EndsAt.Before(start):
			why = fmt.Sprintf("%s is before startsAt", truncateForError(w.EndsAt))
		case a.EndsAt.After(lim.Now.Add(MaxAhead)):
			why = fmt.Sprintf("%s is more than a day ahead of the console's clock", truncateForError(w.EndsAt))
		}
		if why != "" {
			if !webhook {
				return Alert{}, nil, &FieldError{p.at("endsAt"), why}
			}
			a.EndsAt = start
			clamp = &FieldError{p.at("endsAt"), why + "; the resolve was kept with endsAt = startsAt"}
		}
	}
	if len(w.GeneratorURL) > maxURLBytes || !lim.text(w.GeneratorURL, false) {
		return Alert{}, nil, &FieldError{p.at("generatorURL"), fmt.Sprintf("must be at most %d bytes of text without control characters", maxURLBytes)}
	}
	a.Fingerprint = w.Fingerprint
	if a.Fingerprint == "" {
		a.Fingerprint = Fingerprint(a.Labels)
	} else if !validFingerprint(a.Fingerprint) {
		return Alert{}, nil, &FieldError{p.at("fingerprint"), fmt.Sprintf("must be 1 to %d printable ASCII characters without spaces", maxFingerprintBytes)}
	}
	return a, clamp, nil
}

// parseTime parses an RFC 3339 time; "" and Alertmanager's
// 0001-01-01T00:00:00Z both give the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time like 2026-11-24T02:09:55Z, not %q", truncateForError(s))
	}
	if t.IsZero() {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

func validFingerprint(s string) bool {
	if len(s) > maxFingerprintBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func checkLabels(p path, labels map[string]string, lim Limits) error {
	if len(labels) == 0 {
		return &FieldError{p.at("labels"), "is required and must not be empty"}
	}
	if len(labels) > lim.MaxLabels {
		return &FieldError{p.at("labels"), fmt.Sprintf("too many labels: %d (limit %d)", len(labels), lim.MaxLabels)}
	}
	check := func(name, value string) string {
		if !ValidLabelName(name) || !lim.text(name, false) {
			return "name"
		}
		if len(value) > lim.MaxLabelBytes {
			return fmt.Sprintf("value is too long: %d bytes (limit %d)", len(value), lim.MaxLabelBytes)
		}
		if !lim.text(value, false) {
			return "value must be valid UTF-8 without control characters"
		}
		return ""
	}
	name, msg := firstBad(labels, check)
	switch msg {
	case "":
		return nil
	case "name":
		return &FieldError{p.at("labels"), fmt.Sprintf("label name %q is not valid (1 to %d bytes of text without control characters)", truncateForError(name), maxNameBytes)}
	}
	return &FieldError{p.at("labels." + name), msg}
}

func checkAnnotations(p path, annotations map[string]string, lim Limits) error {
	if len(annotations) > lim.MaxLabels {
		return &FieldError{p.at("annotations"), fmt.Sprintf("too many annotations: %d (limit %d)", len(annotations), lim.MaxLabels)}
	}
	check := func(name, value string) string {
		if name == "" || len(name) > maxNameBytes || !lim.text(name, false) {
			return "name"
		}
		if len(value) > lim.MaxAnnotationBytes {
			return fmt.Sprintf("value is too long: %d bytes (limit %d)", len(value), lim.MaxAnnotationBytes)
		}
		if !lim.text(value, true) {
			return "value must be valid UTF-8 without control characters other than newline and tab"
		}
		return ""
	}
	name, msg := firstBad(annotations, check)
	switch msg {
	case "":
		return nil
	case "name":
		return &FieldError{p.at("annotations"), fmt.Sprintf("annotation name %q is not valid (1 to %d bytes of text)", truncateForError(name), maxNameBytes)}
	}
	return &FieldError{p.at("annotations." + name), msg}
}

func checkValues(p path, values map[string]float64, lim Limits) error {
	if len(values) > lim.MaxLabels {
		return &FieldError{p.at("values"), fmt.Sprintf("too many values: %d (limit %d)", len(values), lim.MaxLabels)}
	}
	for name := range values {
		if name == "" || len(name) > maxNameBytes || !lim.text(name, false) {
			return &FieldError{p.at("values"), fmt.Sprintf("value name %q is not valid (1 to %d bytes of text)", truncateForError(name), maxNameBytes)}
		}
	}
	return nil
}

// firstBad runs check over m and, when something is wrong, reports the
// offending entry with the smallest name, so that errors do not depend on map
// order. The sort only happens on the error path.
func firstBad(m map[string]string, check func(name, value string) string) (string, string) {
	bad := false
	for k, v := range m {
		if check(k, v) != "" {
			bad = true
			break
		}
	}
	if !bad {
		return "", ""
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if msg := check(k, m[k]); msg != "" {
			return k, msg
		}
	}
	return "", ""
}

// ValidLabelName reports whether name is a label name as Alertmanager 0.34 and
// Prometheus 3 accept them — any non-empty UTF-8 string (host.keyword,
// customer-environment, 机房, 00) — kept to at most 256 bytes and free of
// control characters, so that it can be shown, logged and typed.
func ValidLabelName(name string) bool {
	return name != "" && len(name) <= maxNameBytes && cleanText(name, false)
}

// ClassicLabelName reports whether name matches Prometheus' classic
// [a-zA-Z_][a-zA-Z0-9_]*: such names are written without quotes in matchers.
func ClassicLabelName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i], i > 0) {
			return false
		}
	}
	return true
}

// cleanText reports whether s is valid UTF-8 without control characters;
// multiline allows \n and \t.
func cleanText(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if c < utf8.RuneSelf {
			if multiline && (c == '\n' || c == '\t') {
				continue
			}
			return false
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if unicode.IsControl(r) {
			return false
		}
		i += size - 1
	}
	return true
}

func truncateForError(s string) string {
	if len(s) <= 64 {
		return s
	}
	cut := 64
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// decodeError turns an encoding/json error into a FieldError. Type errors
// inside an array of alerts carry no index, so locate decodes the elements one
// by one to find it; that only happens for bodies that are refused anyway.
func decodeError(body []byte, err error, listField string, locate func(body []byte) *FieldError) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &FieldError{"body", "is empty"}
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		if syn.Offset >= int64(len(body)) {
			return &FieldError{"body", "is not valid JSON: it ends too early"}
		}
		return &FieldError{"body", fmt.Sprintf("is not valid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))}
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return &FieldError{"body", "could not be read: " + err.Error()}
	}
	if te.Field == "" && listField == "" && locate == nil {
		return &FieldError{"body", "must be a JSON object or an array of objects"}
	}
	if te.Field == "" && listField != "" {
		return &FieldError{"body", "must be a JSON object"}
	}
	inList := te.Field == listField || strings.HasPrefix(te.Field, listField+".")
	if listField == "" {
		inList = true
	}
	if inList && locate != nil {
		if fe := locate(body); fe != nil {
			return fe
		}
	}
	return typeFieldError(jsonField(te), te)
}

// jsonField is the JSON path of a type error, without the Go names of
// embedded structs.
func jsonField(te *json.UnmarshalTypeError) string {
	return strings.ReplaceAll(te.Field, "wireAlert.", "")
}

func locateInArray[A any](body []byte) *FieldError {
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return nil
	}
	return locateElement[A](list, "")
}

func locateElement[A any](elems []json.RawMessage, prefix string) *FieldError {
	for i, raw := range elems {
		var a A
		err := json.Unmarshal(raw, &a)
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			p := path{prefix: prefix, index: i}
			if te.Field == "" {
				return &FieldError{p.at(""), "must be an object"}
			}
			return typeFieldError(p.at(jsonField(te)), te)
		}
	}
	return nil
}

// typeFieldError says in words what the field named by fieldPath should have been.
func typeFieldError(fieldPath string, te *json.UnmarshalTypeError) *FieldError {
	leaf := jsonField(te)
	if i := strings.LastIndexByte(leaf, '.'); i >= 0 {
		leaf = leaf[i+1:]
	}
	var msg string
	switch leaf {
	case "labels", "annotations":
		msg = "must be an object of string values"
	case "values":
		msg = "must be an object of numbers"
	case "value":
		msg = "must be a number"
	case "alerts":
		msg = "must be an array of alert objects"
	default:
		msg = "must be a string"
	}
	return &FieldError{fieldPath, msg}
}
