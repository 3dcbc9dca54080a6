package alerting

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

func mustMatcher(t testing.TB, name string, op MatchOp, value string) Matcher {
	t.Helper()
	m, err := NewMatcher(name, op, value)
	if err != nil {
		t.Fatalf("NewMatcher(%q, %q, %q): %v", name, op, value, err)
	}
	return m
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{"alertname": "NodeDown", "severity": "critical", "job": "node-exporter", "multi": "a\nb"}
	tests := []struct {
		name, op, value string
		want            bool
	}{
		{"severity", "=", "critical", true},
		{"severity", "=", "warning", false},
		{"severity", "!=", "warning", true},
		{"severity", "!=", "critical", false},
		{"severity", "=~", "critical|warning", true},
		{"severity", "=~", "warning|info", false},
		{"severity", "!~", "warning|info", true},
		{"severity", "!~", "crit.*", false},
		// Anchored at both ends.
		{"severity", "=~", "crit", false},
		{"severity", "=~", "ritical", false},
		{"severity", "=~", "crit.*", true},
		{"severity", "=~", "(?i)CRITICAL", true},
		{"job", "=~", "node.*", true},
		{"job", "=~", "node-.+", true},
		{"job", "=~", "node", false},
		{"job", "=~", "exporter", false},
		{"job", "=~", "[a-z]+-exporter", true},
		// A missing label is the empty string.
		{"team", "=", "", true},
		{"team", "!=", "", false},
		{"team", "=~", ".*", true},
		{"team", "=~", ".+", false},
		{"team", "!~", ".+", true},
		{"team", "!=", "ops", true},
		{"team", "=~", "ops|", true},
		// . does not match a newline unless (?s).
		{"multi", "=~", ".*", false},
		{"multi", "=~", "(?s).*", true},
		{"multi", "=~", "a.*", false},
		{"multi", "=~", "(?s)a.*", true},
	}
	for _, tt := range tests {
		m := mustMatcher(t, tt.name, MatchOp(tt.op), tt.value)
		if got := m.Matches(labels); got != tt.want {
			t.Errorf("%s.Matches = %v, want %v", m, got, tt.want)
		}
		// The fast paths agree with the regexp package.
		if m.Op == MatchRegexp {
			re := regexp.MustCompile("^(?:" + tt.value + ")$")
			if want := re.MatchString(labels[tt.name]); m.Matches(labels) != want {
				t.Errorf("%s: fast path gives %v, regexp %v", m, m.Matches(labels), want)
			}
		}
		// A Matcher built as a literal (no compiled regexp) behaves the same.
		lit := Matcher{Name: tt.name, Op: MatchOp(tt.op), Value: tt.value}
		if got := lit.Matches(labels); got != tt.want {
			t.Errorf("literal %s.Matches = %v, want %v", lit, got, tt.want)
		}
	}
}

func TestLabelRegexpFastPaths(t *testing.T) {
	values := []string{"", "a", "ab", "abc", "critical", "warning", "node", "node-1", "x\ny", "node\n", "CRITICAL", "foo.bar", "fooXbar"}
	exprs := []string{"", "a", "abc", "critical|warning", "critical|", "node.*", "node.+", ".*", ".+", "(?s).*", "(?s).+", "(?s)node.*",
		"foo\\.bar", "foo.bar", "(?i)critical", "a|b|c", "ab|abc", "(a|b)c?", "\\Qa.b\\E", "node|node-1.*"}
	for _, expr := range exprs {
		re, err := compileLabelRegexp(expr)
		if err != nil {
			t.Fatalf("compile %q: %v", expr, err)
		}
		std := regexp.MustCompile("^(?:" + expr + ")$")
		for _, v := range values {
			if got, want := re.match(v), std.MatchString(v); got != want {
				t.Errorf("%q against %q: got %v (kind %d), want %v", expr, v, got, re.kind, want)
			}
		}
	}
	// The shapes rules use most take a fast path.
	for expr, kind := range map[string]regexpKind{
		"critical|warning": matchSet, "node.*": matchPrefix, ".*": matchAny, ".+": matchNonEmpty,
		"critical": matchLiteral, "[0-9]+": matchGeneral,
	} {
		re, _ := compileLabelRegexp(expr)
		if re.kind != kind {
			t.Errorf("%q: got kind %d, want %d", expr, re.kind, kind)
		}
	}
}

func TestNewMatcherErrors(t *testing.T) {
	long := make([]byte, 1025)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		name, op, value, want string
	}{
		{"severity", "=~", "a(", `invalid regular expression "a(": missing closing )`},
		{"severity", "!~", "*x", `invalid regular expression "*x": missing argument to repetition operator`},
		// Would parse once wrapped in ^(?:…)$, so it is checked on its own.
		{"severity", "=~", "a)|(b", `invalid regular expression "a)|(b": unexpected )`},
		{"severity", "=~", string(long), "regular expression is too long: 1025 bytes (limit 1024)"},
		{"", "=", "v", `label name "" is not valid`},
		{"a\x07b", "=", "v", `label name "a\ab" is not valid`},
		{"a\nb", "=", "v", `label name "a\nb" is not valid`},
		{strings.Repeat("n", 257), "=", "v", `label name "` + strings.Repeat("n", 64) + `…" is not valid`},
		{"severity", "~", "v", `operator "~" is not one of =, !=, =~, !~`},
		{"severity", "==", "v", `operator "==" is not one of =, !=, =~, !~`},
	}
	for _, tt := range tests {
		_, err := NewMatcher(tt.name, MatchOp(tt.op), tt.value)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewMatcher(%q, %q, %q): got error %v, want %q", tt.name, tt.op, tt.value, err, tt.want)
		}
	}
}

func TestMatchersMatch(t *testing.T) {
	ms := Matchers{
		mustMatcher(t, "alertname", "=", "NodeDown"),
		mustMatcher(t, "severity", "=~", "critical|warning"),
		mustMatcher(t, "env", "!=", "dev"),
	}
	tests := []struct {
		labels map[string]string
		ok     bool
		failed int
	}{
		{map[string]string{"alertname": "NodeDown", "severity": "critical"}, true, -1},
		{map[string]string{"alertname": "DiskFull", "severity": "critical"}, false, 0},
		{map[string]string{"alertname": "NodeDown", "severity": "info"}, false, 1},
		{map[string]string{"alertname": "NodeDown", "severity": "warning", "env": "dev"}, false, 2},
	}
	for _, tt := range tests {
		ok, failed := ms.Match(tt.labels)
		if ok != tt.ok || failed != tt.failed {
			t.Errorf("Match(%v) = %v, %d; want %v, %d", tt.labels, ok, failed, tt.ok, tt.failed)
		}
	}
	if ok, failed := (Matchers{}).Match(nil); !ok || failed != -1 {
		t.Errorf("empty Matchers: got %v, %d; want true, -1", ok, failed)
	}
}

func TestMatcherString(t *testing.T) {
	ms := Matchers{mustMatcher(t, "severity", "=~", "critical|warning"), mustMatcher(t, "msg", "=", `say "hi"\n`)}
	if got, want := ms[0].String(), `severity=~"critical|warning"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if got, want := ms.String(), `{severity=~"critical|warning", msg="say \"hi\"\\n"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// String output parses back to the same matchers.
	back, err := ParseMatchers(ms.String())
	if err != nil || back.String() != ms.String() {
		t.Errorf("ParseMatchers(%s) = %v, %v; want the same matchers", ms, back, err)
	}
}

func TestParseMatchers(t *testing.T) {
	tests := []struct {
		in      string
		want    string // Matchers.String(), or the error
		wantErr bool
	}{
		{`{severity="critical", job=~"node.*"}`, `{severity="critical", job=~"node.*"}`, false},
		{`severity="critical",job=~"node.*"`, `{severity="critical", job=~"node.*"}`, false},
		{`  { severity = "critical" ,  env!="dev", }  `, `{severity="critical", env!="dev"}`, false},
		{`instance!~"n[0-9]+:9100"`, `{instance!~"n[0-9]+:9100"}`, false},
		{`severity=critical, team=db`, `{severity="critical", team="db"}`, false},
		{`path=~"a\\.b"`, `{path=~"a\\.b"}`, false},
		{`msg="a,b} c"`, `{msg="a,b} c"}`, false},
		{`empty=""`, `{empty=""}`, false},
		{``, `no matchers given`, true},
		{`{}`, `no matchers given`, true},
		{`{severity="critical"`, `missing closing }`, true},
		{`severity`, `matcher 1: expected one of =, !=, =~, !~ after "severity"`, true},
		{`a="1", ="2"`, `matcher 2: expected a label name at "=\"2\""`, true},
		{`a="1" b="2"`, `matcher 1: expected a comma after a="1", found "b=\"2\""`, true},
		{`job=~"a("`, `matcher 1: invalid regular expression "a(": missing closing )`, true},
		{`job="unterminated`, `matcher 1: the value of "job" is missing its closing "`, true},
		{`path=~"a\.b"`, `matcher 1: the value of "path" has an invalid escape (write a backslash as \\)`, true},
		// UTF-8 label names (Prometheus 3, Alertmanager 0.34): quoted, or bare when
		// they hold no operator, quote, comma, brace or space.
		{`{"host.keyword"="db-1", "机房"=~"a|b"}`, `{"host.keyword"="db-1", "机房"=~"a|b"}`, false},
		{`host.keyword="db-1", customer-environment!=prod, 00="x"`, `{"host.keyword"="db-1", "customer-environment"!="prod", "00"="x"}`, false},
		{`{"a \"b\", c"="v"}`, `{"a \"b\", c"="v"}`, false},
		{`"classic"="v"`, `{classic="v"}`, false},
		{`"host.keyword="v"`, `matcher 1: expected one of =, !=, =~, !~ after "host.keyword="`, true},
		{`"unterminated=v`, `matcher 1: the label name is missing its closing "`, true},
		{`"a\x07b"="v"`, `matcher 1: label name "a\ab" is not valid`, true},
	}
	for _, tt := range tests {
		ms, err := ParseMatchers(tt.in)
		if tt.wantErr {
			if err == nil || err.Error() != tt.want {
				t.Errorf("ParseMatchers(%q): got %v, %v; want error %q", tt.in, ms, err, tt.want)
			}
			continue
		}
		if err != nil || ms.String() != tt.want {
			t.Errorf("ParseMatchers(%q) = %v, %v; want %s", tt.in, ms, err, tt.want)
		}
	}
	// Parsed regexp matchers are compiled.
	ms, _ := ParseMatchers(`job=~"node.*"`)
	if ms[0].re == nil || !ms[0].Matches(map[string]string{"job": "node-1"}) {
		t.Errorf("parsed matcher not compiled or not matching")
	}
}

// BenchmarkMatch50Rules matches one alert against 50 rules of two or three
// matchers each, a mix of the four operators as rule forms produce them.
func BenchmarkMatch50Rules(b *testing.B) {
	labels := map[string]string{
		"alertname": "NodeDown", "instance": "n7:9100", "job": "node", "severity": "critical",
		"team": "infra", "env": "prod", "region": "cn-hangzhou",
	}
	var rules []Matchers
	for i := range 50 {
		ms := Matchers{mustMatcher(b, "severity", "=~", "critical|warning")}
		switch i % 5 {
		case 0:
			ms = append(ms, mustMatcher(b, "alertname", "=", fmt.Sprintf("Alert%d", i)))
		case 1:
			ms = append(ms, mustMatcher(b, "team", "=", "infra"), mustMatcher(b, "env", "!=", "dev"))
		case 2:
			ms = append(ms, mustMatcher(b, "instance", "=~", fmt.Sprintf("n%d:[0-9]+", i)))
		case 3:
			ms = append(ms, mustMatcher(b, "job", "=~", "node.*"), mustMatcher(b, "region", "!~", "us-.*"))
		case 4:
			ms = append(ms, mustMatcher(b, "env", "=~", "prod|staging"), mustMatcher(b, "alertname", "!~", "Watchdog|InfoInhibitor"))
		}
		rules = append(rules, ms)
	}
	b.ReportAllocs()
	matched := 0
	for b.Loop() {
		matched = 0
		for _, ms := range rules {
			if ok, _ := ms.Match(labels); ok {
				matched++
			}
		}
	}
	if matched != 31 { // cases 1, 3 and 4, plus rule 7's instance
		b.Fatalf("matched %d rules, want 31", matched)
	}
}
