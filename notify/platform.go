// Package notify renders, signs, sends and classifies alert messages for the
// group-robot webhooks of DingTalk, Feishu/Lark and WeCom.
//
// The wire details follow docs/PLATFORMS.md. The package only depends on
// the standard library; the consumer (the delivery worker, the test-send
// handler) declares the small interface it needs.
package notify

import "strings"

// Platform names a chat platform whose group robots we can post to.
type Platform string

// The supported platforms. Feishu and Lark share one protocol; only the host differs.
const (
	DingTalk Platform = "dingtalk"
	Feishu   Platform = "feishu"
	Lark     Platform = "lark"
	WeCom    Platform = "wecom"
)

// Platforms lists every supported platform in display order.
var Platforms = []Platform{DingTalk, Feishu, Lark, WeCom}

// ParsePlatform accepts a platform name (case-insensitive, surrounding spaces ignored).
func ParsePlatform(s string) (Platform, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, p := range Platforms {
		if string(p) == s {
			return p, true
		}
	}
	return "", false
}

// Valid reports whether p is one of Platforms.
func (p Platform) Valid() bool {
	switch p {
	case DingTalk, Feishu, Lark, WeCom:
		return true
	}
	return false
}

// Label is the name shown to users.
func (p Platform) Label() string {
	switch p {
	case DingTalk:
		return "DingTalk"
	case Feishu:
		return "Feishu"
	case Lark:
		return "Lark"
	case WeCom:
		return "WeCom"
	}
	return string(p)
}

// SupportsSecret reports whether robots of p can require a signature.
func (p Platform) SupportsSecret() bool { return p == DingTalk || p == Feishu || p == Lark }

// SupportsKeywords reports whether robots of p can require custom keywords.
func (p Platform) SupportsKeywords() bool { return p.SupportsSecret() }

// ExampleURL is what a webhook URL of p looks like, for form hints and error messages.
func (p Platform) ExampleURL() string {
	switch p {
	case DingTalk:
		return "https://oapi.dingtalk.com/robot/send?access_token=…"
	case Feishu:
		return "https://open.feishu.cn/open-apis/bot/v2/hook/…"
	case Lark:
		return "https://open.larksuite.com/open-apis/bot/v2/hook/…"
	case WeCom:
		return "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
	}
	return ""
}

// OfficialHost is the only host the platform's webhooks live on.
func (p Platform) OfficialHost() string {
	switch p {
	case DingTalk:
		return "oapi.dingtalk.com"
	case Feishu:
		return "open.feishu.cn"
	case Lark:
		return "open.larksuite.com"
	case WeCom:
		return "qyapi.weixin.qq.com"
	}
	return ""
}

// Limit is a send-rate budget per robot. Zero fields mean "no limit of that kind".
type Limit struct {
	PerSecond int
	PerMinute int
}

// Limit is the platform's documented per-robot rate limit (docs/PLATFORMS.md §1.7, §2.7, §3.5).
func (p Platform) Limit() Limit {
	switch p {
	case DingTalk, WeCom:
		return Limit{PerMinute: 20}
	case Feishu, Lark:
		return Limit{PerSecond: 5, PerMinute: 100}
	}
	return Limit{}
}

// Byte limits used by Prepare.
const (
	dingTalkMaxBody    = 20000 // whole request body
	feishuMaxBody      = 20000 // whole request body ("20 KB"; 20 000 to be safe)
	weComMaxText       = 2048  // text.content
	weComMaxMarkdown   = 4096  // markdown.content
	maxTitleBytes      = 256   // titles are cut to this many bytes before anything else
	maxResponseCapture = 4096  // Outcome.Response cap
)

// MaxBytes is the byte limit Prepare applies for p's default message type: the
// whole JSON request body for DingTalk and Feishu/Lark, markdown.content for WeCom.
// (WeCom text messages, used when mobiles or @all must be mentioned, are held to 2048
// bytes of text.content.)
func (p Platform) MaxBytes() int {
	switch p {
	case DingTalk:
		return dingTalkMaxBody
	case Feishu, Lark:
		return feishuMaxBody
	case WeCom:
		return weComMaxMarkdown
	}
	return 0
}
