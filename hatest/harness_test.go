// Package hatest proves the high-availability promise on PostgreSQL end to end: several
// console processes (the real binary) on one database, behind a round-robin sender, one
// of them killed with SIGKILL again and again, and a platform sandbox in the test process
// that outlives every console and records what the chat platforms would have received.
//
// PostgreSQL: ALERTDESK_TEST_POSTGRES names the server (a postgres:// address, or 1 for
// postgres://postgres@127.0.0.1:5432/postgres); the tests then fail when it cannot be
// reached. Unset, they try that default address and skip when nothing answers there.
package hatest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the admin connection

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// binPath is the console binary TestMain builds once (CGO_ENABLED=0, as shipped).
var binPath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "alertdesk-ha-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hatest:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hatest:", err)
		return 1
	}
	binPath = filepath.Join(tmp, "alertdesk")
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goBin, "build", "-o", binPath, "./cmd/web")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "hatest: go build ./cmd/web: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// ---------------------------------------------------------------------------
// PostgreSQL

const postgresEnv = "ALERTDESK_TEST_POSTGRES"
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres"

// postgresServer returns the address of the server to make test databases on, or skips
// the test when none is named and none answers at the default address.
func postgresServer(t testing.TB) string {
	t.Helper()
	base, named := os.Getenv(postgresEnv), true
	switch base {
	case "":
		base, named = defaultPostgres, false
	case "1", "true":
		base = defaultPostgres
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := sql.Open("pgx", base)
	if err == nil {
		err = conn.PingContext(ctx)
		conn.Close()
	}
	if err != nil {
		if !named {
			t.Skipf("no PostgreSQL at %s (%v); set %s to a server's address to run the high-availability tests", base, err, postgresEnv)
		}
		t.Fatalf("%s=%s: PostgreSQL cannot be reached: %v", postgresEnv, os.Getenv(postgresEnv), err)
	}
	return base
}

// newDatabase creates an empty database on the server (dropped when t ends) and returns
// its address.
func newDatabase(t testing.TB, server, prefix string) string {
	t.Helper()
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", server)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// randomKey is a fresh 32-byte key as hex (ALERTDESK_ENCRYPTION_KEY, ALERTDESK_SESSION_KEY).
func randomKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// migrate runs `alertdesk migrate` against the database env names.
func migrate(t testing.TB, env []string) {
	t.Helper()
	cmd := exec.Command(binPath, "migrate")
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = append(cmd.Env, "ALERTDESK_DATA_DIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("alertdesk migrate: %v\n%s", err, out)
	}
}

// ---------------------------------------------------------------------------
// The platform sandbox, in the test process: it outlives every console.

type platformSandbox struct {
	*sandbox.Sandbox
	Host string // 127.0.0.1:port, for ALERTDESK_ALLOWED_WEBHOOK_HOSTS
	srv  *httptest.Server
}

func newSandbox(t testing.TB) *platformSandbox {
	t.Helper()
	sb := sandbox.New(sandbox.Options{MaxMessages: 200000})
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb))
	t.Cleanup(srv.Close)
	return &platformSandbox{Sandbox: sb, Host: strings.TrimPrefix(srv.URL, "http://"), srv: srv}
}

// webhook is the URL a console posts to for the sandbox robot of platform p with token.
func (s *platformSandbox) webhook(p notify.Platform, token string) string {
	return "http://" + s.Host + "/sandbox" + sandbox.WebhookPath(p, token)
}

// accepted returns the messages the sandbox accepted for token, oldest first.
func (s *platformSandbox) accepted(token string) []sandbox.Received {
	all := s.MessagesFor(token) // newest first
	out := make([]sandbox.Received, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Accepted {
			out = append(out, all[i])
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// The team the load runs as: robots in the sandbox, rules, an intake token.

// haRobot is one sandbox robot and the rule (one alert name, grouped by it) that feeds it.
type haRobot struct {
	Name      string
	Platform  notify.Platform
	Token     string
	AlertName string
	Unlimited bool
	GroupWait time.Duration
	PerMinute int      // the console's send budget for the robot; 0: the platform's limit
	Matchers  []string // extra label=value matchers besides the alert name ("" AlertName: none)
	GroupBy   []string // default: alertname
}

// haTemplate makes every message say when it was composed and how many alerts of its
// group fire: the proof reads both (order, duplicates, and that nothing was lost).
const (
	haTitle = `HA {{.GroupLabels.alertname}}`
	haBody  = "composed={{.Now.UnixNano}} firing={{.FiringCount}}\n{{range .Firing}}{{.Labels.instance}} {{end}}"
)

// setupTeam creates team "ha", one sandbox robot and one rule per haRobot, and an API
// token, directly in the database (before any console starts), and returns the token.
func setupTeam(t testing.TB, dbURL, encKey string, sb *platformSandbox, robots []haRobot) string {
	t.Helper()
	ctx := context.Background()
	key, err := hex.DecodeString(encKey)
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, dbURL, db.Options{DataKey: key})
	if err != nil {
		t.Fatalf("open the database for the setup: %v", err)
	}
	defer d.Close()
	team, err := d.CreateTeam(ctx, db.SystemActor, "ha")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range robots {
		sb.AddRobot(sandbox.RobotConfig{Platform: r.Platform, Name: r.Name, Token: r.Token, Unlimited: r.Unlimited})
		robot, err := d.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: r.Name, Platform: string(r.Platform),
			WebhookURL: sb.webhook(r.Platform, r.Token), WebhookHint: r.Name, Enabled: true, PerMinute: r.PerMinute})
		if err != nil {
			t.Fatalf("robot %s: %v", r.Name, err)
		}
		var ms alerting.Matchers
		if r.AlertName != "" {
			m, err := alerting.NewMatcher("alertname", alerting.MatchEqual, r.AlertName)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		for _, kv := range r.Matchers {
			k, v, _ := strings.Cut(kv, "=")
			m, err := alerting.NewMatcher(k, alerting.MatchEqual, v)
			if err != nil {
				t.Fatal(err)
			}
			ms = append(ms, m)
		}
		groupBy := r.GroupBy
		if groupBy == nil {
			groupBy = []string{"alertname"}
		}
		if _, err := d.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Name: r.AlertName + strings.Join(r.Matchers, ",") + " to " + r.Name,
			Enabled: true, Severity: "warning", Matchers: ms, GroupBy: groupBy,
			GroupWait: r.GroupWait, RepeatInterval: 4 * time.Hour, TitleTemplate: haTitle, BodyTemplate: haBody,
			RobotIDs: []int64{robot.ID}}); err != nil {
			t.Fatalf("rule for %s: %v", r.Name, err)
		}
	}
	token := "ad_ha_" + randomKey()[:32]
	if _, err := d.CreateAPIToken(ctx, db.SystemActor, team.ID, "ha", token); err != nil {
		t.Fatal(err)
	}
	return token
}

// ---------------------------------------------------------------------------
// Consoles: the real binary as a subprocess.

type console struct {
	Name    string
	URL     string
	Addr    string
	DataDir string
	LogPath string
	env     []string
	t       testing.TB

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	runs int
}

// startConsole starts a console on a free port with env (the database, keys and webhook
// hosts) and waits until it answers /healthz. It is stopped with SIGTERM when t ends.
func startConsole(t testing.TB, name string, env []string) *console {
	t.Helper()
	return startConsoleIn(t, name, t.TempDir(), env)
}

// startConsoleIn is startConsole on data directory dir (SQLite keeps its database there).
func startConsoleIn(t testing.TB, name, dir string, env []string) *console {
	t.Helper()
	addr := freeAddr(t)
	c := &console{Name: name, URL: "http://" + addr, Addr: addr, DataDir: dir, LogPath: filepath.Join(dir, "console.log"), env: env, t: t}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s log (last lines):\n%s", c.Name, c.tail(60))
		}
	})
	t.Cleanup(c.Stop)
	if err := c.start(); err != nil {
		t.Fatal(err)
	}
	return c
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs the binary and waits for /healthz; safe to call from any goroutine (it
// returns an error rather than failing the test).
func (c *console) start() error {
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.runs++
	fmt.Fprintf(logf, "=== hatest: start %d of %s\n", c.runs, c.Name)
	c.mu.Unlock()
	cmd := exec.Command(binPath)
	cmd.Env = append(os.Environ(), "ALERTDESK_ADDR="+c.Addr, "ALERTDESK_DATA_DIR="+c.DataDir, "ALERTDESK_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	done := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.done, c.err = cmd, done, nil
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(done)
	}()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-done:
			return fmt.Errorf("%s exited before it answered /healthz: %v\n%s", c.Name, c.exitErr(), c.tail(40))
		default:
		}
		resp, err := hc.Get(c.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer /healthz within 60s (last error: %v)\n%s", c.Name, err, c.tail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *console) exitErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *console) running() (*exec.Cmd, chan struct{}, bool) {
	c.mu.Lock()
	cmd, done := c.cmd, c.done
	c.mu.Unlock()
	if cmd == nil {
		return nil, nil, false
	}
	select {
	case <-done:
		return cmd, done, false
	default:
		return cmd, done, true
	}
}

// Kill ends the console with SIGKILL: a crash, a power cut.
func (c *console) Kill() {
	cmd, done, ok := c.running()
	if !ok {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Stop ends the console with SIGTERM and fails the test when it does not exit cleanly
// within 20 seconds.
func (c *console) Stop() {
	cmd, done, ok := c.running()
	if !ok {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		if err := c.exitErr(); err != nil {
			c.t.Errorf("%s did not exit cleanly after SIGTERM: %v", c.Name, err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		c.t.Errorf("%s did not exit within 20s of SIGTERM; killed it", c.Name)
	}
}

func (c *console) tail(n int) string {
	f, err := os.Open(c.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// ---------------------------------------------------------------------------
// The sender: Alertmanager in front of a load balancer. Each body goes to the next
// console in turn; a body that is not acknowledged (refused, 5xx, or the console is gone)
// is sent again to the next one, as Alertmanager retries, until acknowledged or the
// deadline passes.

type sender struct {
	urls  []string
	token string
	hc    *http.Client

	mu       sync.Mutex
	next     int
	failures map[string]int // what a failed attempt got: "503", "connection refused", …
	attempts int
}

func newSender(consoles []*console, token string) *sender {
	s := &sender{token: token, failures: map[string]int{},
		hc: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second}}}
	for _, c := range consoles {
		s.urls = append(s.urls, c.URL+"/api/v1/alerts/alertmanager")
	}
	return s
}

// send posts body until a console acknowledges it (2xx); false when within d none did.
func (s *sender) send(body []byte, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for try := 0; ; try++ {
		s.mu.Lock()
		u := s.urls[s.next%len(s.urls)]
		s.next++
		s.attempts++
		s.mu.Unlock()
		why := ""
		req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.token)
		resp, err := s.hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return true
			}
			why = resp.Status
		} else {
			why = shortErr(err)
		}
		s.mu.Lock()
		s.failures[why]++
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return false
		}
		if try%len(s.urls) == len(s.urls)-1 { // every console refused: back off a little
			time.Sleep(time.Duration(min(try, 20)) * 50 * time.Millisecond)
		}
	}
}

func (s *sender) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d attempts", s.attempts)
	for k, n := range s.failures {
		fmt.Fprintf(&b, "; %d× %s", n, k)
	}
	return b.String()
}

func shortErr(err error) string {
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial":
		return "connection refused"
	case errors.Is(err, io.EOF) || strings.Contains(err.Error(), "EOF"):
		return "connection closed (EOF)"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	case strings.Contains(err.Error(), "Timeout"):
		return "timeout"
	}
	return err.Error()
}

// amBody is an Alertmanager v4 webhook body with one firing alert per instance.
func amBody(alertname string, instances []string, startsAt time.Time) []byte {
	var b bytes.Buffer
	ts := startsAt.UTC().Format(time.RFC3339Nano)
	fmt.Fprintf(&b, `{"version":"4","status":"firing","receiver":"alertdesk","groupKey":"{}:{alertname=\"%s\"}",`+
		`"groupLabels":{"alertname":"%s"},"commonLabels":{"alertname":"%s","severity":"warning"},"commonAnnotations":{},`+
		`"externalURL":"http://am.example:9093","truncatedAlerts":0,"alerts":[`, alertname, alertname, alertname)
	for i, inst := range instances {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"%s","instance":"%s","job":"node","severity":"warning"},`+
			`"annotations":{"summary":"%s on %s"},"startsAt":"%s","endsAt":"0001-01-01T00:00:00Z",`+
			`"generatorURL":"http://prometheus.example:9090/graph?g0.expr=up"}`, alertname, inst, alertname, inst, ts)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
