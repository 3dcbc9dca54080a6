package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Session is a signed-in browser: the record behind a session cookie.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// NewSession is the input of CreateSession.
type NewSession struct {
	Token     string // the random id the cookie carries; only its hash is stored
	UserID    int64
	IP        string
	UserAgent string
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

const sessionCols = `id, user_id, created_at, last_seen_at, ip, user_agent`

func scanSession(row interface{ Scan(...any) error }) (Session, error) {
	var s Session
	var created, seen int64
	err := row.Scan(&s.ID, &s.UserID, &created, &seen, &s.IP, &s.UserAgent)
	s.CreatedAt, s.LastSeenAt = fromMS(created), fromMS(seen)
	return s, err
}

// CreateSession records a signed-in session.
func (d *DB) CreateSession(ctx context.Context, in NewSession) (Session, error) {
	now := d.now()
	if len(in.UserAgent) > 300 {
		in.UserAgent = in.UserAgent[:300]
	}
	res, err := insertReturningID(ctx, d.write, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent)
		VALUES (?, ?, ?, ?, ?, ?)`, tokenHash(in.Token), in.UserID, ms(now), ms(now), in.IP, in.UserAgent)
	if err != nil {
		return Session{}, fmt.Errorf("db: create session: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Session{}, err
	}
	return Session{ID: id, UserID: in.UserID, CreatedAt: fromMS(ms(now)), LastSeenAt: fromMS(ms(now)), IP: in.IP, UserAgent: in.UserAgent}, nil
}

// SessionByToken returns the session a cookie's id names. ErrNotFound when it has ended.
func (d *DB) SessionByToken(ctx context.Context, token string) (Session, error) {
	s, err := scanSession(d.read.QueryRowContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`, tokenHash(token)))
	return s, mapErr(err)
}

// TouchSession records that the session was used now, from ip.
func (d *DB) TouchSession(ctx context.Context, id int64, ip string) error {
	_, err := d.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, ip = ? WHERE id = ?`, ms(d.now()), ip, id)
	if err != nil {
		return fmt.Errorf("db: touch session: %w", err)
	}
	return nil
}

// UserSessions lists a user's sessions, most recently used first.
func (d *DB) UserSessions(ctx context.Context, userID int64) ([]Session, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT `+sessionCols+` FROM sessions WHERE user_id = ?
		ORDER BY last_seen_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("db: user sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// EndSession ends one session of a user (logout, or ending it from My account).
// ErrNotFound when the user has no such session.
func (d *DB) EndSession(ctx context.Context, userID, sessionID int64) error {
	res, err := d.write.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, sessionID, userID)
	if err != nil {
		return fmt.Errorf("db: end session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// EndSessions ends every session of a user except keep (0 = none) and records who
// did it in the audit log. It returns how many ended.
func (d *DB) EndSessions(ctx context.Context, a Actor, userID, keep int64) (int, error) {
	var n int64
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		u, err := userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if n, err = endSessions(ctx, tx, userID, keep); err != nil {
			return err
		}
		return insertAudit(ctx, tx, d.now(), a, Change{Action: "user.sessions_ended", ObjectType: "user", ObjectID: userID,
			ObjectName: u.Username, TeamID: u.TeamID, After: map[string]any{"sessions_ended": n, "kept_current": keep != 0}})
	})
	return int(n), mapErr(err)
}

func endSessions(ctx context.Context, q querier, userID, keep int64) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneSessions deletes sessions idle since before idleBefore or created before
// createdBefore: they can no longer be used, so the list in My account stays honest.
func (d *DB) PruneSessions(ctx context.Context, idleBefore, createdBefore time.Time) error {
	_, err := d.write.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`,
		ms(idleBefore), ms(createdBefore))
	if err != nil {
		return fmt.Errorf("db: prune sessions: %w", err)
	}
	return nil
}
