package db

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"alertdesk/migrations"
)

// migrateLockKey is the advisory lock consoles take around migrations, so several
// consoles starting at once apply each file once: the others wait, then find it applied.
const migrateLockKey = 0x616c657274 // "alert"

// migratePG applies PostgreSQL's migration files not yet recorded, under an advisory lock.
func (d *DB) migratePG(ctx context.Context) error {
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, migrateLockKey); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, migrateLockKey)
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	if err := d.refuseNewerSchema(ctx, conn); err != nil {
		return err
	}
	names, err := fs.Glob(migrations.Postgres, "postgres/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := pgCoversSQLite(names); err != nil {
		return err
	}
	for _, name := range names {
		if err := d.migratePGFile(ctx, conn, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// pgCoversSQLite refuses a build whose SQLite migrations have a change PostgreSQL's lack,
// so a console never runs on a PostgreSQL schema without a table or column the code
// expects. A PostgreSQL file NNNN_baseline.sql stands for every SQLite file up to NNNN;
// after the last baseline each SQLite file needs a PostgreSQL file of the same number.
func pgCoversSQLite(pgNames []string) error {
	lite, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return err
	}
	baseline := ""
	have := map[string]bool{}
	for _, n := range pgNames {
		n = path.Base(n)
		have[n[:4]] = true
		if strings.HasSuffix(n, "_baseline.sql") && n[:4] > baseline {
			baseline = n[:4]
		}
	}
	var missing []string
	for _, n := range lite {
		if n[:4] > baseline && !have[n[:4]] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("SQLite migration(s) %s have no PostgreSQL counterpart in migrations/postgres: "+
			"this build cannot run on PostgreSQL until they are written", strings.Join(missing, ", "))
	}
	return nil
}

func (d *DB) migratePGFile(ctx context.Context, conn *sql.Conn, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	src, err := fs.ReadFile(migrations.Postgres, name)
	if err != nil {
		return err
	}
	// Sent without arguments, so PostgreSQL runs the whole file (several statements).
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, d.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}
