package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// englishCatalogTexts are the English texts of an area's catalog that hold at least two
// words: none of them may show on a screen a Chinese reader opens.
func englishCatalogTexts(t *testing.T, area string) []string {
	t.Helper()
	src, err := os.ReadFile("../i18n/locales/" + area + ".en.toml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^("[^"]+"|one|other) = (".*")$`).FindAllStringSubmatch(string(src), -1) {
		if strings.HasSuffix(m[1], `_name"`) || strings.HasSuffix(m[1], `.name"`) {
			continue // vendor and product names stay
		}
		text, err := strconv.Unquote(m[2])
		if err != nil {
			t.Fatal(err)
		}
		// The words between placeholders and markup are what a reader would see; code stays.
		text = regexp.MustCompile(`<code>.*?</code>`).ReplaceAllString(text, " ")
		for _, part := range regexp.MustCompile(`\{\{[^}]*\}\}|<[^>]*>|&[a-z]+;`).Split(text, -1) {
			part = strings.TrimSpace(part)
			if regexp.MustCompile(`[A-Za-z]{2,}[^A-Za-z]+[A-Za-z]{2,}`).MatchString(part) && !strings.Contains(part, "Asia/Shanghai") &&
				!strings.HasPrefix(part, "curl") && !strings.HasPrefix(part, "Authorization") {
				out = append(out, part)
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d English texts read from the %s catalog", len(out), area)
	}
	return out
}

func chinesePage(t *testing.T, c *client, path string, wants []string, english []string) {
	t.Helper()
	rec := c.get(t, path)
	wantStatus(t, rec, http.StatusOK)
	body := regexp.MustCompile(`(?s)<(textarea|pre|code)[ >].*?</(textarea|pre|code)>`).ReplaceAllString(bodyText(rec), " ")
	if !strings.Contains(body, `<html lang="zh-CN"`) {
		t.Errorf("%s: not a Chinese page", path)
	}
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: no %q on the Chinese page", path, w)
		}
	}
	for _, e := range english {
		if strings.Contains(body, e) {
			t.Errorf("%s: English %q left on the Chinese page", path, e)
		}
	}
}

// TestIntegrationsScreensInChinese: the integrations list, a preset's new page and an
// integration's page (credentials, Try it, inbound log) read in Chinese.
func TestIntegrationsScreensInChinese(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/integrations", url.Values{"name": {"Zabbix prod"}, "preset": {"zabbix"}, "enabled": {"on"},
		"mapping": {zabbixMapping(t)}}, false)
	wantStatus(t, rec, http.StatusOK)
	list, _ := ts.DB.Integrations(context.Background(), db.AllTeams)
	if len(list) != 1 {
		t.Fatalf("integrations = %+v", list)
	}
	alice.header = http.Header{"Accept-Language": {"zh-CN"}}
	english := append(englishCatalogTexts(t, "integrations"), "Last received", "Inbound log", "Try it", "enabled</span>")
	chinesePage(t, alice, "/integrations", []string{"接入任意监控工具", "阿里云云监控", "新建集成", "最近接收"}, english)
	chinesePage(t, alice, "/integrations/new?preset=vmalert", []string{"预设：VictoriaMetrics vmalert", "映射字段", "试一试",
		"运行 vmalert 时加上", "创建集成"}, english)
	chinesePage(t, alice, "/integrations/new", []string{"我的工具", "映射（JSON；表达式使用 jq）"}, english)
	chinesePage(t, alice, "/integrations/"+idStr(list[0].ID), []string{"URL 与凭据", "新令牌", "吊销秘密 URL", "接收日志",
		"尚未收到任何内容。"}, english)

	// A flash and a form error in Chinese.
	rec = alice.postForm(t, "/integrations", url.Values{"name": {"Zabbix prod"}, "preset": {"zabbix"}, "enabled": {"on"},
		"mapping": {""}}, false)
	if body := bodyText(rec); !strings.Contains(body, "请填写映射（可从预设开始）。") {
		t.Errorf("the mapping error is not in Chinese:\n%s", body)
	}
}

// TestSchedulesScreensInChinese: the schedules list, the new-schedule form and a
// schedule's page (now, overrides, calendar with weekday names) read in Chinese.
func TestSchedulesScreensInChinese(t *testing.T) {
	ts := newTestServer(t)
	ts.Clock.Freeze()
	contactsMust(t, ts, db.ContactInput{TeamID: ts.TeamA.ID, Name: "Ann Alpha", Email: "ann@example.com"})
	alice := ts.login(t, "alice", testPassword)
	now := ts.Clock.Now().UTC()
	start := time.Date(now.Year(), now.Month(), now.Day()-10, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04")
	form := url.Values{"name": {"Primary"}, "layer_members": {"Ann Alpha"}, "layer_length": {"1"}, "layer_unit": {"days"},
		"layer_start": {start}, "layer_zone": {"UTC"}, "layer_days": {"weekdays"}, "layer_from": {"09:00"}, "layer_to": {"18:00"}}
	alice.header = http.Header{"Accept-Language": {"zh-CN"}}
	rec := alice.postForm(t, "/schedules", form, false)
	wantStatus(t, rec, http.StatusSeeOther)
	list, _ := ts.DB.Schedules(context.Background(), db.AllTeams)
	if len(list) != 1 {
		t.Fatalf("schedules = %+v", list)
	}
	if body := bodyText(alice.get(t, rec.Header().Get("Location"))); !strings.Contains(body, "值班表 Primary 已创建。") {
		t.Error("the created flash is not in Chinese")
	}
	english := append(englishCatalogTexts(t, "schedules"), ">Mon ", ">Tue ", ">Sat ", "Nobody on shift", "On call now")
	chinesePage(t, alice, "/schedules", []string{"值班表", "新建值班表", "当前值班"}, english)
	chinesePage(t, alice, "/schedules/new", []string{"新建值班表", "值班层", "添加值班层", "工作日（周一至周五）", "保存值班表"}, english)
	chinesePage(t, alice, "/schedules/"+idStr(list[0].ID), []string{"临时替班", "未来两周", "周六", "无人值班", "删除值班表"}, english)

	form.Set("layer_zone", "Mars/Olympus")
	rec = alice.postForm(t, "/schedules", form, false)
	if body := bodyText(rec); !strings.Contains(body, `第 1 层："Mars/Olympus" 不是时区`) {
		t.Errorf("the zone error is not in Chinese:\n%s", body)
	}
}

// TestRuleFormDefaultTemplatesInTeamLanguage: the rule form shows the default templates
// of the team's message language.
func TestRuleFormDefaultTemplatesInTeamLanguage(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	zhTitle, _ := alerting.DefaultTemplatesIn("dingtalk", "zh-CN")
	enTitle, _ := alerting.DefaultTemplatesIn("dingtalk", "en")
	if zhTitle == enTitle {
		t.Fatal("the Chinese and English default titles are the same")
	}
	if body := bodyText(alice.get(t, "/rules/new")); !strings.Contains(body, enTitle) || strings.Contains(body, zhTitle) {
		t.Errorf("an English team's rule form does not show the English default templates")
	}
	if _, err := ts.DB.SetTeamLanguage(context.Background(), db.SystemActor, ts.TeamA.ID, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if body := bodyText(alice.get(t, "/rules/new")); !strings.Contains(body, zhTitle) {
		t.Errorf("a Chinese team's rule form does not show the Chinese default templates (%q)", zhTitle)
	}
}
