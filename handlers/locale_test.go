package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/handlers"
	"alertdesk/i18n"
)

func withLang(c *client, accept string) *client {
	if c.header == nil {
		c.header = http.Header{}
	}
	c.header.Set("Accept-Language", accept)
	return c
}

func wantLang(t *testing.T, rec interface{ Result() *http.Response }, body, lang, text string) {
	t.Helper()
	if !strings.Contains(body, `<html lang="`+lang+`">`) {
		t.Errorf("want <html lang=%q>; page starts:\n%.300s", lang, body)
	}
	if !strings.Contains(body, text) {
		t.Errorf("want %q on the page", text)
	}
}

// The browser's Accept-Language picks the sign-in page's language; the switcher's choice
// beats it and is remembered; a language the console lacks falls back to the default.
func TestLanguageFromBrowserSwitcherAndDefault(t *testing.T) {
	ts := newTestServer(t)
	zh := withLang(ts.anon(), "zh-CN,zh;q=0.9,en;q=0.8")
	rec := zh.get(t, "/login")
	wantLang(t, rec, rec.Body.String(), "zh-CN", "登录 alertdesk")
	if !strings.Contains(rec.Body.String(), `data-testid="lang-en"`) {
		t.Error("the sign-in page offers no switch to English")
	}
	rec = zh.get(t, "/login?lang=en")
	wantLang(t, rec, rec.Body.String(), "en", "Sign in to alertdesk")
	rec = zh.get(t, "/login") // the cookie remembers the switch
	wantLang(t, rec, rec.Body.String(), "en", "Sign in to alertdesk")

	fr := withLang(ts.anon(), "fr-FR,fr;q=0.9")
	rec = fr.get(t, "/login")
	wantLang(t, rec, rec.Body.String(), "en", "Sign in to alertdesk")
	ts.rebuild(func(d *handlers.Deps) { d.Config.DefaultLanguage = i18n.Chinese })
	rec = fr.get(t, "/login")
	wantLang(t, rec, rec.Body.String(), "zh-CN", "登录 alertdesk")
}

// A user's own language and time zone on My account win over the browser's; a bad zone
// is refused next to the field with what was typed kept, and nothing is stored.
func TestUserPreferences(t *testing.T) {
	ts := newTestServer(t)
	ts.Clock.Freeze()
	alice := withLang(ts.login(t, "alice", testPassword), "en-US")
	rec := alice.postForm(t, "/account/preferences", url.Values{"language": {"zh-CN"}, "time_zone": {"Mars/Olympus"}}, true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := rec.Body.String()
	if !strings.Contains(body, "Unknown time zone") || !strings.Contains(body, `value="Mars/Olympus"`) {
		t.Fatalf("bad zone: want the error and the typed value; got:\n%s", body)
	}
	if u, _ := ts.DB.UserByID(t.Context(), ts.MemberA.ID); u.Language != "" || u.TimeZone != "" {
		t.Fatalf("a refused form stored %q/%q", u.Language, u.TimeZone)
	}
	rec = alice.postForm(t, "/account/preferences", url.Values{"language": {"klingon"}, "time_zone": {""}}, true)
	wantStatus(t, rec, http.StatusUnprocessableEntity)

	wantStatus(t, alice.postForm(t, "/account/preferences", url.Values{"language": {"zh-CN"}, "time_zone": {"Asia/Shanghai"}}, false), http.StatusSeeOther)
	rec = alice.get(t, "/account")
	body = rec.Body.String()
	wantLang(t, rec, body, "zh-CN", "我的账户")
	if !strings.Contains(body, "设置已保存") {
		t.Error("no confirmation in the new language")
	}
	// Sessions are listed in the user's zone, the zone named.
	now := ts.Clock.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04") + " CST"
	if !strings.Contains(body, now) {
		t.Errorf("want the session's sign-in time as %q (Asia/Shanghai)", now)
	}
	// Back to the browser's language.
	wantStatus(t, alice.postForm(t, "/account/preferences", url.Values{"language": {""}, "time_zone": {""}}, false), http.StatusSeeOther)
	rec = alice.get(t, "/account")
	wantLang(t, rec, rec.Body.String(), "en", "My account")
}

// The layout itself (navigation, sign-out) follows the language.
func TestLayoutInChinese(t *testing.T) {
	ts := newTestServer(t)
	admin := withLang(ts.login(t, "admin", testPassword), "zh-CN")
	body := admin.get(t, "/account").Body.String()
	for _, want := range []string{"退出登录", "机器人", "告警规则", "管理员"} {
		if !strings.Contains(body, want) {
			t.Errorf("want %q in the Chinese layout", want)
		}
	}
}
