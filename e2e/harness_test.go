// Package e2e drives the real console binary: a subprocess on a free loopback port
// with its own data directory, and Debian's Chromium through chromedp for the
// browser tests. Helpers here read like the steps a person takes.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// binPath is the console binary that TestMain builds once for every test.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "alertdesk-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	binPath = filepath.Join(tmp, "alertdesk")
	cmd := exec.Command(goTool(), "build", "-o", binPath, "./cmd/web")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/web: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of go.mod above the e2e package (go test runs in e2e/).
func moduleRoot() (string, error) {
	dir, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("no go.mod in %s: run the e2e tests from the module with go test", dir)
	}
	return dir, nil
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// ---------------------------------------------------------------------------
// Output directory: screenshots, console and browser logs of one test.

var (
	outMu   sync.Mutex
	outDirs = map[string]string{}
	shotSeq = map[string]int{}
)

// outDir is $ALERTDESK_E2E_OUT/<TestName> or e2e/screenshots/<TestName> (gitignored).
// The first call in a test removes the files an earlier run left there.
func outDir(t testing.TB) string {
	t.Helper()
	outMu.Lock()
	defer outMu.Unlock()
	if d, ok := outDirs[t.Name()]; ok {
		return d
	}
	base := os.Getenv("ALERTDESK_E2E_OUT")
	if base == "" {
		base = "screenshots"
	}
	d, err := filepath.Abs(filepath.Join(base, filepath.FromSlash(t.Name())))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatalf("output directory: %v", err)
	}
	if entries, err := os.ReadDir(d); err == nil {
		for _, e := range entries {
			if !e.IsDir() {
				_ = os.Remove(filepath.Join(d, e.Name()))
			}
		}
	}
	outDirs[t.Name()] = d
	return d
}

// ---------------------------------------------------------------------------
// The console as a subprocess.

const testAdminPassword = "admin-e2e-Passw0rd"

// consoleOpts tunes startConsole. The zero value is a fresh console.
type consoleOpts struct {
	DataDir       string // reuse this data directory (a restart after a crash); default: a fresh t.TempDir()
	AdminPassword string // default testAdminPassword
	// GeneratePassword starts without ALERTDESK_ADMIN_PASSWORD: the console generates the
	// first admin's password and prints it in its log, as on a real first start.
	GeneratePassword bool
	Env              []string // extra KEY=VALUE pairs, e.g. "ALERTDESK_ALLOWED_WEBHOOK_HOSTS=127.0.0.1:9999"
	Args             []string // extra flags, e.g. "-demo"
	// BaseHost, when set, makes ALERTDESK_BASE_URL http://<BaseHost>:<port>: an address
	// other than the loopback default, as a real deployment has (e.g. "localhost").
	BaseHost string
}

// console is a running alertdesk binary.
type console struct {
	URL           string // http://127.0.0.1:<port>, no trailing slash
	Addr          string // 127.0.0.1:<port>
	DataDir       string
	AdminPassword string
	LogPath       string // stdout and stderr of every run, appended

	t    testing.TB
	opts consoleOpts
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd exits
	err  error         // cmd.Wait's result, valid after done
}

// startConsole starts the console binary and waits until /healthz answers. It stops
// the console with SIGTERM when the test ends and prints its log when the test failed.
func startConsole(t testing.TB, opts consoleOpts) *console {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	if opts.AdminPassword == "" && !opts.GeneratePassword {
		opts.AdminPassword = testAdminPassword
	}
	addr := freeAddr(t)
	dir := outDir(t)
	logPath := filepath.Join(dir, "console.log")
	for i := 2; ; i++ { // several consoles in one test get one log each
		if _, err := os.Stat(logPath); errors.Is(err, os.ErrNotExist) {
			break
		}
		logPath = filepath.Join(dir, fmt.Sprintf("console-%d.log", i))
	}
	c := &console{URL: "http://" + addr, Addr: addr, DataDir: opts.DataDir, AdminPassword: opts.AdminPassword,
		LogPath: logPath, t: t, opts: opts}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("console log (%s):\n%s", c.LogPath, c.Logs())
		}
	})
	t.Cleanup(c.Stop) // runs before the log is printed
	c.start()
	return c
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (c *console) start() {
	c.t.Helper()
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatalf("console log: %v", err)
	}
	fmt.Fprintf(logf, "=== e2e: starting %s %s (data dir %s)\n", binPath, strings.Join(c.opts.Args, " "), c.DataDir)
	cmd := exec.Command(binPath, c.opts.Args...)
	cmd.Env = append(os.Environ(),
		"ALERTDESK_ADDR="+c.Addr,
		"ALERTDESK_DATA_DIR="+c.DataDir,
		"ALERTDESK_LOG_LEVEL=debug",
	)
	if !c.opts.GeneratePassword {
		cmd.Env = append(cmd.Env, "ALERTDESK_ADMIN_PASSWORD="+c.AdminPassword)
	}
	if c.opts.BaseHost != "" {
		_, port, _ := net.SplitHostPort(c.Addr)
		cmd.Env = append(cmd.Env, "ALERTDESK_BASE_URL=http://"+net.JoinHostPort(c.opts.BaseHost, port))
	}
	cmd.Env = append(cmd.Env, c.opts.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("start console: %v", err)
	}
	c.cmd, c.done, c.err = cmd, make(chan struct{}), nil
	go func(done chan struct{}) {
		c.err = cmd.Wait()
		logf.Close()
		close(done)
	}(c.done)

	deadline := time.Now().Add(30 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-c.done:
			c.t.Fatalf("console exited before it answered /healthz: %v\n%s", c.err, c.Logs())
		default:
		}
		resp, err := client.Get(c.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("console did not answer /healthz within 30s (last error: %v)\n%s", err, c.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *console) running() bool {
	if c.cmd == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Stop ends the console with SIGTERM and fails the test when it does not exit
// cleanly within 15 seconds (graceful shutdown is a product promise).
func (c *console) Stop() {
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			c.t.Errorf("console did not exit cleanly after SIGTERM: %v", c.err)
		}
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
		c.t.Errorf("console did not exit within 15s of SIGTERM; killed it")
	}
}

// Kill ends the console with SIGKILL, like a crash or a power cut.
func (c *console) Kill() {
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// Restart stops the console (SIGTERM) if it runs, then starts it again on the same
// address and data directory. Call Kill first to restart after a crash.
func (c *console) Restart() {
	c.t.Helper()
	c.Stop()
	c.start()
}

// Logs returns what the console printed so far.
func (c *console) Logs() string {
	b, err := os.ReadFile(c.LogPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	return string(b)
}

// ---------------------------------------------------------------------------
// Plain HTTP, for steps that are not about the browser.

// client is a cookie-keeping HTTP client that does not follow redirects and
// sends the session's CSRF token with form posts.
type client struct {
	t    testing.TB
	base string
	http *http.Client
	csrf string
}

// response is a fully read HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   string
}

var csrfInput = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

func newClient(t testing.TB, c *console) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: c.URL, http: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// do sends req and reads the answer; it remembers a CSRF token found in HTML.
func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	if m := csrfInput.FindSubmatch(body); m != nil {
		c.csrf = string(m[1])
	}
	return &response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (c *client) newRequest(method, path string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	return req
}

// get fetches path. Extra headers come as "Name", "value" pairs.
func (c *client) get(path string, header ...string) *response {
	c.t.Helper()
	req := c.newRequest(http.MethodGet, path, nil)
	setHeaders(req, header)
	return c.do(req)
}

// postForm posts a form as a browser without JavaScript would, with the CSRF token
// (fetched from /login first when no page was loaded yet).
func (c *client) postForm(path string, form url.Values) *response {
	c.t.Helper()
	if c.csrf == "" {
		c.get("/login")
	}
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("_csrf") == "" {
		f.Set("_csrf", c.csrf)
	}
	req := c.newRequest(http.MethodPost, path, strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postJSON posts v (a string or []byte is sent as is, anything else is marshalled).
// Extra headers come as "Name", "value" pairs, e.g. "Authorization", "Bearer …".
func (c *client) postJSON(path string, v any, header ...string) *response {
	c.t.Helper()
	var raw []byte
	switch b := v.(type) {
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	req := c.newRequest(http.MethodPost, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	setHeaders(req, header)
	return c.do(req)
}

// login signs in through the form and fails the test unless the console redirects.
func (c *client) login(user, password string) {
	c.t.Helper()
	r := c.postForm("/login", url.Values{"username": {user}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: got status %d, want 303; body:\n%s", user, r.Status, r.Body)
	}
	c.get("/") // the session has a new CSRF token now
}

func setHeaders(req *http.Request, kv []string) {
	for i := 0; i+1 < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
}

// ---------------------------------------------------------------------------
// The browser.

const (
	browserDeadline = 120 * time.Second // a whole browser session; a hang fails instead of stalling CI
	stepTimeout     = 20 * time.Second  // one wait for an element or a text
)

// chromiumPath finds Chromium: $ALERTDESK_CHROMIUM, /usr/bin/chromium, then PATH.
func chromiumPath() string {
	if p := os.Getenv("ALERTDESK_CHROMIUM"); p != "" {
		return p // checked by newBrowser: a wrong explicit path is an error, not a skip
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one person's tab. Its methods fail the test on error, so a test reads
// as a list of steps. ctx is the chromedp context for anything the helpers lack.
type browser struct {
	t    testing.TB
	ctx  context.Context
	base string // console URL that visit and login prefix to paths

	mu      sync.Mutex
	console []string // the page's console messages and exceptions
	csp     []string // Content Security Policy violations the browser reported
}

// newBrowser starts a fresh headless Chromium (own process, own fresh profile,
// 1280x900) for the console at base. It skips the test when Chromium is missing,
// unless ALERTDESK_REQUIRE_BROWSER=1.
func newBrowser(t testing.TB, base string) *browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		const msg = "Chromium not found: install Debian's chromium to run browser tests"
		if os.Getenv("ALERTDESK_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Chromium at %s: %v", path, err)
	}
	logf, err := os.Create(filepath.Join(outDir(t), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(logf),
	) // no UserDataDir: chromedp makes a fresh profile directory and removes it
	deadline, cancelDeadline := context.WithTimeout(context.Background(), browserDeadline)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(deadline, opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
		cancelDeadline()
		logf.Close()
	})
	// Start the browser on the long-lived context, not on a step's shorter one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	b := &browser{t: t, ctx: ctx, base: base}
	b.watchConsole()
	return b
}

// newIncognito opens a tab in a new browser context of the same Chromium: no
// cookies or storage are shared with other, so it is a second person.
func newIncognito(t testing.TB, other *browser) *browser {
	t.Helper()
	ctx, cancel := chromedp.NewContext(other.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a new browser context: %v", err)
	}
	b := &browser{t: t, ctx: ctx, base: other.base}
	b.watchConsole()
	return b
}

// watchConsole keeps the page's console messages and prints them if the test fails.
// Every browser test also fails on a Content Security Policy violation on any page it
// opened: the browser reports each one in its log ("Refused to apply inline style…"),
// and the check runs when the test ends, so screens added later are covered too.
func (b *browser) watchConsole() {
	msgs := chromedp.Console(b.ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			line := fmt.Sprintf("%s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
			b.mu.Lock()
			b.console = append(b.console, line)
			if isCSPViolation(m) {
				b.csp = append(b.csp, line)
			}
			b.mu.Unlock()
		}
	}()
	b.t.Cleanup(func() {
		if v := b.takeCSPViolations(); len(v) > 0 {
			b.t.Errorf("%d Content Security Policy violation(s) in the browser console:\n%s", len(v), strings.Join(v, "\n"))
		}
		if b.t.Failed() {
			if msgs := b.consoleMessages(); len(msgs) > 0 {
				b.t.Logf("browser console:\n%s", strings.Join(msgs, "\n"))
			}
		}
	})
}

// isCSPViolation recognises the browser's report of a Content Security Policy violation.
func isCSPViolation(m chromedp.ConsoleMessage) bool {
	return strings.Contains(m.Text, "Content Security Policy") &&
		(m.Source == "security" || strings.Contains(m.Text, "violates") || strings.Contains(m.Text, "Refused to"))
}

// takeCSPViolations returns the violations reported so far and forgets them (a test that
// provokes one on purpose takes it, so the end-of-test check does not fail it).
func (b *browser) takeCSPViolations() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.csp
	b.csp = nil
	return v
}

// consoleMessages returns what the page logged so far (console calls, exceptions,
// CSP violations from the browser log).
func (b *browser) consoleMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// fail saves a screenshot of what the page shows and fails the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	loc, _ := step(b, 5*time.Second, chromedp.Location())
	if buf, err := step(b, 10*time.Second, chromedp.FullScreenshot(100)); err == nil {
		p := filepath.Join(outDir(b.t), "FAILED.png")
		if os.WriteFile(p, buf, 0o644) == nil {
			msg += "\nscreenshot: " + p
		}
	}
	b.t.Fatalf("%s\n(page: %s)", msg, loc)
}

// step runs one chromedp action with a bounded time.
func step[T any](b *browser, d time.Duration, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// do runs actions that return nothing, within stepTimeout.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

func (b *browser) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") || strings.HasPrefix(path, "data:") {
		return path
	}
	return b.base + path
}

// visit opens a path of the console (or a full URL) and returns the HTTP status.
func (b *browser) visit(path string) int {
	b.t.Helper()
	resp, err := step(b, stepTimeout, chromedp.NavigateResponse(b.url(path)))
	if err != nil {
		b.fail("visit %s: %v", path, err)
	}
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// fill types value into an input or textarea after clearing it; for a <select>
// it picks the option whose value or label is value.
// pasteOver is the length above which fill pastes a value instead of typing it.
const pasteOver = 200

func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.waitVisible(sel)
	tag := b.eval(fmt.Sprintf(`document.querySelector(%s).tagName`, jsString(sel)))
	if tag == "SELECT" {
		ok := b.eval(fmt.Sprintf(`(() => {
			const s = document.querySelector(%s), want = %s;
			const o = [...s.options].find(o => o.value === want || o.label.trim() === want);
			if (!o) return "";
			s.value = o.value;
			s.dispatchEvent(new Event("input", {bubbles: true}));
			s.dispatchEvent(new Event("change", {bubbles: true}));
			return "ok";
		})()`, jsString(sel), jsString(value)))
		if ok != "ok" {
			b.fail("fill %s: no option %q", sel, value)
		}
		return
	}
	b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.focus(); e.value = ""; return ""; })()`, jsString(sel)))
	if len(value) > pasteOver {
		// A long text (a sample payload) is pasted, as a person would: typed key by key it
		// can outlast a step's deadline on a loaded machine.
		b.eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s); e.value = %s;
			e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return ""; })()`,
			jsString(sel), jsString(value)))
	} else if err := b.do(chromedp.SendKeys(chromedp.CSS(sel), value)); err != nil {
		b.fail("type into %s: %v", sel, err)
	}
	if got := b.value(sel); got != value {
		b.fail("fill %s: field holds %q, want %q", sel, got, value)
	}
}

// click clicks the first visible element that matches the CSS selector.
func (b *browser) click(sel string) {
	b.t.Helper()
	if err := b.do(chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.fail("click %s: %v", sel, err)
	}
}

// submit clicks a button that replaces target (an htmx swap, or a new page) and
// waits until the old target element is gone and a new one is there.
func (b *browser) submit(button, target string) {
	b.t.Helper()
	b.waitVisible(target)
	b.eval(fmt.Sprintf(`(() => { document.querySelector(%s).dataset.e2eStale = "1"; return ""; })()`, jsString(target)))
	b.click(button)
	b.waitJS(fmt.Sprintf(`(() => { const e = document.querySelector(%s); return !!e && !e.dataset.e2eStale; })()`, jsString(target)),
		"a new "+target+" after clicking "+button)
}

// waitVisible waits until an element matching sel is visible.
func (b *browser) waitVisible(sel string) {
	b.t.Helper()
	if err := b.do(chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.fail("wait for %s to be visible: %v", sel, err)
	}
}

// waitText waits until the text of the first element matching sel contains sub
// (the page may still be loading or swapping) and returns that text.
func (b *browser) waitText(sel, sub string) string {
	b.t.Helper()
	var last string
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? e.innerText : null; })()`, jsString(sel))
	deadline := time.Now().Add(stepTimeout)
	for {
		txt, err := step(b, 5*time.Second, chromedp.Evaluate[*string](expr))
		if err == nil && txt != nil {
			last = *txt
			if strings.Contains(last, sub) {
				return last
			}
		}
		if time.Now().After(deadline) {
			b.fail("waited %s for %s to contain %q; it shows %q", stepTimeout, sel, sub, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitJS waits until the JavaScript expression is true; what names the wait in errors.
func (b *browser) waitJS(expr, what string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		ok, err := step(b, 5*time.Second, chromedp.Evaluate[bool](expr))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fail("waited %s for %s (last error: %v)", stepTimeout, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitPath waits until the page's path (without query) is path.
func (b *browser) waitPath(path string) {
	b.t.Helper()
	b.waitJS(fmt.Sprintf(`location.pathname === %s && document.readyState === "complete"`, jsString(path)), "the page "+path)
}

// textOf returns the visible text of the first element matching sel.
func (b *browser) textOf(sel string) string {
	b.t.Helper()
	var txt string
	err := retryStale(func() (err error) {
		txt, err = step(b, stepTimeout, chromedp.Text(chromedp.CSS(sel)))
		return err
	})
	if err != nil {
		b.fail("read the text of %s: %v", sel, err)
	}
	return txt
}

// retryStale runs read again when the element it found was replaced before it was read (an
// htmx swap between the query and the read leaves a node id the page no longer has).
func retryStale(read func() error) error {
	var err error
	for range 5 {
		if err = read(); err == nil || !strings.Contains(err.Error(), "No node with given id") {
			return err
		}
	}
	return err
}

// value returns the current value of an input, textarea or select.
func (b *browser) value(sel string) string {
	b.t.Helper()
	var v string
	err := retryStale(func() (err error) {
		v, err = step(b, stepTimeout, chromedp.Value(chromedp.CSS(sel)))
		return err
	})
	if err != nil {
		b.fail("read the value of %s: %v", sel, err)
	}
	return v
}

// exists tells whether an element matches sel right now (no waiting).
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	return b.eval(fmt.Sprintf(`document.querySelector(%s) ? "yes" : ""`, jsString(sel))) == "yes"
}

// location returns the page's current URL.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := step(b, stepTimeout, chromedp.Location())
	if err != nil {
		b.fail("read the location: %v", err)
	}
	return loc
}

// eval runs a JavaScript expression that returns a string (or null → "").
func (b *browser) eval(expr string) string {
	b.t.Helper()
	v, err := step(b, stepTimeout, chromedp.Evaluate[*string](expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	if v == nil {
		return ""
	}
	return *v
}

// evalInt runs a JavaScript expression that returns a number.
func (b *browser) evalInt(expr string) int {
	b.t.Helper()
	v, err := step(b, stepTimeout, chromedp.Evaluate[int](expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// viewport emulates a screen of width x height CSS pixels; mobile also honours the
// page's meta viewport and touch, as a phone does.
func (b *browser) viewport(width, height int, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
	}
	if err := b.do(chromedp.EmulateViewport(int64(width), int64(height), opts...)); err != nil {
		b.fail("emulate a %dx%d viewport: %v", width, height, err)
	}
}

// resetViewport ends viewport emulation (back to the 1280x900 window).
func (b *browser) resetViewport() {
	b.t.Helper()
	err := b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{})
		return err
	}))
	if err != nil {
		b.fail("reset the viewport: %v", err)
	}
}

// scrollWidth is the document's scroll width: more than the viewport means the page
// scrolls sideways.
func (b *browser) scrollWidth() int {
	b.t.Helper()
	return b.evalInt(`document.documentElement.scrollWidth`)
}

// screenshot saves a full-page PNG as <outDir>/<NN>-<name>.png, logs and returns its path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	buf, err := step(b, 30*time.Second, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot %s: %v", name, err)
	}
	dir := outDir(b.t)
	outMu.Lock()
	shotSeq[b.t.Name()]++
	n := shotSeq[b.t.Name()]
	outMu.Unlock()
	p := filepath.Join(dir, fmt.Sprintf("%02d-%s.png", n, name))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		b.t.Fatalf("save screenshot: %v", err)
	}
	b.t.Logf("screenshot %s", p)
	return p
}

// login signs in through the login form and waits for the signed-in top bar.
func (b *browser) login(user, password string) {
	b.t.Helper()
	b.visit("/login")
	b.fill("#f-username", user)
	b.fill("#f-password", password)
	b.click("#login-form button[type=submit]")
	b.waitText("[data-testid=account-link]", user)
}

// logout clicks "Sign out" in the top bar and waits for the login page.
func (b *browser) logout() {
	b.t.Helper()
	b.click(".userbox form[action='/logout'] button")
	b.waitPath("/login")
	b.waitVisible("#login-form")
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
