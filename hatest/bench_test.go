package hatest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"alertdesk/notify"
)

// TestThroughputTable measures intake and delivery through the real binary with one
// console on SQLite, one on PostgreSQL and three on one PostgreSQL database (the sender
// round-robins over them), and prints a table of medians for the README:
//
//	ALERTDESK_HA_BENCH=1 go test ./hatest -run ThroughputTable -v -timeout 30m
//
// Intake: 8 clients post Alertmanager bodies of 10 unique alerts (20 alert names over 100
// services, matched by 100 rules to 100 robots) for ALERTDESK_HA_BENCH_SECONDS (default
// 10); alerts/s acknowledged. Delivery: ALERTDESK_HA_BENCH_GROUPS (default 1,000) alerts,
// each a group of its own (group wait 1 s), spread over the 100 robots of the sandbox
// (unlimited there, and a send budget far above any platform's in the console); messages/s
// from the first message to the last.
// ALERTDESK_HA_BENCH_RUNS runs each (default 3). Skipped unless ALERTDESK_HA_BENCH is set.
func TestThroughputTable(t *testing.T) {
	if os.Getenv("ALERTDESK_HA_BENCH") == "" {
		t.Skip("set ALERTDESK_HA_BENCH=1 to measure (a few minutes of both cores)")
	}
	runs := 3
	if v, err := strconv.Atoi(os.Getenv("ALERTDESK_HA_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	secs := 10
	if v, err := strconv.Atoi(os.Getenv("ALERTDESK_HA_BENCH_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	groups := 1000
	if v, err := strconv.Atoi(os.Getenv("ALERTDESK_HA_BENCH_GROUPS")); err == nil && v > 1 {
		groups = v
	}
	server := postgresServer(t)
	type config struct {
		name     string
		postgres bool
		consoles int
	}
	configs := []config{{"SQLite, 1 console", false, 1}, {"PostgreSQL, 1 console", true, 1}, {"PostgreSQL, 3 consoles", true, 3}}
	type result struct{ intake, delivery []float64 }
	results := make([]result, len(configs))
	for run := range runs {
		for i, cfg := range configs { // alternating, so that the machine's moods spread over all
			var in, out float64
			if t.Run(fmt.Sprintf("%s/run%d", strings.ReplaceAll(cfg.name, " ", ""), run+1), func(t *testing.T) {
				in, out = benchOnce(t, server, cfg.postgres, cfg.consoles, time.Duration(secs)*time.Second, groups)
			}) {
				results[i].intake = append(results[i].intake, in)
				results[i].delivery = append(results[i].delivery, out)
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n| | intake, alerts/s (10 per body, 8 clients) | delivery, messages/s (100 robots) |\n|---|---|---|\n")
	for i, cfg := range configs {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", cfg.name, figures(results[i].intake), figures(results[i].delivery))
	}
	t.Log(b.String())
}

// figures is "a / b / c (median m)".
func figures(v []float64) string {
	if len(v) == 0 {
		return "failed"
	}
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%.0f", x)
	}
	s := slices.Clone(v)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return fmt.Sprintf("%s (median %.0f)", strings.Join(parts, " / "), med)
}

// benchOnce sets up a fresh database, starts the consoles and measures delivery, then intake.
func benchOnce(t *testing.T, server string, postgres bool, n int, intakeFor time.Duration, groups int) (intake, delivery float64) {
	sb := newSandbox(t)
	encKey := randomKey()
	env := []string{
		"ALERTDESK_ENCRYPTION_KEY=" + encKey,
		"ALERTDESK_SESSION_KEY=" + randomKey(),
		"ALERTDESK_ADMIN_PASSWORD=ha-Admin-Passw0rd-18",
		"ALERTDESK_ALLOWED_WEBHOOK_HOSTS=" + sb.Host,
		"ALERTDESK_LOG_LEVEL=warn",
	}
	dir := t.TempDir()
	addr := filepath.Join(dir, "alertdesk.db")
	if postgres {
		addr = newDatabase(t, server, "alertdesk_bench")
		env = append(env, "ALERTDESK_DATABASE_URL="+addr)
		migrate(t, env)
	}
	const services = 100
	var robots []haRobot
	for i := range services {
		platform := []notify.Platform{notify.DingTalk, notify.Feishu, notify.WeCom}[i%3]
		robots = append(robots, haRobot{Name: fmt.Sprintf("bench %d", i), Platform: platform, Token: fmt.Sprintf("bench-%d-%s", i, randomKey()[:6]),
			Unlimited: true, PerMinute: 1_000_000, GroupWait: time.Second, Matchers: []string{fmt.Sprintf("service=svc-%d", i)},
			GroupBy: []string{"alertname", "service"}})
	}
	token := setupTeam(t, addr, encKey, sb, robots)
	consoles := make([]*console, n)
	for i := range consoles {
		cdir := t.TempDir()
		if i == 0 {
			cdir = dir
		}
		consoles[i] = startConsoleIn(t, fmt.Sprintf("console-%d", i+1), cdir, env)
	}
	snd := newSender(consoles, token)
	now := time.Now()

	// Delivery: groups of one alert each, posted 10 to a body by 8 clients.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(10)) - 10
				if first >= groups {
					return
				}
				var alerts [][3]string
				for i := first; i < min(first+10, groups); i++ {
					alerts = append(alerts, [3]string{fmt.Sprintf("Deliv%d", i), fmt.Sprintf("svc-%d", i%services), fmt.Sprintf("d-%d", i)})
				}
				if !snd.send(benchBody(alerts, now), time.Minute) {
					t.Error("a delivery body was not acknowledged")
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(5 * time.Minute)
	var first, last time.Time
	for {
		count := 0
		first, last = time.Time{}, time.Time{}
		for _, m := range sb.Messages() {
			if m.Accepted && strings.Contains(m.Title+m.Text, "HA Deliv") {
				count++
				if first.IsZero() || m.At.Before(first) {
					first = m.At
				}
				if m.At.After(last) {
					last = m.At
				}
			}
		}
		if count >= groups {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery: %d of %d messages after 5 minutes", count, groups)
		}
		time.Sleep(200 * time.Millisecond)
	}
	delivery = float64(groups-1) / last.Sub(first).Seconds()

	// Intake: 8 clients, 10 unique alerts a body, for intakeFor.
	var acked, seq atomic.Int64
	stop := time.Now().Add(intakeFor)
	began := time.Now()
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				var alerts [][3]string
				for range 10 {
					k := seq.Add(1)
					alerts = append(alerts, [3]string{fmt.Sprintf("Load%d", k%20), fmt.Sprintf("svc-%d", k%services), fmt.Sprintf("i-%d", k)})
				}
				if snd.send(benchBody(alerts, now), time.Minute) {
					acked.Add(10)
				}
			}
		}()
	}
	wg.Wait()
	intake = float64(acked.Load()) / time.Since(began).Seconds()
	t.Logf("intake %.0f alerts/s, delivery %.0f messages/s (%s)", intake, delivery, snd.summary())
	for _, c := range consoles {
		c.Stop()
	}
	return intake, delivery
}

// benchBody is an Alertmanager v4 body with one firing alert per (alertname, service,
// instance).
func benchBody(alerts [][3]string, startsAt time.Time) []byte {
	var b bytes.Buffer
	ts := startsAt.UTC().Format(time.RFC3339Nano)
	b.WriteString(`{"version":"4","status":"firing","receiver":"alertdesk","groupKey":"{}:{}","groupLabels":{},"commonLabels":{},` +
		`"commonAnnotations":{},"externalURL":"http://am.example:9093","truncatedAlerts":0,"alerts":[`)
	for i, a := range alerts {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"status":"firing","labels":{"alertname":"%s","service":"%s","instance":"%s:9100","severity":"warning"},`+
			`"annotations":{"summary":"benchmark alert"},"startsAt":"%s","endsAt":"0001-01-01T00:00:00Z"}`, a[0], a[1], a[2], ts)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}
