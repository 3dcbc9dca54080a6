package alerting

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"text/template"
	"text/template/parse"
	"time"
	"unicode"
	"unicode/utf8"
)

// TemplateAlert is one alert as templates see it.
type TemplateAlert struct {
	Status       string // "firing" | "resolved"
	Fingerprint  string
	GeneratorURL string // link to the source's rule or expression
	WhyURL       string // the console's "why was I (not) notified?" page for the alert
	Labels       map[string]string
	Annotations  map[string]string
	Values       map[string]float64
	StartsAt     time.Time
	EndsAt       time.Time // zero while firing
	Name         string    // the alertname label
}

// TemplateData is the alert group a notification template renders; see the
// package documentation for the fields and functions.
type TemplateData struct {
	Status     string // "firing" if any alert fires, else "resolved"
	RuleName   string
	Severity   string
	Team       string
	ConsoleURL string // the console's page for this notification

	Alerts   []TemplateAlert
	Firing   []TemplateAlert
	Resolved []TemplateAlert

	GroupLabels       map[string]string
	CommonLabels      map[string]string
	CommonAnnotations map[string]string

	Kind string    // "firing", "resolved", "test"
	Now  time.Time // the time of rendering, used by since; zero: time.Now()

	// The group may hold more alerts than a message shows: .Alerts (and .Firing,
	// .Resolved) hold the alerts shown, these count the whole group.
	FiringCount     int    // firing alerts in the group
	ResolvedCount   int    // resolved alerts this message reports
	OmittedCount    int    // alerts counted but not shown (OmittedFiring + OmittedResolved)
	OmittedFiring   int    // firing alerts not shown
	OmittedResolved int    // resolved alerts not shown
	GroupURL        string // the console's page listing every alert of the group
	SourceOmitted   int    // alerts the source left out of what it sent (Alertmanager's truncatedAlerts)
}

// SetCounts records the totals of the whole group when the message shows only some of its
// alerts (firing and resolved are the totals; the alerts shown are already in d).
func (d *TemplateData) SetCounts(firing, resolved int, groupURL string) {
	d.FiringCount, d.ResolvedCount, d.GroupURL = firing, resolved, groupURL
	d.OmittedFiring = max(firing-len(d.Firing), 0)
	d.OmittedResolved = max(resolved-len(d.Resolved), 0)
	d.OmittedCount = d.OmittedFiring + d.OmittedResolved
	if firing > 0 {
		d.Status = StatusFiring
	}
}

// NewTemplateData fills the alert lists, Status and the common labels and
// annotations from alerts. The caller sets the rule's fields, the URLs and Kind.
func NewTemplateData(alerts []Alert, groupLabels map[string]string) TemplateData {
	d := TemplateData{Status: StatusResolved, GroupLabels: groupLabels}
	if d.GroupLabels == nil {
		d.GroupLabels = map[string]string{}
	}
	d.Alerts = make([]TemplateAlert, len(alerts))
	labels := make([]map[string]string, len(alerts))
	annotations := make([]map[string]string, len(alerts))
	for i, a := range alerts {
		ta := TemplateAlert{
			Status:       a.Status,
			Fingerprint:  a.Fingerprint,
			GeneratorURL: a.GeneratorURL,
			Labels:       a.Labels,
			Annotations:  a.Annotations,
			Values:       a.Values,
			StartsAt:     a.StartsAt,
			EndsAt:       a.EndsAt,
			Name:         a.Name(),
		}
		d.Alerts[i] = ta
		labels[i], annotations[i] = a.Labels, a.Annotations
		if a.Status == StatusFiring {
			d.Status = StatusFiring
			d.Firing = append(d.Firing, ta)
		} else {
			d.Resolved = append(d.Resolved, ta)
		}
	}
	d.Kind = d.Status
	d.FiringCount, d.ResolvedCount = len(d.Firing), len(d.Resolved)
	d.CommonLabels = common(labels)
	d.CommonAnnotations = common(annotations)
	return d
}

// common returns the pairs that every map has.
func common(ms []map[string]string) map[string]string {
	out := map[string]string{}
	if len(ms) == 0 {
		return out
	}
	for k, v := range ms[0] {
		shared := true
		for _, m := range ms[1:] {
			if w, ok := m[k]; !ok || w != v {
				shared = false
				break
			}
		}
		if shared {
			out[k] = v
		}
	}
	return out
}

// SampleData is a realistic firing group of two alerts, shaped like the
// Alertmanager samples, for template previews and test-sends.
func SampleData(ruleName, severity string) TemplateData {
	start := time.Date(2026, 11, 24, 2, 9, 55, 0, time.UTC)
	alert := func(instance string) Alert {
		labels := map[string]string{
			"alertname": "NodeDown",
			"instance":  instance,
			"job":       "node",
			"severity":  severity,
		}
		return Alert{
			Source:      SourceAlertmanager,
			Fingerprint: Fingerprint(labels),
			Status:      StatusFiring,
			Labels:      labels,
			Annotations: map[string]string{
				"summary":     instance + " is down",
				"description": "Prometheus has not been able to scrape " + instance + " for 5 minutes.",
			},
			StartsAt:     start,
			GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up%7Bjob%3D%22node%22%7D+%3D%3D+0",
		}
	}
	d := NewTemplateData([]Alert{alert("n1:9100"), alert("n2:9100")}, map[string]string{"alertname": "NodeDown"})
	d.RuleName = ruleName
	d.Severity = severity
	d.Team = "ops"
	d.ConsoleURL = "http://localhost:8080/deliveries"
	d.Now = start.Add(5 * time.Minute)
	for i := range d.Alerts {
		d.Alerts[i].WhyURL = "http://localhost:8080/alerts/" + d.Alerts[i].Fingerprint
	}
	copy(d.Firing, d.Alerts)
	return d
}

// SampleFor is SampleData shaped like the alerts a rule would match: every equality
// matcher's label is set to its value (and a regex matcher that is a plain alternation such
// as "critical|warning" to its first choice), so a preview shows the rule's own alert name
// and labels. Links point at consoleURL.
func SampleFor(ruleName, severity, consoleURL string, matchers Matchers) TemplateData {
	d := SampleData(ruleName, severity)
	if len(matchers) > 0 {
		alerts := make([]Alert, 0, len(d.Alerts))
		for _, ta := range d.Alerts {
			labels := maps.Clone(ta.Labels)
			for _, m := range matchers {
				if v, ok := sampleValue(m); ok && m.Name != "" {
					labels[m.Name] = v
				}
			}
			alerts = append(alerts, Alert{Source: SourceAlertmanager, Fingerprint: Fingerprint(labels), Status: ta.Status,
				Labels: labels, Annotations: ta.Annotations, Values: ta.Values, StartsAt: ta.StartsAt, GeneratorURL: ta.GeneratorURL})
		}
		groupLabels := map[string]string{"alertname": alerts[0].Labels["alertname"]}
		now := d.Now
		d = NewTemplateData(alerts, groupLabels)
		d.RuleName, d.Severity, d.Team, d.Now = ruleName, severity, "ops", now
	}
	d.ConsoleURL = consoleURL + "/history"
	for _, list := range [][]TemplateAlert{d.Alerts, d.Firing, d.Resolved} {
		for i := range list {
			list[i].WhyURL = consoleURL + "/alerts"
		}
	}
	return d
}

// sampleValue is a label value that satisfies m, when one is obvious.
func sampleValue(m Matcher) (string, bool) {
	switch m.Op {
	case MatchEqual:
		return m.Value, m.Value != ""
	case MatchRegexp:
		first, _, _ := strings.Cut(m.Value, "|")
		if first != "" && !strings.ContainsAny(first, `\.+*?()[]{}^$`) {
			return first, true
		}
	}
	return "", false
}

// TemplateError is a template that does not parse or fails while running.
// Template is "title" or "body" when Render reports it ("" from
// CheckTemplate); Line is 0 when the error has no place (time or size limit).
type TemplateError struct {
	Template string
	Line     int
	Message  string
}

func (e *TemplateError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Message
}

// Rendered is a rendered title and body.
type Rendered struct {
	Title, Body string
}

// RenderLimits bound one Render call. Zero fields take the defaults.
type RenderLimits struct {
	Timeout  time.Duration // default 100ms
	MaxBytes int           // output bytes of the title and of the body, each; default 64 KiB
}

// Template limits.
const (
	DefaultRenderTimeout  = 100 * time.Millisecond
	DefaultRenderMaxBytes = 64 << 10
	MaxTemplateBytes      = 64 << 10
	maxRangeDepth         = 2
)

// CheckTemplate parses a template without running it; errors are
// *TemplateError with the line.
func CheckTemplate(src string) error {
	_, err := parseTemplate("", src, &renderState{})
	return err
}

// Render runs the title and body templates over data within lim. Errors are
// *TemplateError (with the line when there is one) or ctx's error.
//
// text/template cannot be interrupted, so Render runs it in a goroutine and
// returns at the deadline; the goroutine then stops at its next write or
// function call. The templates cannot loop without bound because ranges only
// walk the data's own lists and maps, at most two deep (see the package
// documentation), but after a timeout the goroutine may still read data for a
// moment: do not modify data's maps after a Render that timed out.
func Render(ctx context.Context, titleSrc, bodySrc string, data TemplateData, lim RenderLimits) (Rendered, error) {
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultRenderTimeout
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultRenderMaxBytes
	}
	if data.Now.IsZero() {
		data.Now = time.Now()
	}
	st := &renderState{now: data.Now, maxString: lim.MaxBytes}
	title, err := parseTemplate("title", titleSrc, st)
	if err != nil {
		return Rendered{}, err
	}
	body, err := parseTemplate("body", bodySrc, st)
	if err != nil {
		return Rendered{}, err
	}

	type result struct {
		r   Rendered
		err error
	}
	done := make(chan result, 1)
	started := time.Now()
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{err: &TemplateError{Message: fmt.Sprintf("template failed: %v", p)}}
			}
			done <- res
		}()
		t, err := execute(title, data, lim.MaxBytes, st)
		if err != nil {
			res.err = err
			return
		}
		b, err := execute(body, data, lim.MaxBytes, st)
		if err != nil {
			res.err = err
			return
		}
		res.r = Rendered{Title: strings.Join(strings.Fields(t), " "), Body: strings.TrimSpace(b)}
	}()

	timer := time.NewTimer(lim.Timeout)
	defer timer.Stop()
	select {
	case res := <-done:
		// A run that finished after its limit took longer than allowed, even when this
		// goroutine only noticed it late (a loaded machine): the limit is the limit.
		if time.Since(started) > lim.Timeout {
			return Rendered{}, &TemplateError{Message: "template took longer than " + lim.Timeout.String()}
		}
		return res.r, res.err
	case <-timer.C:
		st.stopped.Store(true)
		return Rendered{}, &TemplateError{Message: "template took longer than " + lim.Timeout.String()}
	case <-ctx.Done():
		st.stopped.Store(true)
		return Rendered{}, ctx.Err()
	}
}

// renderState is shared by one Render's functions and writers.
type renderState struct {
	now       time.Time
	maxString int // longest string a function may return; 0: no limit (parsing only)
	stopped   atomic.Bool
}

var errStopped = errors.New("template stopped")

type limitedWriter struct {
	buf []byte
	max int
	st  *renderState
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.st.stopped.Load() {
		return 0, errStopped
	}
	if len(w.buf)+len(p) > w.max {
		return 0, errTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

var errTooLarge = errors.New("output too large")

func execute(t *template.Template, data TemplateData, maxBytes int, st *renderState) (string, error) {
	w := &limitedWriter{max: maxBytes, st: st}
	if err := t.Execute(w, data); err != nil {
		if errors.Is(err, errTooLarge) {
			return "", &TemplateError{Template: t.Name(), Message: fmt.Sprintf("%s output is longer than %d bytes", t.Name(), maxBytes)}
		}
		return "", templateError(t.Name(), err)
	}
	return string(w.buf), nil
}

func parseTemplate(name, src string, st *renderState) (*template.Template, error) {
	if len(src) > MaxTemplateBytes {
		return nil, &TemplateError{Template: name, Message: fmt.Sprintf("template is too long: %d bytes (limit %d)", len(src), MaxTemplateBytes)}
	}
	tname := name
	if tname == "" {
		tname = "template"
	}
	t, err := template.New(tname).Option("missingkey=zero").Funcs(st.funcs()).Parse(src)
	if err != nil {
		e := templateError(tname, err)
		e.Template = name
		return nil, e
	}
	if t.Tree != nil {
		if err := checkTree(t.Tree, t.Tree.Root, 0); err != nil {
			err.Template = name
			return nil, err
		}
	}
	return t, nil
}

// checkTree refuses what could run without bound: {{template}} (and
// {{block}}), which can recurse; ranges over anything but the data's lists and
// maps, such as {{range 1000000000}}; and ranges nested deeper than two.
func checkTree(tree *parse.Tree, n parse.Node, depth int) *TemplateError {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkTree(tree, c, depth); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		return nodeError(tree, n, "{{template}} and {{block}} are not supported")
	case *parse.IfNode:
		return checkBranch(tree, &n.BranchNode, depth)
	case *parse.WithNode:
		return checkBranch(tree, &n.BranchNode, depth)
	case *parse.RangeNode:
		if depth+1 > maxRangeDepth {
			return nodeError(tree, n, fmt.Sprintf("range cannot be nested more than %d deep", maxRangeDepth))
		}
		if !rangeable(n.Pipe) {
			return nodeError(tree, n, "range can only walk the alert lists and label maps (like .Alerts, .Labels or sortedPairs .Labels)")
		}
		if err := checkTree(tree, n.List, depth+1); err != nil {
			return err
		}
		return checkTree(tree, n.ElseList, depth)
	}
	return nil
}

func checkBranch(tree *parse.Tree, b *parse.BranchNode, depth int) *TemplateError {
	if err := checkTree(tree, b.List, depth); err != nil {
		return err
	}
	return checkTree(tree, b.ElseList, depth)
}

// rangeable accepts pipelines that end in one of the model's lists or maps
// (.Alerts, $.Firing, $a.Labels, (index .Alerts 0).Labels) and the functions
// that return part of them. Anything else could be a large integer, such as
// {{range 1000000000}} or {{range .Now.UnixNano}}.
func rangeable(p *parse.PipeNode) bool {
	if p == nil || len(p.Cmds) == 0 {
		return false
	}
	for _, cmd := range p.Cmds {
		if len(cmd.Args) == 0 {
			return false
		}
		var idents []string
		switch a := cmd.Args[0].(type) {
		case *parse.FieldNode:
			idents = a.Ident
		case *parse.ChainNode:
			idents = a.Field
		case *parse.VariableNode:
			idents = a.Ident[1:]
		case *parse.IdentifierNode:
			if a.Ident == "sortedPairs" || a.Ident == "slice" {
				continue
			}
		}
		if len(idents) == 0 || !rangeFields[idents[len(idents)-1]] {
			return false
		}
	}
	return true
}

var rangeFields = map[string]bool{
	"Alerts": true, "Firing": true, "Resolved": true,
	"Labels": true, "Annotations": true, "Values": true,
	"GroupLabels": true, "CommonLabels": true, "CommonAnnotations": true,
}

func nodeError(tree *parse.Tree, n parse.Node, msg string) *TemplateError {
	loc, _ := tree.ErrorContext(n)
	// loc is "name:line:col".
	line := 0
	if parts := strings.Split(loc, ":"); len(parts) >= 3 {
		line, _ = strconv.Atoi(parts[len(parts)-2])
	}
	return &TemplateError{Line: line, Message: msg}
}

// text/template reports "template: name:3: msg" when parsing and
// "template: name:3:14: executing \"name\" at <.X>: msg" when running.
var templateErrorRE = regexp.MustCompile(`^template: [^:]*:(\d+):(?:\d+:)? ?(?:executing "[^"]*" at )?`)

func templateError(name string, err error) *TemplateError {
	msg := err.Error()
	e := &TemplateError{Template: name, Message: msg}
	if m := templateErrorRE.FindStringSubmatchIndex(msg); m != nil {
		e.Line, _ = strconv.Atoi(msg[m[2]:m[3]])
		e.Message = msg[m[1]:]
	}
	e.Message = strings.ReplaceAll(e.Message, "alerting.", "")
	return e
}

// funcs is the template function map; the package documentation lists it.
// Every function that returns a string refuses to return one longer than the
// output limit, and the string built-ins (print, printf, println, html, js,
// urlquery) are replaced by bounded copies: otherwise a template could double
// a variable again and again ({{$x = printf "%s%s" $x $x}}) and exhaust memory
// without writing a byte. They also stop once Render has given up.
func (st *renderState) funcs() template.FuncMap {
	s1 := func(f func(string) string) func(string) (string, error) {
		return func(s string) (string, error) { return st.check(f(s)) }
	}
	return template.FuncMap{
		"toUpper": s1(strings.ToUpper),
		"toLower": s1(strings.ToLower),
		"title":   s1(titleCase),
		"join": func(sep string, elems []string) (string, error) {
			n := len(sep) * len(elems)
			for _, e := range elems {
				n += len(e)
			}
			if err := st.checkLen(n); err != nil {
				return "", err
			}
			return strings.Join(elems, sep), nil
		},
		"sortedPairs":    sortedPairs,
		"since":          func(t time.Time) string { return since(st.now, t) },
		"sinceIn":        func(lang string, t time.Time) string { return sinceIn(lang, st.now, t) },
		"date":           func(layout string, t time.Time) (string, error) { return st.check(formatDate(layout, t)) },
		"tz":             inZone,
		"truncate":       truncateRunes,
		"default":        defaultValue,
		"markdownEscape": s1(MarkdownEscape),
		"quote":          s1(Quote),
		"safeURL":        s1(SafeURL),
		"print":          func(args ...any) (string, error) { return st.check(fmt.Sprint(args...)) },
		"println":        func(args ...any) (string, error) { return st.check(fmt.Sprintln(args...)) },
		"printf":         func(f string, args ...any) (string, error) { return st.check(fmt.Sprintf(f, args...)) },
		"html":           func(args ...any) (string, error) { return st.check(template.HTMLEscaper(args...)) },
		"js":             func(args ...any) (string, error) { return st.check(template.JSEscaper(args...)) },
		"urlquery":       func(args ...any) (string, error) { return st.check(template.URLQueryEscaper(args...)) },
	}
}

func (st *renderState) check(s string) (string, error) {
	if err := st.checkLen(len(s)); err != nil {
		return "", err
	}
	return s, nil
}

func (st *renderState) checkLen(n int) error {
	if st.stopped.Load() {
		return errStopped
	}
	if st.maxString > 0 && n > st.maxString {
		return fmt.Errorf("the value would be longer than %d bytes", st.maxString)
	}
	return nil
}

func titleCase(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		up := unicode.IsSpace(prev) || prev == '-' || prev == '_'
		prev = r
		if up {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

func sortedPairs(m map[string]string) []string {
	keys := slices.Sorted(maps.Keys(m))
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + m[k]
	}
	return out
}

// since formats now-t to the second, without trailing zero units: "5m", "2h3m", "45s".
func since(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return HumanDuration(d)
}

// HumanDuration writes days for long spans: 3d4h rather than 76h0m0s, 2d, 5m12s.
func HumanDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d < day {
		return ShortDuration(d)
	}
	days, rest := d/day, (d % day).Round(time.Minute)
	out := strconv.FormatInt(int64(days), 10) + "d"
	if rest > 0 {
		out += strings.TrimSuffix(ShortDuration(rest), "0s")
	}
	return out
}

// Quote makes every line of s a markdown quote line, so a multi-line description stays
// quoted whole instead of only its first line.
func Quote(s string) string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	return "> " + strings.ReplaceAll(s, "\n", "\n> ")
}

// ShortDuration writes 4h instead of 4h0m0s and 5m instead of 5m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func formatDate(layout string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layout)
}

func inZone(name string, t time.Time) (time.Time, error) {
	loc, err := location(name)
	if err != nil {
		return time.Time{}, err
	}
	return t.In(loc), nil
}

// truncateRunes cuts s to at most n characters, the last of them "…".
func truncateRunes(n int, s string) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i < len(s) && count < n-1 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		count++
	}
	return s[:i] + "…"
}

func defaultValue(def, v any) any {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
	case []string:
		if len(x) == 0 {
			return def
		}
	case map[string]string:
		if len(x) == 0 {
			return def
		}
	case []TemplateAlert:
		if len(x) == 0 {
			return def
		}
	case time.Time:
		if x.IsZero() {
			return def
		}
	}
	return v
}

// MarkdownEscape makes s safe to put into a DingTalk, Feishu/Lark or WeCom
// markdown message as plain text: <, > and & become entities (so that
// <font>, <at user_id=…> and <@userid> cannot be faked), the characters that
// start emphasis, code, links, strikethrough and tables get a backslash, and
// so do the markers that start a heading, list or rule at the beginning of a
// line (#, "- ", "+ ", "1. ", "---", "===").
func MarkdownEscape(s string) string {
	special := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '>', '&', '\\', '*', '_', '`', '[', ']', '~', '|', '#', '-', '+', '=', '.':
			special = true
		}
	}
	if !special {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '*', '_', '`', '[', ']', '~', '|':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '#':
			if lineStart {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '-', '+', '=':
			if lineStart && i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\t' || s[i+1] == c) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '.':
			if orderedListMarker(s, i) {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
		switch c {
		case '\n':
			lineStart = true
		case ' ', '\t':
		default:
			lineStart = false
		}
	}
	return b.String()
}

// orderedListMarker reports whether the '.' at s[i] ends a line-leading number ("1.").
func orderedListMarker(s string, i int) bool {
	j := i
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	if j == i || (i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t' && s[i+1] != '\n') {
		return false
	}
	for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
		j--
	}
	return j == 0 || s[j-1] == '\n'
}

// SafeURL returns u when it is an http or https URL, with the characters that
// would end a markdown link or break out of an attribute percent-encoded, and
// "" otherwise (so javascript: and other schemes never become links).
func SafeURL(u string) string {
	lower := strings.ToLower(u)
	if !strings.HasPrefix(lower, "http://") && !strings.HasPrefix(lower, "https://") {
		return ""
	}
	if !cleanText(u, false) {
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		switch c := u[i]; c {
		case ' ', '(', ')', '<', '>', '"', '\'', '`':
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
