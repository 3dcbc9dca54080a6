package sandbox

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"alertdesk/notify"
)

// weComEmulator answers like WeCom's /cgi-bin/webhook/send (docs/PLATFORMS.md §3).
// WeCom robots have no secret.
var weComEmulator = emulator{
	serve:    (*Sandbox).weCom,
	newToken: uuidToken,
}

const (
	weComMaxText     = 2048 // text.content
	weComMaxMarkdown = 4096 // markdown.content, markdown_v2.content
)

// weComOK is WeCom's success body, exactly as docs/PLATFORMS.md §0.
var weComOK = []byte(`{"errcode":0,"errmsg":"ok"}`)

func (x *exchange) weCom(code int, msg string) {
	if code == 0 {
		x.finish(http.StatusOK, 0, "ok", weComOK)
		return
	}
	full := msg + ", hint: [" + strconv.FormatInt(x.rec.At.UnixNano()%1e10, 36) + "], from ip: 127.0.0.1, more info at https://open.work.weixin.qq.com/devtool/query?e=" + strconv.Itoa(code)
	b, _ := json.Marshal(struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, full})
	x.finish(http.StatusOK, code, full, b)
}

type weComMsg struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content             string   `json:"content"`
		MentionedList       []string `json:"mentioned_list"`
		MentionedMobileList []string `json:"mentioned_mobile_list"`
	} `json:"text"`
	Markdown *struct {
		Content string `json:"content"`
	} `json:"markdown"`
	MarkdownV2 *struct {
		Content string `json:"content"`
	} `json:"markdown_v2"`
	News *struct {
		Articles []struct {
			Title       string `json:"title"`
			Description string `json:"description"`
		} `json:"articles"`
	} `json:"news"`
	Image        json.RawMessage `json:"image"`
	File         json.RawMessage `json:"file"`
	Voice        json.RawMessage `json:"voice"`
	TemplateCard json.RawMessage `json:"template_card"`
}

var weComAtRE = regexp.MustCompile(`<@([^>\s]+)>`)

func (s *Sandbox) weCom(w http.ResponseWriter, r *http.Request, key string) {
	x := s.newExchange(w, r, notify.WeCom, key)
	if r.Method != http.MethodPost {
		x.weCom(43002, "require POST method")
		return
	}
	rb, cfg, ok := s.lookup(notify.WeCom, key)
	if !ok || cfg.Fault == FaultRemoved {
		if ok {
			x.rec.RobotName = cfg.Name
		}
		x.weCom(93000, "invalid webhook url")
		return
	}
	x.rec.RobotName = cfg.Name
	if x.fault(cfg.Fault, func(f Fault) {
		if f == FaultBusy {
			x.weCom(-1, "system busy")
		} else {
			x.weCom(45009, "api freq out of limit")
		}
	}) {
		return
	}
	var m weComMsg
	if err := json.Unmarshal(x.body, &m); err != nil {
		x.weCom(40035, "invalid parameter. Warning: wrong json format.")
		return
	}
	switch m.MsgType {
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Content) == "" {
			x.weCom(44004, "empty content")
			return
		}
		if len(m.Text.Content) > weComMaxText {
			x.weCom(40058, "text.content exceed max length 2048. invalid Request Parameter")
			return
		}
		x.rec.Title, x.rec.Text = firstLine(m.Text.Content), m.Text.Content
		for _, id := range m.Text.MentionedList {
			if id == "@all" {
				x.rec.Mentions = append(x.rec.Mentions, "all")
			} else if id != "" {
				x.rec.Mentions = append(x.rec.Mentions, "userid:"+id)
			}
		}
		for _, mob := range m.Text.MentionedMobileList {
			if mob == "@all" {
				x.rec.Mentions = append(x.rec.Mentions, "all")
			} else if mob != "" {
				x.rec.Mentions = append(x.rec.Mentions, "mobile:"+mob)
			}
		}
	case "markdown", "markdown_v2":
		content := ""
		if m.MsgType == "markdown" && m.Markdown != nil {
			content = m.Markdown.Content
		} else if m.MsgType == "markdown_v2" && m.MarkdownV2 != nil {
			content = m.MarkdownV2.Content
		}
		if strings.TrimSpace(content) == "" {
			x.weCom(44004, "empty content")
			return
		}
		if len(content) > weComMaxMarkdown {
			x.weCom(40058, m.MsgType+".content exceed max length 4096. invalid Request Parameter")
			return
		}
		x.rec.Title, x.rec.Text = firstLine(content), content
		if m.MsgType == "markdown" { // markdown_v2 has no mentions (docs/PLATFORMS.md §3.3)
			for _, sm := range weComAtRE.FindAllStringSubmatch(content, -1) {
				x.rec.Mentions = append(x.rec.Mentions, "userid:"+sm[1])
			}
		}
	case "news":
		if m.News == nil || len(m.News.Articles) == 0 || len(m.News.Articles) > 8 {
			x.weCom(40063, "news.articles must have 1 to 8 articles. invalid Request Parameter")
			return
		}
		x.rec.Title, x.rec.Text = m.News.Articles[0].Title, m.News.Articles[0].Description
	case "image", "file", "voice", "template_card":
		raw := map[string]json.RawMessage{"image": m.Image, "file": m.File, "voice": m.Voice, "template_card": m.TemplateCard}[m.MsgType]
		if len(raw) == 0 || string(raw) == "null" {
			x.weCom(40035, "invalid parameter: "+m.MsgType+" missing")
			return
		}
	default:
		x.weCom(40008, "invalid message type")
		return
	}
	if !rb.allow(s.opts.Now()) {
		x.weCom(45009, "api freq out of limit")
		return
	}
	x.weCom(0, "ok")
}
