package db

import (
	"strings"
	"testing"
)

// A console on PostgreSQL refuses to start when a SQLite migration has no PostgreSQL
// counterpart, naming it (checked here without a server).
func TestPostgresMigrationsCoverSQLite(t *testing.T) {
	if err := pgCoversSQLite([]string{"postgres/0003_baseline.sql"}); err == nil || !strings.Contains(err.Error(), "0004_rules.sql") {
		t.Errorf("a baseline at 0003: err = %v, want 0004_rules.sql named", err)
	}
	if err := pgCoversSQLite([]string{"postgres/0009_baseline.sql", "postgres/0010_x.sql"}); err == nil ||
		strings.Contains(err.Error(), "0010") || !strings.Contains(err.Error(), "0011_incidents.sql") {
		t.Errorf("0010 covered, 0011 not: err = %v", err)
	}
}
