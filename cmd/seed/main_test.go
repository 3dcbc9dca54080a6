package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alertdesk/db"
)

func TestSeedSmall(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-data", dir, "-attempts", "3000", "-days", "10"}, &out); err != nil {
		t.Fatal(err)
	}
	key, err := dataKey(dir) // reads the keys.json the seed wrote, as cmd/web does
	if err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), filepath.Join(dir, "alertdesk.db"), db.Options{DataKey: key})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	robots, err := d.Robots(ctx, db.AllTeams) // decrypts every webhook with the data key
	if err != nil {
		t.Fatalf("robots do not decrypt with keys.json: %v", err)
	}
	platforms := map[string]bool{}
	for _, r := range robots {
		platforms[r.Platform] = true
		if !strings.HasPrefix(r.WebhookURL, "https://") {
			t.Errorf("robot %s webhook = %q", r.Name, r.WebhookURL)
		}
	}
	if len(robots) != 50 || len(platforms) != 4 {
		t.Errorf("robots = %d on %d platforms, want 50 on 4", len(robots), len(platforms))
	}
	if teams, _ := d.Teams(ctx); len(teams) != 5 {
		t.Errorf("teams = %d, want 5", len(teams))
	}
	if u, err := d.UserByUsername(ctx, "admin"); err != nil || u.Role != db.RoleAdmin {
		t.Errorf("admin = %+v, %v", u, err)
	}
	raw, err := sql.Open("sqlite", filepath.Join(dir, "alertdesk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	count := func(q string) int {
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM delivery_attempts`); n != 3000 {
		t.Errorf("attempts = %d, want 3000", n)
	}
	if n := count(`SELECT COUNT(*) FROM rules`); n != 200 {
		t.Errorf("rules = %d, want 200", n)
	}
	if n := count(`SELECT COUNT(DISTINCT outcome) FROM delivery_attempts`); n < 6 {
		t.Errorf("only %d distinct outcomes", n)
	}
	if n := count(`SELECT COUNT(*) FROM delivery_attempts a JOIN notifications n ON n.id = a.notification_id
		WHERE a.team_id != n.team_id OR a.robot_id != n.robot_id`); n != 0 {
		t.Errorf("%d attempts disagree with their notification", n)
	}
	if n := count(`SELECT COUNT(*) FROM notification_alerts`); n == 0 {
		t.Error("no alerts linked to notifications")
	}
	if n := count(`SELECT COUNT(*) FROM notifications WHERE state = 'folded' AND digest_id IS NOT NULL`); n == 0 {
		t.Error("no folded notification points at its digest")
	}
	// a second run refuses to double the history
	if err := run(ctx, []string{"-data", dir, "-attempts", "10"}, &out); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("second seed: err = %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "keys.json")); !bytes.Contains(b, []byte(`"data"`)) {
		t.Errorf("keys.json = %s", b)
	}
}
