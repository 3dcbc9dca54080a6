package alerting

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
// markdownEscape.
func DefaultTemplates(platform string) (title, body string) {
	switch platform {
	case PlatformFeishu, PlatformLark:
		return defaultTitle, feishuBody
	case PlatformWeCom:
		return defaultTitle, weComBody
	}
	return defaultTitle, dingTalkBody
}
