// Package notify renders, signs, sends and classifies alert messages for the
// group-robot webhooks of DingTalk, Feishu/Lark and WeCom.
//
// The wire details follow docs/PLATFORMS.md. The package only depends on
// the standard library; the consumer (the delivery worker, the test-send
// handler) declares the small interface it needs.
//
// Everything the package knows about one platform is in that platform's file
// (dingtalk.go, feishu.go for Feishu and Lark, wecom.go) as a Spec; the generic
// code (Prepare, Classify, CheckWebhook, PlanMentions, the sandbox) looks the
// platform up with SpecOf and never switches on it. To add a platform:
//
//  1. write <platform>.go with its Platform constant and a Spec (every field is
//     required unless its comment says it is optional),
//  2. add the spec to registry below (its place there is its place in Platforms),
//  3. add <platform>_test.go with its message shapes, answers and signing vectors,
//  4. add its emulator in notify/sandbox (<platform>.go there, registered in emulators).
//
// TestRegistryComplete and the sandbox's TestEmulatorsComplete fail until every
// piece is there.
package notify

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Platform names a chat platform whose group robots we can post to.
type Platform string

// registry holds every supported platform's spec in display order.
var registry = []Spec{dingTalkSpec, feishuSpec, larkSpec, weComSpec}

// specs indexes registry by platform.
var specs = func() map[Platform]Spec {
	m := make(map[Platform]Spec, len(registry))
	for _, s := range registry {
		m[s.Platform] = s
	}
	return m
}()

// Platforms lists every supported platform in display order.
var Platforms = func() []Platform {
	ps := make([]Platform, len(registry))
	for i, s := range registry {
		ps[i] = s.Platform
	}
	return ps
}()

// Spec is the whole of what the console knows about one platform's group robots.
type Spec struct {
	Platform Platform
	Label    string // the name shown to users
	// Protocol is the platform whose wire protocol this one speaks: itself, or
	// Feishu for Lark (same paths, bodies and answers on another host).
	Protocol   Platform
	Host       string  // the only official host of the webhooks
	Webhook    Webhook // where the token sits in a webhook URL
	ExampleURL string  // what a webhook URL looks like, for form hints and error messages

	Secret bool // robots can require a signature
	// SecretPrefix is how every signing secret of the platform starts ("SEC" for
	// DingTalk); optional, "" when secrets have no fixed prefix.
	SecretPrefix string
	Keywords     bool // robots can require custom keywords

	// Windows are the documented per-robot rate limits, shortest first.
	Windows []Window
	// RateRetry is how long to wait after a rate-limit answer that does not say
	// which window was hit (docs/PLATFORMS.md §4.3).
	RateRetry time.Duration

	// Limits are the byte limits Prepare holds messages to, one per message type
	// it sends; the first is the default type's.
	Limits []ByteLimit

	// build returns the renderer and message type for a message to r mentioning
	// plan and carrying actions, signing with timestamp now; it may add signing
	// parameters to u.
	build func(r Robot, plan MentionPlan, actions []Action, now time.Time, u *url.URL) (renderer, string)
	// mention adds one person to a plan (or says why they were skipped).
	mention func(pl *planner, pe Person)
	// code picks the platform's result code and message out of an answer;
	// ok false means the answer is a shape the platform does not give on success.
	code func(rep platformReply) (code *json.RawMessage, msg string, ok bool)
	// classify sets o.Class, o.Summary (and RetryAfter) for a non-zero code it
	// knows; it leaves o.Class empty for a code it does not.
	classify func(s Spec, o *Outcome, code int)
	// maskBody hides a credential carried in the request body; optional, nil
	// when the body carries none.
	maskBody func(body []byte) []byte
}

// WebhookURL is the official webhook URL of the robot with token.
func (s Spec) WebhookURL(token string) string { return "https://" + s.Host + s.Webhook.URL(token) }

// Webhook describes where the robot's token sits in a webhook URL.
type Webhook struct {
	// Path is the exact path when the token is a query parameter, or the path
	// prefix the token follows when TokenParam is "".
	Path       string
	TokenParam string // "access_token", "key"; "" = the token is the last path segment
	// LegacyPath is the path of an older kind of hook URL the platform no longer
	// accepts, and LegacyAdvice what to tell a user who pasted one; optional.
	LegacyPath   string
	LegacyAdvice string
}

// URL is the path and query of the webhook of token, relative to the host.
func (w Webhook) URL(token string) string {
	if w.TokenParam == "" {
		return w.Path + url.PathEscape(token)
	}
	return w.Path + "?" + w.TokenParam + "=" + url.QueryEscape(token)
}

// matches reports whether path is (a mounted copy of) this webhook's path.
func (w Webhook) matches(path string) bool {
	if w.TokenParam == "" {
		return strings.Contains(path, w.Path) || w.LegacyPath != "" && strings.Contains(path, w.LegacyPath)
	}
	return strings.HasSuffix(path, w.Path)
}

// Window is one rate limit: at most N accepted messages per Per. A platform that
// punishes going over refuses everything for Penalty afterwards (DingTalk: 10
// minutes); Penalty is 0 when it does not.
type Window struct {
	Per     time.Duration
	N       int
	Penalty time.Duration
}

// ByteLimit is the size limit of one message type: Max bytes of Counts.
type ByteLimit struct {
	MsgType string // "markdown", "interactive", "text"
	Max     int
	Counts  string // what the platform measures: "request body", "markdown.content", …
}

// SpecOf returns p's spec; the zero Spec for an unknown platform. Its slices are
// copies: changing them does not change the platform.
func SpecOf(p Platform) Spec {
	s := specs[p]
	s.Windows = slices.Clone(s.Windows)
	s.Limits = slices.Clone(s.Limits)
	return s
}

// LabelList joins the labels of all platforms for a sentence:
// LabelList("or") is "DingTalk, Feishu, Lark or WeCom".
func LabelList(conj string) string {
	labels := make([]string, len(registry))
	for i, s := range registry {
		labels[i] = s.Label
	}
	if len(labels) < 2 {
		return strings.Join(labels, "")
	}
	return strings.Join(labels[:len(labels)-1], ", ") + " " + conj + " " + labels[len(labels)-1]
}

// Protocols lists the platforms that speak their own protocol (Lark, which
// speaks Feishu's, is left out), in display order.
func Protocols() []Platform {
	var ps []Platform
	for _, s := range registry {
		if s.Protocol == s.Platform {
			ps = append(ps, s.Platform)
		}
	}
	return ps
}

// ProtocolLabel names every platform speaking p's protocol: "Feishu / Lark".
func ProtocolLabel(p Platform) string {
	var labels []string
	for _, s := range registry {
		if s.Protocol == SpecOf(p).Protocol {
			labels = append(labels, s.Label)
		}
	}
	return strings.Join(labels, " / ")
}

// ParsePlatform accepts a platform name (case-insensitive, surrounding spaces ignored).
func ParsePlatform(s string) (Platform, bool) {
	p := Platform(strings.ToLower(strings.TrimSpace(s)))
	return p, p.Valid()
}

// Valid reports whether p is one of Platforms.
func (p Platform) Valid() bool {
	_, ok := specs[p]
	return ok
}

// Label is the name shown to users.
func (p Platform) Label() string {
	if s, ok := specs[p]; ok {
		return s.Label
	}
	return string(p)
}

// SupportsSecret reports whether robots of p can require a signature.
func (p Platform) SupportsSecret() bool { return specs[p].Secret }

// SupportsKeywords reports whether robots of p can require custom keywords.
func (p Platform) SupportsKeywords() bool { return specs[p].Keywords }

// ExampleURL is what a webhook URL of p looks like, for form hints and error messages.
func (p Platform) ExampleURL() string { return specs[p].ExampleURL }

// OfficialHost is the only host the platform's webhooks live on.
func (p Platform) OfficialHost() string { return specs[p].Host }

// Windows are p's documented per-robot rate limits, shortest first.
func (p Platform) Windows() []Window { return slices.Clone(specs[p].Windows) }

// Limit is a send-rate budget per robot. Zero fields mean "no limit of that kind".
type Limit struct {
	PerSecond int
	PerMinute int
}

// Limit is the platform's documented per-robot rate limit (docs/PLATFORMS.md §1.7,
// §2.7, §3.5): its one-second and one-minute windows.
func (p Platform) Limit() Limit {
	var l Limit
	for _, w := range specs[p].Windows {
		switch w.Per {
		case time.Second:
			l.PerSecond = w.N
		case time.Minute:
			l.PerMinute = w.N
		}
	}
	return l
}

// MaxBytes is the byte limit Prepare applies for p's default message type: the
// whole JSON request body for DingTalk and Feishu/Lark, markdown.content for WeCom.
// (WeCom text messages, used when mobiles or @all must be mentioned, are held to 2048
// bytes of text.content; see Spec.Limits.)
func (p Platform) MaxBytes() int {
	if ls := specs[p].Limits; len(ls) > 0 {
		return ls[0].Max
	}
	return 0
}

// SignatureWindow is how far a signed request's timestamp may be from the
// platform's clock (DingTalk ±1 h, Feishu 1 h).
const SignatureWindow = time.Hour
