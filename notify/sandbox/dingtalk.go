package sandbox

import (
	"crypto/hmac"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"alertdesk/notify"
)

// dingTalkEmulator answers like DingTalk's /robot/send (docs/PLATFORMS.md §1).
var dingTalkEmulator = emulator{
	serve:     (*Sandbox).dingTalk,
	newToken:  func() string { return randomHex(32) },
	newSecret: func() string { return "SEC" + randomHex(32) },
}

const dingTalkMaxBody = 20000 // request body

// dingTalkOK is DingTalk's success body, exactly as docs/PLATFORMS.md §0.
var dingTalkOK = []byte(`{"errcode":0,"errmsg":"ok"}`)

// DingTalk error messages (English wording of the older API; docs/PLATFORMS.md §1.6).
const (
	dtMoreURL       = ", more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
	dtSignMismatch  = "sign not match" + dtMoreURL
	dtBadTimestamp  = "invalid timestamp" + dtMoreURL
	dtNoKeywords    = "keywords not in content" + dtMoreURL
	dtTokenNotExist = "token is not exist"
	dtTooFast       = "send too fast, exceed 20 times per minute"
	// The errcode of DingTalk's body-size answer is not documented (docs/PLATFORMS.md §1.6
	// only quotes the text); the sandbox uses 460101 with the observed wording.
	dtBodyTooLargeCode = 460101
	dtBodyTooLarge     = "body 大小不合法，请控制在 20000bytes 以内"
)

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
		Title       string `json:"title"`
		Text        string `json:"text"`
		SingleTitle string `json:"singleTitle"`
		SingleURL   string `json:"singleURL"`
		Btns        []struct {
			Title     string `json:"title"`
			ActionURL string `json:"actionURL"`
		} `json:"btns"`
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

func (s *Sandbox) dingTalk(w http.ResponseWriter, r *http.Request, token string) {
	q := r.URL.Query()
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
			x.dingTalk(410100, dtTooFast)
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
		if m.ActionCard.SingleURL != "" { // a single button replaces btns (docs/PLATFORMS.md §1.2)
			x.rec.Buttons = []Button{{Label: m.ActionCard.SingleTitle, URL: m.ActionCard.SingleURL}}
		} else {
			for _, b := range m.ActionCard.Btns {
				x.rec.Buttons = append(x.rec.Buttons, Button{Label: b.Title, URL: b.ActionURL})
			}
		}
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
	// A mention is real only when the id is in "at" AND "@id" is in the text (docs/PLATFORMS.md §1.3).
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
		x.dingTalk(410100, dtTooFast)
		return
	}
	x.dingTalk(0, "ok")
}
