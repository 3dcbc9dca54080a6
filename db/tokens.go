package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// APIToken authenticates an alert source. Only the token's SHA-256 is stored.
type APIToken struct {
	ID         int64
	TeamID     int64 // 0 = global: feeds every team's rules
	TeamName   string
	Name       string
	Hint       string // "ad_…x7Qz", to tell tokens apart
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero = never used
	RevokedAt  time.Time // zero = active
	// Scope is what the token may do: TokenIntake (post alerts; what Alertmanager holds)
	// or TokenIncidents (act on incidents over the JSON API).
	Scope string
}

// Token scopes.
const (
	TokenIntake    = "intake"
	TokenIncidents = "incidents"
)

type tokenAudit struct {
	Name    string `json:"name"`
	TeamID  int64  `json:"team_id,omitempty"`
	Global  bool   `json:"global,omitempty"`
	Hint    string `json:"token"`
	Revoked bool   `json:"revoked,omitempty"`
	Scope   string `json:"scope"`
}

func auditOfToken(t APIToken) tokenAudit {
	return tokenAudit{Name: t.Name, TeamID: t.TeamID, Global: t.TeamID == 0, Hint: t.Hint, Revoked: !t.RevokedAt.IsZero(), Scope: t.Scope}
}

// TokenHint is what is kept of a token in the clear: its prefix and last four characters.
func TokenHint(plain string) string {
	prefix := ""
	if len(plain) > 3 && plain[:3] == "ad_" {
		prefix = "ad_"
	}
	return prefix + "…" + plain[max(0, len(plain)-4):]
}

const tokenCols = `k.id, COALESCE(k.team_id, 0), COALESCE(t.name, ''), k.name, k.token_hint, k.created_by, k.created_at,
	k.last_used_at, k.revoked_at, k.scope`

const tokenFrom = ` FROM api_tokens k LEFT JOIN teams t ON t.id = k.team_id`

func scanToken(row interface{ Scan(...any) error }) (APIToken, error) {
	var k APIToken
	var created int64
	var used, revoked sql.NullInt64
	err := row.Scan(&k.ID, &k.TeamID, &k.TeamName, &k.Name, &k.Hint, &k.CreatedBy, &created, &used, &revoked, &k.Scope)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = fromMS(created), nullMS(used), nullMS(revoked)
	return k, err
}

// APITokens lists the tokens visible in scope (global tokens only in the all-teams
// scope), newest first.
func (d *DB) APITokens(ctx context.Context, s Scope) ([]APIToken, error) {
	cond, args := s.clause("k.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+tokenCols+tokenFrom+` WHERE `+cond+` ORDER BY k.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		k, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func tokenByID(ctx context.Context, q querier, id int64) (APIToken, error) {
	k, err := scanToken(q.QueryRowContext(ctx, `SELECT `+tokenCols+tokenFrom+` WHERE k.id = ?`, id))
	return k, mapErr(err)
}

// CreateAPIToken stores a token for team teamID (0 = global). Only HashToken(plain) and a
// hint are kept; neither the token nor its hash reaches the audit log.
func (d *DB) CreateAPIToken(ctx context.Context, a Actor, teamID int64, name, plain string) (APIToken, error) {
	return d.CreateScopedToken(ctx, a, teamID, name, plain, TokenIntake)
}

// CreateScopedToken is CreateAPIToken for a token of scope (TokenIntake or TokenIncidents).
func (d *DB) CreateScopedToken(ctx context.Context, a Actor, teamID int64, name, plain, scope string) (APIToken, error) {
	now := d.now()
	var k APIToken
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO api_tokens (team_id, name, token_hash, token_hint, created_by, created_at, scope)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nullID(teamID), name, HashToken(plain), TokenHint(plain), a.Name, ms(now), scope)
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if k, err = tokenByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "api_token.create", ObjectType: "api_token", ObjectID: id,
			ObjectName: k.Name, TeamID: k.TeamID, After: auditOfToken(k)})
	})
	return k, mapErr(err)
}

// RevokeAPIToken ends a token visible in scope (a global one only in the all-teams scope).
func (d *DB) RevokeAPIToken(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := tokenByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.Allows(old.TeamID) {
			return ErrNotFound
		}
		if !old.RevokedAt.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, ms(now), id); err != nil {
			return err
		}
		after := old
		after.RevokedAt = now
		return insertAudit(ctx, tx, now, a, Change{Action: "api_token.revoke", ObjectType: "api_token", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfToken(old), After: auditOfToken(after)})
	})
	return mapErr(err)
}

// TokenByPlain finds an active token by its secret value; ErrNotFound when it is unknown
// or revoked.
func (d *DB) TokenByPlain(ctx context.Context, plain string) (APIToken, error) {
	k, err := scanToken(d.read.QueryRowContext(ctx, `SELECT `+tokenCols+tokenFrom+`
		WHERE k.token_hash = ? AND k.revoked_at IS NULL`, HashToken(plain)))
	return k, mapErr(err)
}

// TouchTokens records when tokens were last used, in one transaction; a later time
// already stored is kept.
func (d *DB) TouchTokens(ctx context.Context, used map[int64]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE api_tokens SET last_used_at = `+d.dia.greatest("COALESCE(last_used_at, 0)", "?")+` WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, at := range used {
			if _, err := stmt.ExecContext(ctx, ms(at), id); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr(err)
}
