package pipeline

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/db/dbtest"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// langWorld is a database with a Chinese team and an English one, a composer and the
// platform emulators behind httptest.
type langWorld struct {
	ctx    context.Context
	db     *db.DB
	c      *Composer
	sb     *sandbox.Sandbox
	srv    *httptest.Server
	sender *notify.Sender
	zh, en db.Team
}

func newLangWorld(t *testing.T) *langWorld {
	t.Helper()
	w := &langWorld{ctx: context.Background(), db: dbtest.Open(t, db.Options{})}
	var err error
	if w.zh, err = w.db.CreateTeamIn(w.ctx, db.SystemActor, "微服务", alerting.LangChinese); err != nil {
		t.Fatal(err)
	}
	if w.en, err = w.db.CreateTeam(w.ctx, db.SystemActor, "ops"); err != nil {
		t.Fatal(err)
	}
	w.c = NewComposer(w.db, "http://console.example")
	w.sb = sandbox.New(sandbox.Options{Now: time.Now})
	w.srv = httptest.NewServer(http.StripPrefix("/sandbox", w.sb))
	t.Cleanup(w.srv.Close)
	w.sender = notify.NewSender(notify.HostPolicy{ExtraHosts: []string{w.srv.Listener.Addr().String()}}, 10*time.Second)
	return w
}

// post composes rule's message for group on a new sandbox robot of platform p with
// keywords and sends it; it returns what was prepared and what the emulator recorded.
func (w *langWorld) post(t *testing.T, p notify.Platform, keywords []string, rule db.Rule, group alerting.TemplateData) (notify.Prepared, sandbox.Received) {
	t.Helper()
	if !notify.SpecOf(p).Keywords {
		keywords = nil
	}
	cfg := w.sb.AddRobot(sandbox.RobotConfig{Platform: p, Secret: "generate", Keywords: keywords})
	robot := db.Robot{Platform: string(p), TeamID: rule.TeamID}
	composed, err := w.c.Compose(w.ctx, rule, robot, group, 42)
	if err != nil {
		t.Fatal(err)
	}
	target := notify.Robot{Platform: p, WebhookURL: w.srv.URL + "/sandbox" + sandbox.WebhookPath(p, cfg.Token), Secret: cfg.Secret, Keywords: cfg.Keywords}
	prep, o := w.sender.Send(w.ctx, target, composed.Message)
	if o.Class != notify.Delivered {
		t.Fatalf("%s: not delivered: %+v", p, o)
	}
	got := w.sb.MessagesFor(cfg.Token)
	if len(got) != 1 || !got[0].Accepted {
		t.Fatalf("%s: the emulator recorded %+v", p, got)
	}
	return prep, got[0]
}

func resolvedGroup(g alerting.TemplateData) alerting.TemplateData {
	for i := range g.Alerts {
		g.Alerts[i].Status, g.Alerts[i].EndsAt = alerting.StatusResolved, g.Alerts[i].StartsAt.Add(3*24*time.Hour+4*time.Hour)
	}
	g.Status = alerting.StatusResolved
	g.SetCounts(0, len(g.Alerts), "")
	return g
}

// A rule of a team whose language is Chinese sends the Chinese default templates, firing
// and resolved, on every platform, and each emulator accepts them; a robot whose keyword
// is "告警" needs no keyword added, one whose keyword is "Microservice Online Monitoring"
// gets it added and still accepts the message. The English team's rule stays English.
func TestDefaultTemplatesInTeamLanguageOnEveryPlatform(t *testing.T) {
	w := newLangWorld(t)
	zhRule := db.Rule{ID: 7, Name: "磁盘将满", Severity: "critical", TeamID: w.zh.ID, TeamName: w.zh.Name}
	enRule := db.Rule{ID: 8, Name: "Disk full", Severity: "critical", TeamID: w.en.ID, TeamName: w.en.Name}
	for _, p := range notify.Platforms {
		t.Run(string(p), func(t *testing.T) {
			firing := w.c.Sample(zhRule)
			for _, g := range []struct {
				name  string
				group alerting.TemplateData
				want  []string
			}{
				{"firing", firing, []string{"告警", "磁盘将满", "级别", "严重", "标签", "开始时间"}},
				{"resolved", resolvedGroup(w.c.Sample(zhRule)), []string{"告警恢复", "磁盘将满", "恢复时间"}},
			} {
				prep, rec := w.post(t, p, []string{"告警"}, zhRule, g.group)
				if prep.KeywordAdded != "" {
					t.Errorf("%s: keyword %q added to a Chinese message that contains 告警", g.name, prep.KeywordAdded)
				}
				seen := rec.Title + "\n" + rec.Text
				for _, want := range g.want {
					if !strings.Contains(seen, want) {
						t.Errorf("%s: the emulator saw no %q:\n%s", g.name, want, seen)
					}
				}
				for _, bad := range []string{"FIRING", "RESOLVED", "Severity", "Labels", "Started", "Why this message"} {
					if strings.Contains(seen, bad) {
						t.Errorf("%s: English %q in a Chinese team's message:\n%s", g.name, bad, seen)
					}
				}
			}
			prep, rec := w.post(t, p, []string{"Microservice Online Monitoring"}, zhRule, firing)
			if notify.SpecOf(p).Keywords && (prep.KeywordAdded != "Microservice Online Monitoring" || !strings.Contains(rec.Title+rec.Text, "Microservice Online Monitoring")) {
				t.Errorf("keyword not added: %q\n%s", prep.KeywordAdded, rec.Title+"\n"+rec.Text)
			}
			_, rec = w.post(t, p, []string{"FIRING"}, enRule, w.c.Sample(enRule))
			if seen := rec.Title + "\n" + rec.Text; !strings.Contains(seen, "FIRING") || !strings.Contains(seen, "Severity") || strings.Contains(seen, "级别") {
				t.Errorf("the English team's message:\n%s", seen)
			}
		})
	}
}

// A team without a language follows the console's default; a rule's own template is sent
// as written in any language.
func TestTeamLanguageDefaultAndCustomTemplate(t *testing.T) {
	w := newLangWorld(t)
	rule := db.Rule{Name: "Disk", Severity: "warning", TeamID: w.en.ID}
	if got := w.c.TeamLanguage(w.ctx, w.en.ID); got != alerting.LangEnglish {
		t.Errorf("default language %q", got)
	}
	w.c.SetDefaultLanguage(alerting.LangChinese)
	out, err := w.c.Compose(w.ctx, rule, db.Robot{Platform: "dingtalk"}, w.c.Sample(rule), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.Message.Title, "[告警:") {
		t.Errorf("a team without a language under a Chinese console: %q", out.Message.Title)
	}
	if _, err := w.db.SetTeamLanguage(w.ctx, db.SystemActor, w.en.ID, alerting.LangEnglish); err != nil {
		t.Fatal(err)
	}
	if out, _ = w.c.Compose(w.ctx, rule, db.Robot{Platform: "dingtalk"}, w.c.Sample(rule), 0); !strings.HasPrefix(out.Message.Title, "[FIRING:") {
		t.Errorf("a team that chose English under a Chinese console: %q", out.Message.Title)
	}
	custom := rule
	custom.TeamID, custom.TitleTemplate, custom.BodyTemplate = w.zh.ID, "{{.RuleName}} fired", "custom {{.FiringCount}}"
	out, err = w.c.Compose(w.ctx, custom, db.Robot{Platform: "wecom"}, w.c.Sample(custom), 0)
	if err != nil {
		t.Fatal(err)
	}
	if out.Message.Title != "Disk fired" || !strings.HasPrefix(out.Message.Body, "custom ") {
		t.Errorf("a custom template changed: %q / %q", out.Message.Title, out.Message.Body)
	}
}

// Byte budgets hold on UTF-8: a long Chinese description is cut at a rune boundary within
// the platform's limit and the emulator (which checks the limit) accepts it.
func TestChineseMessageCutToByteBudget(t *testing.T) {
	w := newLangWorld(t)
	rule := db.Rule{Name: "日志量过大", Severity: "warning", TeamID: w.zh.ID, TeamName: w.zh.Name}
	group := w.c.Sample(rule)
	for i := range group.Alerts {
		group.Alerts[i].Annotations["description"] = strings.Repeat("服务响应时间超过阈值，请检查。", 300)
	}
	for _, p := range notify.Platforms {
		prep, rec := w.post(t, p, nil, rule, group)
		if !prep.Truncated {
			t.Errorf("%s: a %d-byte description was not cut", p, len(group.Alerts[0].Annotations["description"]))
		}
		if !utf8.Valid(prep.Body) || !utf8.ValidString(rec.Text) {
			t.Errorf("%s: cut inside a character", p)
		}
	}
}

// The texts the console writes itself follow the team's language too: the test-send,
// the on-call line, the action buttons, the daily summary.
func TestConsoleTextsInTeamLanguage(t *testing.T) {
	w := newLangWorld(t)
	msg, err := w.c.RobotTest(w.ctx, db.Robot{ID: 3, Platform: "dingtalk", TeamID: w.zh.ID, TeamName: w.zh.Name}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.Body, "这是来自 alertdesk 的测试消息") || !strings.HasPrefix(msg.Title, "[测试] [告警:") || strings.Contains(msg.Title, "Test-send") {
		t.Errorf("Chinese test-send: %q\n%s", msg.Title, msg.Body)
	}
	msg, err = w.c.RobotTest(w.ctx, db.Robot{ID: 4, Platform: "wecom", TeamID: w.en.ID}, nil, false)
	if err != nil || !strings.HasPrefix(msg.Body, "This is a test-send from alertdesk") {
		t.Errorf("English test-send: %q, %v", msg.Body, err)
	}
	people := []notify.Person{{Name: "Ann (on call: Primary)"}, {Name: "Bo (fallback of Night)"}}
	if got := OnCallLineIn(alerting.LangChinese, people); got != "\n\n值班：Ann (Primary)、Bo (Night 的兜底联系人)" {
		t.Errorf("Chinese on-call line %q", got)
	}
	if got := OnCallLine(people); got != "\n\nOn call: Ann (Primary), Bo (fallback of Night)" {
		t.Errorf("English on-call line %q", got)
	}
	ac := NewActionComposer(w.db, "http://console.example", NewLinkSigner([]byte("0123456789abcdef0123456789abcdef"), time.Hour), nil)
	var labels []string
	for _, a := range ac.actionsFor(alerting.LangChinese, "firing", 5) {
		labels = append(labels, a.Label)
	}
	if got := strings.Join(labels, ","); got != "确认,认领,关闭,静默 1 小时,静默 4 小时,静默 24 小时,查看" {
		t.Errorf("Chinese action labels %q", got)
	}
	slot := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	counts := db.DayCounts{Triggered: 3, Acknowledged: 1, Ended: 1}
	for i := range 7 {
		counts.Open = append(counts.Open, db.Incident{ID: int64(i + 1), Title: "磁盘", State: "triggered", OpenedAt: slot.Add(-time.Duration(i+1) * time.Hour)})
	}
	title, body := SummaryTextIn(alerting.LangChinese, "微服务", slot, counts, slot, func(id int64) string { return "http://c/" + strconv.FormatInt(id, 10) })
	if title != "微服务 每日摘要：7 个未关闭事件" {
		t.Errorf("Chinese summary title %q", title)
	}
	for _, want := range []string{"**今日**（自 UTC 00:00 起）：触发 3 个", "**按负责人统计未关闭事件**：无人 7", "已持续 1 小时 0 分钟", "- … 另有 2 个"} {
		if !strings.Contains(body, want) {
			t.Errorf("Chinese summary lacks %q:\n%s", want, body)
		}
	}
	if title, _ := SummaryText("ops", slot, db.DayCounts{Open: counts.Open[:1]}, slot, func(int64) string { return "" }); title != "Daily summary of ops: 1 open incident" {
		t.Errorf("English summary title %q", title)
	}
}
