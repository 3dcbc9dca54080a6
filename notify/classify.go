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

// defaultRateRetry is the wait after an HTTP 429 from a platform without a spec.
const defaultRateRetry = time.Minute

// platformReply is the union of the platforms' response shapes; pointers tell
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
	spec := SpecOf(p)

	var rep platformReply
	parsed := false
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '{' {
		parsed = json.Unmarshal(trimmed, &rep) == nil
	}
	var code *json.RawMessage
	if spec.code != nil {
		var ok bool
		if code, o.PlatformMessage, ok = spec.code(rep); !ok {
			return classifyHTTP(o, p, true)
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
	spec.classify(spec, &o, c)
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
		o.RetryAfter = SpecOf(p).RateRetry
		if o.RetryAfter == 0 {
			o.RetryAfter = defaultRateRetry
		}
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
