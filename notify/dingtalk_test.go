package notify

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every vector of docs/PLATFORMS.md §5.
func TestDingTalkSignVectors(t *testing.T) {
	tests := []struct {
		secret  string
		ts      int64
		b64     string
		encoded string
	}{
		{"SEC0123456789abcdef", 1700000000000, "TSZbRFUuvaSQaRKUpF970OPCb2/LcQAP3wOvwZIzBZk=", "TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D"},
		{"SEC0123456789abcdef", 1700000000001, "h9I8htdbvJCasKF0f8Gu+a2Cr5fjl9T+pzb6hx3n+pE=", "h9I8htdbvJCasKF0f8Gu%2Ba2Cr5fjl9T%2Bpzb6hx3n%2BpE%3D"},
		{"this is secret", 1700000000000, "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0=", "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D"},
		{"SECb90923e19e58b466481e9e7b7a5b4f108a4531abde590ad3967fb29f0eae5c68", 1582163555000, "BQKsG+QOCl+bYJOLc6pxDHxjVquzlZPWgvRzeN2J5zY=", "BQKsG%2BQOCl%2BbYJOLc6pxDHxjVquzlZPWgvRzeN2J5zY%3D"},
	}
	for _, tt := range tests {
		got := DingTalkSign(tt.secret, tt.ts)
		if got != tt.b64 {
			t.Errorf("DingTalkSign(%q, %d) = %q, want %q", tt.secret, tt.ts, got, tt.b64)
		}
		if enc := url.QueryEscape(got); enc != tt.encoded {
			t.Errorf("encoded sign = %q, want %q", enc, tt.encoded)
		}
		// What Prepare actually sends: the sign appears in the query exactly once-encoded.
		p, err := Prepare(Robot{Platform: DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=TOKEN", Secret: tt.secret},
			Message{Title: "t", Body: "b"}, time.UnixMilli(tt.ts))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.URL, "&sign="+tt.encoded+"&") {
			t.Errorf("URL %q does not carry sign=%s", p.URL, tt.encoded)
		}
	}
}

func TestDingTalkSignRow2QueryAndDoubleEncoding(t *testing.T) {
	const secret, ts = "SEC0123456789abcdef", int64(1700000000001)
	sign := DingTalkSign(secret, ts)
	v := url.Values{"access_token": {"TOKEN"}, "timestamp": {"1700000000001"}, "sign": {sign}}
	const wantQuery = "access_token=TOKEN&sign=h9I8htdbvJCasKF0f8Gu%2Ba2Cr5fjl9T%2Bpzb6hx3n%2BpE%3D&timestamp=1700000000001"
	if got := v.Encode(); got != wantQuery {
		t.Errorf("query = %q, want %q", got, wantQuery)
	}
	p, err := Prepare(Robot{Platform: DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=TOKEN", Secret: secret},
		Message{Title: "t", Body: "b"}, time.UnixMilli(ts))
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://oapi.dingtalk.com/robot/send?" + wantQuery; p.URL != want {
		t.Errorf("Prepare URL = %q, want %q", p.URL, want)
	}
	// The double-encoded form is the known bug; make sure we never produce it.
	const doubled = "h9I8htdbvJCasKF0f8Gu%252Ba2Cr5fjl9T%252Bpzb6hx3n%252BpE%253D"
	if got := url.QueryEscape(url.QueryEscape(sign)); got != doubled {
		t.Errorf("double encoding = %q, want %q (vector check)", got, doubled)
	}
	if strings.Contains(p.URL, "%25") {
		t.Errorf("Prepare URL %q is double-encoded", p.URL)
	}
	// Decoding the query once must give the raw base64 back (what DingTalk does).
	u, _ := url.Parse(p.URL)
	if got := u.Query().Get("sign"); got != sign {
		t.Errorf("decoded sign = %q, want %q", got, sign)
	}
}

func TestPrepareDingTalk(t *testing.T) {
	r := Robot{Platform: DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=" + longToken, Secret: "SEC0123456789abcdef", Keywords: []string{"alert"}}
	m := Message{Title: "disk full", Body: "db-1 <b> & \"x\"", Mentions: []Person{alice, bob, carol}}
	p, err := Prepare(r, m, time.UnixMilli(1700000000001))
	if err != nil {
		t.Fatal(err)
	}
	if p.MsgType != "markdown" {
		t.Errorf("MsgType = %q", p.MsgType)
	}
	b := decode(t, p.Body)
	if got, want := keys(b), []string{"at", "markdown", "msgtype"}; !reflect.DeepEqual(got, want) {
		t.Errorf("top-level keys = %v, want %v", got, want)
	}
	if b["msgtype"] != "markdown" {
		t.Errorf("msgtype = %v", b["msgtype"])
	}
	if got, want := keys(b["markdown"]), []string{"text", "title"}; !reflect.DeepEqual(got, want) {
		t.Errorf("markdown keys = %v, want %v", got, want)
	}
	if got, want := keys(b["at"]), []string{"atMobiles", "atUserIds", "isAtAll"}; !reflect.DeepEqual(got, want) {
		t.Errorf("at keys = %v, want %v", got, want)
	}
	md := b["markdown"].(map[string]any)
	at := b["at"].(map[string]any)
	text := md["text"].(string)
	if got := strs(at["atMobiles"]); !reflect.DeepEqual(got, []string{"13800000000"}) {
		t.Errorf("atMobiles = %v", got)
	}
	if got := strs(at["atUserIds"]); !reflect.DeepEqual(got, []string{"bob_dt"}) {
		t.Errorf("atUserIds = %v", got)
	}
	if at["isAtAll"] != false {
		t.Errorf("isAtAll = %v", at["isAtAll"])
	}
	for _, want := range []string{"@13800000000", "@bob_dt", "db-1 <b> & \"x\""} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
	if !strings.HasPrefix(md["title"].(string), "alert ") || !strings.Contains(text, "alert disk full") {
		t.Errorf("keyword not inserted: title %q text %q", md["title"], text)
	}
	if bytes.Contains(p.Body, []byte(`\u003c`)) {
		t.Errorf("body has HTML-escaped characters: %s", p.Body)
	}
	if want := []string{"Carol has no DingTalk mobile or userId"}; !reflect.DeepEqual(p.Mentions.Skipped, want) {
		t.Errorf("Skipped = %v, want %v", p.Mentions.Skipped, want)
	}
	if want := "https://oapi.dingtalk.com/robot/send?access_token=…a3f9&sign=…+pE=&timestamp=1700000000001"; p.MaskedURL != want {
		t.Errorf("MaskedURL = %q, want %q", p.MaskedURL, want)
	}
	if strings.Contains(p.MaskedURL, longToken) {
		t.Error("MaskedURL leaks the token")
	}
}
