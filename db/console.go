package db

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
)

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
