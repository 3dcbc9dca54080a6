package notify

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"
)

// ErrDialRefused is the cause of a send that the dialing rules refused: no request left.
var ErrDialRefused = errors.New("notify: address not allowed for webhooks")

// Resolver looks up a host's addresses; *net.Resolver is one, tests pass a fake.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// policyDialer is the only way the sender reaches the network. HostPolicy checks names
// when a URL is saved and again before each send; this checks addresses when connecting,
// after resolution, so a name whose DNS points inside the network is not dialed:
//   - an official platform host must resolve to public addresses only; loopback, private,
//     link-local (cloud metadata 169.254.169.254 included), CGNAT, unspecified, multicast
//     and reserved addresses are refused;
//   - a host the operator listed (ALERTDESK_ALLOWED_WEBHOOK_HOSTS) may be internal, and
//     is dialed at exactly the addresses resolved for this connection (no second lookup
//     that a rebinding DNS could answer differently);
//   - any other host is refused (the policy should have stopped it already);
//   - the outbound proxy, when the operator set one (ALERTDESK_WEBHOOK_PROXY), is dialed
//     as configured; the proxy then resolves the webhook host and must apply its own rules.
type policyDialer struct {
	policy HostPolicy
	dialer net.Dialer

	mu       sync.RWMutex
	resolver Resolver
	proxy    string // host:port of the outbound proxy, "" = none
}

func newPolicyDialer(policy HostPolicy, timeout time.Duration) *policyDialer {
	return &policyDialer{policy: policy, resolver: net.DefaultResolver,
		dialer: net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}}
}

// SetResolver replaces the DNS resolver of the sender's dialer (tests).
func (s *Sender) SetResolver(r Resolver) {
	s.dialer.mu.Lock()
	defer s.dialer.mu.Unlock()
	s.dialer.resolver = r
}

// SetProxy sends every webhook request through the proxy at u (ALERTDESK_WEBHOOK_PROXY).
// Without it the sender dials directly and ignores HTTP_PROXY and HTTPS_PROXY.
func (s *Sender) SetProxy(u *url.URL) {
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443", "socks5": "1080"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	s.dialer.mu.Lock()
	s.dialer.proxy = net.JoinHostPort(u.Hostname(), port)
	s.dialer.mu.Unlock()
	if tr, ok := s.client.Transport.(*http.Transport); ok {
		tr.Proxy = http.ProxyURL(u)
	}
}

// DialContext connects to addr if the dialing rules allow it.
func (d *policyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrDialRefused, err)
	}
	d.mu.RLock()
	resolver, proxy := d.resolver, d.proxy
	d.mu.RUnlock()
	listed := addr == proxy || d.policy.listedAddr(host, port)
	if !listed && !isOfficialHost(host) {
		return nil, fmt.Errorf("%w: %s is not a webhook host", ErrDialRefused, host)
	}
	ips, err := resolve(ctx, resolver, host)
	if err != nil {
		return nil, err
	}
	var allowed []netip.Addr
	for _, ip := range ips {
		if listed || PublicAddr(ip) {
			allowed = append(allowed, ip)
		}
	}
	if len(allowed) == 0 {
		return nil, fmt.Errorf("%w: %s resolves to %v, which is not a public address", ErrDialRefused, host, ips)
	}
	var firstErr error
	for _, ip := range allowed {
		conn, err := d.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

func resolve(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	addrs, err := r.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && a.Zone == "" {
			out = append(out, ip.Unmap())
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	return out, nil
}

// listedAddr reports whether host:port is an operator-listed webhook host. The URL check
// already paired scheme and port; at dial time an entry without a port stands for either
// default port.
func (hp HostPolicy) listedAddr(host, port string) bool {
	return hp.listed("https", host, port) || hp.listed("http", host, port)
}

func isOfficialHost(host string) bool {
	for _, p := range Platforms {
		if host == p.OfficialHost() {
			return true
		}
	}
	return false
}

// nonPublic are the ranges, besides what netip classifies, that no platform's public
// endpoint lives in (RFC 6890 special-purpose registries).
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT (Alibaba Cloud's metadata 100.100.100.200 too)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: would reach any IPv4 address, private ones included
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("2002::/16"),       // 6to4: embeds an IPv4 address
	netip.MustParsePrefix("2001::/32"),       // Teredo: embeds an IPv4 address
}

// PublicAddr reports whether ip is a global unicast address outside every private,
// loopback, link-local, CGNAT, metadata and reserved range.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast() ||
		ip.IsUnspecified() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
