package notify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var testActions = []Action{
	{Label: "Acknowledge", URL: "https://console.example/act/ack-token"},
	{Label: "Claim", URL: "https://console.example/act/claim-token"},
	{Label: "Silence 1h", URL: "https://console.example/act/s1h-token"},
	{Label: "Open", URL: "https://console.example/incidents/7"},
}

func prepareWith(t *testing.T, p Platform, people []Person, atAll bool, body string) Prepared {
	t.Helper()
	m := Message{Title: "DiskFull on db-1", Body: body, Link: "https://console.example/history/1",
		Mentions: people, AtAll: atAll, Actions: testActions}
	prep, err := Prepare(Robot{Platform: p, WebhookURL: SpecOf(p).WebhookURL("tok")}, m, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return prep
}

// A message that mentions someone must stay a type that honours mentions, and still
// carry every action as a markdown link.
func TestActionsWithMentionsStayMarkdownLinks(t *testing.T) {
	for _, p := range []Platform{DingTalk, WeCom} {
		t.Run(string(p), func(t *testing.T) {
			prep := prepareWith(t, p, []Person{alice}, false, "disk is 97% full")
			if prep.MsgType != "markdown" {
				t.Fatalf("msgtype %q, want markdown (the only type that honours mentions)", prep.MsgType)
			}
			var v struct {
				Markdown struct {
					Text    string `json:"text"`
					Content string `json:"content"`
				} `json:"markdown"`
				At struct {
					AtMobiles []string `json:"atMobiles"`
				} `json:"at"`
			}
			if err := json.Unmarshal(prep.Body, &v); err != nil {
				t.Fatal(err)
			}
			text := v.Markdown.Text + v.Markdown.Content
			for _, a := range testActions {
				if !strings.Contains(text, "["+a.Label+"]("+a.URL+")") {
					t.Errorf("action %q is not a markdown link in %q", a.Label, text)
				}
			}
			switch p {
			case DingTalk:
				if !strings.Contains(text, "@13800000000") || len(v.At.AtMobiles) != 1 {
					t.Errorf("Alice is no longer mentioned: text %q, atMobiles %v", text, v.At.AtMobiles)
				}
			case WeCom:
				if !strings.Contains(text, "<@alice>") {
					t.Errorf("Alice is no longer mentioned: %q", text)
				}
			}
		})
	}
}

// WeCom must send text to mention by mobile: the actions are then bare URLs, one a line.
func TestWeComTextMessageCarriesActionLines(t *testing.T) {
	prep := prepareWith(t, WeCom, []Person{dave}, false, "disk is 97% full")
	if prep.MsgType != "text" {
		t.Fatalf("msgtype %q, want text", prep.MsgType)
	}
	s := string(prep.Body)
	for _, a := range testActions {
		if !strings.Contains(s, a.Label+": "+a.URL) {
			t.Errorf("action %q missing from %s", a.Label, s)
		}
	}
	if !strings.Contains(s, `"mentioned_mobile_list":["13900000000"]`) {
		t.Errorf("Dave is no longer mentioned: %s", s)
	}
}

// Nobody mentioned: DingTalk sends an actionCard with one button per action.
func TestDingTalkActionCardWhenNobodyIsMentioned(t *testing.T) {
	prep := prepareWith(t, DingTalk, nil, false, "disk is 97% full")
	if prep.MsgType != "actionCard" {
		t.Fatalf("msgtype %q, want actionCard", prep.MsgType)
	}
	var v dingTalkActionCardBody
	if err := json.Unmarshal(prep.Body, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.ActionCard.Btns) != len(testActions) || v.ActionCard.Btns[0].ActionURL != testActions[0].URL {
		t.Errorf("buttons %+v", v.ActionCard.Btns)
	}
	// With @all the message must be markdown again.
	if prep := prepareWith(t, DingTalk, nil, true, "x"); prep.MsgType != "markdown" {
		t.Errorf("@all: msgtype %q, want markdown", prep.MsgType)
	}
}

// Feishu cards keep mentions, so they always carry buttons.
func TestFeishuCardButtons(t *testing.T) {
	prep := prepareWith(t, Feishu, []Person{alice}, false, "disk is 97% full")
	s := string(prep.Body)
	if !strings.Contains(s, `"tag":"action"`) || !strings.Contains(s, `"url":"https://console.example/act/ack-token"`) {
		t.Errorf("no open_url buttons: %s", s)
	}
	if !strings.Contains(s, "<at id=ou_alice></at>") {
		t.Errorf("Alice is no longer mentioned: %s", s)
	}
}

// A body far over the limit is cut; the actions are kept whole on every platform.
func TestTruncationKeepsActions(t *testing.T) {
	long := strings.Repeat("磁盘空间不足 disk full ", 3000)
	for _, p := range Platforms {
		for _, people := range [][]Person{nil, {alice}, {dave}} {
			prep := prepareWith(t, p, people, false, long)
			if !prep.Truncated {
				t.Errorf("%s: not truncated", p)
			}
			for _, a := range testActions {
				if !strings.Contains(string(prep.Body), a.URL) {
					t.Errorf("%s %s: action %q cut off", p, prep.MsgType, a.Label)
				}
			}
		}
	}
}
