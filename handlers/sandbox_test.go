package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// The attack report: demo mode showed every team the sandbox robots' tokens and secrets
// and let any member inject faults into another team's robot.
func TestSandboxIsPerTeamAndMasked(t *testing.T) {
	ts := newTestServer(t)
	sb := sandbox.New(sandbox.Options{})
	ts.rebuild(func(d *handlers.Deps) {
		d.Sandbox, d.Config.SandboxBaseURL, d.Config.Demo = sb, "http://console.test", true
	})
	alphaBot := sb.AddRobot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "alpha ding", Secret: "generate", TeamID: ts.TeamA.ID})
	// A message received by alpha's robot.
	req, _ := http.NewRequest(http.MethodPost, "/robot/send?access_token="+alphaBot.Token, strings.NewReader(`{"msgtype":"text","text":{"content":"alpha only"}}`))
	req.Header.Set("Content-Type", "application/json")
	sb.ServeHTTP(httptest.NewRecorder(), req)

	alice, bob := ts.login(t, "alice", testPassword), ts.login(t, "bob", testPassword)

	// Bob (team beta) creates his own robot: its URL and secret are shown once, in full.
	rec := bob.postForm(t, "/sandbox/robots", url.Values{"platform": {"dingtalk"}, "name": {"beta ding"}, "sign": {"1"}}, false)
	wantStatus(t, rec, http.StatusOK)
	var betaBot sandbox.RobotConfig
	for _, r := range sb.Robots() {
		if r.Name == "beta ding" {
			betaBot = r
		}
	}
	if betaBot.TeamID != ts.TeamB.ID {
		t.Fatalf("bob's sandbox robot has team %d, want %d", betaBot.TeamID, ts.TeamB.ID)
	}
	if !strings.Contains(bodyText(rec), "Sandbox robot beta ding created") {
		t.Fatal("no message that the robot was created")
	}
	if body := rec.Body.String(); !strings.Contains(body, betaBot.Token) || !strings.Contains(body, betaBot.Secret) {
		t.Fatal("the new robot's webhook and secret are not shown at creation")
	}

	// Afterwards, and for everyone else: masked, and only their own team's robots.
	for who, c := range map[string]*client{"bob": bob, "alice": alice} {
		page := c.get(t, "/sandbox")
		wantStatus(t, page, http.StatusOK)
		body := page.Body.String()
		for _, secret := range []string{alphaBot.Token, alphaBot.Secret, betaBot.Token, betaBot.Secret} {
			if strings.Contains(body, secret) {
				t.Errorf("%s's sandbox page shows a credential", who)
			}
		}
	}
	if alicePage := alice.get(t, "/sandbox").Body.String(); !strings.Contains(alicePage, "alpha ding") || strings.Contains(alicePage, "beta ding") {
		t.Error("alice must see alpha's robot and not beta's")
	}
	bobPage := bob.get(t, "/sandbox").Body.String()
	if strings.Contains(bobPage, "alpha ding") || strings.Contains(bobPage, "alpha only") {
		t.Error("bob sees another team's sandbox robot or its messages")
	}

	// Bob cannot read alpha's messages, by the list or by naming the token.
	for _, path := range []string{"/sandbox/messages", "/sandbox/messages?token=" + alphaBot.Token} {
		rec := bob.get(t, path)
		wantStatus(t, rec, http.StatusOK)
		if strings.Contains(rec.Body.String(), "alpha only") || strings.Contains(rec.Body.String(), alphaBot.Token) {
			t.Errorf("GET %s as bob shows alpha's messages", path)
		}
	}
	var msgs []sandbox.Received
	rec = alice.get(t, "/sandbox/messages")
	if err := json.Unmarshal(rec.Body.Bytes(), &msgs); err != nil || len(msgs) != 1 || msgs[0].Token == alphaBot.Token {
		t.Fatalf("alice's messages = %+v, %v; want her one message with the token masked", msgs, err)
	}

	// Bob cannot inject a fault into alpha's robot, by token or by its reference.
	ref := regexp.MustCompile(`/sandbox/robots/([0-9a-f]+)/fault`).FindStringSubmatch(alice.get(t, "/sandbox").Body.String())
	if ref == nil {
		t.Fatal("no fault form on alice's page")
	}
	for _, id := range []string{alphaBot.Token, ref[1]} {
		wantStatus(t, bob.postForm(t, "/sandbox/robots/"+id+"/fault", url.Values{"fault": {"server_error"}}, false), http.StatusNotFound)
	}
	if r, _ := sb.Robot(alphaBot.Token); r.Fault != sandbox.FaultNone && r.Fault != "" {
		t.Fatalf("alpha's robot fault = %q after bob's attempts", r.Fault)
	}
	// Alice can.
	wantStatus(t, alice.postForm(t, "/sandbox/robots/"+ref[1]+"/fault", url.Values{"fault": {"server_error"}}, false), http.StatusSeeOther)
	if r, _ := sb.Robot(alphaBot.Token); r.Fault != "server_error" {
		t.Fatalf("alpha's robot fault = %q, want server_error", r.Fault)
	}
	// The admin sees every team's robots, masked too.
	adminPage := ts.login(t, "admin", testPassword).get(t, "/sandbox").Body.String()
	if !strings.Contains(adminPage, "alpha ding") || !strings.Contains(adminPage, "beta ding") || strings.Contains(adminPage, alphaBot.Secret) {
		t.Error("the admin must see all sandbox robots, credentials masked")
	}
}

// The sandbox's robot form answered a bare "Unprocessable Entity" page; now it comes back
// with the error next to the field and what was typed, and messages show as the group
// sees them.
func TestSandboxRobotFormErrorsKeepInput(t *testing.T) {
	ts := newTestServer(t)
	sb := sandbox.New(sandbox.Options{})
	ts.rebuild(func(d *handlers.Deps) {
		d.Sandbox, d.Config.SandboxBaseURL, d.Config.Demo = sb, "http://console.test", true
	})
	bot := sb.AddRobot(sandbox.RobotConfig{Platform: notify.DingTalk, Name: "alpha ding", TeamID: ts.TeamA.ID})
	req, _ := http.NewRequest(http.MethodPost, "/robot/send?access_token="+bot.Token,
		strings.NewReader(`{"msgtype":"markdown","markdown":{"title":"t","text":"### Disk **full** <script>x</script>"}}`))
	req.Header.Set("Content-Type", "application/json")
	sb.ServeHTTP(httptest.NewRecorder(), req)

	alice := ts.login(t, "alice", testPassword)
	rec := alice.postForm(t, "/sandbox/robots", url.Values{"platform": {"slack"}, "name": {""}, "keywords": {"kept keyword"}, "unlimited": {"1"}}, false)
	wantStatus(t, rec, http.StatusUnprocessableEntity)
	body := rec.Body.String()
	for _, want := range []string{`data-testid="err-name"`, `data-testid="err-platform"`, "kept keyword", `name="unlimited" value="1" checked`,
		`data-testid="error-summary"`, `<p class="chat-h">Disk <strong>full</strong> &lt;script&gt;x&lt;/script&gt;</p>`} {
		if !strings.Contains(body, want) {
			t.Errorf("refused sandbox form lacks %s", want)
		}
	}
}
