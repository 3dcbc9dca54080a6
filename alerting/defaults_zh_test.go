package alerting

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestDefaultTemplatesChinese(t *testing.T) {
	data := SampleData("节点宕机", "critical")
	data.Now = data.Alerts[0].StartsAt.Add(3*24*time.Hour + 4*time.Hour)
	data.OmittedCount, data.OmittedFiring, data.OmittedResolved, data.GroupURL = 7, 5, 2, "http://localhost:8080/history?group=x"
	for _, platform := range []string{PlatformDingTalk, PlatformFeishu, PlatformLark, PlatformWeCom} {
		t.Run(platform, func(t *testing.T) {
			title, body := DefaultTemplatesIn(platform, LangChinese)
			if title == defaultTitle || body == dingTalkBody || body == feishuBody || body == weComBody {
				t.Fatal("the Chinese templates are the English ones")
			}
			for _, src := range []string{title, body} {
				if err := CheckTemplate(src); err != nil {
					t.Fatalf("CheckTemplate: %v", err)
				}
			}
			r, err := Render(context.Background(), title, body, data, RenderLimits{})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if want := "[告警:2] 节点宕机 (严重)"; r.Title != want {
				t.Errorf("title %q, want %q", r.Title, want)
			}
			want := []string{"级别：", "严重", "团队：", "ops", "告警中：", "标签：", "alertname=NodeDown", "开始时间：2026-11-24 02:09:55 UTC",
				"[为什么收到此消息](http://localhost:8080/alerts/", "… 另有 7 条（5 条告警中，2 条已恢复）：[查看本组全部告警](http://localhost:8080/history?group=x)",
				"[在 alertdesk 中查看](http://localhost:8080/deliveries)"}
			if platform != PlatformWeCom {
				want = append(want, "（已持续3天4小时）")
			}
			for _, w := range want {
				if !strings.Contains(r.Body, w) {
					t.Errorf("body lacks %q:\n%s", w, r.Body)
				}
			}
			for _, bad := range []string{"FIRING", "Severity", "Labels", "Started", "Why this message", "more (", "Open in", "<no value>", "3d4h", "\n\n\n"} {
				if strings.Contains(r.Body, bad) {
					t.Errorf("body contains %q:\n%s", bad, r.Body)
				}
			}
		})
	}
}

func TestDefaultTemplatesChineseResolvedTestAndFallback(t *testing.T) {
	data := SampleData("磁盘", "info")
	for i := range data.Alerts {
		data.Alerts[i].Status, data.Alerts[i].EndsAt = StatusResolved, data.Alerts[i].StartsAt.Add(time.Minute)
	}
	data.Status, data.Kind = StatusResolved, "test"
	title, body := DefaultTemplatesIn(PlatformDingTalk, LangChinese)
	r, err := Render(context.Background(), title, body, data, RenderLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "[测试] [告警恢复] 磁盘 (提示)" || !strings.HasPrefix(r.Body, "### [测试] 告警恢复：磁盘") || !strings.Contains(r.Body, "恢复时间：") {
		t.Errorf("resolved test message: title %q body:\n%s", r.Title, r.Body)
	}
	// Any language but Chinese is English.
	for _, lang := range []string{"", "en", "fr"} {
		if ti, b := DefaultTemplatesIn(PlatformWeCom, lang); ti != defaultTitle || b != weComBody {
			t.Errorf("%q: not the English templates", lang)
		}
	}
}

func TestHumanDurationIn(t *testing.T) {
	for _, tt := range []struct {
		d      time.Duration
		zh, en string
	}{
		{76 * time.Hour, "3天4小时", "3d4h"},
		{2*time.Hour + 3*time.Minute, "2小时3分", "2h3m"},
		{5*time.Minute + 12*time.Second, "5分12秒", "5m12s"},
		{45 * time.Second, "45秒", "45s"},
		{0, "0秒", "0s"},
		{2*24*time.Hour + 30*time.Second, "2天1分", ""},
	} {
		if got := HumanDurationIn(LangChinese, tt.d); got != tt.zh {
			t.Errorf("zh %v: %q, want %q", tt.d, got, tt.zh)
		}
		if tt.en != "" {
			if got := HumanDurationIn(LangEnglish, tt.d); got != tt.en {
				t.Errorf("en %v: %q, want %q", tt.d, got, tt.en)
			}
		}
	}
}
