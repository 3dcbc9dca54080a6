package alerting

import (
	"strconv"
	"strings"
	"time"
)

// Platforms a robot can be on.
const (
	PlatformDingTalk = "dingtalk"
	PlatformFeishu   = "feishu"
	PlatformLark     = "lark"
	PlatformWeCom    = "wecom"
)

// defaultTitle is plain text: DingTalk shows it in the chat list and the
// notification, Feishu/Lark in the card header. WeCom messages have no title,
// so the WeCom body starts with the same facts.
const defaultTitle = `{{if eq .Kind "test"}}[TEST] {{end}}[{{if eq .Status "firing"}}FIRING:{{.FiringCount}}{{else}}RESOLVED{{end}}] {{.RuleName}}{{with .Severity}} ({{.}}){{end}}`

// DingTalk markdown: a single newline often does not break the line, so
// paragraphs are separated by blank lines; "###" headings work.
const dingTalkBody = `### {{if eq .Kind "test"}}[TEST] {{end}}{{if eq .Status "firing"}}FIRING{{else}}RESOLVED{{end}}: {{markdownEscape .RuleName}}

**Severity:** {{.Severity | default "none" | markdownEscape}}{{with .Team}} · **Team:** {{markdownEscape .}}{{end}} · **Firing:** {{.FiringCount}} · **Resolved:** {{.ResolvedCount}}
{{- range .Alerts}}

---

**{{markdownEscape .Name}}** · {{if eq .Status "firing"}}**FIRING**{{else}}RESOLVED{{end}}
{{- with .Annotations.summary}}

{{markdownEscape .}}
{{- end}}
{{- with .Annotations.description}}

{{markdownEscape . | quote}}
{{- end}}

Labels: {{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}
{{- if .Values}}

Values: {{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}

Started: {{date "2006-01-02 15:04:05 MST" .StartsAt}}{{with since .StartsAt}} ({{.}} ago){{end}}{{if eq .Status "resolved"}} · Resolved: {{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}

{{with safeURL .GeneratorURL}}[Source]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[Why this message]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… and {{.OmittedCount}} more ({{.OmittedFiring}} firing, {{.OmittedResolved}} resolved){{with safeURL .GroupURL}}: [all alerts of this group]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… and {{.SourceOmitted}} more that the source left out of what it sent (its max_alerts)
{{- end}}
{{- with safeURL .ConsoleURL}}

---

[Open in alertdesk]({{.}})
{{- end}}
`

// Feishu/Lark lark_md (inside a card): no headings, **bold**, newlines break lines.
const feishuBody = `**{{if eq .Kind "test"}}[TEST] {{end}}{{if eq .Status "firing"}}FIRING{{else}}RESOLVED{{end}}: {{markdownEscape .RuleName}}**
**Severity:** {{.Severity | default "none" | markdownEscape}}{{with .Team}} · **Team:** {{markdownEscape .}}{{end}} · **Firing:** {{.FiringCount}} · **Resolved:** {{.ResolvedCount}}
{{- range .Alerts}}

**{{markdownEscape .Name}}** · {{if eq .Status "firing"}}**FIRING**{{else}}RESOLVED{{end}}
{{- with .Annotations.summary}}
{{markdownEscape .}}
{{- end}}
{{- with .Annotations.description}}
{{markdownEscape .}}
{{- end}}
Labels: {{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}
{{- if .Values}}
Values: {{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}
Started: {{date "2006-01-02 15:04:05 MST" .StartsAt}}{{with since .StartsAt}} ({{.}} ago){{end}}{{if eq .Status "resolved"}} · Resolved: {{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}
{{with safeURL .GeneratorURL}}[Source]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[Why this message]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… and {{.OmittedCount}} more ({{.OmittedFiring}} firing, {{.OmittedResolved}} resolved){{with safeURL .GroupURL}}: [all alerts of this group]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… and {{.SourceOmitted}} more that the source left out of what it sent (its max_alerts)
{{- end}}
{{- with safeURL .ConsoleURL}}

[Open in alertdesk]({{.}})
{{- end}}
`

// WeCom markdown: <font color="warning|info|comment">, ">" quotes, 4096 bytes
// at most, so it is the most compact.
const weComBody = `{{if eq .Kind "test"}}[TEST] {{end}}{{if eq .Status "firing"}}<font color="warning">**FIRING**</font>{{else}}<font color="info">**RESOLVED**</font>{{end}} **{{markdownEscape .RuleName}}**
> Severity: <font color="comment">{{.Severity | default "none" | markdownEscape}}</font>{{with .Team}} · Team: {{markdownEscape .}}{{end}} · Firing: {{.FiringCount}} · Resolved: {{.ResolvedCount}}
{{- range .Alerts}}

{{if eq .Status "firing"}}<font color="warning">**{{markdownEscape .Name}}**</font>{{else}}<font color="info">**{{markdownEscape .Name}}**</font>{{end}}{{with .Annotations.summary}} {{markdownEscape .}}{{end}}
{{- with .Annotations.description}}
{{markdownEscape . | quote}}
{{- end}}
> Labels: <font color="comment">{{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}</font>
{{- if .Values}}
> Values: {{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}
> Started: {{date "2006-01-02 15:04:05 MST" .StartsAt}}{{if eq .Status "resolved"}} · Resolved: {{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}
{{with safeURL .GeneratorURL}}[Source]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[Why this message]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… and {{.OmittedCount}} more ({{.OmittedFiring}} firing, {{.OmittedResolved}} resolved){{with safeURL .GroupURL}}: [all alerts of this group]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… and {{.SourceOmitted}} more that the source left out of what it sent (its max_alerts)
{{- end}}
{{- with safeURL .ConsoleURL}}

[Open in alertdesk]({{.}})
{{- end}}
`

// DefaultTemplates returns the default title and body templates for a
// platform ("dingtalk", "feishu", "lark", "wecom"); an unknown platform gets
// DingTalk's, the plainest markdown. Label and annotation values pass through
// markdownEscape. They are the English ones: DefaultTemplatesIn picks a language.
func DefaultTemplates(platform string) (title, body string) {
	return DefaultTemplatesIn(platform, LangEnglish)
}

// The languages of the default templates (the console's language codes).
const (
	LangEnglish = "en"
	LangChinese = "zh-CN"
)

// DefaultTemplatesIn is DefaultTemplates in a language: LangChinese gets the Simplified
// Chinese templates, anything else the English ones. Both render the same facts from
// the same template model; only the words, the duration style ("3天4小时") and the
// punctuation differ.
func DefaultTemplatesIn(platform, lang string) (title, body string) {
	if lang == LangChinese {
		switch platform {
		case PlatformFeishu, PlatformLark:
			return defaultTitleZh, feishuBodyZh
		case PlatformWeCom:
			return defaultTitleZh, weComBodyZh
		}
		return defaultTitleZh, dingTalkBodyZh
	}
	switch platform {
	case PlatformFeishu, PlatformLark:
		return defaultTitle, feishuBody
	case PlatformWeCom:
		return defaultTitle, weComBody
	}
	return defaultTitle, dingTalkBody
}

// severityZh is the severity in Chinese ops wording, inline so that a custom template
// copied from the default keeps working: critical 严重, warning 警告, info 提示.
const severityZh = `{{if eq . "critical"}}严重{{else if eq . "warning"}}警告{{else if eq . "info"}}提示{{else}}{{markdownEscape .}}{{end}}`

// defaultTitleZh: "[告警:3] 规则名 (严重)"; a resolved group says "[告警恢复]", so a
// robot whose keyword is "告警" accepts both without the keyword being added.
const defaultTitleZh = `{{if eq .Kind "test"}}[测试] {{end}}[{{if eq .Status "firing"}}告警:{{.FiringCount}}{{else}}告警恢复{{end}}] {{.RuleName}}{{with .Severity}} ({{if eq . "critical"}}严重{{else if eq . "warning"}}警告{{else if eq . "info"}}提示{{else}}{{.}}{{end}}){{end}}`

const dingTalkBodyZh = `### {{if eq .Kind "test"}}[测试] {{end}}{{if eq .Status "firing"}}告警{{else}}告警恢复{{end}}：{{markdownEscape .RuleName}}

**级别：**{{with .Severity}}` + severityZh + `{{else}}无{{end}}{{with .Team}} · **团队：**{{markdownEscape .}}{{end}} · **告警中：**{{.FiringCount}} · **已恢复：**{{.ResolvedCount}}
{{- range .Alerts}}

---

**{{markdownEscape .Name}}** · {{if eq .Status "firing"}}**告警中**{{else}}已恢复{{end}}
{{- with .Annotations.summary}}

{{markdownEscape .}}
{{- end}}
{{- with .Annotations.description}}

{{markdownEscape . | quote}}
{{- end}}

标签：{{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}
{{- if .Values}}

数值：{{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}

开始时间：{{date "2006-01-02 15:04:05 MST" .StartsAt}}{{with sinceIn "zh-CN" .StartsAt}}（已持续{{.}}）{{end}}{{if eq .Status "resolved"}} · 恢复时间：{{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}

{{with safeURL .GeneratorURL}}[来源]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[为什么收到此消息]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… 另有 {{.OmittedCount}} 条（{{.OmittedFiring}} 条告警中，{{.OmittedResolved}} 条已恢复）{{with safeURL .GroupURL}}：[查看本组全部告警]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… 另有 {{.SourceOmitted}} 条告警未被来源发送（受其 max_alerts 限制）
{{- end}}
{{- with safeURL .ConsoleURL}}

---

[在 alertdesk 中查看]({{.}})
{{- end}}
`

const feishuBodyZh = `**{{if eq .Kind "test"}}[测试] {{end}}{{if eq .Status "firing"}}告警{{else}}告警恢复{{end}}：{{markdownEscape .RuleName}}**
**级别：**{{with .Severity}}` + severityZh + `{{else}}无{{end}}{{with .Team}} · **团队：**{{markdownEscape .}}{{end}} · **告警中：**{{.FiringCount}} · **已恢复：**{{.ResolvedCount}}
{{- range .Alerts}}

**{{markdownEscape .Name}}** · {{if eq .Status "firing"}}**告警中**{{else}}已恢复{{end}}
{{- with .Annotations.summary}}
{{markdownEscape .}}
{{- end}}
{{- with .Annotations.description}}
{{markdownEscape .}}
{{- end}}
标签：{{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}
{{- if .Values}}
数值：{{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}
开始时间：{{date "2006-01-02 15:04:05 MST" .StartsAt}}{{with sinceIn "zh-CN" .StartsAt}}（已持续{{.}}）{{end}}{{if eq .Status "resolved"}} · 恢复时间：{{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}
{{with safeURL .GeneratorURL}}[来源]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[为什么收到此消息]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… 另有 {{.OmittedCount}} 条（{{.OmittedFiring}} 条告警中，{{.OmittedResolved}} 条已恢复）{{with safeURL .GroupURL}}：[查看本组全部告警]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… 另有 {{.SourceOmitted}} 条告警未被来源发送（受其 max_alerts 限制）
{{- end}}
{{- with safeURL .ConsoleURL}}

[在 alertdesk 中查看]({{.}})
{{- end}}
`

const weComBodyZh = `{{if eq .Kind "test"}}[测试] {{end}}{{if eq .Status "firing"}}<font color="warning">**告警**</font>{{else}}<font color="info">**告警恢复**</font>{{end}} **{{markdownEscape .RuleName}}**
> 级别：<font color="comment">{{with .Severity}}` + severityZh + `{{else}}无{{end}}</font>{{with .Team}} · 团队：{{markdownEscape .}}{{end}} · 告警中：{{.FiringCount}} · 已恢复：{{.ResolvedCount}}
{{- range .Alerts}}

{{if eq .Status "firing"}}<font color="warning">**{{markdownEscape .Name}}**</font>{{else}}<font color="info">**{{markdownEscape .Name}}**</font>{{end}}{{with .Annotations.summary}} {{markdownEscape .}}{{end}}
{{- with .Annotations.description}}
{{markdownEscape . | quote}}
{{- end}}
> 标签：<font color="comment">{{range $i, $p := sortedPairs .Labels}}{{if $i}}, {{end}}{{markdownEscape $p}}{{end}}</font>
{{- if .Values}}
> 数值：{{range $k, $v := .Values}}{{markdownEscape $k}}={{$v}} {{end}}
{{- end}}
> 开始时间：{{date "2006-01-02 15:04:05 MST" .StartsAt}}{{if eq .Status "resolved"}} · 恢复时间：{{date "2006-01-02 15:04:05 MST" .EndsAt}}{{end}}
{{- if or (safeURL .GeneratorURL) (safeURL .WhyURL)}}
{{with safeURL .GeneratorURL}}[来源]({{.}}){{end}}{{if and (safeURL .GeneratorURL) (safeURL .WhyURL)}} · {{end}}{{with safeURL .WhyURL}}[为什么收到此消息]({{.}}){{end}}
{{- end}}
{{- end}}
{{- if .OmittedCount}}

… 另有 {{.OmittedCount}} 条（{{.OmittedFiring}} 条告警中，{{.OmittedResolved}} 条已恢复）{{with safeURL .GroupURL}}：[查看本组全部告警]({{.}}){{end}}
{{- end}}
{{- if .SourceOmitted}}

… 另有 {{.SourceOmitted}} 条告警未被来源发送（受其 max_alerts 限制）
{{- end}}
{{- with safeURL .ConsoleURL}}

[在 alertdesk 中查看]({{.}})
{{- end}}
`

// HumanDurationIn is HumanDuration in a language: LangChinese writes "3天4小时",
// "2小时3分", "5分12秒", "45秒" (whole units, days rounded to the minute as in English);
// any other language gets HumanDuration's "3d4h".
func HumanDurationIn(lang string, d time.Duration) string {
	if lang != LangChinese {
		return HumanDuration(d)
	}
	if d < 0 {
		d = 0
	}
	const day = 24 * time.Hour
	if d >= day {
		d = d.Round(time.Minute)
	} else {
		d = d.Round(time.Second)
	}
	days, rest := d/day, d%day
	h, rest := rest/time.Hour, rest%time.Hour
	m, rest := rest/time.Minute, rest%time.Minute
	s := rest / time.Second
	var b strings.Builder
	for _, u := range []struct {
		n    time.Duration
		unit string
	}{{days, "天"}, {h, "小时"}, {m, "分"}, {s, "秒"}} {
		if u.n > 0 {
			b.WriteString(strconv.FormatInt(int64(u.n), 10) + u.unit)
		}
	}
	if b.Len() == 0 {
		return "0秒"
	}
	return b.String()
}

// sinceIn is since in a language ("" for a zero time).
func sinceIn(lang string, now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return HumanDurationIn(lang, now.Sub(t))
}
