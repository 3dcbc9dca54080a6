package db

import (
	"context"
	"errors"
	"fmt"
)

// soleConsoleLockKey is the session advisory lock a console holds for its whole life on
// PostgreSQL. The services still keep state of their own in memory (the per-robot send
// governor, which console flushes which group and sends which notification), so two
// consoles on one database could send a message twice or break a platform's rate limit:
// until that state lives in the database, a second console refuses to start.
const soleConsoleLockKey = 0x616c657274_01

// ErrAnotherConsole: another console holds the database.
var ErrAnotherConsole = errors.New("db: another console is already running on this PostgreSQL database; " +
	"several consoles on one database are not supported yet (they could send a message twice), so stop the other one first")

// HoldSoleConsole makes this console the only one on a PostgreSQL database until Close (or
// until its process dies: PostgreSQL drops the lock with the connection). On SQLite it does
// nothing: the file belongs to one process anyway.
func (d *DB) HoldSoleConsole(ctx context.Context) error {
	if !d.dia.postgres {
		return nil
	}
	// From the reader pool: the writer pool's one connection must stay free for writes.
	conn, err := d.read.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: console lock: %w", err)
	}
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(?)`, soleConsoleLockKey).Scan(&got); err != nil {
		conn.Close()
		return fmt.Errorf("db: console lock: %w", err)
	}
	if !got {
		conn.Close()
		return ErrAnotherConsole
	}
	// The connection stays out of the pool, holding the lock, until Close.
	d.soleConsole = conn
	return nil
}

// Engine names the database engine, for logs and /readyz: "sqlite" or "postgres".
func (d *DB) Engine() string {
	if d.dia.postgres {
		return "postgres"
	}
	return "sqlite"
}
