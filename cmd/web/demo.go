package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"alertdesk/alerting"
	"alertdesk/db"
	"alertdesk/handlers"
	"alertdesk/notify"
	"alertdesk/notify/sandbox"
)

// sandboxFile keeps the demo sandbox's robots across restarts, as a chat app keeps its robots.
type sandboxFile struct {
	path string
	mu   sync.Mutex
	sb   *sandbox.Sandbox
}

func openSandbox(dataDir string) (*sandboxFile, error) {
	f := &sandboxFile{path: filepath.Join(dataDir, "sandbox-robots.json"), sb: sandbox.New(sandbox.Options{})}
	raw, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, err
	}
	var robots []sandbox.RobotConfig
	if err := json.Unmarshal(raw, &robots); err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", f.path, err)
	}
	for _, r := range robots {
		f.sb.AddRobot(r)
	}
	return f, nil
}

func (f *sandboxFile) save() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, err := json.MarshalIndent(f.sb.Robots(), "", "  ")
	if err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

// demoKeyword is the keyword of the demo DingTalk robot: the example of the MSE docs.
const demoKeyword = "Microservice Online Monitoring"

// seedDemo creates, once, a demo team with one sandbox robot per platform (the DingTalk one
// signed and with a keyword), so test-send works offline on a fresh machine.
func seedDemo(ctx context.Context, d *db.DB, sf *sandboxFile, baseURL string, log *slog.Logger) error {
	if _, err := d.TeamByName(ctx, "demo"); err == nil {
		return nil
	} else if !errors.Is(err, db.ErrNotFound) {
		return err
	}
	team, err := d.CreateTeam(ctx, db.SystemActor, "demo")
	if err != nil {
		return err
	}
	robots := []sandbox.RobotConfig{
		{Platform: notify.DingTalk, Name: "demo DingTalk group", Secret: "generate", Keywords: []string{demoKeyword}, TeamID: team.ID},
		{Platform: notify.Feishu, Name: "demo Feishu group", TeamID: team.ID},
		{Platform: notify.WeCom, Name: "demo WeCom group", TeamID: team.ID},
	}
	var robotIDs []int64
	for _, cfg := range robots {
		sr := sf.sb.AddRobot(cfg)
		in := db.RobotInput{TeamID: team.ID, Name: sr.Name, Platform: string(sr.Platform),
			WebhookURL: handlers.SandboxURL(baseURL, sr.Platform, sr.Token), Secret: sr.Secret, Keywords: sr.Keywords, Enabled: true}
		in.WebhookHint = "sandbox " + notify.Mask(in.WebhookURL)
		if in.Secret != "" {
			in.SecretHint = notify.Mask(in.Secret)
		}
		r, err := d.CreateRobot(ctx, db.SystemActor, in)
		if err != nil {
			return err
		}
		robotIDs = append(robotIDs, r.ID)
	}
	severities, err := alerting.NewMatcher("severity", alerting.MatchRegexp, "critical|warning")
	if err != nil {
		return err
	}
	// A rule that sends every critical or warning alert to all sandbox robots, so that
	// pointing Alertmanager or curl at a fresh demo console shows the whole flow.
	if _, err := d.CreateRule(ctx, db.SystemActor, db.RuleInput{TeamID: team.ID, Name: "demo: critical and warning alerts",
		Description: "Seeded by demo mode: every alert with severity critical or warning goes to the sandbox robots.",
		Enabled:     true, Severity: "critical",
		Matchers: alerting.Matchers{severities},
		GroupBy:  []string{"alertname"}, GroupWait: 5 * time.Second, RepeatInterval: 4 * time.Hour, SendResolved: true,
		RobotIDs: robotIDs}); err != nil {
		return err
	}
	if err := sf.save(); err != nil {
		return err
	}
	log.Info("demo mode: seeded team demo with sandbox robots for DingTalk, Feishu and WeCom and a rule for critical and warning alerts")
	return nil
}
