package db

import "testing"

func TestRebind(t *testing.T) {
	cases := map[string]string{
		`SELECT 1`: `SELECT 1`,
		`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`:      `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`,
		`SELECT '?' || ? FROM t WHERE x LIKE ? ESCAPE '\'`: `SELECT '?' || $1 FROM t WHERE x LIKE $2 ESCAPE '\'`,
		"SELECT \"a?\", ? -- why?\nFROM t WHERE y = ?":     "SELECT \"a?\", $1 -- why?\nFROM t WHERE y = $2",
		`SELECT 'it''s ?', ?`:                              `SELECT 'it''s ?', $1`,
	}
	for in, want := range cases {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDialectGreatest(t *testing.T) {
	if got := (dialect{}).greatest("a", "?"); got != "MAX(a, ?)" {
		t.Errorf("sqlite greatest = %q", got)
	}
	if got := (dialect{postgres: true}).greatest("a", "?"); got != "GREATEST(a, ?)" {
		t.Errorf("postgres greatest = %q", got)
	}
}
