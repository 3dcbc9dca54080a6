package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"alertdesk/db"
)

// An administrator sets a team's message language on the teams page and picks one when
// creating a team; both are audited, and an unknown language is refused.
func TestTeamMessageLanguage(t *testing.T) {
	ts := newTestServer(t)
	ctx := context.Background()
	admin := ts.login(t, "admin", testPassword)
	page := admin.get(t, "/admin/teams").Body.String()
	if !strings.Contains(page, `action="/admin/teams/`+idStr(ts.TeamA.ID)+`/language"`) || !strings.Contains(page, "Console default (English)") {
		t.Fatalf("no language select per team:\n%s", page)
	}
	wantStatus(t, admin.postForm(t, "/admin/teams/"+idStr(ts.TeamA.ID)+"/language", url.Values{"language": {"zh-CN"}}, false), http.StatusSeeOther)
	if tm, _ := ts.DB.TeamByID(ctx, ts.TeamA.ID); tm.Language != "zh-CN" {
		t.Errorf("language = %q, want zh-CN", tm.Language)
	}
	if page = admin.get(t, "/admin/teams").Body.String(); !strings.Contains(page, `<option value="zh-CN" selected>`) {
		t.Errorf("the chosen language is not selected:\n%s", page)
	}
	rec := admin.postForm(t, "/admin/teams/"+idStr(ts.TeamA.ID)+"/language", url.Values{"language": {"fr"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	if tm, _ := ts.DB.TeamByID(ctx, ts.TeamA.ID); tm.Language != "zh-CN" {
		t.Errorf("a refused language changed it to %q", tm.Language)
	}
	wantStatus(t, admin.postForm(t, "/admin/teams", url.Values{"name": {"gamma"}, "language": {"zh-CN"}}, false), http.StatusSeeOther)
	if tm, err := ts.DB.TeamByName(ctx, "gamma"); err != nil || tm.Language != "zh-CN" {
		t.Errorf("created team = %+v, %v", tm, err)
	}
	evs, _, err := ts.DB.AuditEvents(ctx, db.AuditFilter{Action: "team.update"})
	if err != nil || len(evs) == 0 || !strings.Contains(evs[0].After, `"language":"zh-CN"`) {
		t.Errorf("audit = %+v, %v", evs, err)
	}
	// Members may not.
	alice := ts.login(t, "alice", testPassword)
	if rec := alice.postForm(t, "/admin/teams/"+idStr(ts.TeamA.ID)+"/language", url.Values{"language": {"en"}}, false); rec.Code != http.StatusForbidden && rec.Code != http.StatusNotFound {
		t.Errorf("a member set a team's language: %d", rec.Code)
	}
}

// The teams page reads in Chinese for a Chinese reader.
func TestTeamsPageInChinese(t *testing.T) {
	ts := newTestServer(t)
	admin := ts.login(t, "admin", testPassword)
	req, _ := http.NewRequest(http.MethodGet, "/admin/teams", nil)
	req.Header.Set("Accept-Language", "zh-CN")
	page := admin.do(t, req).Body.String()
	for _, want := range []string{"团队拥有机器人", "消息语言", "创建团队", "重命名"} {
		if !strings.Contains(page, want) {
			t.Errorf("no %q on the Chinese teams page", want)
		}
	}
}

// The escalation policy pages read in Chinese for a Chinese reader; JSON and flashes
// aside, the words come from the policies catalog.
func TestPoliciesPageInChinese(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.login(t, "alice", testPassword)
	for path, wants := range map[string][]string{
		"/escalation":     {"升级策略", "新建策略"},
		"/escalation/new": {"新建升级策略", "添加步骤", "保存策略"},
	} {
		req, _ := http.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
		page := alice.do(t, req).Body.String()
		for _, want := range wants {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q on the Chinese page", path, want)
			}
		}
	}
}
