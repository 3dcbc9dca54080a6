// Package dbtest gives the tests of every package a database of their own: a new file in
// the test's temporary directory with every migration applied (so each test also runs
// the migrations), closed when the test ends. With ALERTDESK_TEST_POSTGRES set to a
// PostgreSQL address (postgres://postgres@127.0.0.1:5432/postgres), Open makes a fresh
// PostgreSQL database for the test instead and drops it afterwards.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for the admin connection

	"alertdesk/db"
)

// PostgresEnv names the variable that points the storage tests at PostgreSQL.
const PostgresEnv = "ALERTDESK_TEST_POSTGRES"

// Open opens a fresh, migrated database for t: SQLite, or PostgreSQL when PostgresEnv is set.
func Open(t testing.TB, opts db.Options) *db.DB {
	t.Helper()
	if os.Getenv(PostgresEnv) != "" {
		return OpenAt(t, NewPostgres(t), opts)
	}
	return OpenAt(t, filepath.Join(t.TempDir(), "test.db"), opts)
}

// NewPostgres creates an empty PostgreSQL database for t (dropped when t ends) and returns
// its address; the test is skipped when PostgresEnv is not set.
func NewPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "alertdesk_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		_, _ = a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// OpenAt opens (creating and migrating it when new) the database at path for t — a SQLite
// file, for tests that read the file themselves or open it again, or a postgres:// address.
func OpenAt(t testing.TB, path string, opts db.Options) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// Addr is a fresh database address for t: a file in its temporary directory, or a new
// PostgreSQL database when PostgresEnv is set. Open it with OpenAt; read it with db.OpenSQL.
func Addr(t testing.TB) string {
	t.Helper()
	if os.Getenv(PostgresEnv) != "" {
		return NewPostgres(t)
	}
	return filepath.Join(t.TempDir(), "test.db")
}
