package notify

import (
	"net/url"
	"strconv"
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

func TestFeishuSignVectors(t *testing.T) {
	tests := []struct {
		secret string
		ts     int64
		want   string
	}{
		{"abc123", 1700000000, "J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk="},
		{"demo", 1599360473, "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8="},
		{"demo-secret", 1599360473, "3/MaVZ8JLIy4TUG+7KSFJqvUkTKd+HWY8g+56DZWq8s="},
	}
	for _, tt := range tests {
		if got := FeishuSign(tt.secret, tt.ts); got != tt.want {
			t.Errorf("FeishuSign(%q, %d) = %q, want %q", tt.secret, tt.ts, got, tt.want)
		}
		p, err := Prepare(Robot{Platform: Feishu, WebhookURL: "https://open.feishu.cn/open-apis/bot/v2/hook/abc", Secret: tt.secret},
			Message{Title: "t", Body: "b"}, time.Unix(tt.ts, 0))
		if err != nil {
			t.Fatal(err)
		}
		// Not URL-encoded, timestamp as a string, in the body.
		want := `{"timestamp":"` + itoa64(tt.ts) + `","sign":"` + tt.want + `",`
		if !strings.HasPrefix(string(p.Body), want) {
			t.Errorf("body starts %q, want prefix %q", string(p.Body)[:min(len(p.Body), 90)], want)
		}
	}
}

func TestFeishuNegativeVector(t *testing.T) {
	const wrong = "EOUQKI2ZpzeBOmvrzdQAE+1DFiZ07TgMbfe6W1Sj8Nw="
	// The DingTalk algorithm applied to Feishu's inputs gives the documented wrong value…
	if got := DingTalkSign("abc123", 1700000000); got != wrong {
		t.Errorf("DingTalk algorithm on abc123/1700000000 = %q, want %q", got, wrong)
	}
	// …which must differ from the real Feishu signature.
	if got := FeishuSign("abc123", 1700000000); got == wrong {
		t.Errorf("FeishuSign equals the DingTalk-algorithm value %q", got)
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
