package notify

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var (
	alice = Person{Name: "Alice", Mobile: "13800000000", FeishuOpenID: "ou_alice", WeComUserID: "alice"}
	bob   = Person{Name: "Bob", DingTalkUserID: "bob_dt", FeishuOpenID: "ou_bob", WeComUserID: "bob"}
	carol = Person{Name: "Carol"}
	dave  = Person{Name: "Dave", Mobile: "13900000000"} // only a mobile
)

const longToken = "0123456789abcdef0123456789abcdefa3f9"

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, b)
	}
	return m
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func strs(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestPrepareKeywordAlreadyPresent(t *testing.T) {
	for _, plat := range []Platform{DingTalk, Feishu} {
		r := Robot{Platform: plat, WebhookURL: "https://" + plat.OfficialHost() + "/x", Keywords: []string{" ", "Monitoring", "other"}}
		p, err := Prepare(r, Message{Title: "CPU high", Body: "Microservice Online Monitoring: cpu"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(p.Body, []byte("Monitoring CPU high")) || bytes.Contains(p.Body, []byte("other")) {
			t.Errorf("%s: keyword inserted although present: %s", plat, p.Body)
		}
		p, _ = Prepare(r, Message{Title: "CPU high", Body: "cpu"}, time.Now())
		if !bytes.Contains(p.Body, []byte("Monitoring CPU high")) {
			t.Errorf("%s: first keyword not prepended: %s", plat, p.Body)
		}
	}
}

// body content the limit applies to, per message shape.
func measured(t *testing.T, p Prepared) (int, string) {
	b := decode(t, p.Body)
	switch {
	case b["msgtype"] == "markdown" && b["markdown"].(map[string]any)["content"] != nil: // WeCom
		c := b["markdown"].(map[string]any)["content"].(string)
		return len(c), c
	case b["msgtype"] == "text": // WeCom text
		c := b["text"].(map[string]any)["content"].(string)
		return len(c), c
	}
	return len(p.Body), string(p.Body)
}

// visible is the decoded main text of a prepared message.
func visible(t *testing.T, p Prepared) string {
	b := decode(t, p.Body)
	if md, ok := b["markdown"].(map[string]any); ok {
		if s, ok := md["text"].(string); ok {
			return s
		}
		return md["content"].(string)
	}
	if tx, ok := b["text"].(map[string]any); ok {
		return tx["content"].(string)
	}
	card := b["card"].(map[string]any)
	return card["elements"].([]any)[0].(map[string]any)["text"].(map[string]any)["content"].(string)
}

func TestPrepareTruncation(t *testing.T) {
	const link = "https://console.example/n/42"
	// CJK (3 bytes a rune) mixed with characters JSON escapes (", \, newline, tab, U+2028) and <, >, &.
	unit := "磁盘已满 \"db-1\" <disk> & \\path\n\t\u2028告警"
	cases := []struct {
		name  string
		robot Robot
		m     Message
		limit int
		kw    string
		ment  string
	}{
		{"dingtalk", Robot{Platform: DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=t", Secret: "SECx", Keywords: []string{"zz-kw"}},
			Message{Title: "t", Mentions: []Person{alice}}, 20000, "zz-kw", "@13800000000"},
		{"feishu", Robot{Platform: Feishu, WebhookURL: "https://open.feishu.cn/open-apis/bot/v2/hook/t", Secret: "abc", Keywords: []string{"zz-kw"}},
			Message{Title: "t", Mentions: []Person{alice}, AtAll: true}, 20000, "zz-kw", "<at id=ou_alice></at>"},
		{"lark", Robot{Platform: Lark, WebhookURL: "https://open.larksuite.com/open-apis/bot/v2/hook/t"},
			Message{Title: "t", Mentions: []Person{bob}}, 20000, "", "<at id=ou_bob></at>"},
		{"wecom markdown", Robot{Platform: WeCom, WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
			Message{Title: "t", Mentions: []Person{alice}}, 4096, "", "<@alice>"},
		{"wecom text", Robot{Platform: WeCom, WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"},
			Message{Title: "t", Mentions: []Person{dave}}, 2048, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Sweep body sizes around the limit so the cut lands on every kind of character.
			for extra := -40; extra <= 3*len(unit); extra += 7 {
				for _, withLink := range []bool{true, false} {
					m := tc.m
					m.Body = strings.Repeat(unit, tc.limit/len(unit)+1)[:0]
					for len(m.Body) < tc.limit+extra {
						m.Body += unit
					}
					if withLink {
						m.Link = link
					}
					p, err := Prepare(tc.robot, m, time.Unix(1700000000, 0))
					if err != nil {
						t.Fatal(err)
					}
					n, content := measured(t, p)
					if n > tc.limit {
						t.Fatalf("extra %d: measured %d > limit %d", extra, n, tc.limit)
					}
					if !utf8.Valid(p.Body) || !utf8.ValidString(content) {
						t.Fatalf("extra %d: invalid UTF-8", extra)
					}
					if tc.ment != "" && !strings.Contains(content, tc.ment) {
						t.Fatalf("extra %d: mention %q lost", extra, tc.ment)
					}
					if tc.kw != "" && !strings.Contains(content, tc.kw) {
						t.Fatalf("extra %d: keyword lost", extra)
					}
					if !p.Truncated {
						if !strings.Contains(visible(t, p), m.Body) {
							t.Fatalf("extra %d: not truncated but body incomplete", extra)
						}
						continue
					}
					marker := "… truncated"
					if withLink {
						marker = "… truncated, full message: " + link
					}
					if !strings.Contains(visible(t, p), marker) {
						t.Fatalf("extra %d: marker %q missing", extra, marker)
					}
					// The cut is as late as possible: within one escaped rune of the limit.
					if n < tc.limit-6 {
						t.Errorf("extra %d: measured %d, wasteful cut for limit %d", extra, n, tc.limit)
					}
				}
			}
		})
	}
}

func TestPrepareNoTruncationWhenItFits(t *testing.T) {
	r := Robot{Platform: WeCom, WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
	// "### t\n\n" is 7 bytes; a body of exactly 4096-7 bytes fits, one more byte does not.
	body := strings.Repeat("告", (4096-7)/3) + strings.Repeat("a", (4096-7)%3)
	p, err := Prepare(r, Message{Title: "t", Body: body}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := measured(t, p); p.Truncated || n != 4096 {
		t.Errorf("exact fit: truncated=%v measured=%d", p.Truncated, n)
	}
	p, _ = Prepare(r, Message{Title: "t", Body: body + "a"}, time.Now())
	if n, _ := measured(t, p); !p.Truncated || n > 4096 {
		t.Errorf("one byte over: truncated=%v measured=%d", p.Truncated, n)
	}
}

func TestPrepareTooManyMentions(t *testing.T) {
	var people []Person
	for i := range 2000 {
		people = append(people, Person{Name: "p", Mobile: "1380000" + strings.Repeat("0", 4-len(itoa64(int64(i)))) + itoa64(int64(i))})
	}
	_, err := Prepare(Robot{Platform: DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=t"}, Message{Title: "t", Body: "b", Mentions: people}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("err = %v, want does-not-fit error", err)
	}
}

func TestSafeCut(t *testing.T) {
	s := "ab 告 <at id=ou_1></at> c @13800000000 d <@zhang_san> e <at user_id=\"ou_2\">Bo</at>"
	forbidden := [][2]string{{"<at id=ou_1>", "</at>"}, {"@1380", "0000000"}, {"<@zhang", "_san>"}, {`<at user_id="ou_2">`, "</at>"}}
	for n := 0; n <= len(s); n++ {
		c := safeCut(s, n)
		if c > n || !utf8.ValidString(s[:c]) {
			t.Fatalf("safeCut(%d) = %d, prefix %q", n, c, s[:c])
		}
		for _, f := range forbidden {
			start := strings.Index(s, f[0])
			end := strings.Index(s[start:], f[1]) + start + len(f[1])
			if c > start && c < end {
				t.Errorf("safeCut(%d) = %d cuts inside %q…", n, c, f[0])
			}
		}
	}
	// Not a mention: cutting inside an e-mail-less word or a plain "<a" tag is allowed.
	if got := safeCut("x <abc> y", 4); got != 4 {
		t.Errorf("safeCut on <abc> = %d, want 4", got)
	}
}

func TestPlanMentions(t *testing.T) {
	mp := PlanMentions(DingTalk, []Person{alice, alice, bob, carol}, true)
	if !reflect.DeepEqual(mp.AtMobiles, []string{"13800000000"}) || !reflect.DeepEqual(mp.AtUserIDs, []string{"bob_dt"}) || !mp.AtAll {
		t.Errorf("plan = %+v", mp)
	}
	if want := []string{"@all", "@Alice (13800000000)", "@Bob (bob_dt)"}; !reflect.DeepEqual(mp.Labels, want) {
		t.Errorf("Labels = %v, want %v", mp.Labels, want)
	}
	wc := PlanMentions(WeCom, []Person{alice, dave, carol}, false)
	if !reflect.DeepEqual(wc.WeComUserIDs, []string{"alice"}) || !reflect.DeepEqual(wc.WeComMobiles, []string{"13900000000"}) ||
		!slices.Equal(wc.Skipped, []string{"Carol has no WeCom userid or mobile"}) {
		t.Errorf("wecom plan = %+v", wc)
	}
	if !PlanMentions(Feishu, nil, false).Empty() {
		t.Error("empty plan not Empty")
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{"": "", "short": "…", "0123456789ab": "…89ab", longToken: "…a3f9"} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlatformMethods(t *testing.T) {
	for _, p := range Platforms {
		if q, ok := ParsePlatform(" " + strings.ToUpper(string(p)) + " "); !ok || q != p {
			t.Errorf("ParsePlatform(%q) = %q %v", p, q, ok)
		}
		if (p == WeCom) == p.SupportsSecret() || p.SupportsKeywords() != p.SupportsSecret() {
			t.Errorf("%s: SupportsSecret %v", p, p.SupportsSecret())
		}
		if err := (HostPolicy{}).CheckWebhook(p, strings.ReplaceAll(p.ExampleURL(), "…", "tok")); err != nil {
			t.Errorf("%s: example URL refused: %v", p, err)
		}
	}
	if _, ok := ParsePlatform("slack"); ok {
		t.Error("slack parsed")
	}
	if DingTalk.Limit() != (Limit{PerMinute: 20}) || Feishu.Limit() != (Limit{5, 100}) || Lark.Limit() != (Limit{5, 100}) || WeCom.Limit() != (Limit{PerMinute: 20}) {
		t.Error("limits wrong")
	}
	if DingTalk.MaxBytes() != 20000 || Feishu.MaxBytes() != 20000 || WeCom.MaxBytes() != 4096 {
		t.Error("MaxBytes wrong")
	}
}

// Whether Feishu's keyword check scans a card's header is confirmed nowhere: a Feishu or
// Lark card carries the keyword in its text as well as in the header.
func TestPrepareFeishuKeywordInCardText(t *testing.T) {
	for _, plat := range []Platform{Feishu, Lark} {
		r := Robot{Platform: plat, WebhookURL: "https://" + plat.OfficialHost() + "/x", Keywords: []string{"Monitoring"}}
		p, err := Prepare(r, Message{Title: "CPU high", Body: "cpu at 97%"}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		card := decode(t, p.Body)["card"].(map[string]any)
		header := card["header"].(map[string]any)["title"].(map[string]any)["content"].(string)
		text := card["elements"].([]any)[0].(map[string]any)["text"].(map[string]any)["content"].(string)
		if !strings.Contains(header, "Monitoring") || !strings.HasPrefix(text, "Monitoring\n") {
			t.Errorf("%s: header %q, text %q: want the keyword in both", plat, header, text)
		}
		p, _ = Prepare(r, Message{Title: "CPU high", Body: "Monitoring: cpu"}, time.Now())
		if bytes.Contains(p.Body, []byte(`Monitoring\nMonitoring`)) {
			t.Errorf("%s: keyword added to a text that has it: %s", plat, p.Body)
		}
	}
}
