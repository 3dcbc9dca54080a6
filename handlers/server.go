// Package handlers is alertdesk's HTTP surface: Echo handlers that parse requests,
// call db and the delivery/alerting services, and render views.
package handlers

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
	"alertdesk/pipeline"
)

// Config is what handlers need to know of the console's configuration.
type Config struct {
	BaseURL        string // for links in messages and invites, e.g. http://127.0.0.1:8080
	SecureCookies  bool
	Demo           bool
	SandboxBaseURL string // how the console reaches its own sandbox (the listen address)
	IntakeToken    string // optional global intake bearer token
	IntakeMaxBytes int64  // intake body limit (decoded), default DefaultIntakeMaxBytes
	AssetVersion   string
	SessionAuthKey []byte // 32 or 64 bytes
	SessionEncKey  []byte // 32 bytes
	// SessionMaxAge ends a session this long after sign-in, however active (default 7 days);
	// SessionIdle ends it after this long unused (default 24 hours). Both are enforced on
	// the server's session record, not only by the cookie's expiry.
	SessionMaxAge time.Duration
	SessionIdle   time.Duration
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client. A
	// request from anywhere else is its TCP peer, whatever headers it sends.
	TrustedProxies []*net.IPNet
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// DefaultLanguage is the console's language for a visitor whose browser asks for
	// neither of its languages (i18n.English when empty).
	DefaultLanguage string
	// EscalationMinStep is the shortest delay an escalation step may have (0 = 1 minute).
	EscalationMinStep time.Duration
}

// Deps are the services handlers call; cmd/web builds them once.
type Deps struct {
	DB     *db.DB
	Log    *slog.Logger
	Config Config
	Static fs.FS
	// Pipeline takes alerts in and is told when rules or silences change (nil: no intake
	// routes, and nothing is told).
	Pipeline Pipeline
	// Composer builds every message a robot receives (preview, test rule, test-send use it
	// as the pipeline does); nil: one over DB and Config.BaseURL.
	Composer *pipeline.Composer
	// Links checks the signed action links chat messages carry (nil: the links are refused).
	Links *pipeline.LinkSigner
	// Explainer answers the why page with the pipeline's decisions; nil: one over DB.
	Explainer *pipeline.Explainer
	// Delivery sends test messages through the send governor and is woken after a resend
	// (nil: test-sends are refused).
	Delivery Delivery
	// Webhooks decides which webhook URLs robots may have.
	Webhooks notify.HostPolicy
	// IntakeObserver counts refused and corrected alerts (metrics.Intake); nil = not counted.
	IntakeObserver IntakeObserver
	// Metrics serves /metrics (Prometheus); nil = not mounted.
	Metrics http.Handler
	// Sandbox is the platform emulator, mounted in demo mode (nil otherwise);
	// SaveSandbox persists its robots after a change.
	Sandbox     *sandbox.Sandbox
	SaveSandbox func() error
	// Console is this console's membership of the database's consoles (its id and the
	// roles it holds), for /readyz; nil: a bare console with no roles (tests).
	Console Console
	// Clock is the time for session lifetimes and sign-in throttling (nil = time.Now; tests).
	Clock func() time.Time
}

// Pipeline is what handlers need of the alert pipeline.
type Pipeline interface {
	Ingest(ctx context.Context, teamID int64, alerts []alerting.Alert) (pipeline.IngestResult, error)
	// ReloadAsync: rules or silences changed.
	ReloadAsync()
}

// Delivery is what handlers need of the delivery engine.
type Delivery interface {
	TestSend(ctx context.Context, a db.Actor, robot db.Robot, ruleID int64, msg notify.Message) (delivery.TestSendResult, error)
	// Wake: notifications were queued (a resend).
	Wake()
}

// Console is what handlers need of the console registry (db.Console is one).
type Console interface {
	ID() string
	Roles() []string
}

// Server bundles the Echo instance and what the handlers share.
type Server struct {
	*echo.Echo
	deps     Deps
	store    *sessions.CookieStore
	throttle *loginThrottle
	now      func() time.Time
	intake   *intakeAPI      // nil without a pipeline
	roles    map[string]role // "METHOD /path" → who may call it (see routes)
}

// New builds the console's HTTP handler with every route registered.
func New(d Deps) *Server {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = clientIP(d.Config.TrustedProxies)
	if d.Config.SessionMaxAge <= 0 {
		d.Config.SessionMaxAge = 7 * 24 * time.Hour
	}
	if d.Config.SessionIdle <= 0 {
		d.Config.SessionIdle = 24 * time.Hour
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	store := sessions.NewCookieStore(d.Config.SessionAuthKey, d.Config.SessionEncKey)
	store.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: d.Config.SecureCookies, SameSite: http.SameSiteLaxMode}
	// The cookie and its signed timestamp both expire with the absolute lifetime (the
	// store's own default would accept a cookie for 30 days); the record decides anyway.
	store.MaxAge(int(d.Config.SessionMaxAge.Seconds()))
	if d.Composer == nil {
		d.Composer = pipeline.NewComposer(d.DB, d.Config.BaseURL)
		d.Composer.SetDefaultLanguage(d.Config.DefaultLanguage)
	}
	if d.Explainer == nil {
		d.Explainer = pipeline.NewExplainer(d.DB, nil)
	}
	s := &Server{Echo: e, deps: d, store: store, throttle: newLoginThrottle(d.DB), now: d.Clock, roles: map[string]role{}}
	s.throttle.now = d.Clock
	e.HTTPErrorHandler = s.errorHandler
	e.Use(middleware.RequestID())
	e.Use(s.logRequests)
	e.Use(middleware.Recover())
	e.Use(securityHeaders)
	e.Use(s.withLocale)
	s.routes()
	return s
}

// clientIP says where a request comes from, for throttling, sessions and the audit log:
// the TCP peer, unless that peer is a listed proxy, in which case X-Forwarded-For is read
// from the right, skipping listed proxies. Loopback and private addresses are not trusted
// implicitly: a forged header from a neighbour must not pick the address it is judged by.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		return next(c)
	}
}

func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := s.deps.Log.With("request_id", c.Response().Header().Get(echo.HeaderXRequestID))
		c.Set(ctxLogger, l)
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // the error handler renders and logs it once
		}
		l.Info("http", "method", c.Request().Method, "path", c.Path(), "status", c.Response().Status,
			"dur", time.Since(start))
		return nil
	}
}

const ctxLogger = "logger"

func logger(c echo.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}
