package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// clock is a settable clock shared by the sandbox and the sender.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	sb     *sandbox.Sandbox
	ts     *httptest.Server
	sender *notify.Sender
	clock  *clock
}

// newEnv mounts a sandbox under /sandbox on an httptest server and builds a
// Sender whose policy lists that server's host:port.
func newEnv(t testing.TB, timeout time.Duration) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	sb := sandbox.New(sandbox.Options{Now: c.Now, HangFor: 5 * time.Second})
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s := notify.NewSender(notify.HostPolicy{ExtraHosts: []string{ts.Listener.Addr().String()}}, timeout)
	s.SetClock(c.Now)
	return &env{sb: sb, ts: ts, sender: s, clock: c}
}

// add registers a sandbox robot and returns the matching notify.Robot.
func (e *env) add(cfg sandbox.RobotConfig) (sandbox.RobotConfig, notify.Robot) {
	cfg = e.sb.AddRobot(cfg)
	return cfg, notify.Robot{
		Platform:   cfg.Platform,
		WebhookURL: e.ts.URL + "/sandbox" + sandbox.WebhookPath(cfg.Platform, cfg.Token),
		Secret:     cfg.Secret,
		Keywords:   cfg.Keywords,
	}
}

func (e *env) send(t testing.TB, r notify.Robot, m notify.Message) notify.Outcome {
	t.Helper()
	_, o := e.sender.Send(context.Background(), r, m)
	for _, secret := range []string{r.Secret, tokenOf(r)} {
		if secret != "" && strings.Contains(o.Summary, secret) {
			t.Fatalf("Summary leaks a credential: %q", o.Summary)
		}
	}
	return o
}

func tokenOf(r notify.Robot) string {
	i := strings.LastIndexAny(r.WebhookURL, "=/")
	return r.WebhookURL[i+1:]
}

var (
	alice = notify.Person{Name: "Alice", Mobile: "13800000000", DingTalkUserID: "alice_dt", FeishuOpenID: "ou_alice", WeComUserID: "alice"}
	bob   = notify.Person{Name: "Bob", DingTalkUserID: "bob_dt", FeishuOpenID: "ou_bob", WeComUserID: "bob"}
	dave  = notify.Person{Name: "Dave", Mobile: "13900000000"}
)

func msg() notify.Message {
	return notify.Message{Title: "disk full", Body: "db-1: **/var** at 97% <b> & \"quoted\"", Link: "http://console/n/1", Mentions: []notify.Person{alice, bob}}
}

func want(t *testing.T, o notify.Outcome, class notify.Class, code string) {
	t.Helper()
	if o.Class != class || o.Code != code {
		t.Fatalf("outcome = %s/%q (%s), want %s/%q; response %s", o.Class, o.Code, o.Summary, class, code, o.Response)
	}
}

func TestSendDelivered(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	tests := []struct {
		platform notify.Platform
		secret   string
		keywords []string
		m        notify.Message
		msgType  string
		mentions []string
	}{
		{notify.DingTalk, "generate", []string{"disk"}, msg(), "markdown", []string{"mobile:13800000000", "userid:bob_dt"}},
		{notify.Feishu, "generate", []string{"ALERT"}, func() notify.Message { m := msg(); m.AtAll = true; return m }(), "interactive", []string{"all", "open_id:ou_alice", "open_id:ou_bob"}},
		{notify.Lark, "generate", nil, msg(), "interactive", []string{"open_id:ou_alice", "open_id:ou_bob"}},
		{notify.WeCom, "", nil, msg(), "markdown", []string{"userid:alice", "userid:bob"}},
		{notify.WeCom, "", nil, func() notify.Message { m := msg(); m.Mentions = append(m.Mentions, dave); return m }(), "text", []string{"userid:alice", "userid:bob", "mobile:13900000000"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.platform)+"/"+tt.msgType, func(t *testing.T) {
			cfg, r := e.add(sandbox.RobotConfig{Platform: tt.platform, Secret: tt.secret, Keywords: tt.keywords})
			if tt.platform.SupportsSecret() && cfg.Secret == "" {
				t.Fatal("sandbox did not generate a secret")
			}
			if tt.platform == notify.DingTalk && !strings.HasPrefix(cfg.Secret, "SEC") {
				t.Errorf("DingTalk secret %q lacks SEC", cfg.Secret)
			}
			p, o := e.sender.Send(context.Background(), r, tt.m)
			want(t, o, notify.Delivered, "0")
			if !strings.HasPrefix(o.Summary, "Delivered in ") || !strings.HasSuffix(o.Summary, " ms") || o.Latency <= 0 || o.HTTPStatus != 200 {
				t.Errorf("summary %q latency %v status %d", o.Summary, o.Latency, o.HTTPStatus)
			}
			if p.MsgType != tt.msgType {
				t.Errorf("MsgType = %q, want %q", p.MsgType, tt.msgType)
			}
			got := e.sb.MessagesFor(cfg.Token)
			if len(got) != 1 || !got[0].Accepted || got[0].Platform != tt.platform {
				t.Fatalf("sandbox recorded %+v", got)
			}
			if !reflect.DeepEqual(got[0].Mentions, tt.mentions) {
				t.Errorf("mentions = %v, want %v", got[0].Mentions, tt.mentions)
			}
			if !bytes.Equal(got[0].Body, p.Body) {
				t.Errorf("recorded body differs from the sent one")
			}
			if !strings.Contains(got[0].Title+got[0].Text, "disk full") || !strings.Contains(got[0].Text, "db-1") {
				t.Errorf("recorded title %q text %q", got[0].Title, got[0].Text)
			}
		})
	}
}

// The exact field each platform needs for a real mention (docs/PLATFORMS.md §1.3, §2.3, §3.3).
func TestSendMentionFields(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	body := func(cfg sandbox.RobotConfig) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(e.sb.MessagesFor(cfg.Token)[0].Body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	cfg, r := e.add(sandbox.RobotConfig{Platform: notify.DingTalk})
	want(t, e.send(t, r, notify.Message{Title: "t", Body: "b", Mentions: []notify.Person{dave}, AtAll: true}), notify.Delivered, "0")
	b := body(cfg)
	at := b["at"].(map[string]any)
	if fmt.Sprint(at["atMobiles"]) != "[13900000000]" || at["isAtAll"] != true ||
		!strings.Contains(b["markdown"].(map[string]any)["text"].(string), "@13900000000") {
		t.Errorf("DingTalk body = %v", b)
	}
	if got := e.sb.MessagesFor(cfg.Token)[0].Mentions; !reflect.DeepEqual(got, []string{"mobile:13900000000", "all"}) {
		t.Errorf("DingTalk mentions = %v", got)
	}

	cfg, r = e.add(sandbox.RobotConfig{Platform: notify.WeCom})
	want(t, e.send(t, r, notify.Message{Title: "t", Body: "b", Mentions: []notify.Person{dave}}), notify.Delivered, "0")
	if tx := body(cfg)["text"].(map[string]any); fmt.Sprint(tx["mentioned_mobile_list"]) != "[13900000000]" {
		t.Errorf("WeCom text = %v", tx)
	}
	if got := e.sb.MessagesFor(cfg.Token)[0].Mentions; !reflect.DeepEqual(got, []string{"mobile:13900000000"}) {
		t.Errorf("WeCom mentions = %v", got)
	}
}

func TestSendRetry(t *testing.T) {
	for _, p := range notify.Platforms {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel() // each waits out a client timeout
			e := newEnv(t, 2*time.Second)
			cfg, r := e.add(sandbox.RobotConfig{Platform: p, Secret: "generate"})

			e.sb.SetFault(cfg.Token, sandbox.FaultBusy)
			o := e.send(t, r, msg())
			if o.Class != notify.Retry {
				t.Errorf("busy: %s %q", o.Class, o.Summary)
			}
			if p == notify.DingTalk || p == notify.WeCom {
				want(t, o, notify.Retry, "-1")
			}

			e.sb.SetFault(cfg.Token, sandbox.FaultServerError)
			o = e.send(t, r, msg())
			if o.Class != notify.Retry || o.HTTPStatus != 502 || !strings.Contains(o.Summary, "HTTP 502") {
				t.Errorf("server_error: %+v", o)
			}

			// The sandbox holds the request longer (5s) than the client waits (2s), and
			// delivers once it lets go: a Retry outcome shows the client timeout applied.
			e.sb.SetFault(cfg.Token, sandbox.FaultHang)
			o = e.send(t, r, msg())
			if o.Class != notify.Retry || o.HTTPStatus != 0 || !strings.Contains(o.Summary, "did not answer within 2s") {
				t.Errorf("hang: %+v", o)
			}

			// The sandbox noticed the client giving up and recorded it.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := e.sb.WaitRecorded(ctx, cfg.Token, 3); err != nil {
				t.Fatal(err)
			}
			if acc, rej := e.sb.Count(cfg.Token); acc != 0 || rej != 3 {
				t.Fatalf("counts = %d accepted, %d rejected, want 0/3", acc, rej)
			}
		})
	}
}

func TestSendTransportErrors(t *testing.T) {
	e := newEnv(t, time.Second)
	_, r := e.add(sandbox.RobotConfig{Platform: notify.DingTalk})
	e.ts.Close() // nothing listens any more
	o := e.send(t, r, msg())
	if o.Class != notify.Retry || o.HTTPStatus != 0 || o.Summary == "" {
		t.Errorf("closed server: %+v", o)
	}
	if strings.Contains(o.Summary, "access_token") || strings.Contains(o.Summary, "/robot/send") {
		t.Errorf("summary leaks the URL: %q", o.Summary)
	}
}

func TestSendRateLimitedByVolume(t *testing.T) {
	t.Run("dingtalk", func(t *testing.T) {
		e := newEnv(t, 5*time.Second)
		_, r := e.add(sandbox.RobotConfig{Platform: notify.DingTalk, Secret: "generate"})
		for range 20 {
			want(t, e.send(t, r, msg()), notify.Delivered, "0")
			e.clock.Add(time.Second)
		}
		o := e.send(t, r, msg())
		want(t, o, notify.RateLimited, "410100")
		if o.RetryAfter != time.Minute {
			t.Errorf("RetryAfter = %v", o.RetryAfter)
		}
		e.clock.Add(2 * time.Minute) // the window is clear, but the 10-minute penalty holds
		want(t, e.send(t, r, msg()), notify.RateLimited, "410100")
		e.clock.Add(9 * time.Minute)
		want(t, e.send(t, r, msg()), notify.Delivered, "0")
	})
	t.Run("wecom", func(t *testing.T) {
		e := newEnv(t, 5*time.Second)
		_, r := e.add(sandbox.RobotConfig{Platform: notify.WeCom})
		for range 20 {
			want(t, e.send(t, r, msg()), notify.Delivered, "0")
		}
		o := e.send(t, r, msg())
		want(t, o, notify.RateLimited, "45009")
		if o.RetryAfter != time.Minute {
			t.Errorf("RetryAfter = %v", o.RetryAfter)
		}
		e.clock.Add(61 * time.Second) // rolling minute, no penalty
		want(t, e.send(t, r, msg()), notify.Delivered, "0")
	})
	for _, p := range []notify.Platform{notify.Feishu, notify.Lark} {
		t.Run(string(p), func(t *testing.T) {
			e := newEnv(t, 5*time.Second)
			_, r := e.add(sandbox.RobotConfig{Platform: p, Secret: "generate"})
			for range 5 {
				want(t, e.send(t, r, msg()), notify.Delivered, "0")
			}
			o := e.send(t, r, msg()) // 6th in the same second
			want(t, o, notify.RateLimited, "11232")
			if o.RetryAfter < time.Second {
				t.Errorf("RetryAfter = %v", o.RetryAfter)
			}
			// 5 a second for 19 more seconds: 100 in the minute.
			for range 19 {
				e.clock.Add(time.Second)
				for range 5 {
					want(t, e.send(t, r, msg()), notify.Delivered, "0")
				}
			}
			e.clock.Add(time.Second)
			want(t, e.send(t, r, msg()), notify.RateLimited, "11232") // 101st in a minute
			e.clock.Add(time.Minute)
			want(t, e.send(t, r, msg()), notify.Delivered, "0")
		})
	}
}

func TestSendRateLimitedByFault(t *testing.T) {
	codes := map[notify.Platform]string{notify.DingTalk: "410100", notify.Feishu: "11232", notify.Lark: "11232", notify.WeCom: "45009"}
	e := newEnv(t, 5*time.Second)
	for _, p := range notify.Platforms {
		_, r := e.add(sandbox.RobotConfig{Platform: p, Fault: sandbox.FaultRateLimited})
		o := e.send(t, r, msg())
		want(t, o, notify.RateLimited, codes[p])
		if o.RetryAfter <= 0 {
			t.Errorf("%s: RetryAfter = %v", p, o.RetryAfter)
		}
	}
}

func TestSendMisconfigured(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	type tc struct {
		name     string
		p        notify.Platform
		cfg      sandbox.RobotConfig
		edit     func(*notify.Robot)
		code     string
		contains string
	}
	wrongSecret := func(r *notify.Robot) { r.Secret = "SECwrong" + r.Secret[3:] }
	noKeywords := func(r *notify.Robot) { r.Keywords = nil }
	unknownToken := func(r *notify.Robot) { r.WebhookURL = strings.Replace(r.WebhookURL, tokenOf(*r), "doesnotexist123", 1) }
	var tests []tc
	for _, p := range []notify.Platform{notify.DingTalk, notify.Feishu, notify.Lark} {
		signCode, kwCode, tokCode := "310000", "19024", "19001"
		sign, kw := "signing secret", "keywords"
		if p != notify.DingTalk {
			signCode = "19021"
		} else {
			kwCode, tokCode = "310000", "300001"
		}
		tests = append(tests,
			tc{"wrong secret", p, sandbox.RobotConfig{Platform: p, Secret: "generate"}, wrongSecret, signCode, sign},
			tc{"signing off in the console", p, sandbox.RobotConfig{Platform: p, Secret: "generate"}, func(r *notify.Robot) { r.Secret = "" }, signCode, sign},
			tc{"missing keyword", p, sandbox.RobotConfig{Platform: p, Keywords: []string{"PROD-ALERT"}}, noKeywords, kwCode, kw},
			tc{"unknown token", p, sandbox.RobotConfig{Platform: p}, unknownToken, tokCode, "copy"},
		)
	}
	tests = append(tests,
		tc{"removed", notify.DingTalk, sandbox.RobotConfig{Platform: notify.DingTalk, Fault: sandbox.FaultRemoved}, nil, "400106", "removed"},
		tc{"removed", notify.Feishu, sandbox.RobotConfig{Platform: notify.Feishu, Fault: sandbox.FaultRemoved}, nil, "19001", "deleted"},
		tc{"removed", notify.Lark, sandbox.RobotConfig{Platform: notify.Lark, Fault: sandbox.FaultRemoved}, nil, "19001", "deleted"},
		tc{"removed", notify.WeCom, sandbox.RobotConfig{Platform: notify.WeCom, Fault: sandbox.FaultRemoved}, nil, "93000", "removed"},
		tc{"unknown token", notify.WeCom, sandbox.RobotConfig{Platform: notify.WeCom}, unknownToken, "93000", "key"},
		tc{"feishu token on the lark host family but a dingtalk robot", notify.DingTalk, sandbox.RobotConfig{Platform: notify.Feishu}, func(r *notify.Robot) {
			r.Platform = notify.DingTalk
			r.WebhookURL = strings.Replace(r.WebhookURL, "/open-apis/bot/v2/hook/", "/robot/send?access_token=", 1)
		}, "300001", "access token"},
	)
	for _, tt := range tests {
		t.Run(string(tt.p)+"/"+tt.name, func(t *testing.T) {
			_, r := e.add(tt.cfg)
			if tt.edit != nil {
				tt.edit(&r)
			}
			o := e.send(t, r, msg())
			want(t, o, notify.Misconfigured, tt.code)
			if !strings.Contains(o.Summary, tt.contains) || !strings.Contains(o.Summary, tt.code) {
				t.Errorf("summary %q lacks %q or the code", o.Summary, tt.contains)
			}
		})
	}
}

func TestSendClockSkew(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	for _, tc := range []struct {
		p    notify.Platform
		code string
	}{{notify.DingTalk, "310000"}, {notify.Feishu, "19021"}} {
		_, r := e.add(sandbox.RobotConfig{Platform: tc.p, Secret: "generate"})
		e.sender.SetClock(func() time.Time { return e.clock.Now().Add(-61 * time.Minute) })
		o := e.send(t, r, msg())
		want(t, o, notify.Misconfigured, tc.code)
		if !strings.Contains(o.Summary, "clock") {
			t.Errorf("%s: summary %q does not mention the clock", tc.p, o.Summary)
		}
		e.sender.SetClock(func() time.Time { return e.clock.Now().Add(59 * time.Minute) })
		want(t, e.send(t, r, msg()), notify.Delivered, "0")
		e.sender.SetClock(e.clock.Now)
	}
}

func TestSendPolicyRefusal(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	cfg, r := e.add(sandbox.RobotConfig{Platform: notify.DingTalk})
	strict := notify.NewSender(notify.HostPolicy{}, time.Second)
	p, o := strict.Send(context.Background(), r, msg())
	if o.Class != notify.Misconfigured || !strings.Contains(o.Summary, "is not a DingTalk host") || p.URL != "" {
		t.Errorf("outcome %+v prepared %+v", o, p)
	}
	if strings.Contains(o.Summary, cfg.Token) {
		t.Error("summary leaks the token")
	}
	if n := len(e.sb.Messages()); n != 0 {
		t.Errorf("a refused URL reached the sandbox (%d requests)", n)
	}
}

// Payloads a correct Sender never produces, sent by hand; the answers must classify as Rejected.
func TestRejectedByHand(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	dtCfg, _ := e.add(sandbox.RobotConfig{Platform: notify.DingTalk})
	fsCfg, _ := e.add(sandbox.RobotConfig{Platform: notify.Feishu})
	wcCfg, _ := e.add(sandbox.RobotConfig{Platform: notify.WeCom})
	url := func(c sandbox.RobotConfig) string {
		return e.ts.URL + "/sandbox" + sandbox.WebhookPath(c.Platform, c.Token)
	}
	big := strings.Repeat("界", 7000)
	tests := []struct {
		name   string
		cfg    sandbox.RobotConfig
		method string
		ctype  string
		body   string
		code   string
		status int
	}{
		{"dt unknown msgtype", dtCfg, "POST", "application/json", `{"msgtype":"video","video":{}}`, "400105", 200},
		{"dt markdown without title", dtCfg, "POST", "application/json", `{"msgtype":"markdown","markdown":{"text":"x"}}`, "400402", 200},
		{"dt GET", dtCfg, "GET", "", ``, "43002", 200},
		{"dt form content type", dtCfg, "POST", "application/x-www-form-urlencoded", `{"msgtype":"text","text":{"content":"x"}}`, "43004", 200},
		{"dt body too large", dtCfg, "POST", "application/json", `{"msgtype":"text","text":{"content":"` + big + `"}}`, "460101", 200},
		{"fs bad json", fsCfg, "POST", "application/json", `{"msg_type":"text",`, "9499", 400},
		{"fs body too large", fsCfg, "POST", "application/json", `{"msg_type":"text","content":{"text":"` + big + `"}}`, "9499", 400},
		{"fs no msg_type", fsCfg, "POST", "application/json", `{"content":{"text":"x"}}`, "19002", 200},
		{"wc unknown msgtype", wcCfg, "POST", "application/json", `{"msg_type":"text","content":{"text":"x"}}`, "40008", 200},
		{"wc empty content", wcCfg, "POST", "application/json", `{"msgtype":"markdown","markdown":{"content":"  "}}`, "44004", 200},
		{"wc markdown too long", wcCfg, "POST", "application/json", `{"msgtype":"markdown","markdown":{"content":"` + strings.Repeat("界", 1366) + `"}}`, "40058", 200},
		{"wc text too long", wcCfg, "POST", "application/json", `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", 2049) + `"}}`, "40058", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, url(tt.cfg), strings.NewReader(tt.body))
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			_, _ = buf.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tt.status)
			}
			o := notify.Classify(tt.cfg.Platform, resp.StatusCode, buf.Bytes())
			if o.Class != notify.Rejected || o.Code != tt.code {
				t.Errorf("outcome %s/%s (%s), want rejected/%s; body %s", o.Class, o.Code, o.Summary, tt.code, buf.String())
			}
		})
	}
	// The WeCom markdown limit is 4096 bytes: exactly 4096 is accepted.
	req, _ := http.NewRequest("POST", url(wcCfg), strings.NewReader(`{"msgtype":"markdown","markdown":{"content":"`+strings.Repeat("界", 1365)+`a"}}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if o := notify.Classify(notify.WeCom, resp.StatusCode, buf.Bytes()); o.Class != notify.Delivered {
		t.Errorf("4096-byte markdown: %s", buf.String())
	}
}

// Long messages pass the sandbox's size checks after Prepare's truncation.
func TestSendTruncatedIsAccepted(t *testing.T) {
	e := newEnv(t, 5*time.Second)
	body := strings.Repeat("磁盘 \"<x>\" & 告警\n", 3000)
	for _, tc := range []struct {
		p notify.Platform
		m []notify.Person
	}{{notify.DingTalk, []notify.Person{alice}}, {notify.Feishu, []notify.Person{alice}}, {notify.WeCom, []notify.Person{alice}}, {notify.WeCom, []notify.Person{dave}}} {
		cfg, r := e.add(sandbox.RobotConfig{Platform: tc.p, Secret: "generate", Keywords: []string{"KW"}, Unlimited: true})
		p, o := e.sender.Send(context.Background(), r, notify.Message{Title: "t", Body: body, Link: "http://console/n/9", Mentions: tc.m})
		want(t, o, notify.Delivered, "0")
		rec := e.sb.MessagesFor(cfg.Token)[0]
		if !p.Truncated || !strings.Contains(rec.Text, "… truncated, full message: http://console/n/9") || len(rec.Mentions) != 1 {
			t.Errorf("%s: truncated=%v mentions=%v text tail %q", tc.p, p.Truncated, rec.Mentions, rec.Text[max(0, len(rec.Text)-120):])
		}
	}
}

func BenchmarkSendSandbox(b *testing.B) {
	e := newEnv(b, 10*time.Second)
	robots := make([]notify.Robot, 100)
	for i := range robots {
		p := notify.Platforms[i%len(notify.Platforms)]
		_, robots[i] = e.add(sandbox.RobotConfig{Platform: p, Secret: "generate", Keywords: []string{"alert"}, Unlimited: true})
	}
	m := msg()
	var next sync.Mutex
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			r := robots[n%len(robots)]
			n++
			next.Unlock()
			if _, o := e.sender.Send(context.Background(), r, m); o.Class != notify.Delivered {
				b.Errorf("%s: %s", r.Platform, o.Summary)
				return
			}
		}
	})
}
