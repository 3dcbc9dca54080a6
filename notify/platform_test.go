package notify

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestRegistryComplete fails when a registered platform lacks a piece of its
// spec, so a platform cannot be half-added.
func TestRegistryComplete(t *testing.T) {
	if len(registry) == 0 || len(specs) != len(registry) || len(Platforms) != len(registry) {
		t.Fatalf("registry %d, specs %d, Platforms %d: a platform is registered twice", len(registry), len(specs), len(Platforms))
	}
	hosts := map[string]Platform{}
	for _, s := range registry {
		t.Run(string(s.Platform), func(t *testing.T) {
			p := s.Platform
			if p == "" || string(p) != strings.ToLower(strings.TrimSpace(string(p))) {
				t.Errorf("platform name %q must be lower case without spaces", p)
			}
			if s.Label == "" || p.Label() != s.Label {
				t.Errorf("Label %q", s.Label)
			}
			if proto, ok := specs[s.Protocol]; !ok || proto.Protocol != s.Protocol {
				t.Errorf("Protocol %q is not a registered platform speaking its own protocol", s.Protocol)
			} else if proto.Webhook != s.Webhook {
				t.Errorf("Webhook %+v differs from its protocol's %+v", s.Webhook, proto.Webhook)
			}
			if s.Host == "" || strings.ContainsAny(s.Host, "/:") {
				t.Errorf("Host %q must be a bare host name", s.Host)
			}
			if other, dup := hosts[s.Host]; dup {
				t.Errorf("Host %q is also %s's", s.Host, other)
			}
			hosts[s.Host] = p
			if !strings.HasPrefix(s.Webhook.Path, "/") {
				t.Errorf("Webhook.Path %q", s.Webhook.Path)
			}
			if s.Webhook.TokenParam == "" && !strings.HasSuffix(s.Webhook.Path, "/") {
				t.Errorf("Webhook.Path %q must end with / when the token follows it", s.Webhook.Path)
			}
			if (s.Webhook.LegacyPath == "") != (s.Webhook.LegacyAdvice == "") {
				t.Errorf("LegacyPath %q needs LegacyAdvice and the other way round", s.Webhook.LegacyPath)
			}
			if want := s.WebhookURL("…"); s.ExampleURL != strings.ReplaceAll(want, url.PathEscape("…"), "…") &&
				s.ExampleURL != strings.ReplaceAll(want, url.QueryEscape("…"), "…") {
				t.Errorf("ExampleURL %q does not match host and webhook (%q)", s.ExampleURL, want)
			}
			if err := (HostPolicy{}).CheckWebhook(p, s.WebhookURL("tok-1_A")); err != nil {
				t.Errorf("CheckWebhook refuses the spec's own URL: %v", err)
			}
			own, _ := url.Parse(s.WebhookURL("tok"))
			if got, ok := platformByPath(own.EscapedPath()); !ok || specs[got].Protocol != s.Protocol {
				t.Errorf("platformByPath(%q) = %q %v", own.EscapedPath(), got, ok)
			}
			if !s.Secret && s.SecretPrefix != "" {
				t.Errorf("SecretPrefix %q without Secret", s.SecretPrefix)
			}
			if len(s.Windows) == 0 {
				t.Error("no rate-limit Windows")
			}
			for i, w := range s.Windows {
				if w.Per <= 0 || w.N <= 0 || w.Penalty < 0 {
					t.Errorf("Window %+v", w)
				}
				if i > 0 && w.Per <= s.Windows[i-1].Per {
					t.Errorf("Windows must be shortest first: %+v", s.Windows)
				}
			}
			if s.RateRetry <= 0 {
				t.Error("no RateRetry")
			}
			if len(s.Limits) == 0 || p.MaxBytes() != s.Limits[0].Max {
				t.Errorf("Limits %+v", s.Limits)
			}
			for _, l := range s.Limits {
				if l.MsgType == "" || l.Max <= 0 || l.Counts == "" {
					t.Errorf("ByteLimit %+v", l)
				}
			}
			if s.build == nil || s.mention == nil || s.code == nil || s.classify == nil {
				t.Fatalf("build %v, mention %v, code %v, classify %v: a behaviour is missing",
					s.build != nil, s.mention != nil, s.code != nil, s.classify != nil)
			}
			checkBuild(t, s)
			checkMentions(t, s)
			checkAnswers(t, s)
		})
	}
}

// checkBuild: every message type the builder picks has a ByteLimit, which is the
// one its renderer holds to, and a signature never reaches the masked copy.
func checkBuild(t *testing.T, s Spec) {
	t.Helper()
	everyone := []Person{alice, bob, carol, dave}
	used := map[string]bool{}
	for _, people := range [][]Person{nil, everyone} {
		for _, atAll := range []bool{false, true} {
			for _, actions := range [][]Action{nil, {{Label: "Acknowledge", URL: "https://console.example/act/x"}}} {
				plan := PlanMentions(s.Platform, people, atAll)
				u, _ := url.Parse(s.WebhookURL(longToken))
				rd, msgType := s.build(Robot{Platform: s.Platform}, plan, actions, time.Unix(1700000000, 0), u)
				i := slices.IndexFunc(s.Limits, func(l ByteLimit) bool { return l.MsgType == msgType })
				if i < 0 {
					t.Errorf("build picks message type %q, which has no ByteLimit", msgType)
					continue
				}
				used[msgType] = true
				if rd.limit != s.Limits[i].Max || rd.render == nil {
					t.Errorf("%s renderer holds to %d bytes, ByteLimit says %d", msgType, rd.limit, s.Limits[i].Max)
				}
			}
		}
	}
	for _, l := range s.Limits {
		if !used[l.MsgType] {
			t.Errorf("ByteLimit for %q, a message type build never picks", l.MsgType)
		}
	}

	webhook := s.WebhookURL(longToken)
	secret := s.SecretPrefix + "0123456789abcdef0123"
	pr, err := Prepare(Robot{Platform: s.Platform, WebhookURL: webhook, Secret: secret}, Message{Title: "t", Body: "b"}, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	if strings.Contains(pr.MaskedURL, longToken) || strings.Contains(string(pr.MaskedBody), longToken) {
		t.Errorf("the masked copy shows the token: %s %s", pr.MaskedURL, pr.MaskedBody)
	}
	if !s.Secret {
		return
	}
	// Signatures travel in a "sign" query parameter or body field.
	sign := ""
	if u, err := url.Parse(pr.URL); err == nil {
		sign = u.Query().Get("sign")
	}
	var body struct {
		Sign string `json:"sign"`
	}
	if json.Unmarshal(pr.Body, &body) == nil && body.Sign != "" {
		sign = body.Sign
	}
	if sign == "" {
		t.Fatal("a robot with a secret got an unsigned request")
	}
	masked, _ := url.QueryUnescape(pr.MaskedURL)
	if strings.Contains(masked, sign) || strings.Contains(string(pr.MaskedBody), sign) {
		t.Errorf("the masked copy shows the signature: %s %s", pr.MaskedURL, pr.MaskedBody)
	}
}

// checkMentions: somebody with every identity can be mentioned, nobody without one.
func checkMentions(t *testing.T, s Spec) {
	t.Helper()
	all := Person{Name: "All", Mobile: "13700000000", DingTalkUserID: "all_dt", FeishuOpenID: "ou_all", WeComUserID: "all_wc"}
	if mp := PlanMentions(s.Platform, []Person{all}, false); mp.Empty() || len(mp.Labels) != 1 || len(mp.Skipped) != 0 {
		t.Errorf("a person with every identity: %+v", mp)
	}
	if mp := PlanMentions(s.Platform, []Person{carol}, false); !mp.Empty() || len(mp.Skipped) != 1 || !strings.HasPrefix(mp.Skipped[0], "Carol ") {
		t.Errorf("a person without identities: %+v", mp)
	}
}

// checkAnswers: the classifier reads code 0 as delivered, knows at least one
// rate-limit code and leaves codes it does not know to Classify.
func checkAnswers(t *testing.T, s Spec) {
	t.Helper()
	zero := json.RawMessage("0")
	rep := platformReply{ErrCode: &zero, Code: &zero}
	if code, _, ok := s.code(rep); !ok || code == nil || string(*code) != "0" {
		t.Errorf("code does not read a zero code: %v %v", code, ok)
	}
	var o Outcome
	s.classify(s, &o, 987654321)
	if o.Class != "" {
		t.Errorf("classify claims an unknown code: %+v", o)
	}
	rateLimited := false
	for c := -1; c < 500000 && !rateLimited; c++ {
		o := Outcome{PlatformMessage: "too many requests"}
		if s.classify(s, &o, c); o.Class == RateLimited {
			rateLimited = true
			if o.RetryAfter != s.RateRetry {
				t.Errorf("code %d: RetryAfter %v, want RateRetry %v", c, o.RetryAfter, s.RateRetry)
			}
		} else if o.Class != "" && o.Summary == "" {
			t.Errorf("code %d: class %s without a summary", c, o.Class)
		}
	}
	if !rateLimited {
		t.Error("classify knows no rate-limit code")
	}
}

func TestLabelsAndProtocols(t *testing.T) {
	if got := LabelList("or"); got != "DingTalk, Feishu, Lark or WeCom" {
		t.Errorf("LabelList = %q", got)
	}
	if got := Protocols(); !slices.Equal(got, []Platform{DingTalk, Feishu, WeCom}) {
		t.Errorf("Protocols = %v", got)
	}
	if ProtocolLabel(Lark) != "Feishu / Lark" || ProtocolLabel(Feishu) != "Feishu / Lark" || ProtocolLabel(WeCom) != "WeCom" {
		t.Errorf("ProtocolLabel: %q %q", ProtocolLabel(Lark), ProtocolLabel(WeCom))
	}
	if DingTalk.Windows()[0] != (Window{Per: time.Minute, N: 20, Penalty: 10 * time.Minute}) ||
		!slices.Equal(Feishu.Windows(), []Window{{Per: time.Second, N: 5}, {Per: time.Minute, N: 100}}) {
		t.Errorf("Windows: %v %v", DingTalk.Windows(), Feishu.Windows())
	}
	if SpecOf("slack").Label != "" || Platform("slack").Label() != "slack" || Platform("slack").Limit() != (Limit{}) {
		t.Error("an unknown platform has a spec")
	}
	if SpecOf(DingTalk).SecretPrefix != "SEC" || SpecOf(WeCom).RateRetry != time.Minute || SpecOf(Lark).RateRetry != time.Second {
		t.Error("spec values wrong")
	}
}
