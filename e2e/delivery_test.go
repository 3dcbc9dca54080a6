package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// TestDeliverySurvivesCrash streams alerts into a demo console, SIGKILLs it mid-stream
// (with sends in flight and acknowledged alerts not yet delivered), restarts it on the
// same data directory and checks that every acknowledged alert reached the sandbox at
// least once, with duplicates within the at-least-once bound: one in-flight request per
// robot.
//
// The sandbox keeps received messages in memory, so they are read per process run: the
// first run's messages are read after every sandbox robot was switched to the hang fault
// (nothing more is accepted), immediately before the kill. Alert names are unique per
// alert and per test run.
func TestDeliverySurvivesCrash(t *testing.T) {
	const token = "e2e-intake-token-0123456789"
	c := startConsole(t, consoleOpts{Args: []string{"-demo"}, Env: []string{"ALERTDESK_INTAKE_TOKEN=" + token}})
	cl := newClient(t, c)
	cl.login("admin", c.AdminPassword)

	run := fmt.Sprintf("crash%d", time.Now().UnixNano()%1e6)
	var acked []string
	post := func(i int) {
		t.Helper()
		name := fmt.Sprintf("%s-%03d", run, i)
		alert := map[string]any{"status": "firing",
			"labels":      map[string]string{"alertname": name, "severity": "warning", "instance": "db-1"},
			"annotations": map[string]string{"summary": "crash test alert " + name}}
		r := cl.postJSON("/api/v1/alerts", alert, "Authorization", "Bearer "+token)
		if r.Status/100 == 2 {
			acked = append(acked, name)
		} else {
			t.Logf("alert %s not acknowledged: %d %s", name, r.Status, r.Body)
		}
	}

	// The first part of the stream, and time for the group wait (5 s in the demo rule)
	// so that deliveries are under way.
	i := 0
	for ; i < 25; i++ {
		post(i)
		time.Sleep(40 * time.Millisecond)
	}
	crashWaitUntil(t, 30*time.Second, "the first deliveries", func() bool { return len(crashAccepted(t, cl)) > 0 })

	// Freeze the platforms: every request from now on hangs (in flight at the kill).
	tokens := crashSandboxTokens(t, c)
	for _, tok := range tokens {
		crashSetFault(t, cl, tok, sandbox.FaultHang)
	}
	for ; i < 35; i++ { // acknowledged, not delivered before the crash
		post(i)
		time.Sleep(40 * time.Millisecond)
	}
	time.Sleep(6 * time.Second) // group wait: the new alerts become notifications, sends hang
	time.Sleep(200 * time.Millisecond)
	before := crashAccepted(t, cl) // the first run's view, complete: nothing is accepted any more
	c.Kill()

	c.Restart()
	cl = newClient(t, c)
	cl.login("admin", c.AdminPassword)
	for _, tok := range tokens {
		crashSetFault(t, cl, tok, sandbox.FaultNone)
	}
	for ; i < 45; i++ { // the stream goes on
		post(i)
		time.Sleep(40 * time.Millisecond)
	}
	if len(acked) < 30 {
		t.Fatalf("only %d alerts acknowledged", len(acked))
	}

	var after []sandbox.Received
	missing := acked
	deadline := time.Now().Add(120 * time.Second)
	for {
		after = crashAccepted(t, cl)
		missing = missing[:0:0]
		for _, name := range acked {
			if !crashSeen(before, name) && !crashSeen(after, name) {
				missing = append(missing, name)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 120s, %d of %d acknowledged alerts never reached the sandbox: %v", len(missing), len(acked), missing)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Duplicates: per robot and alert, messages beyond the first.
	dups := 0
	for _, tok := range tokens {
		for _, name := range acked {
			n := crashCount(before, tok, name) + crashCount(after, tok, name)
			if n > 1 {
				dups += n - 1
				t.Logf("alert %s reached robot …%s %d times", name, tok[max(0, len(tok)-4):], n)
			}
		}
	}
	t.Logf("%d alerts acknowledged; %d messages accepted before the crash, %d after; %d duplicates",
		len(acked), len(before), len(after), dups)
	if dups > len(tokens) {
		t.Errorf("%d duplicate deliveries, want at most %d (one in-flight request per robot)", dups, len(tokens))
	}
}

// accepted returns the messages the console's sandbox accepted in this process run.
func crashAccepted(t *testing.T, cl *client) []sandbox.Received {
	t.Helper()
	r := cl.get("/sandbox/messages")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /sandbox/messages: %d %s", r.Status, r.Body)
	}
	var all []sandbox.Received
	if err := json.Unmarshal([]byte(r.Body), &all); err != nil {
		t.Fatalf("GET /sandbox/messages: %v", err)
	}
	out := all[:0]
	for _, m := range all {
		if m.Accepted {
			out = append(out, m)
		}
	}
	return out
}

func crashSeen(msgs []sandbox.Received, name string) bool {
	for _, m := range msgs {
		if strings.Contains(m.Title+"\n"+m.Text, name) {
			return true
		}
	}
	return false
}

func crashCount(msgs []sandbox.Received, token, name string) int {
	n := 0
	for _, m := range msgs {
		// The console shows sandbox tokens masked, like every credential.
		if m.Token == notify.Mask(token) && strings.Contains(m.Title+"\n"+m.Text, name) {
			n++
		}
	}
	return n
}

// sandboxTokens reads the demo sandbox's robots from the data directory.
func crashSandboxTokens(t *testing.T, c *console) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(c.DataDir, "sandbox-robots.json"))
	if err != nil {
		t.Fatalf("demo sandbox robots: %v", err)
	}
	var robots []sandbox.RobotConfig
	if err := json.Unmarshal(raw, &robots); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range robots {
		out = append(out, r.Token)
	}
	if len(out) == 0 {
		t.Fatal("the demo has no sandbox robots")
	}
	return out
}

func crashSetFault(t *testing.T, cl *client, token string, f sandbox.Fault) {
	t.Helper()
	r := cl.postForm("/sandbox/robots/"+url.PathEscape(token)+"/fault", url.Values{"fault": {string(f)}})
	if r.Status >= 400 {
		t.Fatalf("set fault %q on %s: %d %s", f, token, r.Status, r.Body)
	}
}

func crashWaitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", d, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
