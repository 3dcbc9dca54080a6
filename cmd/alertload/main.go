// Command alertload is the intake load generator: it posts Alertmanager v4 webhook bodies
// to a running console from concurrent clients and prints requests/s, alerts/s, status
// counts and latency percentiles. Given the console's process id it also reports the
// console's peak RSS and the CPU time it spent per alert over the whole run (intake, group
// flushes and delivery, until the console is idle again); with -sandbox it plays the chat
// platforms itself, and -probe measures how long an unrelated alert sent in the middle of
// the load takes to reach its robot.
//
//	go run ./cmd/alertload -setup -data ./data            # once: team "load", 50 rules, a token
//	ALERTDESK_ALLOWED_WEBHOOK_HOSTS=127.0.0.1:18181 go run ./cmd/web -data ./data &
//	go run ./cmd/alertload -token <token> -c 8 -alerts 10 -d 20s -shape storm \
//	    -sandbox 127.0.0.1:18181 -probe -pid $(pgrep -n web)
//
// Shapes: "services" spreads alerts over 20 alert names and 100 services; "storm" is the
// commonest storm there is: one alert name over unique instances, all in one group.
// Every 202 means the alerts were committed (the console acknowledges after the commit).
package main

import (
	"alertdesk/notify/sandbox"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "alertload:", err)
		os.Exit(1)
	}
}

type options struct {
	url       string
	token     string
	clients   int
	perBody   int
	duration  time.Duration
	requests  int
	repeat    bool
	services  int
	setup     bool
	dataDir   string
	rules     int
	robotHost string
	shape     string
	pid       int
	sandbox   string
	probe     bool
	settle    time.Duration
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("alertload", flag.ContinueOnError)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/api/v1/alerts/alertmanager", "intake URL")
	fs.StringVar(&o.token, "token", os.Getenv("ALERTDESK_INTAKE_TOKEN"), "bearer token")
	fs.IntVar(&o.clients, "c", 8, "concurrent clients")
	fs.IntVar(&o.perBody, "alerts", 1, "alerts per request body")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to run (ignored when -n is set)")
	fs.IntVar(&o.requests, "n", 0, "number of requests in all (0 = run for -d)")
	fs.BoolVar(&o.repeat, "repeat", false, "repeat the same alerts (redeliveries) instead of unique ones")
	fs.IntVar(&o.services, "services", 100, "distinct service label values (the setup's rules match svc-0 … svc-49)")
	fs.BoolVar(&o.setup, "setup", false, "prepare a data directory: team \"load\", -rules enabled rules, an API token")
	fs.StringVar(&o.dataDir, "data", "./data", "data directory for -setup")
	fs.IntVar(&o.rules, "rules", 50, "rules to create with -setup")
	fs.StringVar(&o.robotHost, "robot-host", "127.0.0.1:18181", "address of the sandbox the setup's robots point at (see -sandbox)")
	fs.StringVar(&o.shape, "shape", "services", `alert shape: "services" (20 names × 100 services) or "storm" (one name, unique instances)`)
	fs.IntVar(&o.pid, "pid", 0, "the console's process id: report its peak RSS and CPU time per alert")
	fs.StringVar(&o.sandbox, "sandbox", "", "serve the platform sandbox the setup's robots point at on this address (e.g. 127.0.0.1:18181)")
	fs.BoolVar(&o.probe, "probe", false, "halfway through, send one unrelated alert and report when it reached its robot (needs -sandbox)")
	fs.DurationVar(&o.settle, "settle", 35*time.Second, "with -pid: after the load, wait this long (the rules' group wait and more) and then until the console is idle before reading its CPU time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.setup {
		return setup(o, out)
	}
	if o.token == "" {
		return fmt.Errorf("-token is required (or ALERTDESK_INTAKE_TOKEN)")
	}
	return load(o, out)
}

var seq atomic.Int64

// body appends one Alertmanager v4 body (the shape Alertmanager 0.34 sends) to buf;
// unique alerts get fresh label values. Written by hand rather than with encoding/json
// so that the load generator spends as little of the shared CPU as it can.
func body(buf []byte, o options, client int, start time.Time) []byte {
	buf = append(buf, `{"receiver":"alertdesk","status":"firing","alerts":[`...)
	ts := start.UTC().Format(time.RFC3339Nano)
	for i := 0; i < o.perBody; i++ {
		id := int64(client*o.perBody + i)
		if !o.repeat {
			id = seq.Add(1)
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		if o.shape == "storm" {
			// One alert name over unique instances, one service: all in one group.
			buf = append(buf, `{"status":"firing","labels":{"alertname":"InstanceDown","instance":"node-`...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, `:9100","job":"node","service":"svc-0","severity":"critical`...)
		} else {
			buf = append(buf, `{"status":"firing","labels":{"alertname":"Load`...)
			buf = strconv.AppendInt(buf, id%20, 10)
			buf = append(buf, `","instance":"host-`...)
			buf = strconv.AppendInt(buf, id, 10)
			buf = append(buf, `:9100","job":"load","service":"svc-`...)
			buf = strconv.AppendInt(buf, id%int64(o.services), 10)
			buf = append(buf, `","severity":"`...)
			buf = append(buf, []string{"critical", "warning", "info"}[id%3]...)
		}
		buf = append(buf, `"},"annotations":{"summary":"synthetic load alert","description":"generated by alertload"},"startsAt":"`...)
		buf = append(buf, ts...)
		buf = append(buf, `","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph?g0.expr=up"}`...)
	}
	buf = append(buf, `],"groupLabels":{},"commonLabels":{"job":"load"},"commonAnnotations":{},"externalURL":"http://am:9093","version":"4","groupKey":"{}:{client=\"`...)
	buf = strconv.AppendInt(buf, int64(client), 10)
	buf = append(buf, `\"}","truncatedAlerts":0}`...)
	return buf
}

func load(o options, out io.Writer) error {
	if o.shape != "services" && o.shape != "storm" {
		return fmt.Errorf(`-shape must be "services" or "storm"`)
	}
	var sb *sandbox.Sandbox
	if o.sandbox != "" {
		var stop func()
		var err error
		if sb, stop, err = serveSandbox(o.sandbox); err != nil {
			return err
		}
		defer stop()
	} else if o.probe {
		return fmt.Errorf("-probe needs -sandbox: the probe's arrival is seen there")
	}
	var proc *process
	if o.pid > 0 {
		var err error
		if proc, err = openProcess(o.pid); err != nil {
			return err
		}
	}
	tr := &http.Transport{MaxIdleConns: o.clients * 2, MaxIdleConnsPerHost: o.clients * 2, IdleConnTimeout: time.Minute}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if o.requests == 0 {
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		statuses  = map[string]int{}
		remaining atomic.Int64
		wg        sync.WaitGroup
	)
	remaining.Store(int64(o.requests))
	repeatStart := time.Now().Add(-time.Minute)
	begin := time.Now()
	var probeDone chan probeResult
	halfway := make(chan struct{})
	var sent atomic.Int64
	if o.probe {
		probeDone = make(chan probeResult, 1)
		go func() {
			select {
			case <-halfway:
			case <-time.After(o.duration / 2):
			}
			probeDone <- sendProbe(hc, o, sb)
		}()
	}
	for c := 0; c < o.clients; c++ {
		wg.Add(1)
		go func(client int) {
			defer wg.Done()
			var lat []time.Duration
			var buf []byte
			st := map[string]int{}
			defer func() {
				mu.Lock()
				latencies = append(latencies, lat...)
				for k, v := range st {
					statuses[k] += v
				}
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				if o.requests > 0 && remaining.Add(-1) < 0 {
					return
				}
				start := time.Now()
				startsAt := start
				if o.repeat {
					startsAt = repeatStart
				}
				buf = body(buf[:0], o, client, startsAt)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, o.url, bytes.NewReader(buf))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+o.token)
				req.Header.Set("User-Agent", "alertload")
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					st["error"]++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
				st[fmt.Sprint(resp.StatusCode)]++
				if o.requests > 0 && sent.Add(1) == int64(o.requests/2) {
					close(halfway)
				}
			}
		}(c)
	}
	wg.Wait()
	elapsed := time.Since(begin)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration {
		if len(latencies) == 0 {
			return 0
		}
		return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))]
	}
	ok := 0 // 2xx: accepted (the console answers 202 once committed)
	for k, n := range statuses {
		if len(k) == 3 && k[0] == '2' {
			ok += n
		}
	}
	fmt.Fprintf(out, "shape=%s clients=%d alerts/body=%d repeat=%v duration=%s\n", o.shape, o.clients, o.perBody, o.repeat, elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "requests=%d  requests/s=%.0f  accepted alerts/s=%.0f\n", len(latencies),
		float64(len(latencies))/elapsed.Seconds(), float64(ok*o.perBody)/elapsed.Seconds())
	keys := make([]string, 0, len(statuses))
	for k := range statuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprint(out, "status:")
	for _, k := range keys {
		fmt.Fprintf(out, " %s=%d", k, statuses[k])
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "latency: p50=%s p90=%s p99=%s max=%s\n", pct(0.50).Round(10*time.Microsecond),
		pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
	if probeDone != nil {
		p := <-probeDone
		if p.err != nil {
			fmt.Fprintf(out, "probe: %v\n", p.err)
		} else {
			fmt.Fprintf(out, "probe: the unrelated alert reached its robot %s after it was acknowledged\n", p.took.Round(10*time.Millisecond))
		}
	}
	if proc != nil {
		cpu, rss, err := proc.settle(o.settle, 3*time.Minute)
		if err != nil {
			return err
		}
		alerts := ok * o.perBody
		per := time.Duration(0)
		if alerts > 0 {
			per = cpu / time.Duration(alerts)
		}
		fmt.Fprintf(out, "console: cpu=%s for %d alerts (%s per alert, intake + flush + delivery, until idle), peak RSS=%d MB\n",
			cpu.Round(10*time.Millisecond), alerts, per.Round(time.Microsecond), rss>>20)
	}
	if sb != nil {
		fmt.Fprintf(out, "sandbox: %d messages received\n", len(sb.Messages()))
	}
	if ok != len(latencies) {
		return fmt.Errorf("%d of %d requests were not accepted", len(latencies)-ok, len(latencies))
	}
	return nil
}
