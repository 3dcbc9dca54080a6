package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/handlers"

	"alertdesk/db"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// ALERTDESK_ADMIN_PASSWORD=a was accepted; now the console refuses to start, saying why.
func TestFirstAdminPasswordPolicy(t *testing.T) {
	for _, pw := range []string{"a", "12345678", "password", "qwertyqwerty"} {
		d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = ensureAdmin(context.Background(), d, config{AdminPassword: pw}, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "ALERTDESK_ADMIN_PASSWORD") {
			t.Errorf("ALERTDESK_ADMIN_PASSWORD=%q: err = %v, want a refusal naming the variable", pw, err)
		}
		if n, _ := d.CountUsers(context.Background()); n != 0 {
			t.Errorf("ALERTDESK_ADMIN_PASSWORD=%q: an admin was created", pw)
		}
		d.Close()
	}
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := ensureAdmin(context.Background(), d, config{AdminPassword: "admin-e2e-Passw0rd"}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}

func TestSecurityConfig(t *testing.T) {
	cfg, err := loadConfig(nil, env(map[string]string{
		"ALERTDESK_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24,::1",
		"ALERTDESK_SESSION_MAX_AGE": "3d", "ALERTDESK_SESSION_IDLE": "2h",
		"ALERTDESK_METRICS_TOKEN": "tok", "ALERTDESK_WEBHOOK_PROXY": "http://proxy.internal:3128",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.TrustedProxies) != 3 || cfg.TrustedProxies[0].String() != "10.0.0.5/32" || cfg.TrustedProxies[1].String() != "192.168.0.0/24" {
		t.Errorf("trusted proxies = %v", cfg.TrustedProxies)
	}
	if cfg.SessionMaxAge != 72*time.Hour || cfg.SessionIdle != 2*time.Hour || cfg.MetricsToken != "tok" ||
		cfg.WebhookProxy == nil || cfg.WebhookProxy.Host != "proxy.internal:3128" {
		t.Errorf("config = %+v", cfg)
	}
	for k, v := range map[string]string{
		"ALERTDESK_TRUSTED_PROXIES": "10.0.0.300",
		"ALERTDESK_SESSION_IDLE":    "30d",
		"ALERTDESK_WEBHOOK_PROXY":   "proxy.internal:3128",
	} {
		if _, err := loadConfig(nil, env(map[string]string{k: v})); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: err = %v, want one naming the variable", k, v, err)
		}
	}
	_, err = loadConfig([]string{"-h"}, env(nil))
	for _, k := range []string{"ALERTDESK_TRUSTED_PROXIES", "ALERTDESK_METRICS_TOKEN", "ALERTDESK_WEBHOOK_PROXY", "ALERTDESK_SESSION_IDLE", "-addr"} {
		if err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("-h does not mention %s: %v", k, err)
		}
	}
}

// HTTPS_PROXY without ALERTDESK_WEBHOOK_PROXY: the console says at start that it is ignored.
func TestProxyEnvironmentWarning(t *testing.T) {
	var out bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, env(map[string]string{"ALERTDESK_ADDR": "127.0.0.1:0", "ALERTDESK_DATA_DIR": t.TempDir(),
			"HTTPS_PROXY": "http://127.0.0.1:9"}), &syncWriter{buf: &out}, ready)
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the console did not start within 30s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ALERTDESK_WEBHOOK_PROXY") || !strings.Contains(out.String(), "HTTPS_PROXY") {
		t.Fatalf("no warning about the ignored proxy variable in:\n%s", out.String())
	}
}

// syncWriter lets the console's goroutines log into one buffer.
type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestIntakeMaxBytesSetting(t *testing.T) {
	cfg, err := loadConfig(nil, env(nil))
	if err != nil || cfg.IntakeMaxBytes != handlers.DefaultIntakeMaxBytes {
		t.Fatalf("default: %d, %v", cfg.IntakeMaxBytes, err)
	}
	for in, want := range map[string]int64{"64MiB": 64 << 20, "64M": 64 << 20, "1 GiB": 1 << 30, "512kb": 512 << 10, "2097152": 2 << 20} {
		cfg, err := loadConfig(nil, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": in}))
		if err != nil || cfg.IntakeMaxBytes != want {
			t.Errorf("%q: %d, %v; want %d", in, cfg.IntakeMaxBytes, err, want)
		}
	}
	// The flag wins over the environment.
	cfg, err = loadConfig([]string{"-intake-max-bytes", "8MiB"}, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": "64MiB"}))
	if err != nil || cfg.IntakeMaxBytes != 8<<20 {
		t.Errorf("flag: %d, %v", cfg.IntakeMaxBytes, err)
	}
	for _, bad := range []string{"lots", "1.5MiB", "-1", "0", "1KiB", "2GiB", "32 parsecs", "9999999999999999999"} {
		_, err := loadConfig(nil, env(map[string]string{"ALERTDESK_INTAKE_MAX_BYTES": bad}))
		if err == nil || !strings.Contains(err.Error(), "ALERTDESK_INTAKE_MAX_BYTES") {
			t.Errorf("%q: error %v, want one naming the setting", bad, err)
		}
	}
}

// Chat action links need an address phones reach: off with the loopback default.
func TestChatActionsNeedABaseURL(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"ALERTDESK_ADDR": "0.0.0.0:9000"}, false},
		{map[string]string{"ALERTDESK_BASE_URL": "http://127.0.0.1:8080/"}, false},
		{map[string]string{"ALERTDESK_BASE_URL": "https://alerts.example.com"}, true},
	} {
		cfg, err := loadConfig(nil, env(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.ChatActions != tc.want {
			t.Errorf("%v: chat actions %v, want %v", tc.env, cfg.ChatActions, tc.want)
		}
		if cfg.LinkTTL != 7*24*time.Hour || cfg.ReopenWindow != time.Hour {
			t.Errorf("%v: defaults %v, %v", tc.env, cfg.LinkTTL, cfg.ReopenWindow)
		}
	}
	cfg, err := loadConfig(nil, env(map[string]string{"ALERTDESK_LINK_TTL": "2d", "ALERTDESK_INCIDENT_REOPEN": "30m"}))
	if err != nil || cfg.LinkTTL != 48*time.Hour || cfg.ReopenWindow != 30*time.Minute {
		t.Errorf("configured: %v, %v, %v", cfg.LinkTTL, cfg.ReopenWindow, err)
	}
	if _, err := loadConfig(nil, env(map[string]string{"ALERTDESK_LINK_TTL": "soon"})); err == nil || !strings.Contains(err.Error(), "ALERTDESK_LINK_TTL") {
		t.Errorf("bad TTL: %v", err)
	}
}

// alertdesk -h printed "flag: help requested" and exited 1; now it prints every flag and
// every environment variable with its default to stdout and run returns nil (exit 0).
func TestHelpExitsZero(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-h"}, env(nil), &out, nil); err != nil {
		t.Fatalf("run -h = %v, want nil (exit 0)", err)
	}
	text := out.String()
	if strings.Contains(text, "help requested") {
		t.Errorf("-h output mentions the flag package's error:\n%s", text)
	}
	for _, want := range []string{"-addr", "-data", "-demo", "-base-url", "-intake-max-bytes", "(default \"127.0.0.1:8080\")",
		"ALERTDESK_ADDR", "ALERTDESK_DATA_DIR", "ALERTDESK_BASE_URL", "ALERTDESK_LOG_LEVEL", "(default info)", "(default 90d)"} {
		if !strings.Contains(text, want) {
			t.Errorf("-h output lacks %q:\n%s", want, text)
		}
	}
}

// A generated first-admin password is flagged, so the console asks for a new one until it
// is changed; a password from the environment is the operator's own and is not.
func TestGeneratedAdminPasswordIsFlagged(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"", true}, {"admin-e2e-Passw0rd", false}} {
		d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"), db.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := ensureAdmin(context.Background(), d, config{AdminPassword: tc.pw}, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		u, err := d.UserByUsername(context.Background(), "admin")
		if err != nil || u.MustChangePassword != tc.want {
			t.Errorf("password %q: MustChangePassword = %v (%v), want %v", tc.pw, u.MustChangePassword, err, tc.want)
		}
		d.Close()
	}
}
