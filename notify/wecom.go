package notify

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// WeCom group robots (docs/PLATFORMS.md §3).
const WeCom Platform = "wecom"

const (
	weComMaxText     = 2048 // text.content
	weComMaxMarkdown = 4096 // markdown.content
)

var weComSpec = Spec{
	Platform:   WeCom,
	Label:      "WeCom",
	Protocol:   WeCom,
	Host:       "qyapi.weixin.qq.com",
	Webhook:    Webhook{Path: "/cgi-bin/webhook/send", TokenParam: "key"},
	ExampleURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
	// WeCom robots have neither a signing secret nor keywords.
	// docs/PLATFORMS.md §3.5: 20 a minute per robot, no penalty.
	Windows:   []Window{{Per: time.Minute, N: 20}},
	RateRetry: time.Minute,
	Limits: []ByteLimit{
		{MsgType: "markdown", Max: weComMaxMarkdown, Counts: "markdown.content"},
		{MsgType: "text", Max: weComMaxText, Counts: "text.content"},
	},
	build:    weComBuild,
	mention:  weComMention,
	code:     errCode,
	classify: classifyWeCom,
}

// weComBuild sends markdown with "<@userid>" in the content. When a person can
// only be reached by mobile, or @all is asked for, markdown cannot mention them,
// so a "text" message is sent instead with mentioned_list / mentioned_mobile_list
// ("@all" in mentioned_list), and the markdown is sent as plain text.
//
// Actions are markdown links (or "Label: URL" lines in a text message): a template_card
// holds at most three jump links and cannot mention anyone.
func weComBuild(_ Robot, plan MentionPlan, actions []Action, _ time.Time, _ *url.URL) (renderer, string) {
	if len(plan.WeComMobiles) > 0 || plan.AtAll {
		return weComTextRenderer(plan, actions), "text"
	}
	return weComMarkdownRenderer(plan, actions), "markdown"
}

// weComMention uses the userid when known, else the mobile (which forces a text message).
func weComMention(pl *planner, pe Person) {
	if id := strings.TrimSpace(pe.WeComUserID); id != "" {
		pl.add(&pl.WeComUserIDs, "userid", id, pe)
	} else if mobile := strings.TrimSpace(pe.Mobile); mobile != "" {
		pl.add(&pl.WeComMobiles, "mobile", mobile, pe)
	} else {
		pl.skip(pe, "has no WeCom userid or mobile")
	}
}

type weComMarkdownBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

type weComTextBody struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content             string   `json:"content"`
		MentionedList       []string `json:"mentioned_list,omitempty"`
		MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
	} `json:"text"`
}

// weComMarkdownRenderer measures markdown.content, as the platform does.
func weComMarkdownRenderer(plan MentionPlan, actions []Action) renderer {
	suffix := actionLinks(actions) + mentionTail(plan.WeComUserIDs, func(id string) string { return "<@" + id + ">" })
	return renderer{limit: weComMaxMarkdown, render: func(title, text string) ([]byte, int) {
		var b weComMarkdownBody
		b.MsgType = "markdown"
		b.Markdown.Content = "### " + title + "\n\n" + text + suffix
		return marshal(b), len(b.Markdown.Content)
	}}
}

// weComTextRenderer measures text.content, as the platform does. A text message renders
// no markup, so the markdown the templates write is turned into plain text first.
func weComTextRenderer(plan MentionPlan, actions []Action) renderer {
	suffix := actionLines(actions)
	users := append([]string(nil), plan.WeComUserIDs...)
	if plan.AtAll {
		users = append(users, "@all")
	}
	return renderer{limit: weComMaxText, render: func(title, text string) ([]byte, int) {
		var b weComTextBody
		b.MsgType = "text"
		b.Text.Content = title + "\n\n" + PlainText(text) + suffix
		b.Text.MentionedList = users
		b.Text.MentionedMobileList = plan.WeComMobiles
		return marshal(b), len(b.Text.Content)
	}}
}

// classifyWeCom knows the codes of docs/PLATFORMS.md §3.4.
func classifyWeCom(s Spec, o *Outcome, c int) {
	set := func(cl Class, text string) {
		o.Class = cl
		o.Summary = fmt.Sprintf("WeCom %s (%d)", text, c)
	}
	switch c {
	case -1:
		set(Retry, "is busy; the message will be retried")
	case 45009:
		o.RetryAfter = s.RateRetry
		set(RateLimited, "is rate limiting this robot (more than 20 messages a minute); sending will resume after a minute")
	case 45033:
		o.RetryAfter = s.RateRetry
		set(RateLimited, "refused too many concurrent calls; it will be retried")
	case 93000:
		set(Misconfigured, "does not know this webhook key; the robot was removed from the group or the URL is wrong, copy it again")
	case 40008:
		set(Rejected, "does not support this message type")
	case 40058:
		set(Rejected, "refused the message because its content is too long")
	case 44004:
		set(Rejected, "refused the message because its content is empty")
	case 40035, 40063:
		set(Rejected, "refused an invalid or empty parameter")
	case 45002:
		set(Rejected, "refused the message because it is too large")
	case 40007, 41006:
		set(Rejected, "refused an invalid or expired media_id")
	}
}

var (
	fontTag      = regexp.MustCompile(`</?font[^>]*>`)
	markdownLink = regexp.MustCompile(`\[([^\]\n]*)\]\(([^)\s]+)\)`)
	escaped      = regexp.MustCompile(`\\([\\*_\x60\[\]~|#+=.-])`)
)

// PlainText turns the markdown of the default templates into what a platform that renders
// none should show: no <font> tags, no ** or heading marks, links as "label: URL",
// markdown escapes and HTML entities undone. Quote marks stay: "> " reads fine as text.
func PlainText(md string) string {
	s := fontTag.ReplaceAllString(md, "")
	s = markdownLink.ReplaceAllString(s, "$1: $2")
	s = strings.ReplaceAll(s, "**", "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		l = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(l, "### "), "## "), "# ")
		if l == "---" {
			l = ""
		}
		lines[i] = l
	}
	s = escaped.ReplaceAllString(strings.Join(lines, "\n"), "$1")
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}
