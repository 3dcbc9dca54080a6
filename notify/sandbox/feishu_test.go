package sandbox

import (
	"reflect"
	"testing"
	"time"

	"alertdesk/notify"
)

func TestFeishuSignature(t *testing.T) {
	now := time.Unix(1700000000, 0)
	sb, ts := newTest(t, Options{Now: func() time.Time { return now }})
	cfg := sb.AddRobot(RobotConfig{Platform: notify.Lark, Secret: "abc123"})
	url := ts.URL + "/sandbox" + WebhookPath(notify.Lark, cfg.Token)
	card := `"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"T"}},"elements":[{"tag":"div","text":{"tag":"lark_md","content":"hi <at id=ou_1></at>"}}]}`
	tests := []struct {
		name, body, code string
	}{
		{"string ts", `{"timestamp":"1700000000","sign":"J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=",` + card + `}`, "0"},
		{"integer ts", `{"timestamp":1700000000,"sign":"J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=",` + card + `}`, "0"},
		{"dingtalk algorithm", `{"timestamp":"1700000000","sign":"EOUQKI2ZpzeBOmvrzdQAE+1DFiZ07TgMbfe6W1Sj8Nw=",` + card + `}`, "19021"},
		{"ms timestamp", `{"timestamp":"1700000000000","sign":"J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk=",` + card + `}`, "19021"},
		{"unsigned", `{` + card + `}`, "19021"},
	}
	for _, tt := range tests {
		a := post(t, url, "application/json", tt.body)
		if a.status != 200 || a.code() != tt.code {
			t.Errorf("%s: %d %s", tt.name, a.status, a.raw)
		}
	}
	if a := post(t, url, "application/json", tests[0].body); a.raw != `{"StatusCode":0,"StatusMessage":"success","code":0,"data":{},"msg":"success"}` {
		t.Errorf("success body = %s", a.raw)
	}
	rec := sb.MessagesFor(cfg.Token)[0]
	if rec.Platform != notify.Lark || rec.Title != "T" || rec.Text != "hi <at id=ou_1></at>" || !reflect.DeepEqual(rec.Mentions, []string{"open_id:ou_1"}) {
		t.Errorf("record = %+v", rec)
	}
	if a := post(t, url, "application/json", `{"timestamp":"1700000000","sign":"x","msg_type":"text","content":{"text":"x"}}`); a.body["StatusCode"] != nil {
		t.Errorf("error bodies must not carry StatusCode: %s", a.raw)
	}
}

func TestFeishuCardButtonsRecorded(t *testing.T) {
	s, srv := newTest(t, Options{AutoRegister: true})
	url := srv.URL + "/sandbox" + WebhookPath(notify.Feishu, "cards")
	body := `{"msg_type":"interactive","card":{"header":{"title":{"tag":"plain_text","content":"T"}},"elements":[` +
		`{"tag":"div","text":{"tag":"lark_md","content":"hi"}},` +
		`{"tag":"action","actions":[{"tag":"button","text":{"tag":"plain_text","content":"Acknowledge"},"type":"primary","url":"https://c.example/act/1/x"}]}]}}`
	if a := post(t, url, "application/json", body); a.code() != "0" {
		t.Fatalf("card refused: %+v", a)
	}
	got := s.MessagesFor("cards")
	if len(got) != 1 || len(got[0].Buttons) != 1 || got[0].Buttons[0] != (Button{Label: "Acknowledge", URL: "https://c.example/act/1/x"}) {
		t.Errorf("buttons: %+v", got)
	}
}
