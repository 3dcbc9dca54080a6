package integrations

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxLoggedBody bounds what the inbound log keeps of one payload.
const MaxLoggedBody = 16 << 10

// credentialKey matches the names under which payloads carry credentials.
var credentialKey = regexp.MustCompile(`(?i)(token|secret|password|passwd|signature|authorization|api_?key|access_?key|credential|cookie)`)

const masked = "****"

// MaskPayload prepares a payload for the inbound log: values under credential-like keys
// (JSON at any depth, or form fields) become ****, every occurrence of the given
// credentials (the token or secret the request presented) too, invalid UTF-8 is
// replaced, and the result is cut to MaxLoggedBody bytes. It reports whether it cut.
func MaskPayload(body []byte, contentType string, credentials ...string) (string, bool) {
	text := string(body)
	switch guessFormat(body, contentType) {
	case FormatJSON:
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err == nil {
			if b, err := json.MarshalIndent(maskValue(doc), "", "  "); err == nil {
				text = string(b)
			}
		}
	case FormatForm:
		if vals, err := url.ParseQuery(text); err == nil {
			for k := range vals {
				if credentialKey.MatchString(k) {
					vals[k] = []string{masked}
				}
			}
			text = vals.Encode()
		}
	}
	for _, c := range credentials {
		if len(c) >= 4 {
			text = strings.ReplaceAll(text, c, masked)
			text = strings.ReplaceAll(text, url.QueryEscape(c), masked)
		}
	}
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= MaxLoggedBody {
		return text, false
	}
	cut := MaxLoggedBody
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut], true
}

func maskValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, vv := range x {
			if credentialKey.MatchString(k) {
				if _, isObj := vv.(map[string]any); !isObj {
					x[k] = masked
					continue
				}
			}
			x[k] = maskValue(vv)
		}
	case []any:
		for i := range x {
			x[i] = maskValue(x[i])
		}
	case string:
		// A JSON document inside a string (SMN's message) is masked too.
		t := strings.TrimSpace(x)
		if len(t) > 1 && (t[0] == '{' || t[0] == '[') {
			dec := json.NewDecoder(strings.NewReader(t))
			dec.UseNumber()
			var inner any
			if dec.Decode(&inner) == nil {
				if b, err := json.Marshal(maskValue(inner)); err == nil {
					return string(b)
				}
			}
		}
	}
	return v
}
