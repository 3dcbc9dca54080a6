package sandbox

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"alertdesk/notify"
)

func TestWeComShapes(t *testing.T) {
	sb, ts := newTest(t, Options{})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.WeCom, Secret: "generate", Keywords: []string{"x"}})
	if cfg.Secret != "" || cfg.Keywords != nil {
		t.Errorf("WeCom robot kept secret/keywords: %+v", cfg)
	}
	url := ts.URL + "/sandbox" + WebhookPath(notify.WeCom, cfg.Token)
	tests := []struct {
		body     string
		code     string
		mentions []string
	}{
		{`{"msgtype":"text","text":{"content":"hi","mentioned_list":["zhangsan","@all"],"mentioned_mobile_list":["13800001111"]}}`, "0", []string{"userid:zhangsan", "all", "mobile:13800001111"}},
		{`{"msgtype":"markdown","markdown":{"content":"**db** <@lisi>","mentioned_list":["ignored"]}}`, "0", []string{"userid:lisi"}},
		{`{"msgtype":"markdown_v2","markdown_v2":{"content":"# x <@lisi>"}}`, "0", nil},
		{`{"msgtype":"news","news":{"articles":[{"title":"a","url":"https://x"}]}}`, "0", nil},
		{`{"msgtype":"news","news":{"articles":[]}}`, "40063", nil},
		{`not json`, "40035", nil},
	}
	for _, tt := range tests {
		a := post(t, url, "application/json", tt.body)
		if a.code() != tt.code {
			t.Errorf("%s: %s", tt.body, a.raw)
			continue
		}
		if tt.code != "0" {
			if !strings.Contains(a.body["errmsg"].(string), "more info at https://open.work.weixin.qq.com/devtool/query?e="+tt.code) {
				t.Errorf("errmsg lacks the hint suffix: %s", a.raw)
			}
			continue
		}
		if got := sb.MessagesFor(cfg.Token)[0].Mentions; !reflect.DeepEqual(got, tt.mentions) {
			t.Errorf("%s: mentions %v, want %v", tt.body, got, tt.mentions)
		}
	}
	// Not JSON is kept as a JSON string, so GET /messages still encodes.
	if rec := sb.MessagesFor(cfg.Token)[0]; string(rec.Body) != `"not json"` {
		t.Errorf("non-JSON body recorded as %s", rec.Body)
	}
	if a := do(t, mustReq(http.MethodGet, url, "")); a.code() != "43002" {
		t.Errorf("GET: %s", a.raw)
	}
}
