package notify

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPrepareWeCom(t *testing.T) {
	r := Robot{Platform: WeCom, WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + longToken, Keywords: []string{"ignored"}, Secret: "ignored"}

	t.Run("markdown with userids", func(t *testing.T) {
		p, err := Prepare(r, Message{Title: "disk", Body: "db-1 <font color=\"warning\">down</font>", Mentions: []Person{alice, bob, carol}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		b := decode(t, p.Body)
		if got, want := keys(b), []string{"markdown", "msgtype"}; !reflect.DeepEqual(got, want) || b["msgtype"] != "markdown" {
			t.Fatalf("keys = %v msgtype %v", got, b["msgtype"])
		}
		md := b["markdown"].(map[string]any)
		if got, want := keys(md), []string{"content"}; !reflect.DeepEqual(got, want) {
			t.Errorf("markdown keys = %v", got)
		}
		c := md["content"].(string)
		for _, want := range []string{"<@alice>", "<@bob>", `<font color="warning">down</font>`} {
			if !strings.Contains(c, want) {
				t.Errorf("content %q lacks %q", c, want)
			}
		}
		if strings.Contains(c, "ignored") {
			t.Error("WeCom has no keywords, but one was inserted")
		}
		if !bytes.Contains(p.Body, []byte("<@alice>")) {
			t.Errorf("raw body escapes <@…>: %s", p.Body)
		}
		if p.URL != r.WebhookURL || p.MaskedURL != "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…a3f9" {
			t.Errorf("URL %q masked %q", p.URL, p.MaskedURL)
		}
	})
	t.Run("text when a mobile must be mentioned", func(t *testing.T) {
		p, err := Prepare(r, Message{Title: "disk", Body: "db-1", Mentions: []Person{alice, dave}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		b := decode(t, p.Body)
		if b["msgtype"] != "text" || p.MsgType != "text" {
			t.Fatalf("msgtype = %v", b["msgtype"])
		}
		tx := b["text"].(map[string]any)
		if got, want := keys(tx), []string{"content", "mentioned_list", "mentioned_mobile_list"}; !reflect.DeepEqual(got, want) {
			t.Errorf("text keys = %v", got)
		}
		if got := strs(tx["mentioned_mobile_list"]); !reflect.DeepEqual(got, []string{"13900000000"}) {
			t.Errorf("mentioned_mobile_list = %v", got)
		}
		if got := strs(tx["mentioned_list"]); !reflect.DeepEqual(got, []string{"alice"}) {
			t.Errorf("mentioned_list = %v", got)
		}
	})
	t.Run("text for @all", func(t *testing.T) {
		p, _ := Prepare(r, Message{Title: "disk", Body: "db-1", AtAll: true}, time.Now())
		tx := decode(t, p.Body)["text"].(map[string]any)
		if got := strs(tx["mentioned_list"]); !reflect.DeepEqual(got, []string{"@all"}) {
			t.Errorf("mentioned_list = %v", got)
		}
	})
}

// A WeCom text message (forced by mobiles or @all) renders no markup: the markdown of the
// default template arrives as plain text.
func TestWeComTextIsPlain(t *testing.T) {
	md := "<font color=\"warning\">**FIRING**</font> **Disk\\_full**\n> Labels: <font color=\"comment\">host=db\\-1</font>\n" +
		"[Why this message](https://console.example/alerts/1)\n---\n&lt;none&gt;"
	want := "FIRING Disk_full\n> Labels: host=db-1\nWhy this message: https://console.example/alerts/1\n\n<none>"
	if got := PlainText(md); got != want {
		t.Errorf("PlainText =\n%q\nwant\n%q", got, want)
	}
	r := Robot{Platform: WeCom, WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
	p, err := Prepare(r, Message{Title: "t", Body: md, AtAll: true}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if p.MsgType != "text" || bytes.Contains(p.Body, []byte("font")) || bytes.Contains(p.Body, []byte("**")) {
		t.Errorf("WeCom text message carries markup: %s", p.Body)
	}
}
