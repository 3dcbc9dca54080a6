package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
)

// The observing screens speak Chinese to a Chinese reader: titles, table heads, empty
// states, codes in words, times in the reader's zone with the zone shown, CSV headers;
// and the audit log's sentences keep their links in the catalog's word order.
func TestObserveScreensInChinese(t *testing.T) {
	f := newIncidentFixture(t)
	ts := f.ts
	ctx := context.Background()
	in := db.RuleInput{TeamID: ts.TeamA.ID, Name: "DiskFull", Severity: "warning"}
	rule, err := ts.DB.CreateRule(ctx, db.SystemActor, in)
	if err != nil {
		t.Fatal(err)
	}
	in.Severity = "critical"
	if _, err := ts.DB.UpdateRule(ctx, db.Actor{UserID: ts.MemberA.ID, Name: "alice"}, db.AllTeams, rule.ID, in); err != nil {
		t.Fatal(err)
	}
	admin := ts.login(t, "admin", testPassword)
	pages := map[string][]string{
		"/?lang=zh-CN":                                {"仪表盘", "最近 24 小时。", "最近投递", "快速开始", "创建 API 令牌"},
		"/alerts?lang=zh-CN":                          {"收到的全部告警", "尚未收到告警"},
		"/history?lang=zh-CN":                         {"投递历史", "没有符合这些筛选条件的投递。", "导出 CSV"},
		"/incidents?lang=zh-CN":                       {"每个通知分组就是一个事件", "已触发", "负责人"},
		"/incidents/" + idStr(f.a.ID) + "?lang=zh-CN": {"时间线", "确认", "静默 1 小时", "添加备注", " UTC"},
		"/audit?lang=zh-CN": {"审计日志", "<strong data-user-data>alice</strong> 修改了规则 <a href=\"/rules/" + idStr(rule.ID) + "\"><em data-user-data>DiskFull</em></a>",
			"<strong>级别</strong>：<span data-user-data>warning</span> → <span data-user-data>critical</span>"},
		"/reports?lang=zh-CN":       {"报表", "共 2 个事件", "按规则"},
		"/intake-errors?lang=zh-CN": {"接入错误", "没有被拒绝的内容"},
	}
	for path, wants := range pages {
		rec := admin.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		body := bodyText(rec)
		for _, want := range wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q:\n%s", path, want, body)
			}
		}
		for _, english := range []string{"Delivery history", "The last 24 hours", "No deliveries match", "Every alert received",
			"Incidents opened per day", "Who changed what", "changed rule", "Get started", "Timeline", "Add note"} {
			if strings.Contains(body, english) {
				t.Errorf("%s still says %q in Chinese", path, english)
			}
		}
	}
	for path, header := range map[string]string{
		"/history.csv?lang=zh-CN": "时间,团队,机器人,平台,规则",
		"/audit.csv?lang=zh-CN":   "时间,操作人,IP,操作",
		"/reports.csv?lang=zh-CN": "分组,名称,事件数",
	} {
		rec := admin.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		if !strings.HasPrefix(rec.Body.String(), header) {
			t.Errorf("%s header: %q", path, strings.SplitN(rec.Body.String(), "\n", 2)[0])
		}
	}
	// English stays the default, with the zone shown.
	rec := admin.get(t, "/incidents/"+idStr(f.a.ID)+"?lang=en")
	if body := bodyText(rec); !strings.Contains(body, "Timeline") || !strings.Contains(body, f.a.OpenedAt.UTC().Format(time.DateOnly)) ||
		!strings.Contains(body, " UTC") {
		t.Errorf("English incident page:\n%s", body)
	}
}
