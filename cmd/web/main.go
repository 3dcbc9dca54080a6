// Command web runs the alertdesk console: the web UI, the alert intake API and the
// delivery engine, on an embedded SQLite database in the data directory.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/handlers"
	"alertdesk/metrics"
	"alertdesk/notify"
	"alertdesk/password"
	"alertdesk/pipeline"
	"alertdesk/static"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "alertdesk:", err)
		os.Exit(1)
	}
}

// run starts the console and blocks until ctx ends. ready, when not nil, receives the
// listening address once the server accepts connections (tests use it).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer, ready chan<- string) error {
	if len(args) > 0 && args[0] == "migrate" {
		return runMigrate(ctx, args[1:], getenv, stdout)
	}
	if len(args) > 0 && args[0] == "copy-to-postgres" {
		return runCopyToPostgres(ctx, args[1:], getenv, stdout)
	}
	cfg, err := loadConfig(args, getenv)
	var help helpRequested
	if errors.As(err, &help) {
		_, err = io.WriteString(stdout, help.text)
		return err
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg, stdout)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if err := cfg.loadKeys(); err != nil {
		return err
	}
	database, err := db.Open(ctx, cfg.databaseAddr(), db.Options{DataKey: cfg.DataKey})
	if err != nil {
		return err
	}
	defer database.Close()
	if err := database.CheckKeys(ctx, cfg.sharedKeys()); err != nil {
		return err
	}
	if database.Postgres() && !cfg.sharedKeysFromEnv() {
		live, err := database.LiveConsoles(ctx, database.Now(), db.HeartbeatTimeout)
		if err != nil {
			return err
		}
		if len(live) > 0 {
			return errKeysFromFiles
		}
		log.Warn("keys come from the data directory's keys.json: a second console on this database will need " +
			"ALERTDESK_ENCRYPTION_KEY and ALERTDESK_SESSION_KEY in the environment (this one too, with the same values)")
	}
	log.Info("database", "engine", database.Engine(), "schema", db.SchemaVersion())
	if err := ensureAdmin(ctx, database, cfg, log); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.BaseURL == "http://"+cfg.Addr && ln.Addr().String() != cfg.Addr {
		cfg.BaseURL = "http://" + ln.Addr().String() // port 0 in tests
	}
	hosts := notify.HostPolicy{ExtraHosts: cfg.AllowedHosts}
	var sf *sandboxFile
	sandboxURL := ""
	if cfg.Demo {
		// The sandbox lives inside this console, so its own address is an allowed webhook host.
		hosts.ExtraHosts = append(hosts.ExtraHosts, ln.Addr().String())
		if sf, err = openSandbox(cfg.DataDir); err != nil {
			return err
		}
		sandboxURL = "http://" + ln.Addr().String()
		if err := seedDemo(ctx, database, sf, sandboxURL, log); err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
	}

	// The two services: the delivery engine drains the outbox; the alert pipeline takes
	// alerts in (intake → match → group → flush) and wakes the engine when it queued
	// messages. Both compose messages with the one composer. They stop in reverse order.
	composer := pipeline.NewComposer(database, cfg.BaseURL)
	var links *pipeline.LinkSigner
	if cfg.ChatActions {
		links = pipeline.NewLinkSigner(cfg.LinkKey, cfg.LinkTTL)
		composer = pipeline.NewActionComposer(database, cfg.BaseURL, links, nil)
	} else {
		log.Info("messages carry no incident action links: ALERTDESK_BASE_URL is the loopback default, which phones cannot open", "url", cfg.BaseURL)
	}
	composer.SetDefaultLanguage(cfg.DefaultLanguage) // teams that chose no language
	sender := notify.NewSender(hosts, 10*time.Second)
	if cfg.WebhookProxy != nil {
		sender.SetProxy(cfg.WebhookProxy)
		log.Info("webhook requests go through ALERTDESK_WEBHOOK_PROXY", "proxy", cfg.WebhookProxy.Redacted())
	} else if p := envProxy(getenv); p != "" {
		log.Warn("an HTTP(S)_PROXY variable is set but webhook requests ignore it and dial directly; set ALERTDESK_WEBHOOK_PROXY to send them through a proxy",
			"variable", p)
	}
	// The delivery engine runs while this console holds the delivery role (a new engine
	// per tenure); on PostgreSQL it polls the outbox every second, as the pipeline that
	// queues may run on another console.
	engineOpts := delivery.Options{BaseURL: cfg.BaseURL, MaxAge: cfg.MaxAge, Language: cfg.DefaultLanguage, Log: log.With("component", "delivery"), Observer: metrics.Engine{}}
	if database.Postgres() {
		engineOpts.PollInterval = time.Second
	}
	dr := &deliveryRole{log: log.With("component", "delivery"), shutdownWait: cfg.ShutdownWait, lostWait: time.Second,
		standby: delivery.New(database, sender, engineOpts),
		build: func(f db.Fence) *delivery.Engine {
			o := engineOpts
			o.Fence = f
			return delivery.New(database, sender, o)
		}}
	alerts := pipeline.New(database, composer, log.With("component", "pipeline"),
		pipeline.Options{Waker: dr, Observer: metrics.Pipeline{}, ReopenWindow: cfg.ReopenWindow, ExternalTimers: true})
	if err := alerts.Start(ctx); err != nil {
		return err
	}
	defer alerts.Close()

	// This console in the database's registry, taking its roles (all of them at once on
	// SQLite; under leases on PostgreSQL, where another console may hold them).
	hostname, _ := os.Hostname()
	consoleID := db.NewConsoleID()
	console := database.NewConsole(db.ConsoleInfo{ID: consoleID, Hostname: hostname, PID: os.Getpid(), Version: buildVersion()},
		roleWork(dr, alerts, database, cfg.Retention, log), db.ConsoleOptions{Log: log.With("component", "console", "console", consoleID),
			OnBeat: func(held []string, at time.Time) { metrics.Console(consoleID, db.AllRoles, held, at) }})
	if err := console.Start(ctx); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	defer func() { // after the HTTP server has drained: stop the roles' work, hand the roles on
		dr.shuttingDown.Store(true)
		cctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownWait+5*time.Second)
		defer cancel()
		console.Close(cctx)
	}()
	log.Info("console registered", "console", consoleID, "roles", console.Roles())

	deps := handlers.Deps{
		DB:     database,
		Log:    log,
		Static: static.FS,
		Config: handlers.Config{BaseURL: cfg.BaseURL, SecureCookies: cfg.SecureCookies, Demo: cfg.Demo,
			AssetVersion: assetVersion, SessionAuthKey: cfg.SessionAuthKey, SessionEncKey: cfg.SessionEncKey,
			SessionMaxAge: cfg.SessionMaxAge, SessionIdle: cfg.SessionIdle, TrustedProxies: cfg.TrustedProxies,
			MetricsToken: cfg.MetricsToken, SandboxBaseURL: sandboxURL, IntakeToken: cfg.IntakeToken,
			IntakeMaxBytes: cfg.IntakeMaxBytes, EscalationMinStep: cfg.EscalationMinStep, DefaultLanguage: cfg.DefaultLanguage},
		Pipeline:  alerts,
		Composer:  composer,
		Links:     links,
		Explainer: alerts.Explainer(),
		Delivery:  dr,
		Console:   console,
		Webhooks:  hosts,
		Metrics:   metrics.Handler(),

		IntakeObserver: metrics.Intake{},
	}
	if sf != nil {
		deps.Sandbox, deps.SaveSandbox = sf.sb, sf.save
	}
	srvHandler := handlers.New(deps)
	srv := &http.Server{Handler: srvHandler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}()
	log.Info("alertdesk is listening", "url", cfg.BaseURL, "data_dir", cfg.DataDir, "demo", cfg.Demo)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownWait)
	defer cancel()
	return srv.Shutdown(sctx)
}

// buildVersion names this binary in the consoles table: its module version when built
// from a tagged module, else its VCS revision, else "dev".
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, st := range bi.Settings {
		if st.Key == "vcs.revision" && len(st.Value) >= 12 {
			return st.Value[:12]
		}
	}
	return "dev"
}

// assetVersion busts browser caches of /static when the binary changes.
var assetVersion = fmt.Sprint(time.Now().Unix())

func newLogger(cfg config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// envProxy names the proxy variable of the environment that Go's default transport would
// use, if any: the console's sender ignores them on purpose.
func envProxy(getenv func(string) string) string {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
		if getenv(k) != "" {
			return k
		}
	}
	return ""
}

// ensureAdmin creates the first administrator when the database has no user.
func ensureAdmin(ctx context.Context, d *db.DB, cfg config, log *slog.Logger) error {
	n, err := d.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw, generated := cfg.AdminPassword, false
	if pw == "" {
		pw, generated = randomHex(12), true
	} else if err := password.Check(pw); err != nil {
		return fmt.Errorf("ALERTDESK_ADMIN_PASSWORD: %s (it becomes the first administrator's password; "+
			"unset it to have one generated and printed once)", strings.TrimSuffix(password.Advice(err), "."))
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	if _, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: "admin", DisplayName: "Administrator",
		PasswordHash: hash, Role: db.RoleAdmin, MustChangePassword: generated}); errors.Is(err, db.ErrConflict) {
		return nil // another console sharing the database created it at the same moment
	} else if err != nil {
		return fmt.Errorf("create first admin: %w", err)
	}
	if generated {
		// Printed once, on purpose: the operator needs it to sign in the first time.
		log.Warn("created the first administrator with a generated password; change it after signing in",
			"username", "admin", "password", pw)
	} else {
		log.Info("created the first administrator from ALERTDESK_ADMIN_PASSWORD", "username", "admin")
	}
	return nil
}

// runMigrate applies the pending migrations and exits: `alertdesk migrate` before starting
// consoles of a new version. Consoles apply them at start too, under the same lock.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	database, err := db.Open(ctx, cfg.databaseAddr(), db.Options{})
	if err != nil {
		return err
	}
	defer database.Close()
	fmt.Fprintf(stdout, "alertdesk: migrations applied (%s)\n", database.Engine())
	return nil
}

// runCopyToPostgres copies the data directory's SQLite database into the empty PostgreSQL
// database ALERTDESK_DATABASE_URL names. Stop the console first: rows it writes during the
// copy are not copied.
func runCopyToPostgres(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("copy-to-postgres: set ALERTDESK_DATABASE_URL to the PostgreSQL database to copy into")
	}
	file := filepath.Join(cfg.DataDir, "alertdesk.db")
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("copy-to-postgres: no SQLite database to copy: %w", err)
	}
	// The data key opens nothing here (secrets are copied sealed), but the consoles on
	// PostgreSQL must run with this one: keys.json of this data directory, or the same
	// ALERTDESK_ENCRYPTION_KEY.
	if err := cfg.loadKeys(); err != nil {
		return err
	}
	src, err := db.Open(ctx, file, db.Options{DataKey: cfg.DataKey})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := db.Open(ctx, cfg.DatabaseURL, db.Options{DataKey: cfg.DataKey})
	if err != nil {
		return err
	}
	defer dst.Close()
	if live, err := dst.LiveConsoles(ctx, dst.Now(), db.HeartbeatTimeout); err != nil {
		return fmt.Errorf("copy-to-postgres: %w", err)
	} else if len(live) > 0 {
		return fmt.Errorf("copy-to-postgres: %d console(s) are running on the PostgreSQL database; stop them first", len(live))
	}
	if err := dst.CheckKeys(ctx, cfg.sharedKeys()); err != nil {
		return fmt.Errorf("copy-to-postgres: %w", err)
	}
	stats, err := src.CopyTo(ctx, dst)
	if err != nil {
		return err
	}
	var total int64
	for _, n := range stats {
		total += n
	}
	fmt.Fprintf(stdout, "alertdesk: copied %d rows from %s to PostgreSQL (%d teams, %d robots, %d rules, %d alerts, %d notifications); "+
		"start the consoles with the same keys (ALERTDESK_ENCRYPTION_KEY, ALERTDESK_SESSION_KEY or this data directory's keys.json)\n",
		total, file, stats["teams"], stats["robots"], stats["rules"], stats["alerts"], stats["notifications"])
	return nil
}
