package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/keys"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// setup prepares a data directory for a load test: a team "load" with a load robot and a
// probe robot (both WeCom robots of the sandbox that alertload -sandbox serves at
// -robot-host), n enabled rules matching service="svc-<i>" that send to the load robot, a
// probe rule (probe="alertload", group wait 5 s) that sends to the probe robot, and an API
// token of the team. The console picks up the rules within 15 seconds when it is running.
func setup(o options, out io.Writer) error {
	ctx := context.Background()
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return err
	}
	k, err := keys.Load(o.dataDir)
	if err != nil {
		return err
	}
	d, err := db.Open(ctx, filepath.Join(o.dataDir, "alertdesk.db"), db.Options{DataKey: k.Data})
	if err != nil {
		return err
	}
	defer d.Close()
	team, err := d.TeamByName(ctx, "load")
	if errors.Is(err, db.ErrNotFound) {
		team, err = d.CreateTeam(ctx, db.SystemActor, "load")
	}
	if err != nil {
		return err
	}
	robotAt := func(name, token string) (db.Robot, error) {
		return d.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: fmt.Sprintf("%s %d", name, time.Now().Unix()),
			Platform: "wecom", WebhookURL: "http://" + o.robotHost + "/sandbox" + sandbox.WebhookPath(notify.WeCom, token),
			WebhookHint: name + " " + o.robotHost, Enabled: true})
	}
	robot, err := robotAt("load robot", sandboxToken)
	if err != nil {
		return err
	}
	probeRobot, err := robotAt("probe robot", probeToken)
	if err != nil {
		return err
	}
	probe, err := alerting.NewMatcher("probe", alerting.MatchEqual, "alertload")
	if err != nil {
		return err
	}
	if _, err := d.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Name: fmt.Sprintf("load probe (%d)", probeRobot.ID),
		Enabled: true, Severity: "warning", Matchers: alerting.Matchers{probe}, GroupBy: []string{"alertname"},
		GroupWait: 5 * time.Second, RepeatInterval: 4 * time.Hour, SendResolved: true, RobotIDs: []int64{probeRobot.ID}}); err != nil {
		return err
	}
	severity, err := alerting.NewMatcher("severity", alerting.MatchRegexp, "critical|warning")
	if err != nil {
		return err
	}
	for i := 0; i < o.rules; i++ {
		service, err := alerting.NewMatcher("service", alerting.MatchEqual, fmt.Sprintf("svc-%d", i))
		if err != nil {
			return err
		}
		_, err = d.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Name: fmt.Sprintf("load rule %d (%d)", i, robot.ID),
			Enabled: true, Severity: "warning",
			Matchers: alerting.Matchers{service, severity},
			GroupBy:  []string{"alertname", "service"}, GroupWait: 30 * time.Second, RepeatInterval: 4 * time.Hour,
			SendResolved: true, RobotIDs: []int64{robot.ID}})
		if err != nil {
			return err
		}
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := "ad_load_" + hex.EncodeToString(b)
	if _, err := d.CreateAPIToken(ctx, db.SystemActor, team.ID, "alertload", token); err != nil {
		return err
	}
	fmt.Fprintf(out, "team load: %d rules to robot %q, a probe rule to robot %q (webhooks at %s: start the console with ALERTDESK_ALLOWED_WEBHOOK_HOSTS=%s)\ntoken: %s\n",
		o.rules, robot.Name, probeRobot.Name, o.robotHost, o.robotHost, token)
	return nil
}
