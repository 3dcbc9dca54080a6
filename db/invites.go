package db

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Invite lets people sign up into a team.
type Invite struct {
	ID        int64
	TeamID    int64
	TeamName  string
	TokenHint string // last characters of the token, to tell invites apart
	ExpiresAt time.Time
	UsesLeft  int
	RevokedAt time.Time
	CreatedBy string
	CreatedAt time.Time
}

// Usable reports whether the invite still admits a sign-up at now.
func (i Invite) Usable(now time.Time) bool {
	return i.RevokedAt.IsZero() && i.UsesLeft > 0 && now.Before(i.ExpiresAt)
}

// ErrInviteUnusable: the invite is expired, revoked or used up.
var ErrInviteUnusable = errors.New("db: invite expired, revoked or used up")

// HashToken is how invite and API tokens are stored: only their SHA-256.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

const inviteCols = `i.id, i.team_id, t.name, i.token_hint, i.expires_at, i.uses_left, i.revoked_at,
	COALESCE(u.username, ''), i.created_at`

func scanInvite(row interface{ Scan(...any) error }) (Invite, error) {
	var i Invite
	var exp, created int64
	var revoked sql.NullInt64
	err := row.Scan(&i.ID, &i.TeamID, &i.TeamName, &i.TokenHint, &exp, &i.UsesLeft, &revoked, &i.CreatedBy, &created)
	i.ExpiresAt, i.CreatedAt, i.RevokedAt = fromMS(exp), fromMS(created), nullMS(revoked)
	return i, err
}

const inviteFrom = ` FROM invites i JOIN teams t ON t.id = i.team_id LEFT JOIN users u ON u.id = i.created_by`

// Invites lists invites visible in scope, newest first.
func (d *DB) Invites(ctx context.Context, s Scope) ([]Invite, error) {
	cond, args := s.clause("i.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+inviteCols+inviteFrom+` WHERE `+cond+` ORDER BY i.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: invites: %w", err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		i, err := scanInvite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// InviteByToken finds an invite by its secret token.
func (d *DB) InviteByToken(ctx context.Context, token string) (Invite, error) {
	i, err := scanInvite(d.read.QueryRowContext(ctx, `SELECT `+inviteCols+inviteFrom+` WHERE i.token_hash = ?`, HashToken(token)))
	return i, mapErr(err)
}

type inviteAudit struct {
	TeamID    int64  `json:"team_id"`
	TokenHint string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	UsesLeft  int    `json:"uses_left"`
	Revoked   bool   `json:"revoked,omitempty"`
}

// CreateInvite stores an invite for token (only its hash is kept).
func (d *DB) CreateInvite(ctx context.Context, a Actor, teamID int64, token string, expires time.Time, uses int) (Invite, error) {
	now := d.now()
	hint := "…" + token[max(0, len(token)-4):]
	var inv Invite
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO invites (team_id, token_hash, token_hint, expires_at, uses_left, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, teamID, HashToken(token), hint, ms(expires), uses, nullID(a.UserID), ms(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if inv, err = scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteCols+inviteFrom+` WHERE i.id = ?`, id)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "invite.create", ObjectType: "invite", ObjectID: id,
			ObjectName: inv.TeamName + " " + hint, TeamID: teamID,
			After: inviteAudit{teamID, hint, expires.UTC().Format(time.RFC3339), uses, false}})
	})
	return inv, mapErr(err)
}

// RevokeInvite ends an invite early. ErrNotFound outside scope.
func (d *DB) RevokeInvite(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		inv, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteCols+inviteFrom+` WHERE i.id = ?`, id))
		if err != nil {
			return err
		}
		if !s.Allows(inv.TeamID) {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`, ms(now), id); err != nil {
			return err
		}
		before := inviteAudit{inv.TeamID, inv.TokenHint, inv.ExpiresAt.UTC().Format(time.RFC3339), inv.UsesLeft, !inv.RevokedAt.IsZero()}
		after := before
		after.Revoked = true
		return insertAudit(ctx, tx, now, a, Change{Action: "invite.revoke", ObjectType: "invite", ObjectID: id,
			ObjectName: inv.TeamName + " " + inv.TokenHint, TeamID: inv.TeamID, Before: before, After: after})
	})
	return mapErr(err)
}

// SignUp uses one use of the invite and creates a member of its team, atomically:
// two people racing for the last use cannot both get in.
func (d *DB) SignUp(ctx context.Context, token string, in NewUser, ip string) (User, error) {
	now := d.now()
	var u User
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		inv, err := scanInvite(tx.QueryRowContext(ctx, `SELECT `+inviteCols+inviteFrom+` WHERE i.token_hash = ?`, HashToken(token)))
		if err != nil {
			return err
		}
		if !inv.Usable(now) {
			return ErrInviteUnusable
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET uses_left = uses_left - 1 WHERE id = ?`, inv.ID); err != nil {
			return err
		}
		in.Role, in.TeamID = RoleMember, inv.TeamID
		id, err := insertUser(ctx, tx, now, in)
		if err != nil {
			return err
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, Actor{UserID: id, Name: u.Username, IP: ip}, Change{Action: "user.signup",
			ObjectType: "user", ObjectID: id, ObjectName: u.Username, TeamID: inv.TeamID,
			After: struct {
				userAudit
				Invite string `json:"invite"`
			}{auditOfUser(u), inv.TokenHint}})
	})
	if err != nil && !errors.Is(err, ErrInviteUnusable) {
		return u, mapErr(err)
	}
	return u, err
}
