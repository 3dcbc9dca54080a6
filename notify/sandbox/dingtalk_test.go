package sandbox

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"alertdesk/notify"
)

func TestDingTalkSignature(t *testing.T) {
	sb, ts := newTest(t, Options{})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.DingTalk, Secret: "SEC0123456789abcdef"})
	base := ts.URL + "/sandbox" + WebhookPath(notify.DingTalk, cfg.Token)
	const b64 = "h9I8htdbvJCasKF0f8Gu+a2Cr5fjl9T+pzb6hx3n+pE="
	tests := []struct {
		name, query, code, errmsg string
	}{
		{"encoded once", "&timestamp=1700000000001&sign=h9I8htdbvJCasKF0f8Gu%2Ba2Cr5fjl9T%2Bpzb6hx3n%2BpE%3D", "0", "ok"},
		{"double encoded", "&timestamp=1700000000001&sign=h9I8htdbvJCasKF0f8Gu%252Ba2Cr5fjl9T%252Bpzb6hx3n%252BpE%253D", "310000", "sign not match"},
		{"not encoded", "&timestamp=1700000000001&sign=" + b64, "310000", "sign not match"},
		{"seconds instead of ms", "&timestamp=1700000000&sign=x", "310000", "invalid timestamp"},
		{"no sign", "", "310000", "sign not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, base+tt.query, "application/json", mdBody)
			if a.status != 200 || a.code() != tt.code || !strings.HasPrefix(a.body["errmsg"].(string), tt.errmsg) {
				t.Errorf("answer %d %s", a.status, a.raw)
			}
		})
	}
	if a := post(t, base+"&timestamp=1700000000001&sign=h9I8htdbvJCasKF0f8Gu%2Ba2Cr5fjl9T%2Bpzb6hx3n%2BpE%3D", "application/json", mdBody); a.raw != `{"errcode":0,"errmsg":"ok"}` {
		t.Errorf("success body = %s", a.raw)
	}
	// 61 minutes late.
	old := t0.Add(-61 * time.Minute).UnixMilli()
	q := fmt.Sprintf("&timestamp=%d&sign=%s", old, strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(notify.DingTalkSign(cfg.Secret, old)))
	if a := post(t, base+q, "application/json", mdBody); a.code() != "310000" || !strings.HasPrefix(a.body["errmsg"].(string), "invalid timestamp") {
		t.Errorf("stale: %s", a.raw)
	}
}

func TestDingTalkMentionNeedsTextAndAt(t *testing.T) {
	sb, ts := newTest(t, Options{})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.DingTalk, Keywords: []string{"disk"}})
	url := ts.URL + "/sandbox" + WebhookPath(notify.DingTalk, cfg.Token)
	body := `{"msgtype":"text","text":{"content":"disk full @13800000000 @u2"},"at":{"atMobiles":["13800000000","13900000000"],"atUserIds":["u1","u2"],"isAtAll":false}}`
	if a := post(t, url, "application/json", body); a.code() != "0" {
		t.Fatal(a.raw)
	}
	if got := sb.MessagesFor(cfg.Token)[0].Mentions; !reflect.DeepEqual(got, []string{"mobile:13800000000", "userid:u2"}) {
		t.Errorf("mentions = %v", got)
	}
	// Keyword check against the visible text.
	if a := post(t, url, "application/json", `{"msgtype":"text","text":{"content":"cpu high"}}`); a.code() != "310000" || !strings.HasPrefix(a.body["errmsg"].(string), "keywords not in content") {
		t.Errorf("keyword: %s", a.raw)
	}
}

func TestDingTalkActionCardButtonsRecorded(t *testing.T) {
	s, srv := newTest(t, Options{AutoRegister: true})
	url := srv.URL + "/sandbox" + WebhookPath(notify.DingTalk, "cards")
	body := `{"msgtype":"actionCard","actionCard":{"title":"T","text":"#### T","btnOrientation":"0",` +
		`"btns":[{"title":"Acknowledge","actionURL":"https://c.example/act/1/x"},{"title":"Open","actionURL":"https://c.example/incidents/1"}]}}`
	if a := post(t, url, "application/json", body); a.code() != "0" {
		t.Fatalf("actionCard refused: %+v", a)
	}
	got := s.MessagesFor("cards")
	if len(got) != 1 || len(got[0].Buttons) != 2 || got[0].Buttons[0] != (Button{Label: "Acknowledge", URL: "https://c.example/act/1/x"}) {
		t.Errorf("buttons: %+v", got)
	}
}
