package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Feishu custom bots (docs/PLATFORMS.md §2), and Lark, the same protocol on
// another host.
const (
	Feishu Platform = "feishu"
	Lark   Platform = "lark"
)

const feishuMaxBody = 20000 // whole request body ("20 KB"; 20 000 to be safe)

var (
	feishuSpec = feishuFamily(Feishu, "Feishu", "open.feishu.cn")
	larkSpec   = feishuFamily(Lark, "Lark", "open.larksuite.com")
)

// feishuFamily is the spec of a platform speaking Feishu's protocol on host.
func feishuFamily(p Platform, label, host string) Spec {
	return Spec{
		Platform: p,
		Label:    label,
		Protocol: Feishu,
		Host:     host,
		Webhook: Webhook{Path: "/open-apis/bot/v2/hook/",
			LegacyPath:   "/open-apis/bot/hook/",
			LegacyAdvice: "this is a legacy v1 hook URL; create the custom bot again to get a /open-apis/bot/v2/hook/ URL"},
		ExampleURL: "https://" + host + "/open-apis/bot/v2/hook/…",
		Secret:     true,
		Keywords:   true,
		// docs/PLATFORMS.md §2.7: 5 a second and 100 a minute per bot, no penalty.
		Windows:   []Window{{Per: time.Second, N: 5}, {Per: time.Minute, N: 100}},
		RateRetry: time.Second,
		Limits:    []ByteLimit{{MsgType: "interactive", Max: feishuMaxBody, Counts: "request body"}},
		build:     feishuBuild,
		mention:   feishuMention,
		code:      feishuCode,
		classify:  classifyFeishu,
		maskBody:  feishuMaskBody,
	}
}

// FeishuSign returns the body "sign" value for a Feishu/Lark bot: HMAC-SHA256
// with key = tsSeconds+"\n"+secret over an empty message, base64, not URL-encoded
// (docs/PLATFORMS.md §2.5). Note the key/message inversion compared with DingTalk.
func FeishuSign(secret string, tsSeconds int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(tsSeconds, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// feishuBuild sends an interactive card; a signature goes into the body as
// "timestamp" (string, seconds) and "sign".
func feishuBuild(r Robot, plan MentionPlan, actions []Action, now time.Time, _ *url.URL) (renderer, string) {
	ts, sign := "", ""
	if r.Secret != "" {
		sec := now.Unix()
		ts, sign = strconv.FormatInt(sec, 10), FeishuSign(r.Secret, sec)
	}
	return feishuRenderer(plan, actions, ts, sign), "interactive"
}

// feishuMention uses the open_id (the platforms accept no mobile or e-mail).
func feishuMention(pl *planner, pe Person) {
	if id := strings.TrimSpace(pe.FeishuOpenID); id != "" {
		pl.add(&pl.FeishuIDs, "open_id", id, pe)
	} else {
		pl.skip(pe, "has no "+pl.label+" open_id or user_id")
	}
}

type larkText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type feishuBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Card      struct {
		Config struct {
			WideScreenMode bool `json:"wide_screen_mode"`
		} `json:"config"`
		Header struct {
			Title larkText `json:"title"`
		} `json:"header"`
		Elements []feishuElement `json:"elements"`
	} `json:"card"`
}

// feishuElement is a div (Text) or an action row of buttons (Actions).
type feishuElement struct {
	Tag     string         `json:"tag"`
	Text    *larkText      `json:"text,omitempty"`
	Actions []feishuButton `json:"actions,omitempty"`
}

// feishuButton opens URL in the reader's browser (a card button with "url" is an
// open_url button; it needs no callback server).
type feishuButton struct {
	Tag  string   `json:"tag"`
	Text larkText `json:"text"`
	Type string   `json:"type"`
	URL  string   `json:"url"`
}

// feishuRenderer builds a legacy card (top-level "card" key): a plain_text header
// holding the title and one div with a lark_md text holding the body. We chose the
// card over post/text because only cards render markdown. Mentions are written the
// card way, <at id=ou_xxx></at> and <at id=all></at>, at the end of the lark_md text.
//
// Actions are open_url buttons in an action row below the text: cards keep mentions, so
// a Feishu message has its buttons whoever it mentions.
func feishuRenderer(plan MentionPlan, actions []Action, ts, sign string) renderer {
	ids := plan.FeishuIDs
	if plan.AtAll {
		ids = append([]string{"all"}, ids...)
	}
	suffix := mentionTail(ids, func(id string) string { return "<at id=" + id + "></at>" })
	var buttons []feishuButton
	for i, a := range actions {
		kind := "default"
		if i == 0 {
			kind = "primary"
		}
		buttons = append(buttons, feishuButton{Tag: "button", Text: larkText{Tag: "plain_text", Content: a.Label}, Type: kind, URL: a.URL})
	}
	return renderer{limit: feishuMaxBody, render: func(title, text string) ([]byte, int) {
		var b feishuBody
		b.Timestamp, b.Sign = ts, sign
		b.MsgType = "interactive"
		b.Card.Config.WideScreenMode = true
		b.Card.Header.Title = larkText{Tag: "plain_text", Content: title}
		b.Card.Elements = []feishuElement{{Tag: "div", Text: &larkText{Tag: "lark_md", Content: text + suffix}}}
		if len(buttons) > 0 {
			b.Card.Elements = append(b.Card.Elements, feishuElement{Tag: "action", Actions: buttons})
		}
		out := marshal(b)
		return out, len(out)
	}}
}

// feishuMaskBody masks the body's "sign" field.
func feishuMaskBody(body []byte) []byte {
	var v struct {
		Sign string `json:"sign"`
	}
	if json.Unmarshal(body, &v) != nil || v.Sign == "" {
		return body
	}
	return bytes.Replace(body, []byte(`"sign":"`+v.Sign+`"`), []byte(`"sign":"`+Mask(v.Sign)+`"`), 1)
}

// feishuCode reads code/msg, or the legacy shape with only StatusCode, which is
// accepted only when it looks successful.
func feishuCode(rep platformReply) (*json.RawMessage, string, bool) {
	if rep.Code == nil && rep.StatusCode != nil && rep.ErrCode == nil {
		if string(*rep.StatusCode) == "0" && !strings.EqualFold(rep.StatusMsg, "success") {
			return nil, rep.Msg, false
		}
		return rep.StatusCode, rep.StatusMsg, true
	}
	return rep.Code, rep.Msg, true
}

// classifyFeishu knows the codes of docs/PLATFORMS.md §2.6.
func classifyFeishu(s Spec, o *Outcome, c int) {
	lower := strings.ToLower(o.PlatformMessage)
	set := func(cl Class, text string) {
		o.Class = cl
		o.Summary = fmt.Sprintf("%s %s (%d)", s.Label, text, c)
	}
	switch c {
	case 19021:
		set(Misconfigured, "refused the signature: check the signing secret, and that this server's clock is right")
	case 19022:
		set(Misconfigured, "refused this server's IP address; add it to the bot's IP allowlist")
	case 19024:
		set(Misconfigured, "refused the message: none of the bot's keywords appears in it; enter the keywords set in the bot's security settings in this robot's settings")
	case 19001:
		set(Misconfigured, "does not know this webhook; the bot was deleted or the URL is wrong, copy it again from the bot settings")
	case 19002:
		set(Rejected, "refused the request: a parameter is missing or invalid")
	case 11232:
		o.RetryAfter = s.RateRetry
		set(RateLimited, "is rate limiting this bot (more than 5 a second or 100 a minute); it will be retried shortly")
	case 9499:
		if strings.Contains(lower, "too many request") || strings.Contains(lower, "frequency") {
			o.RetryAfter = s.RateRetry
			set(RateLimited, "is rate limiting this bot (too many requests); it will be retried shortly")
		} else {
			set(Rejected, "refused the request as malformed or larger than 20 KB")
		}
	}
}
