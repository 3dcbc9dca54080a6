package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// process reads a process's CPU time and peak RSS from /proc (Linux).
type process struct {
	pid      int
	startCPU time.Duration
}

func openProcess(pid int) (*process, error) {
	cpu, err := cpuTime(pid)
	if err != nil {
		return nil, fmt.Errorf("-pid %d: %w", pid, err)
	}
	return &process{pid: pid, startCPU: cpu}, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux this
// runs on (it is not the kernel's HZ).
const clockTicks = 100

func cpuTime(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name (which may hold spaces) start after the last ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// settle waits at least min (the rules' group wait: the last flushes are due then) and
// then until the console is idle (no CPU time spent over two seconds: its groups flushed
// and its outbox drained), at most max, and returns the CPU time it spent since
// openProcess and its peak RSS.
func (p *process) settle(min, max time.Duration) (time.Duration, int64, error) {
	deadline := time.Now().Add(max)
	time.Sleep(min)
	last, err := cpuTime(p.pid)
	if err != nil {
		return 0, 0, err
	}
	for quiet := 0; quiet < 2 && time.Now().Before(deadline); {
		time.Sleep(time.Second)
		now, err := cpuTime(p.pid)
		if err != nil {
			return 0, 0, err
		}
		if now-last <= 20*time.Millisecond { // 2% of a core: timers and metrics only
			quiet++
		} else {
			quiet = 0
		}
		last = now
	}
	rss, err := peakRSS(p.pid)
	return last - p.startCPU, rss, err
}

// sandboxToken is the token of the setup's robots (see setup).
const sandboxToken = "load-test"

// serveSandbox plays the chat platforms for the setup's robots on addr.
func serveSandbox(addr string) (*sandbox.Sandbox, func(), error) {
	sb := sandbox.New(sandbox.Options{MaxMessages: 100000})
	sb.AddRobot(sandbox.RobotConfig{Platform: notify.WeCom, Name: "load robot", Token: sandboxToken})
	sb.AddRobot(sandbox.RobotConfig{Platform: notify.WeCom, Name: "probe robot", Token: probeToken})
	// For measuring a stateless relay the same way (it posts every body it gets, so this
	// robot takes any rate): point the relay at /sandbox/robot/send?access_token=load-relay.
	sb.AddRobot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "relay robot", Token: "load-relay", Unlimited: true})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("-sandbox: %w", err)
	}
	srv := &http.Server{Handler: http.StripPrefix("/sandbox", sb), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return sb, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// probeToken is the token of the setup's probe robot: the unrelated alert goes there.
const probeToken = "load-probe"

type probeResult struct {
	took time.Duration
	err  error
}

// sendProbe posts one alert that matches the setup's probe rule (another
// rule, another group, another robot) and waits for it to reach the probe robot.
func sendProbe(hc *http.Client, o options, sb *sandbox.Sandbox) probeResult {
	name := fmt.Sprintf("AlertloadProbe%d", time.Now().UnixNano())
	body := `{"receiver":"alertdesk","status":"firing","version":"4","groupKey":"{}:{alertname=\"` + name + `\"}","alerts":[` +
		`{"status":"firing","labels":{"alertname":"` + name + `","probe":"alertload","severity":"warning"},` +
		`"annotations":{"summary":"unrelated alert sent during the load"},"startsAt":"` + time.Now().UTC().Format(time.RFC3339Nano) +
		`","endsAt":"0001-01-01T00:00:00Z"}]}`
	// A transport error is retried, as Alertmanager does (a kept-alive connection can be
	// closed under the sender's feet); the alert is deduplicated if it did arrive.
	var resp *http.Response
	var err error
	for try := 0; try < 3; try++ {
		req, _ := http.NewRequest(http.MethodPost, o.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+o.token)
		if resp, err = hc.Do(req); err == nil {
			break
		}
	}
	if err != nil {
		return probeResult{err: err}
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return probeResult{err: fmt.Errorf("the probe alert was answered %d", resp.StatusCode)}
	}
	acked := time.Now()
	deadline := acked.Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		for _, m := range sb.MessagesFor(probeToken) {
			if m.Accepted && strings.Contains(string(m.Body), name) {
				return probeResult{took: m.At.Sub(acked)}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return probeResult{err: errors.New("the probe alert did not reach its robot within 5 minutes")}
}
