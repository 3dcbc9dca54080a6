package views

import (
	"encoding/json"
	"html"
	"regexp"
	"strings"
)

// ChatView is a webhook request as the chat group shows it: a DingTalk, Feishu/Lark or
// WeCom look-alike of the message, built from the exact request body the robot gets.
type ChatView struct {
	Platform string // dingtalk, feishu, lark, wecom: picks the look
	Label    string // DingTalk, Feishu, Lark, WeCom
	Robot    string
	MsgType  string
	Title    string // the card header (Feishu/Lark, DingTalk actionCard); "" when the platform shows none
	// HTML is the message text rendered to HTML by RenderChatMarkdown: everything
	// escaped, only the markup the platform renders turned into tags.
	HTML     string
	Buttons  []ChatButton
	Mentions []string // who the platform's mention fields @ (besides those in the text)
	Keyword  string   // the robot keyword the console added, "" when none was needed
	Raw      string   // the request body, pretty-printed, credentials masked
	Error    string   // catalog key: the body could not be read as this platform's message ("" = it could)
}

// ChatButton is a button or jump link of a card.
type ChatButton struct {
	Label, URL string
}

// ChatFromRequest reads a request body the console sends to a platform into a ChatView.
// Unknown shapes come back with Error set and the raw body only.
func ChatFromRequest(platform, label string, body []byte) ChatView {
	cv := ChatView{Platform: platform, Label: label, Raw: prettyJSON(body)}
	var m struct {
		MsgType  string `json:"msgtype"`
		FMsgType string `json:"msg_type"`
		Markdown struct {
			Title   string `json:"title"`
			Text    string `json:"text"`
			Content string `json:"content"`
		} `json:"markdown"`
		Text struct {
			Content       string   `json:"content"`
			MentionedList []string `json:"mentioned_list"`
			MentionedMob  []string `json:"mentioned_mobile_list"`
		} `json:"text"`
		ActionCard struct {
			Title string `json:"title"`
			Text  string `json:"text"`
			Btns  []struct {
				Title     string `json:"title"`
				ActionURL string `json:"actionURL"`
			} `json:"btns"`
		} `json:"actionCard"`
		At struct {
			AtMobiles []string `json:"atMobiles"`
			AtUserIDs []string `json:"atUserIds"`
			IsAtAll   bool     `json:"isAtAll"`
		} `json:"at"`
		Card struct {
			Header struct {
				Title struct {
					Content string `json:"content"`
				} `json:"title"`
			} `json:"header"`
			Elements []struct {
				Tag  string `json:"tag"`
				Text *struct {
					Content string `json:"content"`
				} `json:"text"`
				Actions []struct {
					Text struct {
						Content string `json:"content"`
					} `json:"text"`
					URL string `json:"url"`
				} `json:"actions"`
			} `json:"elements"`
		} `json:"card"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		cv.Error = "rules.chat_not_json"
		return cv
	}
	cv.MsgType = m.MsgType
	if cv.MsgType == "" {
		cv.MsgType = m.FMsgType
	}
	md := true
	var text string
	switch cv.MsgType {
	case "markdown":
		text = m.Markdown.Text
		if text == "" {
			text = m.Markdown.Content
		}
	case "actionCard":
		cv.Title, text = m.ActionCard.Title, m.ActionCard.Text
		for _, b := range m.ActionCard.Btns {
			cv.Buttons = append(cv.Buttons, ChatButton{b.Title, b.ActionURL})
		}
	case "text":
		text, md = m.Text.Content, false
		cv.Mentions = append(cv.Mentions, m.Text.MentionedList...)
		cv.Mentions = append(cv.Mentions, m.Text.MentionedMob...)
	case "interactive":
		cv.Title = m.Card.Header.Title.Content
		var parts []string
		for _, e := range m.Card.Elements {
			if e.Text != nil {
				parts = append(parts, e.Text.Content)
			}
			for _, a := range e.Actions {
				cv.Buttons = append(cv.Buttons, ChatButton{a.Text.Content, a.URL})
			}
		}
		text = strings.Join(parts, "\n\n")
	default:
		cv.Error = "rules.chat_unknown_type"
		return cv
	}
	if m.At.IsAtAll {
		cv.Mentions = append(cv.Mentions, "all")
	}
	cv.Mentions = append(cv.Mentions, m.At.AtMobiles...)
	cv.Mentions = append(cv.Mentions, m.At.AtUserIDs...)
	if md {
		cv.HTML = RenderChatMarkdown(text)
	} else {
		cv.HTML = strings.ReplaceAll(html.EscapeString(text), "\n", "<br>")
	}
	return cv
}

func prettyJSON(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return string(b)
	}
	return string(out)
}

// inlineToken finds the inline markup the chat platforms render; everything else is text.
var inlineToken = regexp.MustCompile(`\\[\\*_\x60\[\]~|#+=.\-<>&]|&(?:lt|gt|amp|quot|#39);|<font` + ` color="?(\w+)"?>|</font>|<at (?:id|user_id)="?([^">]+)"?></at>|<@([^>\s]+)>|\*\*|\[([^\]\n]*)\]\(([^)\s]+)\)`)

// fontClasses are the <font color> values DingTalk and WeCom markdown know.
var fontClasses = map[string]string{"warning": "chat-warning", "info": "chat-info", "comment": "chat-comment",
	"red": "chat-warning", "green": "chat-info", "gray": "chat-comment", "grey": "chat-comment"}

// RenderChatMarkdown renders the markdown subset DingTalk, Feishu lark_md and WeCom render
// (headings, bold, links, quotes, rules, lists, <font color>, mentions) to HTML. Every
// character of the input is escaped unless it is one of those marks; links keep only
// http(s) addresses. The result is safe to insert as HTML.
func RenderChatMarkdown(md string) string {
	var b strings.Builder
	lines := strings.Split(strings.ReplaceAll(md, "\r\n", "\n"), "\n")
	inQuote, inList, para := false, false, false
	closeBlocks := func() {
		if para {
			b.WriteString("</p>")
			para = false
		}
		if inQuote {
			b.WriteString("</blockquote>")
			inQuote = false
		}
		if inList {
			b.WriteString("</ul>")
			inList = false
		}
	}
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			closeBlocks()
		case trimmed == "---" || trimmed == "***":
			closeBlocks()
			b.WriteString("<hr>")
		case strings.HasPrefix(trimmed, "#"):
			closeBlocks()
			b.WriteString(`<p class="chat-h">` + renderInline(strings.TrimLeft(trimmed, "# ")) + "</p>")
		case strings.HasPrefix(trimmed, ">"):
			if !inQuote {
				closeBlocks()
				b.WriteString("<blockquote>")
				inQuote = true
			} else {
				b.WriteString("<br>")
			}
			b.WriteString(renderInline(strings.TrimSpace(strings.TrimPrefix(trimmed, ">"))))
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			if !inList {
				closeBlocks()
				b.WriteString("<ul>")
				inList = true
			}
			b.WriteString("<li>" + renderInline(trimmed[2:]) + "</li>")
		default:
			if inQuote || inList {
				closeBlocks()
			}
			if para {
				b.WriteString("<br>")
			} else {
				b.WriteString("<p>")
				para = true
			}
			b.WriteString(renderInline(line))
		}
	}
	closeBlocks()
	return b.String()
}

// renderInline renders one line: tags opened in it are closed at its end.
func renderInline(s string) string {
	var b strings.Builder
	var open []string // closing tags, innermost last
	last := 0
	for _, m := range inlineToken.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(html.EscapeString(s[last:m[0]]))
		last = m[1]
		tok := s[m[0]:m[1]]
		group := func(i int) string {
			if m[2*i] < 0 {
				return ""
			}
			return s[m[2*i]:m[2*i+1]]
		}
		switch {
		case tok[0] == '\\':
			b.WriteString(html.EscapeString(tok[1:]))
		case tok[0] == '&':
			b.WriteString(tok) // one of the five entities above: already escaped
		case strings.HasPrefix(tok, "<font"):
			if cls, ok := fontClasses[strings.ToLower(group(1))]; ok {
				b.WriteString(`<span class="` + cls + `">`)
				open = append(open, "</span>")
			}
		case tok == "</font>":
			if n := len(open); n > 0 && open[n-1] == "</span>" {
				b.WriteString("</span>")
				open = open[:n-1]
			}
		case strings.HasPrefix(tok, "<at"):
			b.WriteString(`<span class="chat-at">@` + html.EscapeString(group(2)) + `</span>`)
		case strings.HasPrefix(tok, "<@"):
			b.WriteString(`<span class="chat-at">@` + html.EscapeString(group(3)) + `</span>`)
		case tok == "**":
			if n := len(open); n > 0 && open[n-1] == "</strong>" {
				b.WriteString("</strong>")
				open = open[:n-1]
			} else {
				b.WriteString("<strong>")
				open = append(open, "</strong>")
			}
		default: // [label](url)
			label, href := group(4), group(5)
			if strings.HasPrefix(href, "https://") || strings.HasPrefix(href, "http://") {
				b.WriteString(`<a href="` + html.EscapeString(href) + `" rel="noopener` + ` noreferrer" target="_blank">` +
					html.EscapeString(label) + `</a>`)
			} else {
				b.WriteString(html.EscapeString(tok))
			}
		}
	}
	b.WriteString(html.EscapeString(s[last:]))
	for i := len(open) - 1; i >= 0; i-- {
		b.WriteString(open[i])
	}
	return b.String()
}

func robotInitial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "R"
}
