package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Robot is what an adapter needs to post to one group robot. Credentials are
// already decrypted by the caller.
type Robot struct {
	Platform   Platform
	WebhookURL string
	Secret     string   // "" = signing off
	Keywords   []string // may be empty
}

// Message is a rendered alert message, platform-neutral.
type Message struct {
	Title    string
	Body     string // markdown text, already rendered from the rule template
	Link     string // console URL of this notification, used in the truncation marker
	Mentions []Person
	AtAll    bool
}

// Prepared is one signed request, ready to send, plus a credential-masked copy
// for the delivery record.
type Prepared struct {
	URL        string // full URL including access_token/key and (DingTalk) timestamp+sign
	Body       []byte
	MaskedURL  string // token/key/sign masked, e.g. access_token=…a3f9
	MaskedBody []byte // Feishu "sign" field masked
	Truncated  bool
	MsgType    string // "markdown", "interactive" or "text"
	Mentions   MentionPlan
	// KeywordAdded is the robot keyword put in front of the title because the message
	// did not contain one ("" when none was needed).
	KeywordAdded string
}

// Prepare renders m for r's platform, makes sure one of r.Keywords appears,
// cuts it to the platform's byte limit and signs it with timestamp now.
//
// Message shapes (docs/PLATFORMS.md §1.2, §2.2, §3.2):
//   - DingTalk: msgtype "markdown"; the text starts with "#### <title>", mentions are
//     listed in at.atMobiles/at.atUserIds/at.isAtAll and also written as "@mobile"/"@userid"
//     at the end of the text (both are needed for a real @). Limit: whole body ≤ 20 000 B.
//   - Feishu/Lark: msg_type "interactive" with a legacy card (top-level "card" key): a
//     plain_text header holding the title and one div with a lark_md text holding the body.
//     We chose the card over post/text because only cards render markdown. Mentions are
//     written the card way, <at id=ou_xxx></at> and <at id=all></at>, at the end of the
//     lark_md text. Signing puts "timestamp" (string, seconds) and "sign" in the body.
//     Limit: whole body ≤ 20 000 B.
//   - WeCom: msgtype "markdown" with "<@userid>" in the content (markdown.content ≤ 4096 B).
//     When a person can only be reached by mobile, or @all is asked for, markdown cannot
//     mention them, so a "text" message is sent instead with mentioned_list /
//     mentioned_mobile_list ("@all" in mentioned_list); text.content ≤ 2048 B and the
//     markdown is sent as plain text.
//
// Keywords: when none of r.Keywords appears in the title or body, the first keyword is
// prepended to the title. The title is never cut away by truncation and is part of the
// scanned text on every platform (DingTalk and WeCom repeat it as the first line of the
// content; Feishu scans the card header — see docs/PLATFORMS.md §2.4, not verified live).
//
// Truncation: the body (only the body; title, mentions and marker are kept whole) is
// cut at a UTF-8 boundary, never inside a mention (<at …></at>, <@…>, @id), and
// "… truncated, full message: <Link>" is appended. The limit is checked on the final
// JSON bytes (or, for WeCom, on the content string as the platform counts it).
func Prepare(r Robot, m Message, now time.Time) (Prepared, error) {
	if !r.Platform.Valid() {
		return Prepared{}, fmt.Errorf("notify: unknown platform %q", r.Platform)
	}
	u, err := url.Parse(strings.TrimSpace(r.WebhookURL))
	if err != nil || u.Host == "" {
		return Prepared{}, errors.New("notify: the webhook URL is not a valid URL")
	}
	plan := PlanMentions(r.Platform, m.Mentions, m.AtAll)
	title := cutBytes(strings.TrimSpace(strings.ToValidUTF8(m.Title, "\uFFFD")), maxTitleBytes)
	if title == "" {
		title = "Alert"
	}
	body := strings.ToValidUTF8(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\uFFFD")
	keywords := cleanKeywords(r.Keywords)
	if r.Platform == WeCom {
		keywords = nil // WeCom has no keyword setting
	}
	marker := "\n\n… truncated"
	if m.Link != "" {
		marker = "\n\n… truncated, full message: " + m.Link
	}

	p := Prepared{Mentions: plan}
	var rd renderer
	switch r.Platform {
	case DingTalk:
		rd = dingTalkRenderer(plan)
		p.MsgType = "markdown"
		if r.Secret != "" {
			ts := now.UnixMilli()
			q := u.Query()
			q.Set("timestamp", strconv.FormatInt(ts, 10))
			q.Set("sign", DingTalkSign(r.Secret, ts))
			u.RawQuery = q.Encode()
		}
	case Feishu, Lark:
		ts, sign := "", ""
		if r.Secret != "" {
			sec := now.Unix()
			ts, sign = strconv.FormatInt(sec, 10), FeishuSign(r.Secret, sec)
		}
		rd = feishuRenderer(plan, ts, sign)
		p.MsgType = "interactive"
	case WeCom:
		if len(plan.WeComMobiles) > 0 || plan.AtAll {
			rd = weComTextRenderer(plan)
			p.MsgType = "text"
		} else {
			rd = weComMarkdownRenderer(plan)
			p.MsgType = "markdown"
		}
	}

	if len(keywords) > 0 && !containsAny(title+"\n"+body, keywords) {
		title = keywords[0] + " " + title
		p.KeywordAdded = keywords[0]
	}
	out, kept, truncated, err := fit(rd, title, body, marker)
	if err != nil {
		return Prepared{}, err
	}
	if len(keywords) > 0 && !containsAny(title+"\n"+kept, keywords) {
		// The only keyword was in the part of the body that was cut away.
		title = keywords[0] + " " + title
		p.KeywordAdded = keywords[0]
		if out, _, truncated, err = fit(rd, title, body, marker); err != nil {
			return Prepared{}, err
		}
	}
	p.Body = out
	p.Truncated = truncated
	p.URL = u.String()
	p.MaskedURL = maskURL(r.Platform, u)
	p.MaskedBody = out
	if r.Platform == Feishu || r.Platform == Lark {
		if sign := feishuSignOf(out); sign != "" {
			p.MaskedBody = bytes.Replace(out, []byte(`"sign":"`+sign+`"`), []byte(`"sign":"`+Mask(sign)+`"`), 1)
		}
	}
	return p, nil
}

// renderer builds the request body for a title and a (possibly cut) body text
// followed by suffix. measured is the number compared with limit.
type renderer struct {
	limit  int
	render func(title, text string) (payload []byte, measured int)
}

// fit renders the whole body if it fits, else the longest prefix of body that
// fits together with marker. kept is the part of body that was sent.
func fit(rd renderer, title, body, marker string) (out []byte, kept string, truncated bool, err error) {
	out, n := rd.render(title, body)
	if n <= rd.limit {
		return out, body, false, nil
	}
	if _, n := rd.render(title, marker); n > rd.limit {
		return nil, "", false, fmt.Errorf("notify: the message does not fit in %d bytes even without its body (title or mentions too long)", rd.limit)
	}
	// Largest cut in [0, len(body)) that fits. Rendered size never decreases as the cut grows.
	lo, hi := 0, len(body)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if _, n := rd.render(title, body[:safeCut(body, mid)]+marker); n <= rd.limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	kept = body[:safeCut(body, lo)]
	out, _ = rd.render(title, kept+marker)
	return out, kept, true, nil
}

// safeCut returns the largest index ≤ n that is a rune boundary of s and does
// not fall inside a mention (<at …>…</at>, <@…>, @id).
func safeCut(s string, n int) int {
	if n >= len(s) {
		return len(s)
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	// Inside a tag: "<", "<a", "<at id=…", "<@user…".
	if j := strings.LastIndexByte(s[:n], '<'); j >= 0 && !strings.Contains(s[j:n], ">") && isMentionTag(s[j:]) {
		n = j
	}
	// Between <at …> and the end of </at>.
	if j := strings.LastIndex(s[:n], "<at"); j >= 0 && isMentionTag(s[j:]) && !strings.Contains(s[j:n], "</at>") {
		n = j
	}
	if n < len(s) && isIDByte(s[n]) {
		k := n
		for k > 0 && isIDByte(s[k-1]) {
			k--
		}
		if k > 0 && s[k-1] == '@' {
			n = k - 1
		}
	}
	return n
}

func isMentionTag(t string) bool {
	return strings.HasPrefix(t, "<@") ||
		strings.HasPrefix(t, "<at") && len(t) > 3 && (t[3] == ' ' || t[3] == '>' || t[3] == '\t')
}

func isIDByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.'
}

// cutBytes cuts s to at most n bytes at a rune boundary.
func cutBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func cleanKeywords(kws []string) []string {
	var out []string
	for _, k := range kws {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, k)
		}
	}
	return out
}

func containsAny(s string, kws []string) bool {
	for _, k := range kws {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// marshal encodes v without HTML escaping, so "<at …>" and "<@…>" stay literal.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("notify: marshal: " + err.Error()) // only plain structs of strings, slices and bools
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// --- DingTalk ---

type dingTalkBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At struct {
		AtMobiles []string `json:"atMobiles"`
		AtUserIDs []string `json:"atUserIds"`
		IsAtAll   bool     `json:"isAtAll"`
	} `json:"at"`
}

func dingTalkRenderer(plan MentionPlan) renderer {
	var tail strings.Builder
	for _, id := range append(append([]string(nil), plan.AtMobiles...), plan.AtUserIDs...) {
		if tail.Len() == 0 {
			tail.WriteString("\n\n")
		} else {
			tail.WriteByte(' ')
		}
		tail.WriteString("@" + id)
	}
	suffix := tail.String()
	return renderer{limit: dingTalkMaxBody, render: func(title, text string) ([]byte, int) {
		var b dingTalkBody
		b.MsgType = "markdown"
		b.Markdown.Title = title
		b.Markdown.Text = "#### " + title + "\n\n" + text + suffix
		b.At.AtMobiles = nonNil(plan.AtMobiles)
		b.At.AtUserIDs = nonNil(plan.AtUserIDs)
		b.At.IsAtAll = plan.AtAll
		out := marshal(b)
		return out, len(out)
	}}
}

// --- Feishu / Lark ---

type larkText struct {
	Tag     string `json:"tag"`
	Content string `json:"content"`
}

type feishuBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Card      struct {
		Config struct {
			WideScreenMode bool `json:"wide_screen_mode"`
		} `json:"config"`
		Header struct {
			Title larkText `json:"title"`
		} `json:"header"`
		Elements []feishuDiv `json:"elements"`
	} `json:"card"`
}

type feishuDiv struct {
	Tag  string   `json:"tag"`
	Text larkText `json:"text"`
}

func feishuRenderer(plan MentionPlan, ts, sign string) renderer {
	var tail strings.Builder
	ids := plan.FeishuIDs
	if plan.AtAll {
		ids = append([]string{"all"}, ids...)
	}
	for _, id := range ids {
		if tail.Len() == 0 {
			tail.WriteString("\n\n")
		} else {
			tail.WriteByte(' ')
		}
		tail.WriteString("<at id=" + id + "></at>")
	}
	suffix := tail.String()
	return renderer{limit: feishuMaxBody, render: func(title, text string) ([]byte, int) {
		var b feishuBody
		b.Timestamp, b.Sign = ts, sign
		b.MsgType = "interactive"
		b.Card.Config.WideScreenMode = true
		b.Card.Header.Title = larkText{Tag: "plain_text", Content: title}
		b.Card.Elements = []feishuDiv{{Tag: "div", Text: larkText{Tag: "lark_md", Content: text + suffix}}}
		out := marshal(b)
		return out, len(out)
	}}
}

func feishuSignOf(body []byte) string {
	var v struct {
		Sign string `json:"sign"`
	}
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	return v.Sign
}

// --- WeCom ---

type weComMarkdownBody struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

type weComTextBody struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content             string   `json:"content"`
		MentionedList       []string `json:"mentioned_list,omitempty"`
		MentionedMobileList []string `json:"mentioned_mobile_list,omitempty"`
	} `json:"text"`
}

func weComMarkdownRenderer(plan MentionPlan) renderer {
	var tail strings.Builder
	for _, id := range plan.WeComUserIDs {
		if tail.Len() == 0 {
			tail.WriteString("\n\n")
		} else {
			tail.WriteByte(' ')
		}
		tail.WriteString("<@" + id + ">")
	}
	suffix := tail.String()
	return renderer{limit: weComMaxMarkdown, render: func(title, text string) ([]byte, int) {
		var b weComMarkdownBody
		b.MsgType = "markdown"
		b.Markdown.Content = "### " + title + "\n\n" + text + suffix
		return marshal(b), len(b.Markdown.Content)
	}}
}

func weComTextRenderer(plan MentionPlan) renderer {
	users := append([]string(nil), plan.WeComUserIDs...)
	if plan.AtAll {
		users = append(users, "@all")
	}
	return renderer{limit: weComMaxText, render: func(title, text string) ([]byte, int) {
		var b weComTextBody
		b.MsgType = "text"
		b.Text.Content = title + "\n\n" + text
		b.Text.MentionedList = users
		b.Text.MentionedMobileList = plan.WeComMobiles
		return marshal(b), len(b.Text.Content)
	}}
}

// --- masking ---

// Mask hides a credential for display: "…" plus its last 4 characters, or only
// "…" when it is shorter than 12 characters; "" stays "".
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	r := []rune(secret)
	if len(r) < 12 {
		return "…"
	}
	return "…" + string(r[len(r)-4:])
}

var maskedParams = map[string]bool{"access_token": true, "key": true, "sign": true}

// maskURL writes u with token, key and sign masked (Feishu: the hook token in the path).
func maskURL(p Platform, u *url.URL) string {
	path := u.EscapedPath()
	if p == Feishu || p == Lark {
		if i := strings.LastIndexByte(path, '/'); i >= 0 {
			tok, _ := url.PathUnescape(path[i+1:])
			path = path[:i+1] + Mask(tok)
		}
	}
	s := u.Scheme + "://" + u.Host + path
	q := u.Query()
	if len(q) == 0 {
		return s
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		for _, v := range q[k] {
			if maskedParams[k] {
				v = Mask(v)
			} else {
				v = url.QueryEscape(v)
			}
			parts = append(parts, url.QueryEscape(k)+"="+v)
		}
	}
	return s + "?" + strings.Join(parts, "&")
}
