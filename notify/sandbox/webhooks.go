package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"alertdesk/notify"
)

const maxReadBody = 1 << 20 // bodies beyond this are cut when read

// badGateway is the body of FaultServerError, a proxy's error page.
var badGateway = []byte("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n")

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
