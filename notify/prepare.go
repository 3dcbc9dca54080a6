package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Byte limits that hold on every platform (each platform's own are in its Spec.Limits).
const (
	maxTitleBytes      = 256  // titles are cut to this many bytes before anything else
	maxResponseCapture = 4096 // Outcome.Response cap
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
	Title string
	Body  string // markdown text, already rendered from the rule template
	Link  string // console URL of this notification, used in the truncation marker
	// CutNote is the truncation marker in the message's language, link included (the
	// caller words it); "" for the English "… truncated, full message: <Link>".
	CutNote  string
	Mentions []Person
	AtAll    bool
	// Actions are links to act on the message's incident. They are never cut by
	// truncation (the body is cut to make room for them, as for the title and mentions).
	Actions []Action
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
// The message shape, the signing and the byte limit are the platform's Spec's
// (docs/PLATFORMS.md §1.2, §2.2, §3.2): DingTalk markdown, a Feishu/Lark interactive
// card, WeCom markdown or, when mobiles or @all must be mentioned, WeCom text.
//
// Keywords: when none of r.Keywords appears in the title or body, the first keyword is
// prepended to the title. The title is never cut away by truncation and is part of the
// scanned text on every platform (DingTalk and WeCom repeat it as the first line of the
// content). Feishu/Lark put the title in the card header, which the keyword check may not
// scan (docs/PLATFORMS.md §2.4, not verified live), so there the keyword also opens the
// card's text.
// Platforms without a keyword setting (WeCom) ignore r.Keywords.
//
// Actions: a message that mentions nobody carries them as buttons where the platform has
// them (DingTalk actionCard, Feishu/Lark card buttons); a DingTalk message that mentions
// someone stays markdown (only text and markdown honour @mentions) and carries them as
// markdown links; WeCom always carries them as links (markdown, or plain text when mobiles
// or @all force a text message), as its template_card holds only three jump links.
//
// Truncation: the body (only the body; title, mentions, actions and marker are kept whole) is
// cut at a UTF-8 boundary, never inside a mention (<at …></at>, <@…>, @id), and
// "… truncated, full message: <Link>" is appended. The limit is checked on the final
// JSON bytes (or, for WeCom, on the content string as the platform counts it).
func Prepare(r Robot, m Message, now time.Time) (Prepared, error) {
	spec, ok := specs[r.Platform]
	if !ok {
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
	var keywords []string
	if spec.Keywords { // a platform without the setting never refuses a message for lacking one
		keywords = cleanKeywords(r.Keywords)
	}
	marker := "\n\n… truncated"
	if m.Link != "" {
		marker = "\n\n… truncated, full message: " + m.Link
	}
	if m.CutNote != "" {
		marker = "\n\n" + m.CutNote
	}

	p := Prepared{Mentions: plan}
	rd, msgType := spec.build(r, plan, m.Actions, now, u)
	p.MsgType = msgType

	if len(keywords) > 0 && !containsAny(title+"\n"+body, keywords) {
		title = keywords[0] + " " + title
		p.KeywordAdded = keywords[0]
	}
	if len(keywords) > 0 && (r.Platform == Feishu || r.Platform == Lark) && !containsAny(body, keywords) {
		// A Feishu/Lark card's title is its header; whether the keyword check scans the
		// header is confirmed nowhere, and a refused message (19024) is silent loss: the
		// keyword also opens the card's text, which truncation never cuts.
		body = keywords[0] + "\n" + body
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
	p.MaskedURL = maskURL(spec, u)
	p.MaskedBody = out
	if spec.maskBody != nil {
		p.MaskedBody = spec.maskBody(out)
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

// maskURL writes u with token, key and sign masked (and the token in the path
// when the platform puts it there).
func maskURL(spec Spec, u *url.URL) string {
	path := u.EscapedPath()
	if spec.Webhook.TokenParam == "" {
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
