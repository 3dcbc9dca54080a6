package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// dialect holds every difference between the two engines the storage layer runs on, so a
// query is written once (SQLite's spelling, `?` placeholders) and the few places where the
// engines disagree are visible here rather than in a second copy of the storage layer.
//
// Differences handled mechanically, for every query, by the PostgreSQL connection wrapper:
//   - placeholders: `?` becomes `$1`, `$2`, … (outside string literals and quoted names);
//   - integer booleans: a Go bool argument is sent as 0 or 1, as the columns are BIGINT.
//
// Differences a query asks for by name: greatest (SQLite's two-argument MAX), nocaseEq
// (SQLite's COLLATE NOCASE columns), like (SQLite's case-blind LIKE), indexedBy (SQLite's
// planner hint), and the
// migration machinery (PRAGMA foreign_keys on SQLite, an advisory lock on PostgreSQL).
// Shared spellings both engines accept are used everywhere else: RETURNING id instead of
// LastInsertId, INSERT … ON CONFLICT DO NOTHING instead of INSERT OR IGNORE, lower(name)
// instead of COLLATE NOCASE in ORDER BY.
type dialect struct {
	postgres bool
}

// greatest is the larger of two expressions.
func (d dialect) greatest(a, b string) string {
	if d.postgres {
		return "GREATEST(" + a + ", " + b + ")"
	}
	return "MAX(" + a + ", " + b + ")"
}

// nocaseEq compares a text column with a placeholder ignoring case: SQLite's columns
// declared COLLATE NOCASE already do; PostgreSQL's lower(col) matches its lower() unique
// indexes.
func (d dialect) nocaseEq(col string) string {
	if d.postgres {
		return "lower(" + col + ") = lower(?)"
	}
	return col + " = ?"
}

// like is the pattern operator that ignores case as SQLite's LIKE does for ASCII letters:
// PostgreSQL's LIKE does not, its ILIKE does.
func (d dialect) like() string {
	if d.postgres {
		return "ILIKE"
	}
	return "LIKE"
}

// indexedBy is SQLite's INDEXED BY clause naming the index a query must use; PostgreSQL's
// planner has no such hint and chooses for itself.
func (d dialect) indexedBy(index string) string {
	if d.postgres {
		return ""
	}
	return " INDEXED BY " + index
}

// rebind rewrites `?` placeholders to PostgreSQL's `$n`, leaving string literals, quoted
// identifiers and comments alone.
func rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch c {
		case '\'', '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
		case '-':
			if i+1 < len(q) && q[i+1] == '-' {
				j := strings.IndexByte(q[i:], '\n')
				if j < 0 {
					j = len(q) - i
				}
				b.WriteString(q[i : i+j])
				i += j - 1
				continue
			}
			b.WriteByte(c)
		case '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// isPostgresURL reports whether a database address names PostgreSQL rather than a SQLite file.
func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// openPostgres opens a database/sql pool on PostgreSQL through pgx, with every query rebound.
func openPostgres(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: postgres address: %w", err)
	}
	return sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)}), nil
}

// pgConnector hands out connections that speak the storage layer's SQLite-spelled queries.
type pgConnector struct{ inner driver.Connector }

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(q string) (driver.Stmt, error) { return c.Conn.Prepare(rebind(q)) }

func (c *pgConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(q))
}

func (c *pgConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(q), args)
}

func (c *pgConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(q), args)
}

// CheckNamedValue sends Go booleans as the integers the BIGINT flag columns hold.
func (c *pgConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := nv.Value.(bool); ok {
		if v {
			nv.Value = int64(1)
		} else {
			nv.Value = int64(0)
		}
		return nil
	}
	return c.Conn.CheckNamedValue(nv)
}

// pgErrorCode is the SQLSTATE of a PostgreSQL error, or "".
func pgErrorCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// idResult stands in for the sql.Result of an insert: PostgreSQL's driver has no
// LastInsertId, so inserts that need the new id ask for it with RETURNING id, which both
// engines understand.
type idResult struct{ id int64 }

func (r idResult) LastInsertId() (int64, error) { return r.id, nil }
func (r idResult) RowsAffected() (int64, error) { return 1, nil }

// insertReturningID runs one INSERT of one row and returns its id as LastInsertId.
func insertReturningID(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	var id int64
	if err := q.QueryRowContext(ctx, query+" RETURNING id", args...).Scan(&id); err != nil {
		return nil, err
	}
	return idResult{id}, nil
}

// OpenSQL opens a plain pool on a database for tests and tools that read its tables
// directly: a SQLite file read-only, or a postgres:// address, where queries spelled for
// SQLite (`?` placeholders) are rebound as for the storage layer.
func OpenSQL(addr string) (*sql.DB, error) {
	if isPostgresURL(addr) {
		return openPostgres(addr)
	}
	return sql.Open("sqlite", "file:"+addr+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
}
