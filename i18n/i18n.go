// Package i18n holds the console's message catalogs, English and Simplified Chinese,
// and the locale of a request: the language its texts are looked up in and the time
// zone its times are shown in.
//
// Catalogs are TOML files under locales/, one pair per area of the console
// (locales/robots.en.toml beside locales/robots.zh-CN.toml), with flat quoted keys
// "area.what". A message with arguments names them ({{.Name}}); one with a count has
// "one" and "other" forms and is called with "Count". The library (go-i18n) picks the
// plural form and argument order, so no sentence is assembled from pieces in Go.
package i18n

import (
	"context"
	"embed"
	"io/fs"
	"path"
	"strings"
	"time"
	_ "time/tzdata" // zone names work on machines without a zoneinfo database too

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The console's languages. English is the fallback for a missing text.
const (
	English = "en"
	Chinese = "zh-CN"
)

// Languages lists the console's languages in the order the switcher shows them.
var Languages = []string{Chinese, English}

// LanguageName is each language's name in itself, for switchers.
var LanguageName = map[string]string{English: "English", Chinese: "简体中文"}

//go:embed locales/*.toml
var catalogFS embed.FS

var bundle = loadBundle()

func loadBundle() *goi18n.Bundle {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	files, err := fs.Glob(catalogFS, "locales/*.toml")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		buf, err := catalogFS.ReadFile(f)
		if err != nil {
			panic(err)
		}
		if _, err := b.ParseMessageFileBytes(buf, path.Base(f)); err != nil {
			panic("i18n: " + f + ": " + err.Error()) // embedded and tested: a broken file never ships
		}
	}
	return b
}

var matcher = language.NewMatcher([]language.Tag{language.English, language.SimplifiedChinese})

// Normalize maps a language a user, a browser or the configuration names to one of the
// console's languages, or "" when it names none of them.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	t, err := language.Parse(s)
	if err != nil {
		return ""
	}
	base, _ := t.Base()
	switch base.String() {
	case "zh":
		return Chinese // Traditional Chinese readers read Simplified better than English
	case "en":
		return English
	}
	return ""
}

// FromAcceptLanguage picks the console's language an Accept-Language header prefers
// most, or "" when it names none of them.
func FromAcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return ""
	}
	for _, t := range tags {
		if l := Normalize(t.String()); l != "" {
			return l
		}
	}
	return ""
}

// Locale is the language and time zone one reader sees the console in.
type Locale struct {
	Lang string
	Zone *time.Location
	loc  *goi18n.Localizer
}

// New makes a locale; an unknown language means English, a nil zone UTC.
func New(lang string, zone *time.Location) *Locale {
	if l := Normalize(lang); l != "" {
		lang = l
	} else {
		lang = English
	}
	if zone == nil {
		zone = time.UTC
	}
	return &Locale{Lang: lang, Zone: zone, loc: localizers[lang]}
}

var localizers = map[string]*goi18n.Localizer{
	English: goi18n.NewLocalizer(bundle, English),
	Chinese: goi18n.NewLocalizer(bundle, Chinese, English),
}

type ctxKey struct{}

// With returns ctx carrying l.
func With(ctx context.Context, l *Locale) context.Context { return context.WithValue(ctx, ctxKey{}, l) }

var fallback = New(English, time.UTC)

// From returns the locale ctx carries: English and UTC when it carries none (background
// work, tests).
func From(ctx context.Context) *Locale {
	if ctx != nil {
		if l, ok := ctx.Value(ctxKey{}).(*Locale); ok && l != nil {
			return l
		}
	}
	return fallback
}

// T is the text with id in ctx's language. Arguments come as name, value pairs
// (T(ctx, "robots.deleted", "Name", r.Name)); a "Count" argument also picks the plural
// form. A missing id answers the id itself, which the catalog test refuses to ship.
func T(ctx context.Context, id string, args ...any) string { return From(ctx).T(id, args...) }

// T is the text with id in l's language (see the package function T).
func (l *Locale) T(id string, args ...any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = args[i+1]
			if name == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// Has reports whether the catalog of lang holds id (for tests and fallbacks).
func Has(lang, id string) bool {
	_, tag, err := localizers[lang].LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id})
	if err != nil { // a message with plural forms wants a count
		_, tag, err = localizers[lang].LocalizeWithTag(&goi18n.LocalizeConfig{MessageID: id, PluralCount: 1})
	}
	return err == nil && tag.String() == lang
}

// The one date and time formats of the console, the same in both languages (ISO order
// reads naturally in Chinese too); the zone is always shown.
const (
	dateTimeLayout = "2006-01-02 15:04:05 MST"
	dateLayout     = "2006-01-02"
	minuteLayout   = "2006-01-02 15:04 MST"
)

// Time shows t in the reader's zone, zone included. The zero time is "—".
func Time(ctx context.Context, t time.Time) string { return From(ctx).Time(t) }

// Time shows t in l's zone, zone included. The zero time is "—".
func (l *Locale) Time(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(l.Zone).Format(dateTimeLayout)
}

// Minute shows t to the minute in the reader's zone, zone included.
func Minute(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(From(ctx).Zone).Format(minuteLayout)
}

// Date shows t's day in the reader's zone.
func Date(ctx context.Context, t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(From(ctx).Zone).Format(dateLayout)
}

// In is t in the reader's zone, for code that formats parts itself (input values).
func In(ctx context.Context, t time.Time) time.Time { return t.In(From(ctx).Zone) }

// ZoneName is the reader's zone as a user sees it in settings.
func ZoneName(ctx context.Context) string { return From(ctx).Zone.String() }
