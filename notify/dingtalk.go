package notify

import (
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

// DingTalk custom group robots (docs/PLATFORMS.md §1).
const DingTalk Platform = "dingtalk"

const dingTalkMaxBody = 20000 // whole request body

var dingTalkSpec = Spec{
	Platform:     DingTalk,
	Label:        "DingTalk",
	Protocol:     DingTalk,
	Host:         "oapi.dingtalk.com",
	Webhook:      Webhook{Path: "/robot/send", TokenParam: "access_token"},
	ExampleURL:   "https://oapi.dingtalk.com/robot/send?access_token=…",
	Secret:       true,
	SecretPrefix: "SEC",
	Keywords:     true,
	// docs/PLATFORMS.md §1.7: more than 20 a minute and the robot is throttled for 10 minutes.
	Windows:   []Window{{Per: time.Minute, N: 20, Penalty: 10 * time.Minute}},
	RateRetry: time.Minute,
	Limits: []ByteLimit{{MsgType: "markdown", Max: dingTalkMaxBody, Counts: "request body"},
		{MsgType: "actionCard", Max: dingTalkMaxBody, Counts: "request body"}},
	build:    dingTalkBuild,
	mention:  dingTalkMention,
	code:     errCode,
	classify: classifyDingTalk,
}

// DingTalkSign returns the raw (not percent-encoded) base64 signature for a
// DingTalk robot: HMAC-SHA256 with key = secret over tsMillis+"\n"+secret
// (docs/PLATFORMS.md §1.5). Put it into url.Values and let Encode escape it once.
func DingTalkSign(secret string, tsMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(tsMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// dingTalkBuild sends markdown, or an actionCard with buttons when the message carries
// actions and mentions nobody (an actionCard cannot @ anyone, docs/PLATFORMS.md §1.3); a
// signature goes into the query as timestamp+sign.
func dingTalkBuild(r Robot, plan MentionPlan, actions []Action, now time.Time, u *url.URL) (renderer, string) {
	if r.Secret != "" {
		ts := now.UnixMilli()
		q := u.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", DingTalkSign(r.Secret, ts))
		u.RawQuery = q.Encode()
	}
	if len(actions) > 0 && plan.Empty() {
		return dingTalkActionCardRenderer(actions), "actionCard"
	}
	return dingTalkRenderer(plan, actions), "markdown"
}

// dingTalkMention uses the mobile when known, else the DingTalk userId.
func dingTalkMention(pl *planner, pe Person) {
	if mobile := strings.TrimSpace(pe.Mobile); mobile != "" {
		pl.add(&pl.AtMobiles, "mobile", mobile, pe)
	} else if id := strings.TrimSpace(pe.DingTalkUserID); id != "" {
		pl.add(&pl.AtUserIDs, "userid", id, pe)
	} else {
		pl.skip(pe, "has no DingTalk mobile or userId")
	}
}

type dingTalkBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

// dingTalkRenderer: the text starts with "#### <title>"; mentions are listed in
// at.atMobiles/at.atUserIds/at.isAtAll and also written as "@mobile"/"@userid" at
// the end of the text (both are needed for a real @, docs/PLATFORMS.md §1.3).
func dingTalkRenderer(plan MentionPlan, actions []Action) renderer {
	suffix := actionLinks(actions) +
		mentionTail(append(append([]string(nil), plan.AtMobiles...), plan.AtUserIDs...), func(id string) string { return "@" + id })
	return renderer{limit: dingTalkMaxBody, render: func(title, text string) ([]byte, int) {
		var b dingTalkBody
		b.MsgType = "markdown"
		b.Markdown.Title = title
		b.Markdown.Text = "#### " + title + "\n\n" + text + suffix
		b.At.AtMobiles = nonNil(plan.AtMobiles)
		b.At.AtUserIDs = nonNil(plan.AtUserIDs)
		b.At.IsAtAll = plan.AtAll
		out := marshal(b)
		return out, len(out)
	}}
}

type dingTalkButton struct {
	Title     string `json:"title"`
	ActionURL string `json:"actionURL"`
}

type dingTalkActionCardBody struct {
	MsgType    string `json:"msgtype"`
	ActionCard struct {
		Title          string           `json:"title"`
		Text           string           `json:"text"`
		BtnOrientation string           `json:"btnOrientation"`
		Btns           []dingTalkButton `json:"btns"`
	} `json:"actionCard"`
}

// dingTalkActionCardRenderer: the markdown text as in dingTalkRenderer, the actions as
// buttons stacked vertically (seven do not fit side by side on a phone).
func dingTalkActionCardRenderer(actions []Action) renderer {
	btns := make([]dingTalkButton, len(actions))
	for i, a := range actions {
		btns[i] = dingTalkButton{Title: a.Label, ActionURL: a.URL}
	}
	return renderer{limit: dingTalkMaxBody, render: func(title, text string) ([]byte, int) {
		var b dingTalkActionCardBody
		b.MsgType = "actionCard"
		b.ActionCard.Title = title
		b.ActionCard.Text = "#### " + title + "\n\n" + text
		b.ActionCard.BtnOrientation = "0"
		b.ActionCard.Btns = btns
		out := marshal(b)
		return out, len(out)
	}}
}

// errCode reads the errcode/errmsg answer of DingTalk and WeCom.
func errCode(rep platformReply) (*json.RawMessage, string, bool) {
	return rep.ErrCode, rep.ErrMsg, true
}

// classifyDingTalk knows the codes of docs/PLATFORMS.md §1.6.
func classifyDingTalk(s Spec, o *Outcome, c int) {
	msg := o.PlatformMessage
	lower := strings.ToLower(msg)
	set := func(cl Class, text string) {
		o.Class = cl
		o.Summary = fmt.Sprintf("DingTalk %s (%d)", text, c)
	}
	switch {
	case c == -1:
		set(Retry, "is busy; the message will be retried")
	case c == 410100 || c == 130101:
		o.RetryAfter = s.RateRetry
		set(RateLimited, "is throttling this robot for sending more than 20 messages a minute; sending will resume in a minute or more (the throttle can last 10 minutes)")
	case c == 310000:
		switch {
		case strings.Contains(lower, "timestamp") || strings.Contains(msg, "过期") || strings.Contains(msg, "时间戳"):
			set(Misconfigured, "refused the signature timestamp: this server's clock is more than an hour off; fix the clock (the message is signed fresh on every send)")
		case strings.Contains(lower, "keyword") || strings.Contains(msg, "关键词"):
			set(Misconfigured, "refused the message: none of the robot's keywords appears in it; enter the keywords set in DingTalk in this robot's settings")
		case strings.Contains(lower, "sign") || strings.Contains(msg, "签名"):
			set(Misconfigured, "refused the signature; check the signing secret (it starts with SEC)")
		case strings.Contains(lower, "whitelist") || strings.Contains(lower, "ip ") || strings.Contains(msg, "白名单") || strings.Contains(msg, "IP"):
			set(Misconfigured, "refused this server's IP address; add it to the robot's IP allowlist")
		default:
			set(Misconfigured, "refused the message in its security check: check the robot's keywords, signing secret and IP allowlist")
		}
	case c == 300001 || c == 300005 || c == 400101:
		set(Misconfigured, "does not know this robot's access token; copy the webhook URL again from the robot settings")
	case c == 400102:
		set(Misconfigured, "says the robot is disabled; enable it in the group settings")
	case c == 400013:
		set(Misconfigured, "says the group was dissolved")
	case c == 400106:
		set(Misconfigured, "says the robot does not exist or was removed from the group")
	case c == 400105:
		set(Rejected, "does not support this message type")
	case c == 400402:
		set(Rejected, "refused a missing or invalid parameter")
	case c == 40035:
		set(Rejected, "refused the request: a parameter is missing")
	case c == 43002:
		set(Rejected, "refused the request: it must be a POST")
	case c == 43004:
		set(Rejected, "refused the request: the Content-Type must be application/json")
	case c >= 430101 && c <= 430104:
		set(Rejected, "refused the content as unsafe or inappropriate")
	case strings.Contains(lower, "body") && (strings.Contains(msg, "大小") || strings.Contains(lower, "size") || strings.Contains(lower, "20000")):
		set(Rejected, "refused the message because it is larger than 20000 bytes")
	}
}
