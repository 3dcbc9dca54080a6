package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"alertdesk/notify"
)

var t0 = time.UnixMilli(1700000000001)

func newTest(t *testing.T, opts Options) (*Sandbox, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return t0 }
	}
	sb := New(opts)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb))
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return sb, ts
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (a answer) code() string {
	if v, ok := a.body["errcode"]; ok {
		return fmt.Sprint(v)
	}
	return fmt.Sprint(a.body["code"])
}

func post(t *testing.T, url, ctype, body string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

const mdBody = `{"msgtype":"markdown","markdown":{"title":"t","text":"hello"}}`

func mustReq(method, url, body string) *http.Request {
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	return r
}

func TestUnknownTokensAndAutoRegister(t *testing.T) {
	_, ts := newTest(t, Options{})
	base := ts.URL + "/sandbox"
	if a := post(t, base+WebhookPath(notify.DingTalk, "nope"), "application/json", mdBody); a.code() != "300001" || a.body["errmsg"] != "token is not exist" {
		t.Errorf("dingtalk: %s", a.raw)
	}
	if a := post(t, base+"/robot/send", "application/json", mdBody); a.code() != "40035" {
		t.Errorf("dingtalk without token: %s", a.raw)
	}
	if a := post(t, base+WebhookPath(notify.Feishu, "nope"), "application/json", `{}`); a.code() != "19001" {
		t.Errorf("feishu: %s", a.raw)
	}
	if a := post(t, base+WebhookPath(notify.WeCom, "nope"), "application/json", `{}`); a.code() != "93000" || !strings.HasPrefix(a.body["errmsg"].(string), "invalid webhook url") {
		t.Errorf("wecom: %s", a.raw)
	}

	sb, ts := newTest(t, Options{AutoRegister: true})
	base = ts.URL + "/sandbox"
	if a := post(t, base+WebhookPath(notify.DingTalk, "auto1"), "application/json", mdBody); a.code() != "0" {
		t.Errorf("auto dingtalk: %s", a.raw)
	}
	if a := post(t, base+WebhookPath(notify.WeCom, "auto1"), "application/json", `{"msgtype":"text","text":{"content":"x"}}`); a.code() != "93000" {
		t.Errorf("a DingTalk token used on WeCom: %s", a.raw)
	}
	if cfg, ok := sb.Robot("auto1"); !ok || !cfg.Unlimited || cfg.Platform != notify.DingTalk {
		t.Errorf("auto robot = %+v %v", cfg, ok)
	}
}

func TestFaultsAnswers(t *testing.T) {
	sb, ts := newTest(t, Options{HangFor: 20 * time.Millisecond})
	base := ts.URL + "/sandbox"
	bodies := map[notify.Platform]string{
		notify.DingTalk: mdBody,
		notify.Feishu:   `{"msg_type":"text","content":{"text":"x"}}`,
		notify.WeCom:    `{"msgtype":"text","text":{"content":"x"}}`,
	}
	want := map[notify.Platform]map[Fault][2]string{ // status, code
		notify.DingTalk: {FaultBusy: {"200", "-1"}, FaultRateLimited: {"200", "410100"}, FaultRemoved: {"200", "400106"}, FaultServerError: {"502", ""}, FaultHang: {"200", "0"}},
		notify.Feishu:   {FaultBusy: {"503", "503"}, FaultRateLimited: {"200", "11232"}, FaultRemoved: {"200", "19001"}, FaultServerError: {"502", ""}, FaultHang: {"200", "0"}},
		notify.WeCom:    {FaultBusy: {"200", "-1"}, FaultRateLimited: {"200", "45009"}, FaultRemoved: {"200", "93000"}, FaultServerError: {"502", ""}, FaultHang: {"200", "0"}},
	}
	for p, faults := range want {
		cfg := sb.AddRobot(RobotConfig{Platform: p})
		for f, w := range faults {
			if !sb.SetFault(cfg.Token, f) {
				t.Fatal("SetFault failed")
			}
			a := post(t, base+WebhookPath(p, cfg.Token), "application/json", bodies[p])
			code := a.code()
			if w[1] == "" {
				code = ""
				if !strings.Contains(a.raw, "502 Bad Gateway") {
					t.Errorf("%s/%s: body %s", p, f, a.raw)
				}
			}
			if fmt.Sprint(a.status) != w[0] || code != w[1] {
				t.Errorf("%s/%s: %d %s, want %v", p, f, a.status, a.raw, w)
			}
		}
	}
	if sb.SetFault("nope", FaultBusy) {
		t.Error("SetFault on an unknown token")
	}
}

func TestAPI(t *testing.T) {
	sb, ts := newTest(t, Options{})
	base := ts.URL + "/sandbox"

	a := post(t, base+"/robots", "application/json", `{"platform":"dingtalk","name":"ops","secret":"generate","keywords":["alert"]}`)
	if a.status != http.StatusCreated {
		t.Fatalf("POST /robots: %d %s", a.status, a.raw)
	}
	token, secret := a.body["token"].(string), a.body["secret"].(string)
	if len(token) != 64 || !strings.HasPrefix(secret, "SEC") || a.body["name"] != "ops" {
		t.Errorf("created %s", a.raw)
	}
	if a := post(t, base+"/robots", "application/json", `{"platform":"slack"}`); a.status != http.StatusBadRequest {
		t.Errorf("bad platform: %d", a.status)
	}
	if a := post(t, base+"/robots", "application/json", `{"platform":"wecom","fault":"explode"}`); a.status != http.StatusBadRequest {
		t.Errorf("bad fault: %d", a.status)
	}
	sb.AddRobot(RobotConfig{Platform: notify.Feishu, Name: "second"})

	resp, err := http.Get(base + "/robots")
	if err != nil {
		t.Fatal(err)
	}
	var robots []RobotConfig
	_ = json.NewDecoder(resp.Body).Decode(&robots)
	resp.Body.Close()
	if len(robots) != 2 || robots[0].Name != "ops" || robots[1].Name != "second" || robots[0].Keywords[0] != "alert" {
		t.Errorf("GET /robots = %+v", robots)
	}

	if a := post(t, base+"/robots/"+token+"/fault", "application/json", `{"fault":"busy"}`); a.status != 200 || a.body["fault"] != "busy" {
		t.Errorf("fault: %d %s", a.status, a.raw)
	}
	if a := post(t, base+"/robots/nope/fault", "application/json", `{"fault":"busy"}`); a.status != 404 {
		t.Errorf("fault on unknown: %d", a.status)
	}
	if a := post(t, base+"/robots/"+token+"/fault", "application/json", `{"fault":"nonsense"}`); a.status != 400 {
		t.Errorf("bad fault: %d", a.status)
	}
	if cfg, _ := sb.Robot(token); cfg.Fault != FaultBusy {
		t.Errorf("fault not stored: %+v", cfg)
	}

	// Two requests, then GET /messages, filtered and not.
	post(t, base+WebhookPath(notify.DingTalk, token), "application/json", mdBody)
	post(t, base+WebhookPath(notify.WeCom, "other"), "application/json", `{}`)
	var all, mine []Received
	for _, q := range []struct {
		url string
		out *[]Received
	}{{base + "/messages", &all}, {base + "/messages?token=" + token, &mine}} {
		resp, err := http.Get(q.url)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.NewDecoder(resp.Body).Decode(q.out); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if len(all) != 2 || all[0].Token != "other" || all[1].Token != token || all[0].ID <= all[1].ID {
		t.Errorf("GET /messages = %+v", all)
	}
	if len(mine) != 1 || mine[0].Code != -1 || mine[0].RobotName != "ops" || mine[0].Accepted {
		t.Errorf("GET /messages?token = %+v", mine)
	}
}

func TestRingBufferCountsReset(t *testing.T) {
	sb, ts := newTest(t, Options{MaxMessages: 3})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.WeCom, Unlimited: true})
	url := ts.URL + "/sandbox" + WebhookPath(notify.WeCom, cfg.Token)
	for i := range 5 {
		post(t, url, "application/json", fmt.Sprintf(`{"msgtype":"text","text":{"content":"m%d"}}`, i))
	}
	post(t, url, "application/json", `{"msgtype":"text","text":{"content":""}}`)
	msgs := sb.Messages()
	if len(msgs) != 3 || msgs[0].ErrMsg == "ok" || msgs[1].Text != "m4" || msgs[2].Text != "m3" {
		t.Errorf("ring = %+v", msgs)
	}
	if acc, rej := sb.Count(cfg.Token); acc != 5 || rej != 1 {
		t.Errorf("Count = %d, %d", acc, rej)
	}
	sb.Reset()
	if acc, rej := sb.Count(cfg.Token); len(sb.Messages()) != 0 || acc != 0 || rej != 0 {
		t.Error("Reset left data")
	}
	if _, ok := sb.Robot(cfg.Token); !ok {
		t.Error("Reset removed robots")
	}
	post(t, url, "application/json", `{"msgtype":"text","text":{"content":"after"}}`)
	if msgs := sb.Messages(); len(msgs) != 1 || msgs[0].Text != "after" {
		t.Errorf("after reset = %+v", msgs)
	}
}

func TestUpdateRobotKeepsRateState(t *testing.T) {
	sb, ts := newTest(t, Options{})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.WeCom})
	url := ts.URL + "/sandbox" + WebhookPath(notify.WeCom, cfg.Token)
	for range 20 {
		post(t, url, "application/json", `{"msgtype":"text","text":{"content":"x"}}`)
	}
	cfg.Name = "renamed"
	if !sb.UpdateRobot(cfg) || sb.UpdateRobot(RobotConfig{Token: "nope"}) {
		t.Fatal("UpdateRobot result wrong")
	}
	if a := post(t, url, "application/json", `{"msgtype":"text","text":{"content":"x"}}`); a.code() != "45009" {
		t.Errorf("21st after update: %s", a.raw)
	}
	cfg.Unlimited = true
	sb.UpdateRobot(cfg)
	if a := post(t, url, "application/json", `{"msgtype":"text","text":{"content":"x"}}`); a.code() != "0" {
		t.Errorf("unlimited: %s", a.raw)
	}
	if got := sb.MessagesFor(cfg.Token)[0].RobotName; got != "renamed" {
		t.Errorf("RobotName = %q", got)
	}
}

// Many goroutines, many robots: run with -race; also a rough throughput floor.
func TestConcurrentThroughput(t *testing.T) {
	sb, ts := newTest(t, Options{MaxMessages: 500})
	var urls []string
	for i := range 100 {
		p := []notify.Platform{notify.DingTalk, notify.Feishu, notify.WeCom}[i%3]
		cfg := sb.AddRobot(RobotConfig{Platform: p, Unlimited: true})
		urls = append(urls, ts.URL+"/sandbox"+WebhookPath(p, cfg.Token))
	}
	bodies := []string{mdBody, `{"msg_type":"text","content":{"text":"x"}}`, `{"msgtype":"text","text":{"content":"x"}}`}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	const workers, per = 16, 150
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				k := (w*per + i) % len(urls)
				resp, err := client.Post(urls[k], "application/json", bytes.NewBufferString(bodies[k%3]))
				if err != nil {
					errs <- err.Error()
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !bytes.Contains(raw, []byte(`"errcode":0`)) && !bytes.Contains(raw, []byte(`"code":0`)) {
					errs <- string(raw)
					return
				}
				if i%50 == 0 {
					_ = sb.Messages()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	total := workers * per
	rate := float64(total) / time.Since(start).Seconds()
	t.Logf("%d requests at %.0f/s", total, rate)
	accepted := 0
	for _, u := range urls {
		tok := u[strings.LastIndexAny(u, "=/")+1:]
		a, _ := sb.Count(tok)
		accepted += a
	}
	if accepted != total || len(sb.Messages()) != 500 {
		t.Errorf("accepted %d of %d, ring %d", accepted, total, len(sb.Messages()))
	}
}
