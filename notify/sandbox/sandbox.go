// Package sandbox emulates the group-robot webhook APIs of DingTalk, Feishu/Lark
// and WeCom in process: same paths, signatures, keywords, size and rate limits,
// and error codes as docs/PLATFORMS.md describes, plus fault modes.
//
// Mount it under /sandbox with http.StripPrefix("/sandbox", sb); robots are then
// reached at e.g. http://HOST/sandbox/robot/send?access_token=T (see WebhookPath).
// Where docs/PLATFORMS.md leaves a detail open the sandbox picks one and says so:
// Content-Type is checked only by DingTalk (43004); DingTalk's body-size answer uses
// errcode 460101; Feishu's busy fault answers HTTP 503 with code 503; rate limits
// count accepted messages only (checked after signature, shape and keywords);
// keywords are matched case-sensitively against title and visible text; a hung
// request that outlives HangFor is then processed normally (a slow but successful
// platform).
//
// The HTTP API next to the webhooks (GET /messages, GET and POST /robots,
// POST /robots/{token}/fault) is for demos and tests and has no authentication:
// mount it only where that is acceptable.
package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"alertdesk/notify"
)

// Fault makes a robot misbehave on purpose.
type Fault string

// Fault modes.
const (
	FaultNone        Fault = ""
	FaultBusy        Fault = "busy"         // DingTalk/WeCom errcode -1; Feishu HTTP 503 (see feishuBusy)
	FaultServerError Fault = "server_error" // HTTP 502 with an HTML body
	FaultHang        Fault = "hang"         // hold the request for Options.HangFor or until the client gives up
	FaultRateLimited Fault = "rate_limited" // answer the platform's rate-limit code
	FaultRemoved     Fault = "removed"      // DingTalk 400106, Feishu 19001, WeCom 93000
)

// Faults lists every fault mode, FaultNone first.
var Faults = []Fault{FaultNone, FaultBusy, FaultServerError, FaultHang, FaultRateLimited, FaultRemoved}

// Valid reports whether f is a known fault mode.
func (f Fault) Valid() bool {
	for _, g := range Faults {
		if f == g {
			return true
		}
	}
	return false
}

// RobotConfig is one emulated group robot.
type RobotConfig struct {
	Platform  notify.Platform `json:"platform"`
	Name      string          `json:"name"`
	Token     string          `json:"token"`               // access_token / hook token / key
	Secret    string          `json:"secret,omitempty"`    // "" = no signing required
	Keywords  []string        `json:"keywords,omitempty"`  // empty = none required
	Unlimited bool            `json:"unlimited,omitempty"` // true = no rate limit (throughput tests)
	Fault     Fault           `json:"fault,omitempty"`
	// TeamID is the console team the robot was created for (0 = by an administrator, for
	// administrators only); the console shows and controls it only for that team.
	TeamID int64 `json:"team_id,omitempty"`
}

// Received is one request the sandbox answered, accepted or not.
type Received struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Platform  notify.Platform `json:"platform"`
	Token     string          `json:"token"`
	RobotName string          `json:"robot_name"`
	Accepted  bool            `json:"accepted"`
	Code      int             `json:"code"` // platform code; HTTP status for server_error
	ErrMsg    string          `json:"errmsg"`
	Body      json.RawMessage `json:"body"`  // what was POSTed (a JSON string when it was not JSON)
	Title     string          `json:"title"` // markdown title / card header / first line
	Text      string          `json:"text"`  // visible text
	Mentions  []string        `json:"mentions"`
}

// Options configures a Sandbox.
type Options struct {
	Now          func() time.Time // default time.Now
	HangFor      time.Duration    // how long FaultHang holds a request; default 30s
	MaxMessages  int              // ring buffer size; default 10000
	AutoRegister bool             // unknown tokens become unlimited robots without secret/keywords
}

// Sandbox is an http.Handler emulating the three webhook APIs. Safe for concurrent use.
type Sandbox struct {
	opts Options
	mux  *http.ServeMux

	mu     sync.RWMutex
	robots map[string]*robot
	order  []string

	nextID atomic.Int64

	logMu  sync.Mutex
	ring   []Received
	head   int // next slot to write
	filled bool
	counts map[string]*[2]int // token → accepted, rejected
}

// robot is the live state of one RobotConfig.
type robot struct {
	mu             sync.Mutex
	cfg            RobotConfig
	sent           []time.Time // accepted sends in the last minute, oldest first
	throttledUntil time.Time   // DingTalk's 10-minute penalty
}

func (rb *robot) config() RobotConfig {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.cfg
}

// New returns an empty sandbox.
func New(opts Options) *Sandbox {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HangFor <= 0 {
		opts.HangFor = 30 * time.Second
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = 10000
	}
	s := &Sandbox{
		opts:   opts,
		robots: map[string]*robot{},
		ring:   make([]Received, opts.MaxMessages),
		counts: map[string]*[2]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/robot/send", s.dingTalk)
	mux.HandleFunc("/open-apis/bot/v2/hook/{token}", s.feishu)
	mux.HandleFunc("/cgi-bin/webhook/send", s.weCom)
	mux.HandleFunc("GET /messages", s.apiMessages)
	mux.HandleFunc("GET /robots", s.apiRobots)
	mux.HandleFunc("POST /robots", s.apiAddRobot)
	mux.HandleFunc("POST /robots/{token}/fault", s.apiFault)
	s.mux = mux
	return s
}

// ServeHTTP serves the webhook endpoints and the sandbox API relative to the
// mount point (the caller strips "/sandbox").
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// WebhookPath is the path (and query) of a robot's webhook relative to the mount point.
func WebhookPath(p notify.Platform, token string) string {
	switch p {
	case notify.DingTalk:
		return "/robot/send?access_token=" + url.QueryEscape(token)
	case notify.Feishu, notify.Lark:
		return "/open-apis/bot/v2/hook/" + url.PathEscape(token)
	case notify.WeCom:
		return "/cgi-bin/webhook/send?key=" + url.QueryEscape(token)
	}
	return ""
}

// AddRobot registers cfg, replacing a robot with the same token. An empty Token
// is generated; Secret "generate" becomes a fresh secret ("SEC…" for DingTalk).
// WeCom robots have neither secret nor keywords. The stored config is returned.
func (s *Sandbox) AddRobot(cfg RobotConfig) RobotConfig {
	if cfg.Token == "" {
		cfg.Token = newToken(cfg.Platform)
	}
	if cfg.Secret == "generate" {
		switch cfg.Platform {
		case notify.DingTalk:
			cfg.Secret = "SEC" + randomHex(32)
		default:
			cfg.Secret = randomHex(12)
		}
	}
	if !cfg.Platform.SupportsSecret() {
		cfg.Secret = ""
	}
	if !cfg.Platform.SupportsKeywords() {
		cfg.Keywords = nil
	}
	cfg.Keywords = append([]string(nil), cfg.Keywords...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cfg.Name == "" {
		cfg.Name = cfg.Platform.Label() + " robot " + strconv.Itoa(len(s.order)+1)
	}
	if _, ok := s.robots[cfg.Token]; !ok {
		s.order = append(s.order, cfg.Token)
	}
	s.robots[cfg.Token] = &robot{cfg: cfg}
	return cfg
}

// Robot returns the robot with token.
func (s *Sandbox) Robot(token string) (RobotConfig, bool) {
	rb := s.robot(token)
	if rb == nil {
		return RobotConfig{}, false
	}
	return rb.config(), true
}

func (s *Sandbox) robot(token string) *robot {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.robots[token]
}

// Robots returns all robots in the order they were added.
func (s *Sandbox) Robots() []RobotConfig {
	s.mu.RLock()
	rbs := make([]*robot, 0, len(s.order))
	for _, t := range s.order {
		rbs = append(rbs, s.robots[t])
	}
	s.mu.RUnlock()
	out := make([]RobotConfig, 0, len(rbs))
	for _, rb := range rbs {
		out = append(out, rb.config())
	}
	return out
}

// SetFault sets the fault mode of the robot with token; false if there is none.
func (s *Sandbox) SetFault(token string, f Fault) bool {
	rb := s.robot(token)
	if rb == nil {
		return false
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	rb.cfg.Fault = f
	return true
}

// UpdateRobot replaces the config of the robot with cfg.Token, keeping its
// rate-limit state; false if there is none.
func (s *Sandbox) UpdateRobot(cfg RobotConfig) bool {
	rb := s.robot(cfg.Token)
	if rb == nil {
		return false
	}
	rb.mu.Lock()
	defer rb.mu.Unlock()
	cfg.Keywords = append([]string(nil), cfg.Keywords...)
	rb.cfg = cfg
	return true
}

// Messages returns every recorded request, newest first.
func (s *Sandbox) Messages() []Received { return s.messages("") }

// MessagesFor returns the recorded requests for token, newest first.
func (s *Sandbox) MessagesFor(token string) []Received { return s.messages(token) }

func (s *Sandbox) messages(token string) []Received {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := s.head
	if s.filled {
		n = len(s.ring)
	}
	out := make([]Received, 0, min(n, 256))
	for i := 1; i <= n; i++ {
		r := &s.ring[(s.head-i+len(s.ring))%len(s.ring)]
		if token == "" || r.Token == token {
			out = append(out, *r)
		}
	}
	return out
}

// Count returns how many requests for token were accepted and rejected since
// the last Reset (not limited by the ring buffer).
func (s *Sandbox) Count(token string) (accepted, rejected int) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if c := s.counts[token]; c != nil {
		return c[0], c[1]
	}
	return 0, 0
}

// Reset forgets all recorded requests, counts and rate-limit state. Robots stay.
func (s *Sandbox) Reset() {
	s.logMu.Lock()
	clear(s.ring)
	s.head, s.filled = 0, false
	s.counts = map[string]*[2]int{}
	s.logMu.Unlock()

	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, rb := range s.robots {
		rb.mu.Lock()
		rb.sent, rb.throttledUntil = nil, time.Time{}
		rb.mu.Unlock()
	}
}

func (s *Sandbox) record(rec Received) {
	rec.ID = s.nextID.Add(1)
	s.logMu.Lock()
	defer s.logMu.Unlock()
	s.ring[s.head] = rec
	s.head++
	if s.head == len(s.ring) {
		s.head, s.filled = 0, true
	}
	c := s.counts[rec.Token]
	if c == nil {
		c = new([2]int)
		s.counts[rec.Token] = c
	}
	if rec.Accepted {
		c[0]++
	} else {
		c[1]++
	}
}

// lookup finds the robot for token on a platform family, auto-registering it
// when the options say so.
func (s *Sandbox) lookup(p notify.Platform, token string) (*robot, RobotConfig, bool) {
	if token != "" {
		if rb := s.robot(token); rb != nil {
			cfg := rb.config()
			if cfg.Platform == p || (p == notify.Feishu && cfg.Platform == notify.Lark) {
				return rb, cfg, true
			}
			return nil, RobotConfig{}, false
		}
	}
	if !s.opts.AutoRegister || token == "" {
		return nil, RobotConfig{}, false
	}
	s.mu.Lock()
	rb := s.robots[token]
	if rb == nil {
		rb = &robot{cfg: RobotConfig{Platform: p, Name: "auto " + p.Label() + " " + strconv.Itoa(len(s.order)+1), Token: token, Unlimited: true}}
		s.robots[token] = rb
		s.order = append(s.order, token)
	}
	s.mu.Unlock()
	cfg := rb.config()
	return rb, cfg, cfg.Platform == p || (p == notify.Feishu && cfg.Platform == notify.Lark)
}

// allow applies the rate limit of cfg's platform and, when allowed, counts the send.
// DingTalk: > 20 in a rolling minute → refused, and the robot is throttled for 10 minutes.
// WeCom: > 20 in a rolling minute. Feishu/Lark: > 5 in a second or > 100 in a minute.
func (rb *robot) allow(now time.Time) bool {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.cfg.Unlimited {
		return true
	}
	lim := rb.cfg.Platform.Limit()
	if now.Before(rb.throttledUntil) {
		return false
	}
	cut := 0
	for cut < len(rb.sent) && !rb.sent[cut].After(now.Add(-time.Minute)) {
		cut++
	}
	rb.sent = rb.sent[cut:]
	if lim.PerMinute > 0 && len(rb.sent) >= lim.PerMinute {
		if rb.cfg.Platform == notify.DingTalk {
			rb.throttledUntil = now.Add(10 * time.Minute)
		}
		return false
	}
	if lim.PerSecond > 0 {
		n := 0
		for i := len(rb.sent) - 1; i >= 0 && rb.sent[i].After(now.Add(-time.Second)); i-- {
			n++
		}
		if n >= lim.PerSecond {
			return false
		}
	}
	rb.sent = append(rb.sent, now)
	return true
}

func newToken(p notify.Platform) string {
	switch p {
	case notify.DingTalk:
		return randomHex(32)
	default: // Feishu/Lark hook tokens and WeCom keys are UUIDs
		h := randomHex(16)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
