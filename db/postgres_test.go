package db_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"alertdesk/db"
	"alertdesk/db/dbtest"
)

// Several consoles starting at once on one new PostgreSQL database: the advisory lock lets
// one apply the migrations while the others wait, then find them applied.
func TestPostgresConcurrentMigrate(t *testing.T) {
	url := dbtest.NewPostgres(t)
	const consoles = 4
	errs := make(chan error, consoles)
	dbs := make(chan *db.DB, consoles)
	for range consoles {
		go func() {
			d, err := db.Open(context.Background(), url, db.Options{})
			errs <- err
			dbs <- d
		}()
	}
	for range consoles {
		if err := <-errs; err != nil {
			t.Errorf("open: %v", err)
		}
		if d := <-dbs; d != nil {
			t.Cleanup(func() { d.Close() })
		}
	}
	d := dbtest.OpenAt(t, url, db.Options{})
	ctx := context.Background()
	team, err := d.CreateTeam(ctx, db.SystemActor, "Ops")
	if err != nil {
		t.Fatal(err)
	}
	// Team names stay unique whatever their case, as with SQLite's COLLATE NOCASE.
	if _, err := d.CreateTeam(ctx, db.SystemActor, "ops"); err == nil {
		t.Errorf("a second team named ops (case aside) was created beside %q", team.Name)
	}
}

// A user signs in by any case of their name on PostgreSQL too.
func TestPostgresUsernameIgnoresCase(t *testing.T) {
	d := dbtest.OpenAt(t, dbtest.NewPostgres(t), db.Options{})
	ctx := context.Background()
	if _, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: "Alice", PasswordHash: "x", Role: db.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	if u, err := d.UserByUsername(ctx, "aLICE"); err != nil || u.Username != "Alice" {
		t.Errorf("UserByUsername(aLICE) = %+v, %v", u, err)
	}
	if _, err := d.TeamByName(ctx, "nobody"); err == nil {
		t.Error("TeamByName found a team that does not exist")
	}
}

// copy-to-postgres: every row arrives with its id, sealed webhooks open with the same key,
// and a new row on PostgreSQL takes an id SQLite never handed out (not even to a deleted row).
func TestCopyToPostgres(t *testing.T) {
	pgURL := dbtest.NewPostgres(t)
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	src := dbtest.OpenAt(t, filepath.Join(t.TempDir(), "src.db"), db.Options{DataKey: key})
	team, err := src.CreateTeam(ctx, db.SystemActor, "Payments")
	if err != nil {
		t.Fatal(err)
	}
	gone, err := src.CreateTeam(ctx, db.SystemActor, "gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := src.DeleteTeam(ctx, db.SystemActor, gone.ID); err != nil {
		t.Fatal(err)
	}
	robot, err := src.CreateRobot(ctx, db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "ops", Platform: "dingtalk",
		WebhookURL: "https://oapi.dingtalk.com/robot/send?access_token=abc", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	dst := dbtest.OpenAt(t, pgURL, db.Options{DataKey: key})
	stats, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatal(err)
	}
	if stats["teams"] != 2 || stats["robots"] != 1 {
		t.Errorf("stats = %v", stats)
	}
	got, err := dst.RobotByID(ctx, db.AllTeams, robot.ID)
	if err != nil || got.WebhookURL != robot.WebhookURL || got.TeamID != team.ID {
		t.Errorf("robot on PostgreSQL = %+v, %v", got, err)
	}
	next, err := dst.CreateTeam(ctx, db.SystemActor, "next")
	if err != nil {
		t.Fatal(err)
	}
	if next.ID <= gone.ID {
		t.Errorf("new team id %d reuses an id SQLite handed out (up to %d)", next.ID, gone.ID)
	}
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("second copy: err = %v, want a refusal asking for an empty database", err)
	}
}

// A console whose key differs from the one the database was set up with refuses to start.
func TestPostgresKeyFingerprints(t *testing.T) {
	d := dbtest.OpenAt(t, dbtest.NewPostgres(t), db.Options{})
	ctx := context.Background()
	a, b := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if err := d.CheckKeys(ctx, map[string][]byte{"ALERTDESK_ENCRYPTION_KEY": a, "ALERTDESK_SESSION_KEY": b}); err != nil {
		t.Fatal(err)
	}
	if err := d.CheckKeys(ctx, map[string][]byte{"ALERTDESK_ENCRYPTION_KEY": a, "ALERTDESK_SESSION_KEY": b}); err != nil {
		t.Errorf("the same keys again: %v", err)
	}
	err := d.CheckKeys(ctx, map[string][]byte{"ALERTDESK_ENCRYPTION_KEY": b, "ALERTDESK_SESSION_KEY": b})
	if err == nil || !strings.Contains(err.Error(), "ALERTDESK_ENCRYPTION_KEY") || strings.Contains(err.Error(), "ALERTDESK_SESSION_KEY is not") {
		t.Errorf("another encryption key: err = %v, want a refusal naming ALERTDESK_ENCRYPTION_KEY", err)
	}
}
