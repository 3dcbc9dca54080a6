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
// Each protocol's emulator (answers, message shapes, token and secret shapes) is
// in its own file, dingtalk.go, feishu.go (Feishu and Lark) and wecom.go, and
// registered in emulators; paths, secret and keyword support and rate-limit
// windows come from the platform's notify.Spec.
//
// The HTTP API next to the webhooks (GET /messages, GET and POST /robots,
// POST /robots/{token}/fault) is for demos and tests and has no authentication:
// mount it only where that is acceptable.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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
	// Buttons are the card buttons the message shows (DingTalk actionCard, Feishu/Lark
	// card open_url buttons); links inside markdown stay in Text.
	Buttons []Button `json:"buttons,omitempty"`
}

// Button is a card button that opens URL.
type Button struct {
	Label string `json:"label"`
	URL   string `json:"url"`
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
	// recorded is closed (and replaced) whenever a request is recorded, to wake
	// WaitRecorded.
	recorded chan struct{}
}

// robot is the live state of one RobotConfig.
type robot struct {
	mu             sync.Mutex
	cfg            RobotConfig
	sent           []time.Time // accepted sends within the longest rate window, oldest first
	throttledUntil time.Time   // end of a window's penalty (DingTalk: 10 minutes)
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
		opts:     opts,
		robots:   map[string]*robot{},
		ring:     make([]Received, opts.MaxMessages),
		counts:   map[string]*[2]int{},
		recorded: make(chan struct{}),
	}
	mux := http.NewServeMux()
	for p, em := range emulators {
		hook := notify.SpecOf(p).Webhook
		if hook.TokenParam == "" {
			mux.HandleFunc(hook.Path+"{token}", func(w http.ResponseWriter, r *http.Request) {
				em.serve(s, w, r, r.PathValue("token"))
			})
		} else {
			mux.HandleFunc(hook.Path, func(w http.ResponseWriter, r *http.Request) {
				em.serve(s, w, r, r.URL.Query().Get(hook.TokenParam))
			})
		}
	}
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

// emulator is the sandbox's copy of one protocol's webhook endpoint; each lives
// in the protocol's own file and is served on the path the platform's notify.Spec
// names.
type emulator struct {
	// serve answers one request for the robot with token (from the path or the
	// query, as the platform's notify.Webhook says).
	serve    func(s *Sandbox, w http.ResponseWriter, r *http.Request, token string)
	newToken func() string // a fresh token shaped like the platform's
	// newSecret is a fresh signing secret shaped like the platform's; nil when
	// its robots have no secret.
	newSecret func() string
}

// emulators holds one emulator per protocol (notify.Spec.Protocol): the Feishu
// one serves Lark robots too.
var emulators = map[notify.Platform]emulator{
	notify.DingTalk: dingTalkEmulator,
	notify.Feishu:   feishuEmulator,
	notify.WeCom:    weComEmulator,
}

// WebhookPath is the path (and query) of a robot's webhook relative to the mount point.
func WebhookPath(p notify.Platform, token string) string {
	if !p.Valid() {
		return ""
	}
	return notify.SpecOf(p).Webhook.URL(token)
}

// AddRobot registers cfg, replacing a robot with the same token. An empty Token
// is generated; Secret "generate" becomes a fresh secret ("SEC…" for DingTalk).
// WeCom robots have neither secret nor keywords. The stored config is returned.
func (s *Sandbox) AddRobot(cfg RobotConfig) RobotConfig {
	em, known := emulators[notify.SpecOf(cfg.Platform).Protocol]
	if cfg.Token == "" {
		cfg.Token = uuidToken()
		if known {
			cfg.Token = em.newToken()
		}
	}
	if !cfg.Platform.SupportsSecret() {
		cfg.Secret = ""
	} else if cfg.Secret == "generate" {
		cfg.Secret = em.newSecret()
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
	close(s.recorded)
	s.recorded = make(chan struct{})
}

// WaitRecorded blocks until at least n requests for token have been recorded
// (accepted or not) since the last Reset, or ctx ends. Tests use it to wait for a
// request the sandbox answers after the client has gone (a hang the client gave up on).
func (s *Sandbox) WaitRecorded(ctx context.Context, token string, n int) error {
	for {
		s.logMu.Lock()
		got := 0
		if c := s.counts[token]; c != nil {
			got = c[0] + c[1]
		}
		wake := s.recorded
		s.logMu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return fmt.Errorf("sandbox: %d of %d requests for the robot recorded: %w", got, n, ctx.Err())
		}
	}
}

// lookup finds the robot for token on a platform family, auto-registering it
// when the options say so.
func (s *Sandbox) lookup(p notify.Platform, token string) (*robot, RobotConfig, bool) {
	if token != "" {
		if rb := s.robot(token); rb != nil {
			cfg := rb.config()
			if speaks(cfg.Platform, p) {
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
	return rb, cfg, speaks(cfg.Platform, p)
}

// speaks reports whether robots of platform p are served by protocol's emulator.
func speaks(p, protocol notify.Platform) bool { return notify.SpecOf(p).Protocol == protocol }

// allow applies the rate-limit windows of cfg's platform and, when allowed, counts
// the send. A window with a penalty (DingTalk's) throttles the robot for that long
// once it is exceeded. Longer windows are checked first.
func (rb *robot) allow(now time.Time) bool {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	if rb.cfg.Unlimited {
		return true
	}
	windows := rb.cfg.Platform.Windows()
	if now.Before(rb.throttledUntil) {
		return false
	}
	var longest time.Duration
	for _, w := range windows {
		longest = max(longest, w.Per)
	}
	cut := 0
	for cut < len(rb.sent) && !rb.sent[cut].After(now.Add(-longest)) {
		cut++
	}
	rb.sent = rb.sent[cut:]
	for _, w := range slices.Backward(windows) {
		n := 0
		for i := len(rb.sent) - 1; i >= 0 && rb.sent[i].After(now.Add(-w.Per)); i-- {
			n++
		}
		if n >= w.N {
			if w.Penalty > 0 {
				rb.throttledUntil = now.Add(w.Penalty)
			}
			return false
		}
	}
	rb.sent = append(rb.sent, now)
	return true
}

// uuidToken is a fresh token shaped like a Feishu/Lark hook token or a WeCom key.
func uuidToken() string {
	h := randomHex(16)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
