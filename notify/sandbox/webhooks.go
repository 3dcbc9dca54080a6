package sandbox

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"alertdesk/notify"
)

// Size limits enforced by the sandbox (docs/PLATFORMS.md §0).
const (
	dingTalkMaxBody  = 20000     // request body
	feishuMaxBody    = 20 * 1024 // request body ("20 KB")
	weComMaxText     = 2048      // text.content
	weComMaxMarkdown = 4096      // markdown.content, markdown_v2.content
	maxReadBody      = 1 << 20   // bodies beyond this are cut when read
)

// Canned answers: success bodies exactly as docs/PLATFORMS.md §0.
var (
	dingTalkOK = []byte(`{"errcode":0,"errmsg":"ok"}`)
	feishuOK   = []byte(`{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}`)
	weComOK    = []byte(`{"errcode":0,"errmsg":"ok"}`)
	badGateway = []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")
)

// DingTalk error messages (English wording of the older API; docs/PLATFORMS.md §1.6).
const (
	dtMoreURL       = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
	dtSignMismatch  = "sign not match" + dtMoreURL
	dtBadTimestamp  = "invalid timestamp" + dtMoreURL
	dtNoKeywords    = "keywords not in content" + dtMoreURL
	dtTokenNotExist = "token is not exist"
	// The errcode of DingTalk's body-size answer is not documented (docs/PLATFORMS.md §1.6
	// only quotes the text); the sandbox uses 460101 with the observed wording.
	dtBodyTooLargeCode = 460101
	dtBodyTooLarge     = "body 大小不合法，请控制在 20000bytes 以内"
)

// Feishu's busy answer is not documented; the sandbox answers HTTP 503 with this
// code, which notify.Classify treats as "unknown code on a 5xx" → retry.
const feishuBusy = 503

// exchange collects what one request did, for the answer and the record.
type exchange struct {
	s    *Sandbox
	w    http.ResponseWriter
	r    *http.Request
	rec  Received
	body []byte
}

func (s *Sandbox) newExchange(w http.ResponseWriter, r *http.Request, p notify.Platform, token string) *exchange {
	x := &exchange{s: s, w: w, r: r, rec: Received{At: s.opts.Now(), Platform: p, Token: token}}
	x.body, _ = io.ReadAll(io.LimitReader(r.Body, maxReadBody))
	if len(x.body) > 0 && json.Valid(x.body) {
		x.rec.Body = json.RawMessage(x.body)
	} else {
		q, _ := json.Marshal(string(x.body)) // not JSON: keep it as a JSON string
		x.rec.Body = q
	}
	return x
}

// finish records the exchange and writes status + body.
func (x *exchange) finish(status int, code int, msg string, body []byte) {
	x.rec.Code, x.rec.ErrMsg = code, msg
	x.rec.Accepted = status == http.StatusOK && code == 0
	x.s.record(x.rec)
	ct := "application/json; charset=utf-8"
	if bytes.HasPrefix(body, []byte("<html")) {
		ct = "text/html"
	}
	x.w.Header().Set("Content-Type", ct)
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

func (x *exchange) dingTalk(code int, msg string) {
	if code == 0 {
		x.finish(http.StatusOK, 0, "ok", dingTalkOK)
		return
	}
	b, _ := json.Marshal(struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, msg})
	x.finish(http.StatusOK, code, msg, b)
}

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

// fault applies the robot's fault mode; true when the request was answered.
// FaultHang holds the request, then lets it go on normally (a slow platform that
// did deliver); when the client gives up first, it records that and returns true.
func (x *exchange) fault(f Fault, answer func(kind Fault)) bool {
	switch f {
	case FaultNone, FaultRemoved: // removed is answered by each platform like an unknown token
		return false
	case FaultHang:
		t := time.NewTimer(x.s.opts.HangFor)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-x.r.Context().Done():
			x.rec.Code, x.rec.ErrMsg = 0, "hang fault: the client gave up"
			x.s.record(x.rec)
			return true
		}
	case FaultServerError:
		x.finish(http.StatusBadGateway, http.StatusBadGateway, "server_error fault: HTTP 502 Bad Gateway", badGateway)
		return true
	default:
		answer(f)
		return true
	}
}

func isJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func containsAny(s string, kws []string) bool {
	for _, k := range kws {
		if k = strings.TrimSpace(k); k != "" && strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func needsKeyword(kws []string) bool {
	for _, k := range kws {
		if strings.TrimSpace(k) != "" {
			return true
		}
	}
	return false
}

func withinWindow(ts, now time.Time) bool {
	d := now.Sub(ts)
	return d <= notify.SignatureWindow && d >= -notify.SignatureWindow
}

// ---------------- DingTalk ----------------

type dingTalkMsg struct {
	MsgType string `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Markdown *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	Link *struct {
		Title      string `json:"title"`
		Text       string `json:"text"`
		MessageURL string `json:"messageUrl"`
	} `json:"link"`
	ActionCard *struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"actionCard"`
	FeedCard *struct {
		Links []struct {
			Title string `json:"title"`
		} `json:"links"`
	} `json:"feedCard"`
	At *struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

func (s *Sandbox) dingTalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	token := q.Get("access_token")
	x := s.newExchange(w, r, notify.DingTalk, token)
	if r.Method != http.MethodPost {
		x.dingTalk(43002, "需要POST请求 (must be POST)")
		return
	}
	if token == "" {
		x.dingTalk(40035, "缺少参数 access_token")
		return
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		x.dingTalk(43004, "无效的HTTP HEADER Content-Type (Content-Type must be application/json)")
		return
	}
	rb, cfg, ok := s.lookup(notify.DingTalk, token)
	if !ok {
		x.dingTalk(300001, dtTokenNotExist)
		return
	}
	x.rec.RobotName = cfg.Name
	if cfg.Fault == FaultRemoved {
		x.dingTalk(400106, "robot 不存在 (robot does not exist or is not in the group)")
		return
	}
	if x.fault(cfg.Fault, func(f Fault) {
		if f == FaultBusy {
			x.dingTalk(-1, "系统繁忙 (system busy)")
		} else {
			x.dingTalk(410100, "send too fast, exceed 20 times per minute")
		}
	}) {
		return
	}
	if len(x.body) > dingTalkMaxBody {
		x.dingTalk(dtBodyTooLargeCode, dtBodyTooLarge)
		return
	}
	if cfg.Secret != "" {
		now := s.opts.Now()
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || q.Get("sign") == "" {
			x.dingTalk(310000, dtSignMismatch)
			return
		}
		if !withinWindow(time.UnixMilli(ts), now) {
			x.dingTalk(310000, dtBadTimestamp)
			return
		}
		if !hmac.Equal([]byte(q.Get("sign")), []byte(notify.DingTalkSign(cfg.Secret, ts))) {
			x.dingTalk(310000, dtSignMismatch)
			return
		}
	}
	var m dingTalkMsg
	if err := json.Unmarshal(x.body, &m); err != nil {
		x.dingTalk(40035, "缺少参数 json (the body is not valid JSON)")
		return
	}
	mentionable := false
	switch m.MsgType {
	case "":
		x.dingTalk(40035, "缺少参数 msgtype")
		return
	case "text":
		if m.Text == nil || strings.TrimSpace(m.Text.Content) == "" {
			x.dingTalk(400402, "缺少参数 text.content")
			return
		}
		x.rec.Text, mentionable = m.Text.Content, true
		x.rec.Title = firstLine(m.Text.Content)
	case "markdown":
		if m.Markdown == nil || strings.TrimSpace(m.Markdown.Title) == "" {
			x.dingTalk(400402, "缺少参数 markdown.title")
			return
		}
		if strings.TrimSpace(m.Markdown.Text) == "" {
			x.dingTalk(400402, "缺少参数 markdown.text")
			return
		}
		x.rec.Title, x.rec.Text, mentionable = m.Markdown.Title, m.Markdown.Text, true
	case "link":
		if m.Link == nil || m.Link.Title == "" || m.Link.Text == "" || m.Link.MessageURL == "" {
			x.dingTalk(400402, "缺少参数 link.title/link.text/link.messageUrl")
			return
		}
		x.rec.Title, x.rec.Text = m.Link.Title, m.Link.Text
	case "actionCard":
		if m.ActionCard == nil || m.ActionCard.Title == "" || m.ActionCard.Text == "" {
			x.dingTalk(400402, "缺少参数 actionCard.title/actionCard.text")
			return
		}
		x.rec.Title, x.rec.Text = m.ActionCard.Title, m.ActionCard.Text
	case "feedCard":
		if m.FeedCard == nil || len(m.FeedCard.Links) == 0 {
			x.dingTalk(400402, "缺少参数 feedCard.links")
			return
		}
		var ts []string
		for _, l := range m.FeedCard.Links {
			ts = append(ts, l.Title)
		}
		x.rec.Title, x.rec.Text = ts[0], strings.Join(ts, "\n")
	default:
		x.dingTalk(400105, "不支持的消息类型 (unsupported msgtype "+m.MsgType+")")
		return
	}
	// A mention is real only when the id is in "at" AND "@id" is in the text (§1.3).
	if mentionable && m.At != nil {
		for _, mob := range m.At.AtMobiles {
			if mob != "" && strings.Contains(x.rec.Text, "@"+mob) {
				x.rec.Mentions = append(x.rec.Mentions, "mobile:"+mob)
			}
		}
		for _, id := range m.At.AtUserIDs {
			if id != "" && strings.Contains(x.rec.Text, "@"+id) {
				x.rec.Mentions = append(x.rec.Mentions, "userid:"+id)
			}
		}
		if m.At.IsAtAll {
			x.rec.Mentions = append(x.rec.Mentions, "all")
		}
	}
	if needsKeyword(cfg.Keywords) && !containsAny(x.rec.Title+"\n"+x.rec.Text, cfg.Keywords) {
		x.dingTalk(310000, dtNoKeywords)
		return
	}
	if !rb.allow(s.opts.Now()) {
		x.dingTalk(410100, "send too fast, exceed 20 times per minute")
		return
	}
	x.dingTalk(0, "ok")
}

// ---------------- Feishu / Lark ----------------

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

func (s *Sandbox) feishu(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
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
			x.feishu(http.StatusOK, 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]")
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
		x.feishu(http.StatusOK, 11232, "frequency limited psm[lark.oapi.app_platform_runtime]appID[1]")
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

// ---------------- WeCom ----------------

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

func (s *Sandbox) weCom(w http.ResponseWriter, r *http.Request) {
	key := r.URL.Query().Get("key")
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
		if m.MsgType == "markdown" { // markdown_v2 has no mentions (§3.3)
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

// firstLine is the first non-empty line, stripped of markdown heading and bold marks.
func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "#*> "))
		if l != "" {
			return l
		}
	}
	return ""
}
