package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"alertdesk/handlers"
	"alertdesk/i18n"
	"alertdesk/keys"
)

// config is everything the console reads from flags and the environment, loaded once.
type config struct {
	Addr          string // ALERTDESK_ADDR, -addr
	DataDir       string // ALERTDESK_DATA_DIR, -data
	DatabaseURL   string // ALERTDESK_DATABASE_URL: postgres://…; empty = SQLite in the data directory
	AdminPassword string // ALERTDESK_ADMIN_PASSWORD (first start only)
	BaseURL       string // ALERTDESK_BASE_URL, default http://<addr>
	// DefaultLanguage: ALERTDESK_DEFAULT_LANGUAGE (en or zh-CN, default en): the console's
	// language for a browser that asks for neither, and of chat messages of teams that
	// chose none.
	DefaultLanguage string
	SecureCookies   bool          // ALERTDESK_SECURE_COOKIES
	Demo            bool          // ALERTDESK_DEMO, -demo
	AllowedHosts    []string      // ALERTDESK_ALLOWED_WEBHOOK_HOSTS (host:port, comma-separated)
	IntakeToken     string        // ALERTDESK_INTAKE_TOKEN: optional global intake bearer token
	IntakeMaxBytes  int64         // ALERTDESK_INTAKE_MAX_BYTES, -intake-max-bytes: body limit after gzip, default 32 MiB
	Retention       time.Duration // ALERTDESK_RETENTION, default 90 days
	MaxAge          time.Duration // ALERTDESK_MAX_NOTIFICATION_AGE, default 24h
	LogFormat       string        // ALERTDESK_LOG_FORMAT: text | json
	LogLevel        string        // ALERTDESK_LOG_LEVEL: debug | info | warn | error
	ShutdownWait    time.Duration
	SessionAuthKey  []byte // ALERTDESK_SESSION_KEY (hex, 32 or 64 bytes) or generated into the data dir
	SessionEncKey   []byte
	DataKey         []byte        // ALERTDESK_ENCRYPTION_KEY (hex, 32 bytes) or generated: encrypts webhook URLs and secrets
	SessionMaxAge   time.Duration // ALERTDESK_SESSION_MAX_AGE, default 7 days
	SessionIdle     time.Duration // ALERTDESK_SESSION_IDLE, default 24h
	TrustedProxies  []*net.IPNet  // ALERTDESK_TRUSTED_PROXIES: addresses or CIDRs whose X-Forwarded-For is believed
	MetricsToken    string        // ALERTDESK_METRICS_TOKEN: bearer token for /metrics (none = open)
	WebhookProxy    *url.URL      // ALERTDESK_WEBHOOK_PROXY: outbound proxy for webhook requests (none = direct)
	LinkKey         []byte        // generated into the data dir: signs chat action links
	LinkTTL         time.Duration // ALERTDESK_LINK_TTL: how long chat action links work, default 7 days
	ReopenWindow    time.Duration // ALERTDESK_INCIDENT_REOPEN: firing again this soon reopens an incident, default 1h
	// EscalationMinStep: ALERTDESK_ESCALATION_MIN_STEP, the shortest delay an escalation
	// step may have (default 1 minute); tests and demos lower it to seconds.
	EscalationMinStep time.Duration
	// ChatActions: ALERTDESK_BASE_URL names an address other than the loopback default, so
	// phones can open links to this console and messages carry action links.
	ChatActions bool
}

// envHelp is what -h prints after the flags: every environment variable the console reads.
const envHelp = `
Environment (flags override):
  ALERTDESK_ADDR                    listen address (default 127.0.0.1:8080)
  ALERTDESK_DATA_DIR                data directory (default ./data)
  ALERTDESK_DATABASE_URL            postgres://user@host:5432/db to keep the data in PostgreSQL (default: SQLite
                                    in the data directory); one console per database for now
  ALERTDESK_ADMIN_PASSWORD          first admin's password, first start only (12+ characters, not a common one)
  ALERTDESK_DEFAULT_LANGUAGE        en or zh-CN (default en): the console's language when a browser asks for neither,
                                    and the language of chat messages of teams that set none
  ALERTDESK_BASE_URL                external URL for links (default http://<listen address>); messages carry incident
                                    action links only when it is set to an address other than the loopback default
  ALERTDESK_LINK_TTL                how long incident action links in messages work (default 7d)
  ALERTDESK_INCIDENT_REOPEN         a group firing again this soon after its incident ended reopens it (default 1h)
  ALERTDESK_ESCALATION_MIN_STEP     shortest delay of an escalation step (default 1m; tests lower it, e.g. 5s)
  ALERTDESK_SECURE_COOKIES          true behind HTTPS (default false)
  ALERTDESK_DEMO                    sandbox + demo team (default false)
  ALERTDESK_ALLOWED_WEBHOOK_HOSTS   extra webhook hosts (host:port, comma-separated); may be internal
  ALERTDESK_WEBHOOK_PROXY           outbound proxy URL for webhook requests (HTTP(S)_PROXY is ignored)
  ALERTDESK_INTAKE_TOKEN            global intake bearer token
  ALERTDESK_INTAKE_MAX_BYTES        intake body limit after gzip decoding (default 32MiB)
  ALERTDESK_METRICS_TOKEN           bearer token required by /metrics
  ALERTDESK_TRUSTED_PROXIES         reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is used
  ALERTDESK_SESSION_MAX_AGE         absolute session lifetime (default 7d)
  ALERTDESK_SESSION_IDLE            idle session lifetime (default 24h)
  ALERTDESK_RETENTION               history retention (default 90d)
  ALERTDESK_MAX_NOTIFICATION_AGE    undelivered notifications expire after (default 24h)
  ALERTDESK_SESSION_KEY             hex, 32 or 64 bytes (default: generated into the data directory)
  ALERTDESK_ENCRYPTION_KEY          hex, 32 bytes (default: generated into the data directory)
  ALERTDESK_LOG_FORMAT              text | json (default text)
  ALERTDESK_LOG_LEVEL               debug | info | warn | error (default info)
`

func loadConfig(args []string, getenv func(string) string) (config, error) {
	cfg := config{Addr: "127.0.0.1:8080", DataDir: "./data", Retention: 90 * 24 * time.Hour, MaxAge: 24 * time.Hour,
		LogFormat: "text", LogLevel: "info", ShutdownWait: 10 * time.Second,
		SessionMaxAge: 7 * 24 * time.Hour, SessionIdle: 24 * time.Hour, IntakeMaxBytes: handlers.DefaultIntakeMaxBytes}
	envStr := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	envStr("ALERTDESK_ADDR", &cfg.Addr)
	envStr("ALERTDESK_DATA_DIR", &cfg.DataDir)
	envStr("ALERTDESK_DATABASE_URL", &cfg.DatabaseURL)
	if v := cfg.DatabaseURL; v != "" && !strings.HasPrefix(v, "postgres://") && !strings.HasPrefix(v, "postgresql://") {
		return cfg, fmt.Errorf("ALERTDESK_DATABASE_URL: want a PostgreSQL address like postgres://alertdesk@db.internal:5432/alertdesk, got %q "+
			"(leave it unset for SQLite in the data directory)", redactURL(v))
	}
	envStr("ALERTDESK_ADMIN_PASSWORD", &cfg.AdminPassword)
	envStr("ALERTDESK_BASE_URL", &cfg.BaseURL)
	if v := getenv("ALERTDESK_DEFAULT_LANGUAGE"); v != "" {
		if cfg.DefaultLanguage = i18n.Normalize(v); cfg.DefaultLanguage == "" {
			return cfg, fmt.Errorf("ALERTDESK_DEFAULT_LANGUAGE: want en or zh-CN, got %q", v)
		}
	}
	envStr("ALERTDESK_INTAKE_TOKEN", &cfg.IntakeToken)
	envStr("ALERTDESK_LOG_FORMAT", &cfg.LogFormat)
	envStr("ALERTDESK_LOG_LEVEL", &cfg.LogLevel)
	envStr("ALERTDESK_METRICS_TOKEN", &cfg.MetricsToken)
	var err error
	if cfg.SecureCookies, err = envBool(getenv, "ALERTDESK_SECURE_COOKIES"); err != nil {
		return cfg, err
	}
	if cfg.Demo, err = envBool(getenv, "ALERTDESK_DEMO"); err != nil {
		return cfg, err
	}
	for _, h := range strings.Split(getenv("ALERTDESK_ALLOWED_WEBHOOK_HOSTS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.AllowedHosts = append(cfg.AllowedHosts, h)
		}
	}
	if v := getenv("ALERTDESK_RETENTION"); v != "" {
		if cfg.Retention, err = parseDays(v); err != nil {
			return cfg, fmt.Errorf("ALERTDESK_RETENTION: %w", err)
		}
	}
	for key, dst := range map[string]*time.Duration{"ALERTDESK_SESSION_MAX_AGE": &cfg.SessionMaxAge,
		"ALERTDESK_SESSION_IDLE": &cfg.SessionIdle} {
		if v := getenv(key); v != "" {
			if *dst, err = parseDays(v); err != nil {
				return cfg, fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	if cfg.SessionIdle > cfg.SessionMaxAge {
		return cfg, errors.New("ALERTDESK_SESSION_IDLE: must not be longer than ALERTDESK_SESSION_MAX_AGE")
	}
	if cfg.TrustedProxies, err = parseNets(getenv("ALERTDESK_TRUSTED_PROXIES")); err != nil {
		return cfg, fmt.Errorf("ALERTDESK_TRUSTED_PROXIES: %w", err)
	}
	if v := strings.TrimSpace(getenv("ALERTDESK_WEBHOOK_PROXY")); v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "socks5") || u.Host == "" {
			return cfg, fmt.Errorf("ALERTDESK_WEBHOOK_PROXY: want a URL like http://proxy.internal:3128, got %q", v)
		}
		cfg.WebhookProxy = u
	}
	if v := getenv("ALERTDESK_MAX_NOTIFICATION_AGE"); v != "" {
		if cfg.MaxAge, err = parseDays(v); err != nil {
			return cfg, fmt.Errorf("ALERTDESK_MAX_NOTIFICATION_AGE: %w", err)
		}
	}

	intakeMax := getenv("ALERTDESK_INTAKE_MAX_BYTES")

	fs := flag.NewFlagSet("alertdesk", flag.ContinueOnError)
	var help strings.Builder
	fs.SetOutput(&help)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (ALERTDESK_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (ALERTDESK_DATA_DIR)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed a demo team with sandbox robots (ALERTDESK_DEMO)")
	fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "external URL for links (ALERTDESK_BASE_URL)")
	fs.StringVar(&intakeMax, "intake-max-bytes", intakeMax, "intake body limit, e.g. 32MiB (ALERTDESK_INTAKE_MAX_BYTES)")
	fs.Usage = func() {
		fmt.Fprintln(&help, "usage: alertdesk [flags]\n       alertdesk migrate [flags]   apply the database migrations and exit\n"+
			"       alertdesk copy-to-postgres [flags]   copy the data directory's SQLite database into ALERTDESK_DATABASE_URL")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return cfg, helpRequested{help.String() + envHelp}
	} else if err != nil {
		return cfg, fmt.Errorf("flags: %w", err)
	}
	if intakeMax != "" {
		if cfg.IntakeMaxBytes, err = parseBytes(intakeMax); err != nil {
			return cfg, fmt.Errorf("ALERTDESK_INTAKE_MAX_BYTES: %w", err)
		}
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Addr
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.ChatActions = cfg.BaseURL != "http://"+cfg.Addr
	cfg.LinkTTL, cfg.ReopenWindow, cfg.EscalationMinStep = 7*24*time.Hour, time.Hour, time.Minute
	for key, dst := range map[string]*time.Duration{"ALERTDESK_LINK_TTL": &cfg.LinkTTL, "ALERTDESK_INCIDENT_REOPEN": &cfg.ReopenWindow,
		"ALERTDESK_ESCALATION_MIN_STEP": &cfg.EscalationMinStep} {
		if v := getenv(key); v != "" {
			if *dst, err = parseDays(v); err != nil || *dst <= 0 {
				return cfg, fmt.Errorf("%s: want a duration like 7d or 90m, got %q", key, v)
			}
		}
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, fmt.Errorf("ALERTDESK_LOG_FORMAT: want text or json, got %q", cfg.LogFormat)
	}
	if v := getenv("ALERTDESK_SESSION_KEY"); v != "" {
		if cfg.SessionAuthKey, err = hex.DecodeString(v); err != nil || (len(cfg.SessionAuthKey) != 32 && len(cfg.SessionAuthKey) != 64) {
			return cfg, errors.New("ALERTDESK_SESSION_KEY: want 32 or 64 bytes as hex")
		}
	}
	if v := getenv("ALERTDESK_ENCRYPTION_KEY"); v != "" {
		if cfg.DataKey, err = hex.DecodeString(v); err != nil || len(cfg.DataKey) != 32 {
			return cfg, errors.New("ALERTDESK_ENCRYPTION_KEY: want 32 bytes as hex")
		}
	}
	return cfg, nil
}

// helpRequested carries the -h text: run prints it to stdout and the command exits 0,
// as asking for help is not a failure.
type helpRequested struct{ text string }

func (h helpRequested) Error() string { return h.text }

func envBool(getenv func(string) string, key string) (bool, error) {
	v := getenv(key)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: want true or false, got %q", key, v)
	}
	return b, nil
}

// parseNets reads comma-separated addresses and CIDRs.
func parseNets(v string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("want addresses or CIDRs like 10.0.0.5 or 10.0.0.0/24, got %q", f)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("want addresses or CIDRs like 10.0.0.5 or 10.0.0.0/24, got %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// Bounds of ALERTDESK_INTAKE_MAX_BYTES: below 64 KiB a single Alertmanager group of a few
// dozen alerts would not fit; above 1 GiB one request could take the machine's memory.
const (
	minIntakeMaxBytes = 64 << 10
	maxIntakeMaxBytes = 1 << 30
)

// parseBytes reads a size: a number of bytes, or one with a unit (KiB, MiB, GiB; KB, MB,
// GB and K, M, G are taken as the same powers of 1024).
func parseBytes(v string) (int64, error) {
	s := strings.TrimSpace(v)
	num := strings.TrimRightFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != ' ' })
	unit := strings.ToLower(strings.TrimSpace(s[len(num):]))
	shift := 0
	switch strings.TrimSuffix(strings.TrimSuffix(unit, "b"), "i") {
	case "":
		if unit != "" && unit != "b" {
			return 0, fmt.Errorf("want a size like 32MiB or 33554432, got %q", v)
		}
	case "k":
		shift = 10
	case "m":
		shift = 20
	case "g":
		shift = 30
	default:
		return 0, fmt.Errorf("want a size like 32MiB or 33554432, got %q", v)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n <= 0 || n > maxIntakeMaxBytes>>shift {
		return 0, fmt.Errorf("want a size from 64KiB to 1GiB like 32MiB, got %q", v)
	}
	n <<= shift
	if n < minIntakeMaxBytes {
		return 0, fmt.Errorf("want a size from 64KiB to 1GiB like 32MiB, got %q", v)
	}
	return n, nil
}

// parseDays accepts Go durations ("72h") and whole days ("90d").
func parseDays(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("want a positive number of days like 90d, got %q", v)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration like 90d or 2160h, got %q", v)
	}
	return d, nil
}

// loadKeys fills the keys not given in the environment from <data>/keys.json,
// creating it when missing.
func (cfg *config) loadKeys() error {
	k, err := keys.Load(cfg.DataDir)
	if err != nil {
		return err
	}
	if cfg.SessionAuthKey == nil {
		cfg.SessionAuthKey = k.SessionAuth
	}
	cfg.SessionEncKey = k.SessionEnc
	if cfg.DataKey == nil {
		cfg.DataKey = k.Data
	}
	cfg.LinkKey = k.Links
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// redactURL hides a password in a database address before it is shown.
func redactURL(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		return u.Redacted()
	}
	return v
}

// databaseAddr is what db.Open opens: the PostgreSQL address, or the SQLite file.
func (cfg config) databaseAddr() string {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL
	}
	return filepath.Join(cfg.DataDir, "alertdesk.db")
}

// sharedKeys are the keys every console on one PostgreSQL database must share, by the
// variable that sets them (db.CheckKeys compares their fingerprints).
func (cfg config) sharedKeys() map[string][]byte {
	return map[string][]byte{"ALERTDESK_ENCRYPTION_KEY": cfg.DataKey, "ALERTDESK_SESSION_KEY": cfg.SessionAuthKey}
}
