package notify_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// fakeResolver answers from a table and counts lookups; it never touches DNS.
type fakeResolver struct {
	mu      sync.Mutex
	answers map[string][]string
	asked   map[string]int
}

func (r *fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked[host]++
	var out []net.IPAddr
	for _, a := range r.answers[host] {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}

func (r *fakeResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[host]
}

// An official platform host name whose DNS answer points inside the network (the SSRF by
// DNS of the attack report) is refused when connecting, after resolution, and nothing is sent.
func TestDialRefusesOfficialHostResolvingInside(t *testing.T) {
	for _, addr := range []string{"127.0.0.1", "169.254.169.254", "10.0.0.1", "100.100.100.200", "0.0.0.0", "::1", "fd00:ec2::254", "::ffff:127.0.0.1"} {
		t.Run(addr, func(t *testing.T) {
			res := &fakeResolver{answers: map[string][]string{"oapi.dingtalk.com": {addr}}, asked: map[string]int{}}
			s := notify.NewSender(notify.HostPolicy{}, 5*time.Second)
			s.SetResolver(res)
			r := notify.Robot{Platform: notify.DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=abc123"}
			_, o := s.Send(context.Background(), r, notify.Message{Title: "t", Body: "b"})
			if o.Class != notify.Misconfigured || !strings.Contains(o.Summary, "not a public address") {
				t.Fatalf("outcome = %v %q, want Misconfigured naming a non-public address", o.Class, o.Summary)
			}
			if res.count("oapi.dingtalk.com") == 0 {
				t.Fatal("the name was never resolved: the refusal did not happen at dial time")
			}
			if strings.Contains(o.Summary, "abc123") {
				t.Fatalf("summary leaks the token: %q", o.Summary)
			}
		})
	}
}

// A host the operator listed may be internal: it is dialed at the address resolved for
// this connection (one lookup per connection, no second one a rebinding DNS could answer).
func TestDialListedInternalHostPinned(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	res := &fakeResolver{answers: map[string][]string{"hooks.internal": {"127.0.0.1"}}, asked: map[string]int{}}
	s := notify.NewSender(notify.HostPolicy{ExtraHosts: []string{"hooks.internal:" + port}}, 5*time.Second)
	s.SetResolver(res)
	cfg := sb.AddRobot(sandbox.RobotConfig{Platform: notify.WeCom, Name: "internal"})
	r := notify.Robot{Platform: notify.WeCom, WebhookURL: "http://hooks.internal:" + port + "/sandbox" + sandbox.WebhookPath(notify.WeCom, cfg.Token)}
	_, o := s.Send(context.Background(), r, notify.Message{Title: "t", Body: "b"})
	if o.Class != notify.Delivered {
		t.Fatalf("outcome = %v %q, want Delivered", o.Class, o.Summary)
	}
	if n := res.count("hooks.internal"); n != 1 {
		t.Fatalf("lookups of hooks.internal = %d, want 1", n)
	}
	// An unlisted name resolving to the same place is refused even if the policy were bypassed.
	r.WebhookURL = strings.Replace(r.WebhookURL, "hooks.internal", "other.internal", 1)
	if _, o := s.Send(context.Background(), r, notify.Message{Title: "t", Body: "b"}); o.Class != notify.Misconfigured {
		t.Fatalf("unlisted host: outcome = %v %q, want Misconfigured", o.Class, o.Summary)
	}
}

// recordingProxy is a forward proxy stand-in that refuses everything and remembers what it was asked.
func recordingProxy(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	p := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.Host)
		mu.Unlock()
		http.Error(w, "proxy says no", http.StatusForbidden)
	}))
	t.Cleanup(p.Close)
	return p, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// HTTP(S)_PROXY in the environment does not divert webhook traffic; only SetProxy
// (ALERTDESK_WEBHOOK_PROXY) does.
func TestSenderProxyOnlyWhenConfigured(t *testing.T) {
	proxy, seen := recordingProxy(t)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("HTTPS_PROXY", proxy.URL)
	e := newEnv(t, 5*time.Second)
	_, r := e.add(sandbox.RobotConfig{Platform: notify.WeCom, Name: "direct"})
	if o := e.send(t, r, notify.Message{Title: "t", Body: "b"}); o.Class != notify.Delivered {
		t.Fatalf("with HTTP_PROXY set: outcome = %v %q, want Delivered directly", o.Class, o.Summary)
	}
	if got := seen(); len(got) != 0 {
		t.Fatalf("the environment's proxy was used: %v", got)
	}

	pu, _ := url.Parse(proxy.URL)
	s := notify.NewSender(notify.HostPolicy{}, 5*time.Second)
	s.SetProxy(pu)
	official := notify.Robot{Platform: notify.DingTalk, WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=abc123"}
	_, o := s.Send(context.Background(), official, notify.Message{Title: "t", Body: "b"})
	if o.Class == notify.Delivered {
		t.Fatalf("outcome = %v, want a failure from the refusing proxy", o.Class)
	}
	if got := seen(); len(got) != 1 || got[0] != "CONNECT oapi.dingtalk.com:443" {
		t.Fatalf("proxy saw %v, want one CONNECT oapi.dingtalk.com:443", got)
	}
}

func TestPublicAddr(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "47.246.1.1": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "255.255.255.255": false, "224.0.0.1": false, "::": false, "::1": false,
		"fe80::1": false, "fc00::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "198.18.0.1": false,
	} {
		if got := notify.PublicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}
