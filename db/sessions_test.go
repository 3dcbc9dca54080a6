package db_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"alertdesk/db"
)

func TestSessions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	d, err := db.Open(ctx, path, db.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	u, err := d.CreateUser(ctx, db.SystemActor, db.NewUser{Username: "u", PasswordHash: "x", Role: db.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	const token = "the-random-session-id-0123456789abcdef"
	s1, err := d.CreateSession(ctx, db.NewSession{Token: token, UserID: u.ID, IP: "192.0.2.1", UserAgent: "UA"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.SessionByToken(ctx, token)
	if err != nil || got.ID != s1.ID || got.IP != "192.0.2.1" || got.UserAgent != "UA" {
		t.Fatalf("SessionByToken = %+v, %v", got, err)
	}
	// Only a hash of the id is stored.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var stored string
	if err := raw.QueryRow(`SELECT token_hash FROM sessions WHERE id = ?`, s1.ID).Scan(&stored); err != nil || stored == token {
		t.Fatalf("stored id = %q, %v; want a hash", stored, err)
	}

	s2, _ := d.CreateSession(ctx, db.NewSession{Token: token + "2", UserID: u.ID})
	// A password change ends every session but the one kept.
	hash := "y"
	if _, err := d.UpdateUser(ctx, db.SystemActor, u.ID, db.UserUpdate{PasswordHash: &hash, KeepSession: s2.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionByToken(ctx, token); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("session 1 after password change: %v, want ErrNotFound", err)
	}
	if _, err := d.SessionByToken(ctx, token+"2"); err != nil {
		t.Fatalf("kept session: %v", err)
	}
	if err := d.EndSession(ctx, u.ID+1, s2.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("ending another user's session: %v, want ErrNotFound", err)
	}
	now = now.Add(2 * time.Hour)
	if err := d.PruneSessions(ctx, now.Add(-time.Hour), now.Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if list, _ := d.UserSessions(ctx, u.ID); len(list) != 0 {
		t.Fatalf("sessions after prune = %d, want 0", len(list))
	}
}
