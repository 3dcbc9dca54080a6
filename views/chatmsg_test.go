package views

import (
	"strings"
	"testing"
)

// The look-alike renders the platforms' markdown subset and nothing else: every other
// character is escaped, links keep only http(s) addresses.
func TestRenderChatMarkdownIsSafe(t *testing.T) {
	for in, want := range map[string]string{
		"### FIRING: Disk\\_full":                 `<p class="chat-h">FIRING: Disk_full</p>`,
		"**Severity:** critical":                  `<p><strong>Severity:</strong> critical</p>`,
		"[Why](https://c.example/a?x=1&y=2)":      `<p><a href="https://c.example/a?x=1&amp;y=2" rel="noopener noreferrer" target="_blank">Why</a></p>`,
		"[x](javascript:alert(1))":                `<p>[x](javascript:alert(1))</p>`,
		"<script>alert(1)</script>":               `<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>`,
		`<img src=x onerror="alert(1)">`:          `<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>`,
		"&lt;b&gt; stays text":                    `<p>&lt;b&gt; stays text</p>`,
		`<font color="warning">**FIRING**</font>`: `<p><span class="chat-warning"><strong>FIRING</strong></span></p>`,
		`<font color="red" onclick=x>hi</font>`:   `<p>&lt;font color=&#34;red&#34; onclick=x&gt;hi</p>`,
		"> line one\n> line two":                  `<blockquote>line one<br>line two</blockquote>`,
		"a\n---\nb":                               `<p>a</p><hr><p>b</p>`,
		"- one\n- two":                            `<ul><li>one</li><li>two</li></ul>`,
		`<at id=ou_123></at> and <@zhangsan>`:     `<p><span class="chat-at">@ou_123</span> and <span class="chat-at">@zhangsan</span></p>`,
		"**unclosed bold":                         `<p><strong>unclosed bold</strong></p>`,
		`<at id="x><script>"></at>`:               `<p>&lt;at id=&#34;x&gt;&lt;script&gt;&#34;&gt;&lt;/at&gt;</p>`,
	} {
		if got := RenderChatMarkdown(in); got != want {
			t.Errorf("RenderChatMarkdown(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

func TestChatFromRequestPerPlatform(t *testing.T) {
	ding := ChatFromRequest("dingtalk", "DingTalk", []byte(`{"msgtype":"markdown","markdown":{"title":"t","text":"**hi** @139"},"at":{"atMobiles":["139"],"isAtAll":false}}`))
	if ding.Error != "" || !strings.Contains(ding.HTML, "<strong>hi</strong>") || len(ding.Mentions) != 1 {
		t.Errorf("dingtalk: %+v", ding)
	}
	card := ChatFromRequest("feishu", "Feishu", []byte(`{"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"[FIRING:1] Disk"}},`+
		`"elements":[{"tag":"div","text":{"tag":"lark_md","content":"ops\n**Disk**"}},{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"Acknowledge"},"url":"https://c/act"}]}]}}`))
	if card.Title != "[FIRING:1] Disk" || len(card.Buttons) != 1 || !strings.Contains(card.HTML, "<strong>Disk</strong>") {
		t.Errorf("feishu: %+v", card)
	}
	text := ChatFromRequest("wecom", "WeCom", []byte(`{"msgtype":"text","text":{"content":"**not bold** <b>","mentioned_list":["@all"]}}`))
	if text.HTML != "**not bold** &lt;b&gt;" || len(text.Mentions) != 1 {
		t.Errorf("wecom text: %+v", text)
	}
	if bad := ChatFromRequest("wecom", "WeCom", []byte(`nope`)); bad.Error == "" || bad.Raw != "nope" {
		t.Errorf("unreadable body: %+v", bad)
	}
}
