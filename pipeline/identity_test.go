package pipeline

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/delivery"
	"alertdesk/notify"
)

// preparingSender stands in for notify.Sender without a network: it prepares each message
// exactly as the real sender does (notify.Prepare at its clock) and records the request.
type preparingSender struct {
	now  time.Time
	mu   sync.Mutex
	sent map[string][][]byte // robot webhook → request bodies, in order
}

func (s *preparingSender) Send(_ context.Context, r notify.Robot, m notify.Message) (notify.Prepared, notify.Outcome) {
	p, err := notify.Prepare(r, m, s.now)
	if err != nil {
		return p, notify.Outcome{Class: notify.Rejected, Summary: err.Error()}
	}
	s.mu.Lock()
	s.sent[r.WebhookURL] = append(s.sent[r.WebhookURL], p.Body)
	s.mu.Unlock()
	return p, notify.Outcome{Class: notify.Delivered, HTTPStatus: 200, Code: "0", Summary: "delivered"}
}

func (s *preparingSender) bodies(url string) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.sent[url]...)
}

// For the same rule, robot, group and notification id, the rule preview, a test-send and
// the real delivery send byte-identical request bodies: the one composer makes all three.
func TestPreviewTestSendAndDeliveryAreIdentical(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx
	robots := []db.RobotInput{
		{Name: "signed ding", Platform: "dingtalk", WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef",
			Secret: "SEC0123456789abcdef", Keywords: []string{"Monitoring"}},
		{Name: "signed feishu", Platform: "feishu", WebhookURL: "https://open.feishu.cn/open-apis/bot/v2/hook/0123-4567",
			Secret: "abc123", Keywords: []string{"告警"}},
		{Name: "wecom", Platform: "wecom", WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0123-4567"},
	}
	var ids []int64
	var stored []db.Robot
	for _, in := range robots {
		in.TeamID, in.WebhookHint, in.Enabled = f.team.ID, "…", true
		r, err := f.db.CreateRobot(ctx, db.SystemActor, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
		stored = append(stored, r)
	}
	contact, err := f.db.CreateContact(ctx, db.SystemActor, db.ContactInput{TeamID: f.team.ID, Name: "Dora",
		Mobile: "13900000009", DingTalkUserID: "dora", FeishuOpenID: "ou_dora", WeComUserID: "dora"})
	if err != nil {
		t.Fatal(err)
	}
	rule := f.rule(db.RuleInput{Matchers: alerting.Matchers{mustMatcher("alertname", "=", "DiskFull")}, GroupBy: []string{"alertname"},
		RobotIDs: ids, ContactIDs: []int64{contact.ID}, SendResolved: true,
		BodyTemplate: "{{range .Alerts}}{{.Labels.instance}} {{.Annotations.summary}}\n{{end}}{{.FiringCount}} firing"})
	now := f.clock.Now()
	for _, inst := range []string{"db-1", "db-2", "db-3"} {
		f.ingest(f.team.ID, alert("DiskFull", alerting.StatusFiring, map[string]string{"instance": inst}, now))
	}

	// The group as the flush will see it.
	groups, err := f.db.DueGroups(ctx, now, 10)
	if err != nil || len(groups) != 1 {
		t.Fatalf("due groups = %v, %v; want one", groups, err)
	}
	g := groups[0]
	snap, err := f.db.SnapshotGroup(ctx, g.ID, ShownAlerts)
	if err != nil {
		t.Fatal(err)
	}
	cr := f.p.rules.Load().byID[rule.ID]
	d := decide(cr, g, snap, now, db.Incident{})
	group := f.p.groupData(cr, g, d, d.alerts)

	// The real delivery: flush, then the engine sends the outbox.
	f.flush()
	sender := &preparingSender{now: now, sent: map[string][][]byte{}}
	eng := delivery.New(f.db, sender, delivery.Options{BaseURL: "http://console", Clock: delivery.NewManualClock(now)})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close(context.Background()) })
	idleCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := eng.Idle(idleCtx); err != nil {
		t.Fatal(err)
	}
	for _, r := range stored {
		if len(sender.bodies(r.WebhookURL)) == 0 {
			t.Fatalf("robot %s received nothing", r.Name)
		}
	}
	notes, err := f.db.NotificationsForAlert(ctx, firstCarriedAlert(t, f))
	if err != nil {
		t.Fatal(err)
	}
	noteOf := map[int64]int64{}
	for _, n := range notes {
		noteOf[n.RobotID] = n.ID
	}

	for _, r := range stored {
		delivered := sender.bodies(r.WebhookURL)[0]
		id := noteOf[r.ID]
		if id == 0 {
			t.Fatalf("no notification of robot %s carries the alert", r.Name)
		}
		// The preview of the same group as the same notification.
		_, prep, err := f.p.composer.Request(ctx, rule, r, group, id, now)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(prep.Body, delivered) {
			t.Errorf("%s: preview differs from the delivery\npreview:   %s\ndelivered: %s", r.Name, prep.Body, delivered)
		}
		// A test-send of the same message.
		c, err := f.p.composer.Compose(ctx, rule, r, group, id)
		if err != nil {
			t.Fatal(err)
		}
		res, err := eng.TestSend(ctx, db.SystemActor, r, rule.ID, c.Message)
		if err != nil || !res.Sent {
			t.Fatalf("%s: test-send = %+v, %v", r.Name, res, err)
		}
		if got := sender.bodies(r.WebhookURL); !bytes.Equal(got[len(got)-1], delivered) {
			t.Errorf("%s: test-send differs from the delivery\ntest-send: %s\ndelivered: %s", r.Name, got[len(got)-1], delivered)
		}
		mention := map[string]string{"dingtalk": "@13900000009", "feishu": "ou_dora", "wecom": "<@dora>"}[r.Platform]
		if !bytes.Contains(delivered, []byte("db-3")) || !bytes.Contains(delivered, []byte(mention)) {
			t.Errorf("%s: the delivered body lacks the alerts or the mention %q: %s", r.Name, mention, delivered)
		}
	}
}

// firstCarriedAlert is an alert some notification carries.
func firstCarriedAlert(t *testing.T, f *fixture) int64 {
	t.Helper()
	rows, err := rawQuery(f, `SELECT MIN(alert_id) FROM notification_alerts`)
	if err != nil || len(rows) == 0 {
		t.Fatalf("notification_alerts: %v", err)
	}
	id, err := strconv.ParseInt(rows[0][0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
