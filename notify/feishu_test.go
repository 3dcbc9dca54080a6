package notify

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

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

func TestPrepareFeishuAndLark(t *testing.T) {
	for _, plat := range []Platform{Feishu, Lark} {
		r := Robot{Platform: plat, WebhookURL: "https://" + plat.OfficialHost() + "/open-apis/bot/v2/hook/" + longToken, Secret: "abc123", Keywords: []string{"alert"}}
		p, err := Prepare(r, Message{Title: "alert: disk", Body: "db-1 **full** <b>", Mentions: []Person{alice, dave}, AtAll: true}, time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		b := decode(t, p.Body)
		if got, want := keys(b), []string{"card", "msg_type", "sign", "timestamp"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: keys = %v, want %v (card must be top-level, not in content)", plat, got, want)
		}
		if b["msg_type"] != "interactive" || b["timestamp"] != "1700000000" || b["sign"] != "J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=" {
			t.Errorf("%s: envelope = %v %v %v", plat, b["msg_type"], b["timestamp"], b["sign"])
		}
		card := b["card"].(map[string]any)
		title := card["header"].(map[string]any)["title"].(map[string]any)
		if title["tag"] != "plain_text" || title["content"] != "alert: disk" {
			t.Errorf("%s: header title = %v", plat, title)
		}
		div := card["elements"].([]any)[0].(map[string]any)
		txt := div["text"].(map[string]any)
		if div["tag"] != "div" || txt["tag"] != "lark_md" {
			t.Errorf("%s: element = %v", plat, div)
		}
		content := txt["content"].(string)
		for _, want := range []string{"<at id=all></at>", "<at id=ou_alice></at>", "db-1 **full** <b>"} {
			if !strings.Contains(content, want) {
				t.Errorf("%s: lark_md %q lacks %q", plat, content, want)
			}
		}
		if !bytes.Contains(p.Body, []byte("<at id=ou_alice></at>")) {
			t.Errorf("%s: <at> is escaped in the raw body: %s", plat, p.Body)
		}
		if want := []string{"Dave has no " + plat.Label() + " open_id or user_id"}; !reflect.DeepEqual(p.Mentions.Skipped, want) {
			t.Errorf("%s: Skipped = %v", plat, p.Mentions.Skipped)
		}
		if p.URL != r.WebhookURL {
			t.Errorf("%s: URL changed to %q", plat, p.URL)
		}
		if bytes.Contains(p.MaskedBody, []byte("J0suvZQ7")) || !bytes.Contains(p.MaskedBody, []byte(`"sign":"…oLk="`)) {
			t.Errorf("%s: MaskedBody = %s", plat, p.MaskedBody)
		}
		if !strings.HasSuffix(p.MaskedURL, "/open-apis/bot/v2/hook/…a3f9") {
			t.Errorf("%s: MaskedURL = %q", plat, p.MaskedURL)
		}
	}
}

func TestPrepareFeishuUnsigned(t *testing.T) {
	p, err := Prepare(Robot{Platform: Feishu, WebhookURL: "https://open.feishu.cn/open-apis/bot/v2/hook/x"}, Message{Title: "a", Body: "b"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keys(decode(t, p.Body)), []string{"card", "msg_type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("keys = %v, want %v", got, want)
	}
}
