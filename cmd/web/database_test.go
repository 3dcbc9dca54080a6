package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"alertdesk/db"
	"alertdesk/db/dbtest"
)

// A database address that is not PostgreSQL's is refused at start, without echoing its password.
func TestDatabaseURLConfig(t *testing.T) {
	_, err := loadConfig(nil, env(map[string]string{"ALERTDESK_DATABASE_URL": "mysql://u:hunter2@db.internal/alertdesk"}))
	if err == nil || !strings.Contains(err.Error(), "ALERTDESK_DATABASE_URL") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err = %v, want a refusal naming ALERTDESK_DATABASE_URL without the password", err)
	}
	cfg, err := loadConfig(nil, env(map[string]string{"ALERTDESK_DATABASE_URL": "postgres://alertdesk@127.0.0.1:5432/alertdesk"}))
	if err != nil || cfg.databaseAddr() != "postgres://alertdesk@127.0.0.1:5432/alertdesk" {
		t.Errorf("postgres address: %q, %v", cfg.databaseAddr(), err)
	}
	cfg, err = loadConfig(nil, env(map[string]string{"ALERTDESK_DATA_DIR": "/srv/ad"}))
	if err != nil || cfg.databaseAddr() != filepath.Join("/srv/ad", "alertdesk.db") {
		t.Errorf("sqlite default: %q, %v", cfg.databaseAddr(), err)
	}
}

// `alertdesk migrate` applies the migrations and exits.
func TestMigrateCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env(map[string]string{"ALERTDESK_DATA_DIR": dir}), &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "migrations applied (sqlite)") {
		t.Errorf("output %q", out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "alertdesk.db")); err != nil {
		t.Errorf("no database file: %v", err)
	}
}

// On PostgreSQL: migrate, then two consoles with the shared keys in the environment run
// side by side; /readyz names each and the roles it holds (all on one of them); a console
// whose keys come from its own data directory is refused while another runs, naming the
// variables to set.
func TestConsolesOnPostgres(t *testing.T) {
	url := dbtest.NewPostgres(t)
	shared := func() map[string]string {
		return map[string]string{"ALERTDESK_ADDR": "127.0.0.1:0", "ALERTDESK_DATA_DIR": t.TempDir(), "ALERTDESK_DATABASE_URL": url,
			"ALERTDESK_ENCRYPTION_KEY": strings.Repeat("ab", 32), "ALERTDESK_SESSION_KEY": strings.Repeat("cd", 32)}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate"}, env(shared()), &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "migrations applied (postgres)") {
		t.Errorf("output %q", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type console struct {
		addr string
		done chan error
	}
	start := func() console {
		ready := make(chan string, 1)
		c := console{done: make(chan error, 1)}
		var log bytes.Buffer
		go func() { c.done <- run(ctx, nil, env(shared()), &syncWriter{buf: &log}, ready) }()
		select {
		case c.addr = <-ready:
		case err := <-c.done:
			t.Fatalf("run: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("the console did not start within 30s")
		}
		return c
	}
	one, two := start(), start()
	type ready struct {
		Console  string   `json:"console"`
		Database string   `json:"database"`
		Roles    []string `json:"roles"`
	}
	readyz := func(c console) ready {
		resp, err := http.Get("http://" + c.addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r ready
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
			t.Fatalf("readyz: %d", resp.StatusCode)
		}
		return r
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r1, r2 := readyz(one), readyz(two)
		if r1.Console == "" || r1.Console == r2.Console || r1.Database != "reachable" {
			t.Fatalf("readyz: %+v %+v", r1, r2)
		}
		if len(r1.Roles)+len(r2.Roles) == 3 && (len(r1.Roles) == 3 || len(r2.Roles) == 3) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("roles not settled on one console: %+v %+v", r1, r2)
		}
		time.Sleep(50 * time.Millisecond)
	}
	vars := shared()
	delete(vars, "ALERTDESK_ENCRYPTION_KEY")
	delete(vars, "ALERTDESK_SESSION_KEY")
	err := run(context.Background(), nil, env(vars), &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "ALERTDESK_ENCRYPTION_KEY") {
		t.Errorf("a console with keys of its own: err = %v, want a refusal naming ALERTDESK_ENCRYPTION_KEY", err)
	}
	cancel()
	for _, c := range []console{one, two} {
		if err := <-c.done; err != nil {
			t.Fatal(err)
		}
	}
}

// `alertdesk copy-to-postgres` moves a SQLite console's data into an empty PostgreSQL
// database, readable there with the same data directory's keys.
func TestCopyToPostgresCommand(t *testing.T) {
	url := dbtest.NewPostgres(t)
	dir := t.TempDir()
	lite := map[string]string{"ALERTDESK_DATA_DIR": dir}
	if err := run(context.Background(), []string{"migrate"}, env(lite), &bytes.Buffer{}, nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(nil, env(lite))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.loadKeys(); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), cfg.databaseAddr(), db.Options{DataKey: cfg.DataKey})
	if err != nil {
		t.Fatal(err)
	}
	team, err := d.CreateTeam(context.Background(), db.SystemActor, "payments")
	if err != nil {
		t.Fatal(err)
	}
	robot, err := d.CreateRobot(context.Background(), db.SystemActor, db.RobotInput{TeamID: team.ID, Name: "ops", Platform: "wecom",
		WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", WebhookHint: "…", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()

	var out bytes.Buffer
	err = run(context.Background(), []string{"copy-to-postgres"}, env(lite), &out, nil)
	if err == nil || !strings.Contains(err.Error(), "ALERTDESK_DATABASE_URL") {
		t.Errorf("without a target: err = %v, want one naming ALERTDESK_DATABASE_URL", err)
	}
	pg := map[string]string{"ALERTDESK_DATA_DIR": dir, "ALERTDESK_DATABASE_URL": url}
	if err := run(context.Background(), []string{"copy-to-postgres"}, env(pg), &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "1 teams, 1 robots") {
		t.Errorf("output %q", out.String())
	}
	// A console with another data directory (so other keys) refuses to start on it.
	err = run(context.Background(), nil, env(map[string]string{"ALERTDESK_ADDR": "127.0.0.1:0", "ALERTDESK_DATA_DIR": t.TempDir(),
		"ALERTDESK_DATABASE_URL": url}), &bytes.Buffer{}, nil)
	if err == nil || !strings.Contains(err.Error(), "ALERTDESK_ENCRYPTION_KEY") {
		t.Errorf("a console with other keys: err = %v, want a refusal naming ALERTDESK_ENCRYPTION_KEY", err)
	}
	p, err := db.Open(context.Background(), url, db.Options{DataKey: cfg.DataKey})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.RobotByID(context.Background(), db.AllTeams, robot.ID)
	if err != nil || got.WebhookURL != robot.WebhookURL {
		t.Errorf("robot on PostgreSQL: %+v, %v", got, err)
	}
}
