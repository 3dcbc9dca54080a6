package notify

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// HostPolicy decides which webhook URLs the console may POST to: the platforms'
// official hosts over https, plus hosts the operator lists ("host:port", http or
// https) whose path must still end with the platform's official path — e.g. the
// built-in sandbox at http://127.0.0.1:8080/sandbox/robot/send?access_token=T.
// This is the guard against the console being used to reach internal addresses.
type HostPolicy struct {
	ExtraHosts []string
}

// Official paths (docs/PLATFORMS.md §0).
const (
	dingTalkPath = "/robot/send"
	feishuPath   = "/open-apis/bot/v2/hook/" // + token
	feishuV1Path = "/open-apis/bot/hook/"
	weComPath    = "/cgi-bin/webhook/send"
)

// CheckWebhook returns nil when raw is an acceptable webhook URL for p, or an
// error whose text is a sentence for the user saying what was expected. The
// error never repeats the token.
func (hp HostPolicy) CheckWebhook(p Platform, raw string) error {
	if !p.Valid() {
		return fmt.Errorf("unknown platform %q", string(p))
	}
	like := fmt.Sprintf("a %s robot's URL looks like %s", p.Label(), p.ExampleURL())
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return errors.New("paste the robot's webhook URL; " + like)
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return errors.New("the webhook URL must not contain spaces or line breaks; " + like)
	}
	if !strings.Contains(raw, "/") && !strings.Contains(raw, ".") {
		return errors.New("paste the whole webhook URL, not only the token; " + like)
	}
	if !strings.Contains(raw, "://") {
		if i := strings.IndexAny(raw, "/?"); i > 0 && strings.Contains(raw[:i], ".") {
			return errors.New("the webhook URL must start with https://; " + like)
		}
		return errors.New("paste the whole webhook URL, not only the token; " + like)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return errors.New("this is not a valid URL; " + like)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return errors.New("the webhook URL must start with https://; " + like)
	}
	if u.User != nil {
		return errors.New("the webhook URL must not contain a user name or password; " + like)
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return errors.New("the webhook URL must not contain a # fragment; " + like)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()

	// A URL of another platform?
	for _, other := range Platforms {
		if other != p && host == other.OfficialHost() {
			return fmt.Errorf("this is a %s webhook URL; %s", other.Label(), like)
		}
	}
	if host != p.OfficialHost() && !hp.listed(scheme, host, port) {
		if other, ok := platformByPath(u.EscapedPath()); ok && other != p && !(isFeishuFamily(other) && isFeishuFamily(p)) {
			return fmt.Errorf("this looks like a %s webhook URL; %s", other.Label(), like)
		}
		return fmt.Errorf("host %s is not a %s host (%s)", u.Hostname(), p.Label(), like)
	}
	official := host == p.OfficialHost()
	if official {
		if scheme != "https" {
			return fmt.Errorf("use https:// for %s; %s", host, like)
		}
		if port != "" && port != "443" {
			return fmt.Errorf("%s is only reached on the standard https port; %s", host, like)
		}
	}

	path := u.EscapedPath()
	q := u.Query()
	switch p {
	case DingTalk:
		if !pathMatches(path, dingTalkPath, official) {
			return errors.New("the path must be /robot/send; " + like)
		}
		return checkToken(q, "access_token", like)
	case WeCom:
		if !pathMatches(path, weComPath, official) {
			return errors.New("the path must be /cgi-bin/webhook/send; " + like)
		}
		return checkToken(q, "key", like)
	default: // Feishu, Lark
		i := strings.LastIndex(path, feishuPath)
		if i < 0 || (official && i != 0) {
			if strings.Contains(path, feishuV1Path) {
				return errors.New("this is a legacy v1 hook URL; create the custom bot again to get a /open-apis/bot/v2/hook/ URL; " + like)
			}
			return errors.New("the path must be /open-apis/bot/v2/hook/ followed by the token; " + like)
		}
		tok := path[i+len(feishuPath):]
		if tok == "" {
			return errors.New("the URL has no hook token after /open-apis/bot/v2/hook/; copy the whole URL from the bot settings")
		}
		if strings.Contains(tok, "/") || !validToken(tok) {
			return errors.New("the hook token in the URL looks wrong; copy the whole URL from the bot settings; " + like)
		}
		if len(q) > 0 {
			return errors.New("a " + p.Label() + " webhook URL has no query string; " + like)
		}
		return nil
	}
}

func isFeishuFamily(p Platform) bool { return p == Feishu || p == Lark }

// platformByPath recognises a platform by its webhook path alone.
func platformByPath(path string) (Platform, bool) {
	switch {
	case strings.HasSuffix(path, dingTalkPath):
		return DingTalk, true
	case strings.Contains(path, feishuPath), strings.Contains(path, feishuV1Path):
		return Feishu, true
	case strings.HasSuffix(path, weComPath):
		return WeCom, true
	}
	return "", false
}

// pathMatches: official hosts need the exact path; listed hosts need it as a suffix
// at a segment boundary (so a sandbox can be mounted under a prefix).
func pathMatches(path, want string, official bool) bool {
	if official {
		return path == want
	}
	return strings.HasSuffix(path, want) // want starts with "/", so this is a segment boundary
}

func checkToken(q url.Values, name, like string) error {
	vals, ok := q[name]
	if !ok || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
		return fmt.Errorf("the URL has no %s; copy the whole webhook URL from the robot settings", name)
	}
	if len(vals) > 1 {
		return fmt.Errorf("the URL has %s more than once; %s", name, like)
	}
	if !validToken(vals[0]) {
		return fmt.Errorf("the %s in the URL looks wrong (only letters, digits, - and _ are expected); %s", name, like)
	}
	return nil
}

func validToken(t string) bool {
	if t == "" || len(t) > 256 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// listed reports whether host:port is one of the operator's extra hosts. Entries
// are "host:port"; an entry without a port means the scheme's default port.
func (hp HostPolicy) listed(scheme, host, port string) bool {
	def := "443"
	if scheme == "http" {
		def = "80"
	}
	if port == "" {
		port = def
	}
	want := net.JoinHostPort(host, port)
	for _, e := range hp.ExtraHosts {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		h, pt, err := net.SplitHostPort(e)
		if err != nil {
			h, pt = strings.Trim(e, "[]"), def
		}
		if net.JoinHostPort(h, pt) == want {
			return true
		}
	}
	return false
}
