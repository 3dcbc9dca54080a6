package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Sender posts prepared messages to robot webhooks. It is safe for concurrent use.
type Sender struct {
	policy  HostPolicy
	timeout time.Duration
	client  *http.Client
	dialer  *policyDialer // dial.go: addresses checked after resolution

	mu  sync.RWMutex
	now func() time.Time
}

// maxReadBody is how much of a response Send reads; webhook answers are tiny.
const maxReadBody = 64 << 10

// NewSender returns a Sender that refuses URLs outside policy and gives each
// request timeout (e.g. 10s) from connect to the end of the response body.
// Redirects are never followed.
func NewSender(policy HostPolicy, timeout time.Duration) *Sender {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	dialer := newPolicyDialer(policy, min(timeout, 5*time.Second))
	tr := &http.Transport{
		Proxy:                 nil, // only ALERTDESK_WEBHOOK_PROXY (SetProxy), never the environment's
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   min(timeout, 5*time.Second),
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{
		policy:  policy,
		timeout: timeout,
		dialer:  dialer,
		now:     time.Now,
		client: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
}

// SetClock replaces the clock used for signature timestamps (tests).
func (s *Sender) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

func (s *Sender) clock() time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.now()
}

// Send checks r's webhook URL against the policy, prepares m with a fresh
// timestamp, POSTs it and classifies the answer. A refused URL gives a
// Misconfigured outcome and no request; a transport error or timeout gives
// Retry. Summaries and errors never contain the URL, token or secret.
func (s *Sender) Send(ctx context.Context, r Robot, m Message) (Prepared, Outcome) {
	name := r.Platform.Label()
	if err := s.policy.CheckWebhook(r.Platform, r.WebhookURL); err != nil {
		return Prepared{}, Outcome{Class: Misconfigured, Summary: "The webhook URL was refused: " + err.Error()}
	}
	p, err := Prepare(r, m, s.clock())
	if err != nil {
		return Prepared{}, Outcome{Class: Rejected, Summary: "The message could not be prepared for " + name + ": " + strings.TrimPrefix(err.Error(), "notify: ")}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL, bytes.NewReader(p.Body))
	if err != nil {
		return p, Outcome{Class: Misconfigured, Summary: "The webhook URL could not be used for a request"}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "alertdesk")

	start := time.Now()
	resp, err := s.client.Do(req)
	if errors.Is(err, ErrDialRefused) {
		return p, Outcome{Class: Misconfigured, Summary: "The webhook host was refused when connecting: " +
			strings.TrimPrefix(scrub(errors.Unwrap(err).Error()), "notify: ")}
	}
	if err != nil {
		o := Outcome{Class: Retry, Latency: time.Since(start), Summary: s.transportSummary(ctx, name, err)}
		return p, o
	}
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxReadBody))
	lat := time.Since(start)
	if rerr != nil {
		return p, Outcome{Class: Retry, HTTPStatus: resp.StatusCode, Latency: lat, Response: capResponse(body),
			Summary: s.transportSummary(ctx, name, rerr) + " while reading the answer"}
	}
	o := Classify(r.Platform, resp.StatusCode, body)
	o.Latency = lat
	if o.Class == Delivered {
		o.Summary = fmt.Sprintf("Delivered in %d ms", lat.Milliseconds())
	}
	if o.Class == RateLimited && resp.StatusCode == http.StatusTooManyRequests {
		if d, ok := retryAfterHeader(resp.Header.Get("Retry-After")); ok && d > o.RetryAfter {
			o.RetryAfter = d
		}
	}
	return p, o
}

// transportSummary says what went wrong without the URL (url.Error embeds it).
func (s *Sender) transportSummary(ctx context.Context, name string, err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return "Sending to " + name + " was cancelled; the message may or may not have been delivered"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return fmt.Sprintf("%s did not answer within %s; the message may still have been delivered and will be retried", name, s.timeout)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("The %s host name could not be resolved (DNS); it will be retried", name)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("%s refused the connection; it will be retried", name)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("The connection to %s was closed before an answer arrived; it will be retried", name)
	}
	if strings.Contains(err.Error(), "certificate") {
		return fmt.Sprintf("The TLS certificate of the %s host was not accepted (%s)", name, scrub(err.Error()))
	}
	return fmt.Sprintf("Sending to %s failed (%s); it will be retried", name, scrub(err.Error()))
}

// scrub removes anything that looks like a URL query or hook path from an error text.
func scrub(s string) string {
	for _, marker := range []string{"access_token=", "key=", "sign=", "/hook/"} {
		if i := strings.Index(s, marker); i >= 0 {
			s = s[:i+len(marker)] + "…"
		}
	}
	return cutBytes(s, 200)
}

func retryAfterHeader(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 && secs < 24*3600 {
		return time.Duration(secs) * time.Second, true
	}
	return 0, false
}
