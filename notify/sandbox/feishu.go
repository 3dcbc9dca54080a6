package sandbox

import (
	"crypto/hmac"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"alertdesk/notify"
)

// feishuEmulator answers like Feishu's /open-apis/bot/v2/hook/{token}, for
// Feishu and Lark robots alike (docs/PLATFORMS.md §2).
var feishuEmulator = emulator{
	serve:     (*Sandbox).feishu,
	newToken:  uuidToken,
	newSecret: func() string { return randomHex(12) },
}

// feishuMaxBody is the platform's request body limit ("20 KB"); notify holds
// messages to 20 000 bytes to be safe.
const feishuMaxBody = 20 * 1024

// feishuOK is Feishu's success body, exactly as docs/PLATFORMS.md §0.
var feishuOK = []byte(`{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`)

// Feishu's busy answer is not documented; the sandbox answers HTTP 503 with this
// code, which notify.Classify treats as "unknown code on a 5xx" → retry.
const feishuBusy = 503

const feishuTooFast = "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"

func (x *exchange) feishu(status, code int, msg string) {
	if code == 0 {
		x.finish(http.StatusOK, 0, "success", feishuOK)
		return
	}
	b, _ := json.Marshal(struct {
		Code int      `json:"code"`
		Data struct{} `json:"data"`
		Msg  string   `json:"msg"`
	}{Code: code, Msg: msg})
	x.finish(status, code, msg, b)
}

type larkText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
	Text    string `json:"text"` // some senders use "text" in plain_text objects
}

type cardElement struct {
	Tag     string    `json:"tag"`
	Content string    `json:"content"` // markdown element
	Text    *larkText `json:"text"`    // div
	Fields  []struct {
		Text *larkText `json:"text"`
	} `json:"fields"`
	Elements []cardElement `json:"elements"` // note / column containers
	Actions  []struct {
		Text     *larkText `json:"text"`
		URL      string    `json:"url"`
		MultiURL *struct {
			URL string `json:"url"`
		} `json:"multi_url"`
	} `json:"actions"` // action row of buttons
}

type feishuCard struct {
	Header *struct {
		Title *larkText `json:"title"`
	} `json:"header"`
	Elements []cardElement `json:"elements"`
	Body     *struct {
		Elements []cardElement `json:"elements"`
	} `json:"body"` // schema 2.0
}

type postElement struct {
	Tag    string `json:"tag"`
	Text   string `json:"text"`
	UserID string `json:"user_id"`
}

type feishuMsg struct {
	Timestamp json.RawMessage `json:"timestamp"`
	Sign      string          `json:"sign"`
	MsgType   string          `json:"msg_type"`
	Content   *struct {
		Text        string `json:"text"`
		ImageKey    string `json:"image_key"`
		ShareChatID string `json:"share_chat_id"`
		Post        map[string]struct {
			Title   string          `json:"title"`
			Content [][]postElement `json:"content"`
		} `json:"post"`
	} `json:"content"`
	Card *feishuCard `json:"card"`
}

var feishuAtRE = regexp.MustCompile(`<at\s+(?:id|user_id)\s*=\s*"?([^"\s>]+)"?[^>]*>`)

func (s *Sandbox) feishu(w http.ResponseWriter, r *http.Request, token string) {
	x := s.newExchange(w, r, notify.Feishu, token)
	if r.Method != http.MethodPost {
		x.feishu(http.StatusBadRequest, 9499, "Bad Request")
		return
	}
	rb, cfg, ok := s.lookup(notify.Feishu, token)
	if !ok {
		x.feishu(http.StatusOK, 19001, "param invalid: incoming webhook access token invalid")
		return
	}
	x.rec.Platform, x.rec.RobotName = cfg.Platform, cfg.Name
	if cfg.Fault == FaultRemoved {
		x.feishu(http.StatusOK, 19001, "param invalid: incoming webhook access token invalid")
		return
	}
	if x.fault(cfg.Fault, func(f Fault) {
		if f == FaultBusy {
			x.feishu(http.StatusServiceUnavailable, feishuBusy, "service busy, please retry later")
		} else {
			x.feishu(http.StatusOK, 11232, feishuTooFast)
		}
	}) {
		return
	}
	if len(x.body) > feishuMaxBody {
		x.feishu(http.StatusBadRequest, 9499, "Bad Request")
		return
	}
	var m feishuMsg
	if err := json.Unmarshal(x.body, &m); err != nil {
		x.feishu(http.StatusBadRequest, 9499, "Bad Request")
		return
	}
	if cfg.Secret != "" {
		var tsText string
		if err := json.Unmarshal(m.Timestamp, &tsText); err != nil {
			tsText = string(m.Timestamp) // an integer timestamp
		}
		ts, err := strconv.ParseInt(tsText, 10, 64)
		if err != nil || m.Sign == "" || !withinWindow(time.Unix(ts, 0), s.opts.Now()) ||
			!hmac.Equal([]byte(m.Sign), []byte(notify.FeishuSign(cfg.Secret, ts))) {
			x.feishu(http.StatusOK, 19021, "sign match fail or timestamp is not within one hour from current time")
			return
		}
	}
	switch m.MsgType {
	case "":
		x.feishu(http.StatusOK, 19002, "params error, msg_type need")
		return
	case "text":
		if m.Content == nil || strings.TrimSpace(m.Content.Text) == "" {
			x.feishu(http.StatusOK, 19002, "params error, content.text need")
			return
		}
		x.rec.Title, x.rec.Text = firstLine(m.Content.Text), m.Content.Text
	case "post":
		if m.Content == nil || len(m.Content.Post) == 0 {
			x.feishu(http.StatusOK, 19002, "params error, content.post need")
			return
		}
		for _, loc := range []string{"zh_cn", "en_us", "ja_jp"} {
			if p, ok := m.Content.Post[loc]; ok {
				x.rec.Title, x.rec.Text = p.Title, postText(p.Content, &x.rec.Mentions)
				break
			}
		}
		if x.rec.Title == "" && x.rec.Text == "" {
			for _, p := range m.Content.Post {
				x.rec.Title, x.rec.Text = p.Title, postText(p.Content, &x.rec.Mentions)
				break
			}
		}
	case "interactive":
		if m.Card == nil {
			x.feishu(http.StatusOK, 19002, "params error, card need")
			return
		}
		if m.Card.Header != nil && m.Card.Header.Title != nil {
			x.rec.Title = m.Card.Header.Title.Content + m.Card.Header.Title.Text
		}
		var b strings.Builder
		cardText(&b, m.Card.Elements)
		if m.Card.Body != nil {
			cardText(&b, m.Card.Body.Elements)
		}
		x.rec.Text = b.String()
		x.rec.Buttons = cardButtons(m.Card.Elements)
		if m.Card.Body != nil {
			x.rec.Buttons = append(x.rec.Buttons, cardButtons(m.Card.Body.Elements)...)
		}
	case "image":
		if m.Content == nil || m.Content.ImageKey == "" {
			x.feishu(http.StatusOK, 19002, "params error, content.image_key need")
			return
		}
	case "share_chat":
		if m.Content == nil || m.Content.ShareChatID == "" {
			x.feishu(http.StatusOK, 19002, "params error, content.share_chat_id need")
			return
		}
	default:
		x.feishu(http.StatusOK, 19002, "params error, msg_type invalid")
		return
	}
	for _, sm := range feishuAtRE.FindAllStringSubmatch(x.rec.Text, -1) {
		x.rec.Mentions = append(x.rec.Mentions, feishuMention(sm[1]))
	}
	if needsKeyword(cfg.Keywords) && !containsAny(x.rec.Title+"\n"+x.rec.Text, cfg.Keywords) {
		x.feishu(http.StatusOK, 19024, "Key Words Not Found")
		return
	}
	if !rb.allow(s.opts.Now()) {
		x.feishu(http.StatusOK, 11232, feishuTooFast)
		return
	}
	x.feishu(http.StatusOK, 0, "success")
}

func feishuMention(id string) string {
	if id == "all" {
		return "all"
	}
	return "open_id:" + id
}

func postText(paras [][]postElement, mentions *[]string) string {
	var b strings.Builder
	for i, para := range paras {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, e := range para {
			switch e.Tag {
			case "text", "a":
				b.WriteString(e.Text)
			case "at":
				if e.UserID != "" {
					*mentions = append(*mentions, feishuMention(e.UserID))
				}
			}
		}
	}
	return b.String()
}

// cardButtons are the open_url buttons of a card's action rows.
func cardButtons(els []cardElement) []Button {
	var out []Button
	for _, e := range els {
		for _, a := range e.Actions {
			b := Button{URL: a.URL}
			if a.MultiURL != nil && b.URL == "" {
				b.URL = a.MultiURL.URL
			}
			if a.Text != nil {
				b.Label = a.Text.Content + a.Text.Text
			}
			if b.URL != "" {
				out = append(out, b)
			}
		}
		out = append(out, cardButtons(e.Elements)...)
	}
	return out
}

func cardText(b *strings.Builder, els []cardElement) {
	for _, e := range els {
		add := func(s string) {
			if s == "" {
				return
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(s)
		}
		add(e.Content)
		if e.Text != nil {
			add(e.Text.Content + e.Text.Text)
		}
		for _, f := range e.Fields {
			if f.Text != nil {
				add(f.Text.Content + f.Text.Text)
			}
		}
		cardText(b, e.Elements)
	}
}
