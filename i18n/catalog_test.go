package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// catalogs reads every catalog file: language → key → forms (plural form → text; a plain
// text has the form "other").
func catalogs(t *testing.T) (map[string]map[string]map[string]string, map[string]bool) {
	t.Helper()
	out := map[string]map[string]map[string]string{English: {}, Chinese: {}}
	areas := map[string]bool{}
	files, _ := fs.Glob(catalogFS, "locales/*.toml")
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".toml")
		dot := strings.Index(base, ".")
		area, lang := base[:dot], base[dot+1:]
		if out[lang] == nil {
			t.Errorf("%s: unknown language %q (want %s or %s)", f, lang, English, Chinese)
			continue
		}
		var raw map[string]any
		buf, _ := catalogFS.ReadFile(f)
		if err := toml.Unmarshal(buf, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range raw {
			if !strings.HasPrefix(k, area+".") {
				t.Errorf("%s: key %q must start with %q (one area per file)", f, k, area+".")
			}
			areas[strings.SplitN(k, ".", 2)[0]] = true
			forms := map[string]string{}
			switch v := v.(type) {
			case string:
				forms["other"] = v
			case map[string]any:
				for form, text := range v {
					forms[form], _ = text.(string)
				}
			}
			if _, dup := out[lang][k]; dup {
				t.Errorf("%s: key %q defined twice", f, k)
			}
			out[lang][k] = forms
		}
	}
	return out, areas
}

func TestEveryKeyInBothLanguages(t *testing.T) {
	cat, _ := catalogs(t)
	for _, pair := range [][2]string{{English, Chinese}, {Chinese, English}} {
		var missing []string
		for k := range cat[pair[0]] {
			if _, ok := cat[pair[1]][k]; !ok {
				missing = append(missing, k)
			}
		}
		sort.Strings(missing)
		for _, k := range missing {
			t.Errorf("%q is in the %s catalog but missing in %s", k, pair[0], pair[1])
		}
	}
	for k, forms := range cat[English] {
		if _, ok := forms["one"]; len(forms) > 1 && !ok {
			t.Errorf("%q: English plural needs a \"one\" form", k)
		}
		if forms["other"] == "" {
			t.Errorf("%q: English text is empty", k)
		}
		if zh, ok := cat[Chinese][k]; ok && zh["other"] == "" {
			t.Errorf("%q: Chinese text (form other) is empty", k)
		}
		for _, lang := range []string{English, Chinese} {
			if got := New(lang, nil).T(k, "Count", 2); got == k {
				t.Errorf("%q does not render in %s", k, lang)
			}
		}
	}
}

// keyLiteral is a string literal shaped like a catalog key ("area.what").
var keyLiteral = regexp.MustCompile(`"([a-z][a-z_]*\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)"`)

// TestEveryKeyTheCodeNamesExists reads the code for literals that look like keys of a
// catalog area and fails on any the catalog lacks: a typo would show the key to readers.
func TestEveryKeyTheCodeNamesExists(t *testing.T) {
	cat, areas := catalogs(t)
	root := filepath.Join("..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name != ".." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !(strings.HasSuffix(path, ".templ") || strings.HasSuffix(path, ".go")) || strings.HasSuffix(path, "_templ.go") ||
			strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range keyLiteral.FindAllStringSubmatch(string(src), -1) {
			key := m[1]
			area := strings.SplitN(key, ".", 2)[0]
			if !areas[area] || strings.HasSuffix(key, ".go") || strings.HasSuffix(key, ".json") {
				continue
			}
			if _, ok := cat[English][key]; !ok {
				t.Errorf("%s names catalog key %q, which no catalog holds", path, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestLanguageChoice(t *testing.T) {
	for in, want := range map[string]string{"zh-CN,zh;q=0.9,en;q=0.8": Chinese, "en-US,en;q=0.9": English,
		"fr-FR, de;q=0.8": "", "zh-TW": Chinese, "de, en-GB;q=0.5": English, "": "", "garbage;;": ""} {
		if got := FromAcceptLanguage(in); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %q, want %q", in, got, want)
		}
	}
	zh := New(Chinese, nil)
	if got := zh.T("common.form_errors", "Count", 3); got != "表单有 3 处错误：" {
		t.Errorf("Chinese plural: %q", got)
	}
	en := New(English, nil)
	if one, many := en.T("common.form_errors", "Count", 1), en.T("common.form_errors", "Count", 4); one == many ||
		!strings.Contains(one, "1 error:") || !strings.Contains(many, "4 errors:") {
		t.Errorf("English plurals: %q / %q", one, many)
	}
	if got := en.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key answers %q", got)
	}
}

func TestHas(t *testing.T) {
	for _, c := range []struct {
		lang, id string
		want     bool
	}{{English, "common.save", true}, {Chinese, "common.save", true}, {English, "common.form_errors", true},
		{Chinese, "common.form_errors", true}, {English, "no.such.key", false}} {
		if got := Has(c.lang, c.id); got != c.want {
			t.Errorf("Has(%s, %s) = %v, want %v", c.lang, c.id, got, c.want)
		}
	}
}
