package db

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"alertdesk/migrations"
)

// applyMigrations runs the named migration files on raw, as db.migrate did when they
// were the newest, and records them.
func applyMigrations(t *testing.T, raw *sql.DB, names []string) {
	t.Helper()
	if _, err := raw.Exec(`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		src, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(src)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := raw.Exec(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, 0)`, name); err != nil {
			t.Fatal(err)
		}
	}
}

func migrationNames(t *testing.T, keep func(string) bool) []string {
	t.Helper()
	all, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(all)
	var out []string
	for _, n := range all {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// historyTables are every table whose rows a migration must carry over, with the row
// counts the seed below writes.
var historyTables = map[string]int{
	"teams": 2, "users": 2, "invites": 1, "audit_events": 4, "robots": 2, "contacts": 2, "contact_groups": 1,
	"contact_group_members": 1, "rules": 1, "rule_robots": 1, "rule_contacts": 1, "rule_contact_groups": 1,
	"silences": 1, "api_tokens": 1, "alerts": 2, "alert_groups": 1, "group_alerts": 1, "series_state": 1,
	"notifications": 2, "notification_alerts": 1, "delivery_attempts": 3,
}

// seedOldSchema writes rows into every table of the pre-0006 schema with plain SQL, the
// way the console of that time stored them. Robot 3 existed and was deleted (its audit
// entries remain), so its id must never come back.
func seedOldSchema(t *testing.T, raw *sql.DB, seal *sealer) {
	t.Helper()
	webhook := seal.seal("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=old", "robot.webhook")
	stmts := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO teams (id, name, created_at) VALUES (1, 'alpha', 1), (2, 'beta', 1)`, nil},
		{`INSERT INTO users (id, username, password_hash, role, team_id, created_at, updated_at)
			VALUES (1, 'admin', 'x', 'admin', NULL, 1, 1), (2, 'alice', 'x', 'member', 1, 1, 1)`, nil},
		{`INSERT INTO invites (id, team_id, token_hash, token_hint, expires_at, uses_left, created_by, created_at)
			VALUES (1, 1, 'h', 'hint', 9, 1, 1, 1)`, nil},
		{`INSERT INTO robots (id, team_id, name, platform, webhook_enc, webhook_hint, created_at, updated_at)
			VALUES (1, 1, 'ops-ding', 'wecom', ?, 'old', 1, 1), (2, 1, 'spare', 'wecom', ?, 'old', 1, 1)`, []any{webhook, webhook}},
		{`INSERT INTO audit_events (at, actor, action, object_type, object_id, object_name, team_id) VALUES
			(1, 'admin', 'robot.create', 'robot', 1, 'ops-ding', 1), (1, 'admin', 'robot.create', 'robot', 3, 'gone', 1),
			(2, 'admin', 'robot.delete', 'robot', 3, 'gone', 1), (2, 'admin', 'rule.delete', 'rule', 7, 'old rule', 1)`, nil},
		{`INSERT INTO contacts (id, team_id, name, mobile, user_id, created_at, updated_at)
			VALUES (1, 1, 'Ann', '13800000001', 2, 1, 1), (2, 1, 'Bob', '13800000002', NULL, 1, 1)`, nil},
		{`INSERT INTO contact_groups (id, team_id, name, created_at, updated_at) VALUES (1, 1, 'oncall', 1, 1)`, nil},
		{`INSERT INTO contact_group_members (group_id, contact_id) VALUES (1, 2)`, nil},
		{`INSERT INTO rules (id, team_id, name, created_at, updated_at) VALUES (1, 1, 'disk', 1, 1)`, nil},
		{`INSERT INTO rule_robots (rule_id, robot_id) VALUES (1, 1)`, nil},
		{`INSERT INTO rule_contacts (rule_id, contact_id) VALUES (1, 1)`, nil},
		{`INSERT INTO rule_contact_groups (rule_id, group_id) VALUES (1, 1)`, nil},
		{`INSERT INTO silences (id, team_id, matchers, starts_at, ends_at, created_at) VALUES (1, 1, '[]', 1, 2, 1)`, nil},
		{`INSERT INTO api_tokens (id, team_id, name, token_hash, token_hint, created_at) VALUES (1, 1, 'am', 'th', 'hint', 1)`, nil},
		{`INSERT INTO alerts (id, team_id, source, fingerprint, status, name, labels, starts_at, received_at)
			VALUES (1, 1, 'api', 'f1', 'firing', 'DiskFull', '{}', 1, 1), (2, 1, 'api', 'f2', 'firing', 'Cpu', '{}', 1, 1)`, nil},
		{`INSERT INTO alert_groups (id, rule_id, group_key, created_at) VALUES (1, 1, 'k', 1)`, nil},
		{`INSERT INTO group_alerts (group_id, fingerprint, alert_id, status) VALUES (1, 'f1', 1, 'firing')`, nil},
		{`INSERT INTO series_state (rule_id, fingerprint, updated_at) VALUES (1, 'f1', 1)`, nil},
		// Notification 2 was sent by rule 7, deleted before deletes were soft.
		{`INSERT INTO notifications (id, team_id, robot_id, rule_id, kind, title, body, state, next_attempt_at, created_at, updated_at)
			VALUES (1, 1, 1, 1, 'firing', 'DiskFull', 'b', 'delivered', 1, 1, 1),
			       (2, 1, 1, 7, 'firing', 'Old', 'b', 'failed', 1, 1, 1)`, nil},
		{`INSERT INTO notification_alerts (notification_id, alert_id) VALUES (1, 1)`, nil},
		{`INSERT INTO delivery_attempts (notification_id, team_id, robot_id, rule_id, platform, kind, attempt, at, outcome)
			VALUES (1, 1, 1, 1, 'wecom', 'firing', 1, 1, 'retry'), (1, 1, 1, 1, 'wecom', 'firing', 2, 2, 'delivered'),
			       (2, 1, 1, 7, 'wecom', 'firing', 1, 1, 'rejected')`, nil},
	}
	for _, s := range stmts {
		if _, err := raw.Exec(s.q, s.args...); err != nil {
			t.Fatalf("%s: %v", s.q, err)
		}
	}
}

func countRows(t *testing.T, q querier, table string) int {
	t.Helper()
	var n int
	// table comes from historyTables, never input.
	if err := q.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// TestMigration0006KeepsEveryRow builds a database with the schema before 0006 (with and
// without 0009 applied first, as a database made from an earlier main has it), fills every
// table, then opens it with db.Open, which applies the rest: every row survives with its
// id, foreign keys hold and are enforced again, ids in use or in the audit log are never
// handed out again, and the history still names everything.
func TestMigration0006KeepsEveryRow(t *testing.T) {
	for _, tc := range []struct {
		name string
		pre  func(string) bool
	}{
		{"0001-0005", func(n string) bool { return n < "0006" }},
		{"0001-0005 and 0009", func(n string) bool { return n < "0006" || strings.HasPrefix(n, "0009") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "old.db")
			key := []byte("0123456789abcdef0123456789abcdef")
			seal, err := newSealer(key)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
			if err != nil {
				t.Fatal(err)
			}
			raw.SetMaxOpenConns(1)
			applyMigrations(t, raw, migrationNames(t, tc.pre))
			seedOldSchema(t, raw, seal)
			if err := raw.Close(); err != nil {
				t.Fatal(err)
			}

			d, err := Open(ctx, path, Options{DataKey: key})
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			defer d.Close()

			for table, want := range historyTables {
				if got := countRows(t, d.read, table); got != want {
					t.Errorf("%s: %d rows after the migration, want %d", table, got, want)
				}
			}
			for _, table := range []string{"teams", "users", "invites", "audit_events", "robots", "contacts",
				"contact_groups", "rules", "silences", "api_tokens"} {
				var schema string
				if err := d.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`,
					table).Scan(&schema); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(schema, "AUTOINCREMENT") {
					t.Errorf("%s has no AUTOINCREMENT: %s", table, schema)
				}
			}
			for _, col := range []string{"version", "flush_failures", "last_error"} {
				var n int
				if err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('alert_groups') WHERE name = ?`,
					col).Scan(&n); err != nil || n != 1 {
					t.Errorf("alert_groups.%s missing after the migrations (%v)", col, err)
				}
			}

			// The app reads the old rows as before.
			robots, err := d.Robots(ctx, AllTeams)
			if err != nil || len(robots) != 2 || robots[0].Name != "ops-ding" || !strings.HasSuffix(robots[0].WebhookURL, "key=old") {
				t.Fatalf("robots after the migration = %+v (%v)", robots, err)
			}
			rule, err := d.RuleByID(ctx, AllTeams, 1)
			if err != nil || len(rule.RobotIDs) != 1 || len(rule.ContactIDs) != 1 || len(rule.GroupIDs) != 1 {
				t.Fatalf("rule after the migration = %+v (%v)", rule, err)
			}
			if c, err := d.ContactByUser(ctx, 2); err != nil || c.Name != "Ann" {
				t.Errorf("Ann's card after the migration = %+v (%v)", c, err)
			}
			rows, _, err := d.History(ctx, HistoryFilter{Scope: AllTeams, Limit: 10})
			if err != nil || len(rows) != 3 {
				t.Fatalf("history after the migration: %d rows (%v)", len(rows), err)
			}
			for _, r := range rows {
				if r.RobotName != "ops-ding" || r.RobotDeleted {
					t.Errorf("attempt %d names robot %q (deleted %v)", r.ID, r.RobotName, r.RobotDeleted)
				}
				if r.RuleID == 7 && (r.RuleName != "" || !r.RuleDeleted) {
					t.Errorf("the rule deleted before the migration shows as %q (deleted %v)", r.RuleName, r.RuleDeleted)
				}
			}

			// Foreign keys are enforced again on the writer that ran the migration.
			_, err = d.write.ExecContext(ctx, `INSERT INTO rule_robots (rule_id, robot_id) VALUES (1, 99)`)
			if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
				t.Errorf("a link to a missing robot: err = %v, want a foreign key failure", err)
			}

			// Ids: above every id used, including the robot deleted before (3) and the rule
			// the history still names (7).
			actor := Actor{Name: "tester"}
			r, err := d.CreateRobot(ctx, actor, RobotInput{TeamID: 1, Name: "new", Platform: "wecom",
				WebhookURL: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=n", WebhookHint: "n", Enabled: true})
			if err != nil || r.ID != 4 {
				t.Errorf("new robot id = %d (%v), want 4", r.ID, err)
			}
			nr, err := d.CreateRule(ctx, actor, RuleInput{TeamID: 1, Name: "new", Severity: "info"})
			if err != nil || nr.ID != 8 {
				t.Errorf("new rule id = %d (%v), want 8", nr.ID, err)
			}
		})
	}
}

// TestCheckForeignKeysFindsDanglingRows: what every migration runs before it commits
// finds a row that refers to nothing.
func TestCheckForeignKeysFindsDanglingRows(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	conn, err := d.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := checkForeignKeys(ctx, tx); err != nil {
		t.Fatalf("a consistent database: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rule_robots (rule_id, robot_id) VALUES (5, 6)`); err != nil {
		t.Fatal(err)
	}
	if err := checkForeignKeys(ctx, tx); err == nil || errors.Is(err, sql.ErrNoRows) {
		t.Errorf("a dangling rule_robots row: err = %v, want the foreign key check to fail", err)
	}
}
