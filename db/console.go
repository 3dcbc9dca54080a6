package db

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
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

// keyFingerprint names a key without revealing it.
func keyFingerprint(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("alertdesk key fingerprint v1"))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// CheckKeys makes sure every console on a PostgreSQL database holds the same keys (named
// by their environment variables): the first records their fingerprints, a later one with
// another key is refused, as the secrets it read would not open, or its cookies would not
// be believed by the other consoles. On SQLite it does nothing.
func (d *DB) CheckKeys(ctx context.Context, keys map[string][]byte) error {
	if !d.dia.postgres {
		return nil
	}
	names := make([]string, 0, len(keys))
	for name := range keys {
		names = append(names, name)
	}
	sort.Strings(names)
	return d.WithTx(ctx, func(tx *sql.Tx) error {
		for _, name := range names {
			fp := keyFingerprint(keys[name])
			if _, err := tx.ExecContext(ctx, `INSERT INTO key_fingerprints (name, fingerprint, created_at) VALUES (?, ?, ?)
				ON CONFLICT (name) DO NOTHING`, name, fp, ms(d.now())); err != nil {
				return fmt.Errorf("db: key fingerprints: %w", err)
			}
			var want string
			if err := tx.QueryRowContext(ctx, `SELECT fingerprint FROM key_fingerprints WHERE name = ?`, name).Scan(&want); err != nil {
				return fmt.Errorf("db: key fingerprints: %w", err)
			}
			if want != fp {
				return fmt.Errorf("db: %s is not the key this database was set up with (its fingerprint is %s, this console's %s): "+
					"every console sharing a database must run with the same %s", name, want, fp, name)
			}
		}
		return nil
	})
}
