package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
)

// Quick silence from an alert: the form is prefilled from its labels and lists the alerts
// firing now that it would mute; editing the matchers and asking again changes the list;
// nothing is created until "Create silence".
func TestQuickSilenceFromAlert(t *testing.T) {
	is := newIntakeServer(t)
	ctx := context.Background()
	robot, err := is.DB.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: is.TeamA.ID, Name: "r", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	every, _ := alerting.NewMatcher("alertname", alerting.MatchRegexp, ".+")
	if _, err := is.DB.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: is.TeamA.ID, Name: "all", Enabled: true,
		Severity: "warning", Matchers: alerting.Matchers{every}, GroupBy: []string{"alertname"}, GroupWait: time.Minute,
		RepeatInterval: time.Hour, RobotIDs: []int64{robot.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := is.pipe.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"labels":{"alertname":"DiskFull","instance":"db-1"}}`,
		`{"labels":{"alertname":"DiskFull","instance":"db-2"}}`, `{"labels":{"alertname":"CPUHigh","instance":"db-1"}}`} {
		wantStatus(t, is.post(t, "/api/v1/alerts", is.teamToken, []byte(body)), http.StatusAccepted)
	}
	var diskDB1 db.StoredAlert
	for _, a := range is.storedAlerts(t) {
		if a.Name == "DiskFull" && a.Labels["instance"] == "db-1" {
			diskDB1 = a
		}
	}
	alice := is.login(t, "alice", testPassword)
	rec := alice.get(t, "/alerts/"+idStr(diskDB1.ID))
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `href="/silences?alert=`+idStr(diskDB1.ID)+`"`) {
		t.Fatalf("the alert page has no quick silence link")
	}
	rec = alice.get(t, "/silences?alert="+idStr(diskDB1.ID))
	wantStatus(t, rec, http.StatusOK)
	body := rec.Body.String()
	if !strings.Contains(body, `alertname=&#34;DiskFull&#34;, instance=&#34;db-1&#34;`) {
		t.Errorf("matchers not prefilled from the labels:\n%s", body)
	}
	mutes := func(body string) string {
		i := strings.Index(body, `data-testid="silence-would-mute"`)
		if i < 0 {
			t.Fatalf("no list of alerts it would mute:\n%s", body)
		}
		return body[i:]
	}
	if l := mutes(body); !strings.Contains(l, "It would mute 1 alert firing now") || !strings.Contains(l, "DiskFull instance=db-1") {
		t.Errorf("would mute: %s", l)
	}
	// Edited to every DiskFull: both instances, still nothing created.
	form := url.Values{"team_id": {idStr(is.TeamA.ID)}, "matchers": {`alertname="DiskFull"`}, "duration": {"1h"},
		"comment": {"disk work"}, "preview": {"1"}}
	rec = alice.postForm(t, "/silences", form, false)
	wantStatus(t, rec, http.StatusOK)
	if l := mutes(rec.Body.String()); !strings.Contains(l, "It would mute 2 alerts") || strings.Contains(l, "CPUHigh") {
		t.Errorf("would mute after editing: %s", l)
	}
	if list, _ := is.DB.Silences(ctx, db.AllTeams); len(list) != 0 {
		t.Fatalf("preview created a silence: %+v", list)
	}
	form.Del("preview")
	wantStatus(t, alice.postForm(t, "/silences", form, false), http.StatusSeeOther)
	if list, _ := is.DB.Silences(ctx, db.AllTeams); len(list) != 1 {
		t.Fatalf("silences after create: %+v", list)
	}
}
