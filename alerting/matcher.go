package alerting

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// MatchOp is a label matcher's operator.
type MatchOp string

// The four Prometheus matcher operators.
const (
	MatchEqual     MatchOp = "="
	MatchNotEqual  MatchOp = "!="
	MatchRegexp    MatchOp = "=~"
	MatchNotRegexp MatchOp = "!~"
)

// MaxRegexpBytes bounds the length of a matcher's regular expression.
const MaxRegexpBytes = 1024

// Matcher matches one label with Prometheus semantics: a missing label has the
// value "", and regular expressions are RE2, anchored at both ends
// (^(?:re)$). Build matchers with NewMatcher or ParseMatchers so that the
// regular expression is compiled once.
type Matcher struct {
	Name  string
	Op    MatchOp
	Value string
	re    *labelRegexp
}

// NewMatcher checks and compiles a matcher. Its errors are written for the
// person who typed it.
func NewMatcher(name string, op MatchOp, value string) (Matcher, error) {
	if !ValidLabelName(name) {
		return Matcher{}, fmt.Errorf("label name %q is not valid", truncateForError(name))
	}
	m := Matcher{Name: name, Op: op, Value: value}
	switch op {
	case MatchEqual, MatchNotEqual:
		if len(value) > DefaultMaxLabelBytes {
			return Matcher{}, fmt.Errorf("value is too long: %d bytes (limit %d)", len(value), DefaultMaxLabelBytes)
		}
	case MatchRegexp, MatchNotRegexp:
		re, err := compileLabelRegexp(value)
		if err != nil {
			return Matcher{}, err
		}
		m.re = re
	default:
		return Matcher{}, fmt.Errorf("operator %q is not one of =, !=, =~, !~", truncateForError(string(op)))
	}
	return m, nil
}

// Matches reports whether labels satisfy the matcher.
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Op {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp:
		return m.regexp().match(v)
	case MatchNotRegexp:
		return !m.regexp().match(v)
	}
	return false
}

// regexp returns the compiled expression; a Matcher built as a struct literal
// rather than by NewMatcher compiles it on every call.
func (m Matcher) regexp() *labelRegexp {
	if m.re != nil {
		return m.re
	}
	re, err := compileLabelRegexp(m.Value)
	if err != nil {
		return &labelRegexp{kind: matchNothing}
	}
	return re
}

// String renders the matcher as it would be typed: severity=~"critical|warning",
// or "host.keyword"="db-1" for a name that is not a classic Prometheus name.
func (m Matcher) String() string {
	return QuoteLabelName(m.Name) + string(m.Op) + strconv.Quote(m.Value)
}

// QuoteLabelName writes a label name as matchers and group-by lists take it:
// bare when it is a classic Prometheus name, else double-quoted with Go escapes.
func QuoteLabelName(name string) string {
	if ClassicLabelName(name) {
		return name
	}
	return strconv.Quote(name)
}

// Matchers all have to match.
type Matchers []Matcher

// Match reports whether every matcher matches labels; when one does not,
// failed is the index of the first that failed, else -1.
func (ms Matchers) Match(labels map[string]string) (ok bool, failed int) {
	for i := range ms {
		if !ms[i].Matches(labels) {
			return false, i
		}
	}
	return true, -1
}

// String renders the matchers in braces: {severity="critical", job=~"node.*"}.
func (ms Matchers) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.String())
	}
	b.WriteByte('}')
	return b.String()
}

// ParseMatchers parses matchers as typed into a text field, with or without
// braces: `{severity="critical", job=~"node.*"}` or
// `severity="critical",job=~"node.*"`. Values are double-quoted with Go
// escapes (write a regexp's backslash as \\), or unquoted when they contain no
// comma, brace, quote or space. Label names follow the UTF-8 matcher syntax of
// Prometheus 3 and Alertmanager 0.34: any name may be double-quoted
// (`{"host.keyword"="db-1", "机房"="a"}`), and a name without space, quote,
// comma, brace, =, ! or ~ may also be written bare (host.keyword="db-1").
// At least one matcher is required.
func ParseMatchers(s string) (Matchers, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		if !strings.HasSuffix(s, "}") {
			return nil, errors.New("missing closing }")
		}
		s = s[1 : len(s)-1]
	}
	var ms Matchers
	i := 0
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
			i++
		}
	}
	for n := 1; ; n++ {
		skip()
		if i == len(s) {
			break
		}
		var name string
		if s[i] == '"' {
			q, rest, err := quotedPrefix(s[i:])
			if err != nil {
				return nil, fmt.Errorf("matcher %d: the label name %s", n, err)
			}
			name, i = q, len(s)-len(rest)
		} else {
			start := i
			for i < len(s) && !strings.ContainsRune(nameStop, rune(s[i])) {
				i++
			}
			name = s[start:i]
		}
		if name == "" {
			return nil, fmt.Errorf("matcher %d: expected a label name at %q", n, truncateForError(s[i:]))
		}
		skip()
		var op MatchOp
		for _, o := range []MatchOp{MatchRegexp, MatchNotRegexp, MatchNotEqual, MatchEqual} {
			if strings.HasPrefix(s[i:], string(o)) {
				op = o
				break
			}
		}
		if op == "" {
			return nil, fmt.Errorf("matcher %d: expected one of =, !=, =~, !~ after %q", n, name)
		}
		i += len(op)
		skip()
		var value string
		if i < len(s) && s[i] == '"' {
			v, rest, err := quotedPrefix(s[i:])
			if err != nil {
				return nil, fmt.Errorf("matcher %d: the value of %q %s", n, name, err)
			}
			value, i = v, len(s)-len(rest)
		} else {
			start := i
			for i < len(s) && !strings.ContainsRune(",{}\"' \t\r\n", rune(s[i])) {
				i++
			}
			value = s[start:i]
		}
		m, err := NewMatcher(name, op, value)
		if err != nil {
			return nil, fmt.Errorf("matcher %d: %w", n, err)
		}
		ms = append(ms, m)
		skip()
		if i < len(s) {
			if s[i] != ',' {
				return nil, fmt.Errorf("matcher %d: expected a comma after %s, found %q", n, m, truncateForError(s[i:]))
			}
			i++
		}
	}
	if len(ms) == 0 {
		return nil, errors.New("no matchers given")
	}
	return ms, nil
}

// nameStop are the bytes that end a bare label name in a matcher.
const nameStop = " \t\r\n{}=!~,\"'`"

// quotedPrefix unquotes the double-quoted string at the start of s (Go
// escapes) and returns it with the rest of s. Its errors finish a sentence.
func quotedPrefix(s string) (string, string, error) {
	j := 1
	for j < len(s) && s[j] != '"' {
		if s[j] == '\\' {
			j++
		}
		j++
	}
	if j >= len(s) {
		return "", "", errors.New("is missing its closing \"")
	}
	v, err := strconv.Unquote(s[:j+1])
	if err != nil {
		return "", "", errors.New("has an invalid escape (write a backslash as \\\\)")
	}
	return v, s[j+1:], nil
}

func isNameByte(c byte, notFirst bool) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (notFirst && c >= '0' && c <= '9')
}

// labelRegexp is an anchored regular expression with fast paths for the
// shapes rules use most: a literal, a list of literals (critical|warning), a
// literal prefix (node.*), .* and .+. Anything else goes to regexp.
type labelRegexp struct {
	kind   regexpKind
	lit    string   // matchLiteral, matchPrefix
	set    []string // matchSet
	anyNL  bool     // matchPrefix, matchAny, matchNonEmpty: . also matches \n ((?s))
	compil *regexp.Regexp
}

type regexpKind uint8

const (
	matchGeneral regexpKind = iota
	matchNothing
	matchLiteral
	matchSet
	matchPrefix
	matchAny
	matchNonEmpty
)

func compileLabelRegexp(expr string) (*labelRegexp, error) {
	if len(expr) > MaxRegexpBytes {
		return nil, fmt.Errorf("regular expression is too long: %d bytes (limit %d)", len(expr), MaxRegexpBytes)
	}
	// Compile the expression on its own first: wrapped in ^(?:…)$, an
	// unbalanced "a)|(b" would parse.
	if _, err := regexp.Compile(expr); err != nil {
		msg := err.Error()
		var se *syntax.Error
		if errors.As(err, &se) {
			msg = se.Code.String()
		}
		return nil, fmt.Errorf("invalid regular expression %q: %s", truncateForError(expr), msg)
	}
	re := &labelRegexp{compil: regexp.MustCompile("^(?:" + expr + ")$")}
	parsed, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return re, nil
	}
	re.analyse(parsed.Simplify())
	return re, nil
}

func (re *labelRegexp) analyse(p *syntax.Regexp) {
	literal := func(p *syntax.Regexp) (string, bool) {
		switch {
		case p.Op == syntax.OpLiteral && p.Flags&syntax.FoldCase == 0:
			return string(p.Rune), true
		case p.Op == syntax.OpEmptyMatch:
			return "", true
		}
		return "", false
	}
	dotStar := func(p *syntax.Regexp, op syntax.Op) (anyNL, ok bool) {
		if p.Op != op || len(p.Sub) != 1 {
			return false, false
		}
		switch p.Sub[0].Op {
		case syntax.OpAnyChar:
			return true, true
		case syntax.OpAnyCharNotNL:
			return false, true
		}
		return false, false
	}
	if s, ok := literal(p); ok {
		re.kind, re.lit = matchLiteral, s
		return
	}
	if nl, ok := dotStar(p, syntax.OpStar); ok {
		re.kind, re.anyNL = matchAny, nl
		return
	}
	if nl, ok := dotStar(p, syntax.OpPlus); ok {
		re.kind, re.anyNL = matchNonEmpty, nl
		return
	}
	switch p.Op {
	case syntax.OpAlternate:
		set := make([]string, 0, len(p.Sub))
		for _, sub := range p.Sub {
			s, ok := literal(sub)
			if !ok {
				return
			}
			set = append(set, s)
		}
		re.kind, re.set = matchSet, set
	case syntax.OpConcat:
		if len(p.Sub) != 2 {
			return
		}
		s, ok := literal(p.Sub[0])
		nl, ok2 := dotStar(p.Sub[1], syntax.OpStar)
		if ok && ok2 {
			re.kind, re.lit, re.anyNL = matchPrefix, s, nl
		}
	}
}

func (re *labelRegexp) match(v string) bool {
	switch re.kind {
	case matchNothing:
		return false
	case matchLiteral:
		return v == re.lit
	case matchSet:
		for _, s := range re.set {
			if v == s {
				return true
			}
		}
		return false
	case matchPrefix:
		return strings.HasPrefix(v, re.lit) && (re.anyNL || !strings.Contains(v[len(re.lit):], "\n"))
	case matchAny:
		return re.anyNL || !strings.Contains(v, "\n")
	case matchNonEmpty:
		return v != "" && (re.anyNL || !strings.Contains(v, "\n"))
	}
	return re.compil.MatchString(v)
}
