// Package dbtest gives the tests of every package a database of their own: a new file in
// the test's temporary directory with every migration applied (so each test also runs
// the migrations), closed when the test ends.
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"alertdesk/db"
)

// Open opens a fresh, migrated database for t.
func Open(t testing.TB, opts db.Options) *db.DB {
	t.Helper()
	return OpenAt(t, filepath.Join(t.TempDir(), "test.db"), opts)
}

// OpenAt opens (creating and migrating it when new) the database file at path for t, for
// tests that read the file themselves or open it again.
func OpenAt(t testing.TB, path string, opts db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}
