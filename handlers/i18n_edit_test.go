package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The robot and rule screens, their form errors and flashes follow the reader's language.
func TestRobotsAndRulesInChinese(t *testing.T) {
	ts := newTestServer(t)
	alice := withLang(ts.login(t, "alice", testPassword), "zh-CN,zh;q=0.9")
	for path, want := range map[string][]string{
		"/robots":     {"通知对象", "新建机器人"},
		"/robots/new": {"新建机器人", "Webhook 地址", "限流（高级）", "创建机器人"},
		"/rules":      {"告警规则", "新建规则"},
		"/rules/new":  {"新建告警规则", "匹配条件", "免打扰时段", "周一", "创建规则"},
	} {
		rec := alice.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		body := bodyText(rec)
		for _, w := range want {
			wantLang(t, rec, body, "zh-CN", w)
		}
		for _, en := range []string{"Create robot", "Create rule", "Quiet hours", "Search and filter"} {
			if strings.Contains(body, ">"+en+"<") {
				t.Errorf("%s shows %q in English to a Chinese reader", path, en)
			}
		}
	}

	// A refused rule form says what is wrong in Chinese.
	rec := alice.postForm(t, "/rules", url.Values{"name": {"磁盘满"}, "severity": {"fatal"}, "enabled": {"1"},
		"group_wait": {"soon"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := bodyText(rec)
	for _, want := range []string{"请选择 critical、warning 或 info。", "请输入时长", "请至少选择一个机器人"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused rule form lacks %q", want)
		}
	}

	// A bulk action's flash too.
	rec = alice.postForm(t, "/robots/bulk", url.Values{"action": {"disable"}}, false)
	wantStatus(t, rec, http.StatusSeeOther)
	if body := bodyText(alice.get(t, "/robots")); !strings.Contains(body, "请先至少勾选一个机器人。") {
		t.Error("the bulk flash is not in Chinese")
	}
}
