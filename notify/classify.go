package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Class is what the delivery worker should do with an outcome.
type Class string

// Outcome classes.
const (
	Delivered     Class = "delivered"     // the platform accepted the message
	Retry         Class = "retry"         // transient: transport error, 5xx, busy, unknown answer
	RateLimited   Class = "rate_limited"  // retry after RetryAfter
	Misconfigured Class = "misconfigured" // robot settings are wrong: stop and tell the user
	Rejected      Class = "rejected"      // this message can never be delivered as it is
)

// Outcome is the classified result of one send.
type Outcome struct {
	Class           Class
	HTTPStatus      int    // 0 for transport errors
	Code            string // the platform's code as text, "" when absent
	PlatformMessage string // errmsg / msg
	Summary         string // one sentence for users
	RetryAfter      time.Duration
	Latency         time.Duration
	Response        string // raw response body, capped at 4 KiB
}

// Retry delays for rate-limit answers (docs/PLATFORMS.md §4.3).
const (
	minuteRetry = 60 * time.Second
	feishuRetry = time.Second
)

// platformReply is the union of the three response shapes; pointers tell
// "absent" from zero.
type platformReply struct {
	ErrCode    *json.RawMessage `json:"errcode"`
	ErrMsg     string           `json:"errmsg"`
	Code       *json.RawMessage `json:"code"`
	Msg        string           `json:"msg"`
	StatusCode *json.RawMessage `json:"StatusCode"`
	StatusMsg  string           `json:"StatusMessage"`
}

// Classify turns a webhook response into an Outcome (docs/PLATFORMS.md §1.6, §2.6, §3.4, §4).
// Success is decided by the platform's code only; a 2xx body that cannot be parsed or
// lacks the code is a failure of class Retry ("unknown response").
func Classify(p Platform, httpStatus int, body []byte) Outcome {
	o := Outcome{HTTPStatus: httpStatus, Response: capResponse(body)}
	name := p.Label()

	var rep platformReply
	parsed := false
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		parsed = json.Unmarshal(trimmed, &rep) == nil
	}
	var code *json.RawMessage
	switch p {
	case DingTalk, WeCom:
		code, o.PlatformMessage = rep.ErrCode, rep.ErrMsg
	case Feishu, Lark:
		code, o.PlatformMessage = rep.Code, rep.Msg
		if code == nil && rep.StatusCode != nil && rep.ErrCode == nil {
			// Legacy shape: only StatusCode. Accept it only when it looks successful.
			if string(*rep.StatusCode) == "0" && !strings.EqualFold(rep.StatusMsg, "success") {
				return classifyHTTP(o, p, true)
			}
			code, o.PlatformMessage = rep.StatusCode, rep.StatusMsg
		}
	}
	if !parsed || code == nil {
		return classifyHTTP(o, p, parsed)
	}
	c, err := strconv.Atoi(string(*code)) // a JSON number; a quoted "0" is not the platform's answer
	if err != nil {
		return classifyHTTP(o, p, true)
	}
	o.Code = strconv.Itoa(c)
	if c == 0 {
		if httpStatus >= 200 && httpStatus < 300 {
			o.Class = Delivered
			o.Summary = "Delivered"
			return o
		}
		// Code 0 with an error status is contradictory: trust neither.
		return classifyHTTP(o, p, false)
	}
	switch p {
	case DingTalk:
		classifyDingTalk(&o, c)
	case Feishu, Lark:
		classifyFeishu(&o, p, c)
	case WeCom:
		classifyWeCom(&o, c)
	}
	if o.Class == "" { // a code we do not know
		if httpStatus >= 500 {
			o.Class = Retry
			o.Summary = fmt.Sprintf("%s had a server error (HTTP %d, code %d: %s); it will be retried", name, httpStatus, c, shortMsg(o.PlatformMessage))
		} else {
			o.Class = Rejected
			o.Summary = fmt.Sprintf("%s refused the message with code %d: %s", name, c, shortMsg(o.PlatformMessage))
		}
	}
	return o
}

// classifyHTTP handles answers without a usable platform code.
func classifyHTTP(o Outcome, p Platform, parsed bool) Outcome {
	name := p.Label()
	s := o.HTTPStatus
	switch {
	case s == 429:
		o.Class = RateLimited
		o.RetryAfter = p.rateRetry()
		o.Summary = fmt.Sprintf("%s is rate limiting this robot (HTTP 429); sending will resume after %s", name, o.RetryAfter)
	case s >= 500:
		o.Class = Retry
		o.Summary = fmt.Sprintf("%s had a server error (HTTP %d); it will be retried", name, s)
	case s >= 300 && s < 400:
		o.Class = Misconfigured
		o.Summary = fmt.Sprintf("%s answered with a redirect (HTTP %d); check the webhook URL", name, s)
	case s == 404 || s == 401 || s == 403:
		o.Class = Misconfigured
		o.Summary = fmt.Sprintf("%s refused the webhook URL (HTTP %d); check that it was copied completely from the robot settings", name, s)
	case s >= 400:
		o.Class = Rejected
		o.Summary = fmt.Sprintf("%s refused the request (HTTP %d) without a reason", name, s)
	default:
		o.Class = Retry
		what := "a response without a result code"
		if !parsed {
			what = "a response that is not valid JSON"
		}
		o.Summary = fmt.Sprintf("%s sent an unknown response (HTTP %d, %s); the message may not have been delivered", name, s, what)
	}
	return o
}

func (p Platform) rateRetry() time.Duration {
	if p == Feishu || p == Lark {
		return feishuRetry
	}
	return minuteRetry
}

func classifyDingTalk(o *Outcome, c int) {
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
		o.RetryAfter = minuteRetry
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

func classifyFeishu(o *Outcome, p Platform, c int) {
	name := p.Label()
	lower := strings.ToLower(o.PlatformMessage)
	set := func(cl Class, text string) {
		o.Class = cl
		o.Summary = fmt.Sprintf("%s %s (%d)", name, text, c)
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
		o.RetryAfter = feishuRetry
		set(RateLimited, "is rate limiting this bot (more than 5 a second or 100 a minute); it will be retried shortly")
	case 9499:
		if strings.Contains(lower, "too many request") || strings.Contains(lower, "frequency") {
			o.RetryAfter = feishuRetry
			set(RateLimited, "is rate limiting this bot (too many requests); it will be retried shortly")
		} else {
			set(Rejected, "refused the request as malformed or larger than 20 KB")
		}
	}
}

func classifyWeCom(o *Outcome, c int) {
	set := func(cl Class, text string) {
		o.Class = cl
		o.Summary = fmt.Sprintf("WeCom %s (%d)", text, c)
	}
	switch c {
	case -1:
		set(Retry, "is busy; the message will be retried")
	case 45009:
		o.RetryAfter = minuteRetry
		set(RateLimited, "is rate limiting this robot (more than 20 messages a minute); sending will resume after a minute")
	case 45033:
		o.RetryAfter = minuteRetry
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

func capResponse(b []byte) string {
	if len(b) > maxResponseCapture {
		return strings.ToValidUTF8(string(b[:maxResponseCapture]), "")
	}
	return string(b)
}

func shortMsg(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "no reason given"
	}
	return cutBytes(s, 200)
}
