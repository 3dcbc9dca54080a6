// Package textscan finds user-visible English that bypasses the message catalogs: text
// nodes and visible attributes of templ files, and prose string literals in Go code. The
// catalog tests of views and handlers run it over their own files.
package textscan

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	templparser "github.com/a-h/templ/parser/v2"
)

// Allowed are words that stay as they are in every language: the product, the chat
// platforms and the tools alerts come from.
var Allowed = map[string]bool{
	"alertdesk": true, "DingTalk": true, "Feishu": true, "Lark": true, "WeCom": true, "Feishu/Lark": true,
	"Alertmanager": true, "Grafana": true, "Prometheus": true, "Zabbix": true, "Webhook": true, "webhook": true,
	"PostgreSQL": true, "SQLite": true, "curl": true, "htmx": true, "markdown": true, "Markdown": true,
	"ActionCard": true, "FeedCard": true, "Bearer": true, "Raw": true,
}

// Finding is one string that should come from the catalog.
type Finding struct {
	File string
	Line int
	Text string
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %q", f.File, f.Line, f.Text) }

var (
	wordRe      = regexp.MustCompile(`[A-Za-z][A-Za-z'’]*`)
	twoWordsRe  = regexp.MustCompile(`[A-Za-z]{2,}[,.:;!?)]*\s+[A-Za-z("“]{2,}`)
	capWordRe   = regexp.MustCompile(`^[A-Z][a-z]{2,}[.!?:…]?$`)
	placeholder = regexp.MustCompile(`\{\{[^}]*\}\}|%[-+# 0-9.]*[a-zA-Z]`)
)

// visibleWords reports whether s shows a reader an English word: a word of two or more
// letters with a lowercase letter that is not an allowed name.
func visibleWords(s string) bool {
	s = placeholder.ReplaceAllString(s, " ")
	for _, w := range wordRe.FindAllString(s, -1) {
		w = strings.Trim(w, "'’")
		if len(w) < 2 || Allowed[w] || strings.ToUpper(w) == w {
			continue
		}
		return true
	}
	return false
}

// IsProse reports whether a Go string literal's value reads as an English sentence or
// label (not a CSS class list, an identifier, a key or a path).
func IsProse(s string) bool {
	if !visibleWords(s) || strings.HasPrefix(s, "/") || strings.Contains(s, "://") {
		return false
	}
	t := strings.TrimSpace(s)
	if capWordRe.MatchString(t) && !Allowed[strings.TrimRight(t, ".!?:…")] {
		return true
	}
	if !twoWordsRe.MatchString(t) {
		return false
	}
	// Two words: prose when capitalised, punctuated or longer than a class list.
	first, _ := utf8First(t)
	return unicode.IsUpper(first) || strings.ContainsAny(t, ".,:;!?…") || len(strings.Fields(t)) >= 3
}

func utf8First(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

// visibleAttrs are the attributes a reader sees or hears.
var visibleAttrs = map[string]bool{"title": true, "placeholder": true, "aria-label": true, "alt": true, "label": true,
	"data-confirm": true, "data-confirm-delete": true, "data-copied": true}

// Templ scans one templ file: text nodes, visible constant attributes, and prose string
// literals in its Go expressions that are not catalog calls.
func Templ(path string) ([]Finding, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tf, err := templparser.ParseString(string(src))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Finding
	add := func(line int, text string) {
		out = append(out, Finding{File: filepath.Base(path), Line: line + 1, Text: text})
	}
	exprs := func(e templparser.Expression) {
		for _, lit := range goLiterals(stripCatalogCalls(e.Value)) {
			if IsProse(lit) {
				add(int(e.Range.From.Line), lit)
			}
		}
	}
	var attrs func(el *templparser.Element, as []templparser.Attribute)
	attrs = func(el *templparser.Element, as []templparser.Attribute) {
		for _, a := range as {
			switch a := a.(type) {
			case *templparser.ConstantAttribute:
				key := a.Key.String()
				isButtonValue := key == "value" && (el.Name == "button" || el.Name == "input" && hasAttr(el, "type", "submit", "button"))
				if (visibleAttrs[key] || isButtonValue) && visibleWords(html.UnescapeString(a.Value)) {
					add(int(el.NameRange.From.Line), key+"="+a.Value)
				}
			case *templparser.ExpressionAttribute:
				if visibleAttrs[a.Key.String()] || a.Key.String() == "value" {
					exprs(a.Expression)
				}
			case *templparser.ConditionalAttribute:
				attrs(el, a.Then)
				attrs(el, a.Else)
			}
		}
	}
	var walk func(nodes []templparser.Node)
	walk = func(nodes []templparser.Node) {
		for _, n := range nodes {
			switch n := n.(type) {
			case *templparser.Text:
				if v := strings.TrimSpace(html.UnescapeString(n.Value)); visibleWords(v) {
					add(int(n.Range.From.Line), v)
				}
			case *templparser.Element:
				if n.Name == "script" || n.Name == "style" {
					continue
				}
				attrs(n, n.Attributes)
				walk(n.Children)
			case *templparser.StringExpression:
				exprs(n.Expression)
			case *templparser.TemplElementExpression:
				exprs(n.Expression)
				walk(n.Children)
			case *templparser.CallTemplateExpression:
				exprs(n.Expression)
			case *templparser.IfExpression:
				walk(n.Then)
				for _, ei := range n.ElseIfs {
					walk(ei.Then)
				}
				walk(n.Else)
			case *templparser.SwitchExpression:
				for _, c := range n.Cases {
					walk(c.Children)
				}
			case *templparser.ForExpression:
				walk(n.Children)
			case templparser.CompositeNode:
				walk(n.ChildNodes())
			}
		}
	}
	for _, n := range tf.Nodes {
		if ht, ok := n.(*templparser.HTMLTemplate); ok {
			walk(ht.Children)
		}
	}
	return out, nil
}

func hasAttr(el *templparser.Element, key string, values ...string) bool {
	for _, a := range el.Attributes {
		if ca, ok := a.(*templparser.ConstantAttribute); ok && ca.Key.String() == key {
			for _, v := range values {
				if ca.Value == v {
					return true
				}
			}
		}
	}
	return false
}

var catalogCall = regexp.MustCompile(`\b(i18n\.T|\.T|\bt|i18n\.Time|i18n\.Date|i18n\.Minute)\(`)

// stripCatalogCalls blanks every catalog call with its arguments (their names are
// identifiers, their key is no prose) so only literals outside them are judged.
func stripCatalogCalls(s string) string {
	b := []byte(s)
	for _, loc := range catalogCall.FindAllStringIndex(s, -1) {
		depth, inStr := 0, byte(0)
		for i := loc[1] - 1; i < len(b); i++ {
			c := b[i]
			switch {
			case inStr != 0:
				if c == '\\' && inStr == '"' {
					b[i] = ' '
					i++
					if i < len(b) {
						b[i] = ' '
					}
					continue
				}
				if c == inStr {
					inStr = 0
				}
			case c == '"' || c == '`':
				inStr = c
			case c == '(':
				depth++
			case c == ')':
				depth--
			}
			b[i] = ' '
			if depth == 0 && inStr == 0 && c == ')' {
				break
			}
		}
	}
	return string(b)
}

var goString = regexp.MustCompile("\"(?:[^\"\\\\\\n]|\\\\.)*\"|`[^`]*`")

func goLiterals(expr string) []string {
	var out []string
	for _, m := range goString.FindAllString(expr, -1) {
		if v, err := strconv.Unquote(m); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// quietCalls are calls whose string arguments no reader sees: logs, internal errors,
// headers, cookies and lookups.
var quietCalls = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "With": true, "Errorf": true, "New": true,
	"Set": true, "Add": true, "Get": true, "Del": true, "Param": true, "FormValue": true, "QueryParam": true,
	"Header": true, "Printf": true, "Sprintf": false, "Fprintf": true, "Println": true,
	"T": true, "t": true, "panic": true, "MustCompile": true, "Compile": true, "Contains": true, "HasPrefix": true, "HasSuffix": true, "Split": true,
}

// Go scans one Go file for prose string literals outside catalog calls, logs, internal
// errors and struct tags.
func Go(path string) ([]Finding, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []Finding
	quiet := map[*ast.BasicLit]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.ImportSpec:
			return false
		case *ast.Field:
			if n.Tag != nil {
				quiet[n.Tag] = true
			}
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			if quietCalls[name] {
				ast.Inspect(n, func(m ast.Node) bool {
					if bl, ok := m.(*ast.BasicLit); ok {
						quiet[bl] = true
					}
					return true
				})
			}
		case *ast.BasicLit:
			if n.Kind != token.STRING || quiet[n] {
				return true
			}
			if v, err := strconv.Unquote(n.Value); err == nil && IsProse(v) {
				out = append(out, Finding{File: filepath.Base(path), Line: fset.Position(n.Pos()).Line, Text: v})
			}
		}
		return true
	})
	return out, nil
}

// Dir scans a package directory's templ files and non-test, non-generated Go files,
// except those in skip, sorted by file and line.
func Dir(dir string, skip map[string]bool) ([]Finding, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, e := range entries {
		name := e.Name()
		if skip[name] || e.IsDir() {
			continue
		}
		var found []Finding
		switch {
		case strings.HasSuffix(name, ".templ"):
			found, err = Templ(filepath.Join(dir, name))
		case strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !strings.HasSuffix(name, "_templ.go"):
			found, err = Go(filepath.Join(dir, name))
		default:
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}
