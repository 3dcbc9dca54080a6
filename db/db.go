// Package db is alertdesk's storage: SQLite through modernc.org/sqlite, with one
// single-connection writer pool and a concurrent reader pool. It knows nothing of HTTP.
package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"alertdesk/migrations"
)

var (
	// ErrNotFound: no such object, or not visible in the caller's scope.
	ErrNotFound = errors.New("db: not found")
	// ErrConflict: a uniqueness rule would be broken.
	ErrConflict = errors.New("db: conflict")
	// ErrInUse: the object is still referenced and cannot be deleted.
	ErrInUse = errors.New("db: in use")
)

// DB is the application's database handle.
type DB struct {
	write *sql.DB
	read  *sql.DB
	// coordPool carries heartbeats and lease renewals on PostgreSQL; nil on SQLite.
	coordPool *sql.DB
	now       func() time.Time
	path      string
	dia       dialect
	seal      *sealer
	// writerStmts caches statements prepared on the writer pool (query → *sql.Stmt).
	writerStmts sync.Map
}

// Options tune Open; the zero value is fine.
type Options struct {
	Now     func() time.Time // clock for timestamps; time.Now when nil
	DataKey []byte           // 32-byte key for credentials at rest; a random one (lost at close) when nil
}

// Open opens (creating if needed) the SQLite file at path, or the PostgreSQL database a
// postgres:// address names, and applies pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if isPostgresURL(path) {
		return openPG(ctx, path, opts)
	}
	// busy_timeout first: it must be in force before the other pragmas take locks.
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	// The writer keeps statement journals (a savepoint per intake request) in memory, not
	// in temporary files, and a larger page cache: a storm writes one group's rows again
	// and again.
	w, err := sql.Open("sqlite", base+"&_pragma=temp_store(MEMORY)&_pragma=cache_size(-16384)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("db: open writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("db: open reader: %w", err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	key := opts.DataKey
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	sl, err := newSealer(key)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	d := &DB{write: w, read: r, now: time.Now, path: path, seal: sl}
	return d.start(ctx, opts)
}

// openPG opens PostgreSQL with the same two pools as SQLite: the services' transactions
// were written for one writer at a time (SQLite's file lock), and on PostgreSQL the
// same transactions run side by side lock rows in orders that deadlock each other
// (group flushes against intake), so a console keeps one writer connection there too.
func openPG(ctx context.Context, url string, opts Options) (*DB, error) {
	w, err := openPostgres(url)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	r, err := openPostgres(url)
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	// Heartbeats and lease renewals get a pool of their own, so that they never wait
	// behind this console's writer or a slow page's reads (a late renewal costs a role).
	c, err := openPostgres(url)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	c.SetMaxOpenConns(3)
	c.SetMaxIdleConns(3)
	key := opts.DataKey
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	sl, err := newSealer(key)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	d := &DB{write: w, read: r, coordPool: c, now: time.Now, path: url, seal: sl, dia: dialect{postgres: true}}
	return d.start(ctx, opts)
}

func (d *DB) start(ctx context.Context, opts Options) (*DB, error) {
	if opts.Now != nil {
		d.now = opts.Now
	}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: migrate: %w", err)
	}
	return d, nil
}

// Close closes both pools.
func (d *DB) Close() error {
	d.writerStmts.Range(func(_, s any) bool { s.(*sql.Stmt).Close(); return true })
	var cerr error
	if d.coordPool != nil {
		cerr = d.coordPool.Close()
	}
	return errors.Join(d.read.Close(), d.write.Close(), cerr)
}

// Ping checks that the database answers a query (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	return d.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// Now is the database's clock, exposed so callers stamp times consistently.
func (d *DB) Now() time.Time { return d.now() }

type querier interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// WithTx runs fn in one write transaction (BEGIN IMMEDIATE through _txlock), committing
// when fn returns nil and rolling back otherwise.
func (d *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.dia.postgres {
		// One writer at a time across every console on the database (see cluster.go).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, writerLockKey); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (d *DB) migrate(ctx context.Context) error {
	if d.dia.postgres {
		return d.migratePG(ctx)
	}
	// One connection for the whole run: foreign keys are switched off on it around the
	// migrations (SQLite ignores the pragma inside a transaction). A table rebuild drops the
	// old table, and with keys on that implicit DELETE would run the ON DELETE CASCADE
	// actions of the tables referring to it and erase their rows. Each migration checks
	// every key before it commits instead.
	conn, err := d.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	if err := d.refuseNewerSchema(ctx, conn); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	err = d.migrateAll(ctx, conn)
	// The connection goes back to the writer pool: keys must be enforced on it again.
	if _, onErr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`); onErr != nil && err == nil {
		err = fmt.Errorf("foreign keys back on: %w", onErr)
	}
	return err
}

func (d *DB) migrateAll(ctx context.Context, conn *sql.Conn) error {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := d.migrateFile(ctx, conn, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (d *DB) migrateFile(ctx context.Context, conn *sql.Conn, name string) error {
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
	src, err := fs.ReadFile(migrations.FS, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return err
	}
	if err := checkForeignKeys(ctx, tx); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, d.now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// checkForeignKeys fails when any row refers to a row that does not exist.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		return fmt.Errorf("foreign key check: row %d of %s refers to a missing %s", rowid.Int64, table, parent)
	}
	return rows.Err()
}

// mapErr turns driver errors into the package's sentinel errors.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case strings.Contains(err.Error(), "UNIQUE constraint failed"), pgErrorCode(err) == "23505":
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case strings.Contains(err.Error(), "FOREIGN KEY constraint failed"), pgErrorCode(err) == "23503":
		return fmt.Errorf("%w: %v", ErrInUse, err)
	}
	return err
}

// Scope limits what a caller sees: one team, or everything (admins and auditors).
type Scope struct {
	TeamID int64
	All    bool
}

// AllTeams is the scope of admins and auditors.
var AllTeams = Scope{All: true}

// TeamScope is a member's scope.
func TeamScope(id int64) Scope { return Scope{TeamID: id} }

// Allows reports whether an object of team teamID is visible in the scope.
func (s Scope) Allows(teamID int64) bool { return s.All || s.TeamID == teamID }

// clause returns a SQL condition on col for the scope, and its args.
func (s Scope) clause(col string) (string, []any) {
	if s.All {
		return "1=1", nil
	}
	return col + " = ?", []any{s.TeamID}
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

func nullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}
