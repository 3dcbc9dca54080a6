package db

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
)

// copyOrder lists the tables copy-to-postgres moves, parents before the tables whose keys
// refer to them. A SQLite table missing here stops the copy rather than be left behind.
var copyOrder = []string{
	"teams", "users", "invites", "audit_events", "robots", "contacts", "contact_groups",
	"contact_group_members", "schedules", "schedule_overrides", "contact_group_schedules", "escalation_policies",
	"rules", "rule_robots", "rule_contacts", "rule_contact_groups", "rule_schedules", "silences",
	"api_tokens", "sessions", "intake_errors", "alerts", "alert_groups", "group_alerts", "series_state",
	"incidents", "notifications", "notification_alerts", "delivery_attempts", "integrations",
	"integration_payloads", "incident_events", "auto_resolve",
}

// notCopied are tables whose rows describe the running consoles, not the team's data:
// the console registry, the role leases and the change counters belong to the processes
// on one database and mean nothing on another (the PostgreSQL consoles register and take
// their roles afresh), so copy-to-postgres leaves them behind. login_failures is the
// sign-in throttle's counts, forgotten an hour after the last failure anyway: the copy
// runs with the console stopped, and carrying over a few sign-in delays would only keep
// an attacker's (or a typo's) delay across the move; so it starts empty too.
var notCopied = map[string]bool{"consoles": true, "leases": true, "change_versions": true, "login_failures": true}

// CopyStats counts the rows copied per table.
type CopyStats map[string]int64

// CopyTo copies every row of this SQLite database into dst, an empty, migrated PostgreSQL
// database, in one transaction, keeping ids, and moves dst's id sequences past every id
// SQLite has handed out (deleted ones too), so no id is ever given twice. Stored secrets are
// copied as they are: dst must be opened with the same ALERTDESK_ENCRYPTION_KEY.
func (d *DB) CopyTo(ctx context.Context, dst *DB) (CopyStats, error) {
	if d.dia.postgres || !dst.dia.postgres {
		return nil, fmt.Errorf("db: copy: from SQLite to PostgreSQL only")
	}
	if err := d.copyCovers(ctx); err != nil {
		return nil, err
	}
	var rows int64
	if err := dst.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM teams) + (SELECT COUNT(*) FROM users)`).Scan(&rows); err != nil {
		return nil, fmt.Errorf("db: copy: %w", err)
	}
	if rows > 0 {
		return nil, fmt.Errorf("db: copy: the PostgreSQL database already has teams or users; copy into an empty one")
	}
	highs, err := d.sqliteSequences(ctx)
	if err != nil {
		return nil, err
	}
	stats := CopyStats{}
	err = dst.WithTx(ctx, func(tx *sql.Tx) error {
		for _, table := range copyOrder {
			n, err := d.copyTable(ctx, tx, table)
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			stats[table] = n
			var identity bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
				WHERE table_name = ? AND column_name = 'id' AND is_identity = 'YES')`, table).Scan(&identity); err != nil {
				return err
			}
			if identity {
				if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, 'id'),
					GREATEST(COALESCE((SELECT MAX(id) FROM `+table+`), 0), ?, 1))`, table, highs[table]); err != nil {
					return fmt.Errorf("%s: sequence: %w", table, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("db: copy: %w", err)
	}
	return stats, nil
}

// copyCovers refuses a SQLite database with a table copyOrder does not know.
func (d *DB) copyCovers(ctx context.Context) error {
	rows, err := d.read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name != 'schema_migrations'`)
	if err != nil {
		return err
	}
	defer rows.Close()
	known := map[string]bool{}
	for _, t := range copyOrder {
		known[t] = true
	}
	var missing []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		if !known[name] && !notCopied[name] {
			missing = append(missing, name)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("db: copy: this build does not know how to copy table(s) %s", strings.Join(missing, ", "))
	}
	return nil
}

// sqliteSequences is AUTOINCREMENT's high-water mark per table: ids handed out, deleted
// rows' too.
func (d *DB) sqliteSequences(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	rows, err := d.read.QueryContext(ctx, `SELECT name, seq FROM sqlite_sequence`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return out, nil
		}
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			return nil, err
		}
		out[name] = seq
	}
	return out, rows.Err()
}

// copyTable copies one table's rows, column by column by name.
func (d *DB) copyTable(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	src, err := d.read.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	cols, err := src.Columns()
	if err != nil {
		return 0, err
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	ins, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` (`+strings.Join(cols, ", ")+`) VALUES (`+marks+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for src.Next() {
		if err := src.Scan(ptrs...); err != nil {
			return n, err
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, src.Err()
}
