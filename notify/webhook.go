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

// CheckWebhook returns nil when raw is an acceptable webhook URL for p, or an
// error whose text is a sentence for the user saying what was expected. The
// error never repeats the token.
func (hp HostPolicy) CheckWebhook(p Platform, raw string) error {
	spec, ok := specs[p]
	if !ok {
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
		if other, ok := platformByPath(u.EscapedPath()); ok && SpecOf(other).Protocol != spec.Protocol {
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

	return spec.Webhook.check(u, official, like, spec.Label)
}

// check tests the path and token of u (already on an accepted host) against w;
// official hosts need the exact path, listed hosts may mount it under a prefix.
func (w Webhook) check(u *url.URL, official bool, like, label string) error {
	path := u.EscapedPath()
	q := u.Query()
	if w.TokenParam != "" {
		if !pathMatches(path, w.Path, official) {
			return errors.New("the path must be " + w.Path + "; " + like)
		}
		return checkToken(q, w.TokenParam, like)
	}
	i := strings.LastIndex(path, w.Path)
	if i < 0 || (official && i != 0) {
		if w.LegacyPath != "" && strings.Contains(path, w.LegacyPath) {
			return errors.New(w.LegacyAdvice + "; " + like)
		}
		return errors.New("the path must be " + w.Path + " followed by the token; " + like)
	}
	tok := path[i+len(w.Path):]
	if tok == "" {
		return errors.New("the URL has no hook token after " + w.Path + "; copy the whole URL from the bot settings")
	}
	if strings.Contains(tok, "/") || !validToken(tok) {
		return errors.New("the hook token in the URL looks wrong; copy the whole URL from the bot settings; " + like)
	}
	if len(q) > 0 {
		return errors.New("a " + label + " webhook URL has no query string; " + like)
	}
	return nil
}

// platformByPath recognises a platform by its webhook path alone (the first in
// Platforms when several share a protocol).
func platformByPath(path string) (Platform, bool) {
	for _, s := range registry {
		if s.Webhook.matches(path) {
			return s.Platform, true
		}
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
