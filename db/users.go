package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Roles.
const (
	RoleAdmin   = "admin"
	RoleMember  = "member"
	RoleAuditor = "auditor"
)

// User is a person who signs in.
type User struct {
	ID             int64
	Username       string
	DisplayName    string
	PasswordHash   string
	Role           string
	TeamID         int64 // 0 = none (admins and auditors may have none)
	TeamName       string
	Disabled       bool
	SessionVersion int64
	// MustChangePassword: the password was generated and printed in the log; the console
	// asks for a new one until it is changed.
	MustChangePassword bool
	// Language and TimeZone are the user's choices on My account; "" follows the browser.
	Language  string
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Scope is what the user may see.
func (u User) Scope() Scope {
	if u.Role == RoleMember {
		return TeamScope(u.TeamID)
	}
	return AllTeams
}

// CanWrite reports whether the user may change anything at all.
func (u User) CanWrite() bool { return u.Role == RoleAdmin || u.Role == RoleMember }

const userCols = `u.id, u.username, u.display_name, u.password_hash, u.role, COALESCE(u.team_id, 0),
	COALESCE(t.name, ''), u.disabled, u.session_version, u.must_change_password, u.language, u.time_zone, u.created_at, u.updated_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created, updated int64
	err := row.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Role, &u.TeamID, &u.TeamName,
		&u.Disabled, &u.SessionVersion, &u.MustChangePassword, &u.Language, &u.TimeZone, &created, &updated)
	u.CreatedAt, u.UpdatedAt = fromMS(created), fromMS(updated)
	return u, err
}

// UserByID returns one user.
func (d *DB) UserByID(ctx context.Context, id int64) (User, error) {
	return userByID(ctx, d.read, id)
}

func userByID(ctx context.Context, q querier, id int64) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE u.id = ?`, id))
	return u, mapErr(err)
}

// UserByUsername returns a user by (case-insensitive) user name.
func (d *DB) UserByUsername(ctx context.Context, name string) (User, error) {
	u, err := scanUser(d.read.QueryRowContext(ctx, `SELECT `+userCols+` FROM users u LEFT JOIN teams t ON t.id = u.team_id WHERE `+d.dia.nocaseEq("u.username"), name))
	return u, mapErr(err)
}

// Users lists users visible in scope, by user name.
func (d *DB) Users(ctx context.Context, s Scope) ([]User, error) {
	cond, args := s.clause("u.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+userCols+` FROM users u LEFT JOIN teams t ON t.id = u.team_id
		WHERE `+cond+` ORDER BY u.username`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers counts all users (first start creates the admin when there are none).
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	TeamID       int64
	// MustChangePassword marks a generated password (the first administrator's).
	MustChangePassword bool
}

// userAudit is what the audit log records of a user; never the password hash.
type userAudit struct {
	Language    string `json:"language,omitempty"`
	TimeZone    string `json:"time_zone,omitempty"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role"`
	TeamID      int64  `json:"team_id,omitempty"`
	Disabled    bool   `json:"disabled"`
	Password    string `json:"password,omitempty"`
}

func auditOfUser(u User) userAudit {
	return userAudit{Language: u.Language, TimeZone: u.TimeZone, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, TeamID: u.TeamID, Disabled: u.Disabled}
}

func insertUser(ctx context.Context, q querier, now time.Time, in NewUser) (int64, error) {
	res, err := insertReturningID(ctx, q, `INSERT INTO users (username, display_name, password_hash, role, team_id,
		must_change_password, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Username, in.DisplayName, in.PasswordHash, in.Role, nullID(in.TeamID),
		in.MustChangePassword, ms(now), ms(now))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// CreateUser adds a user. ErrConflict when the user name is taken.
func (d *DB) CreateUser(ctx context.Context, a Actor, in NewUser) (User, error) {
	now := d.now()
	var u User
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		id, err := insertUser(ctx, tx, now, in)
		if err != nil {
			return err
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "user.create", ObjectType: "user", ObjectID: id,
			ObjectName: u.Username, TeamID: u.TeamID, After: auditOfUser(u)})
	})
	return u, mapErr(err)
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	DisplayName  *string
	Role         *string
	TeamID       *int64 // 0 = no team
	Disabled     *bool
	Language     *string
	TimeZone     *string
	PasswordHash *string // also ends the user's sessions (except KeepSession) and clears MustChangePassword
	// KeepSession is the session that stays signed in when a password change ends the
	// others: the one the user changed it from (0 = end all).
	KeepSession int64
}

// UpdateUser applies upd and records the before/after in the audit log.
func (d *DB) UpdateUser(ctx context.Context, a Actor, id int64, upd UserUpdate) (User, error) {
	now := d.now()
	var u User
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := userByID(ctx, tx, id)
		if err != nil {
			return err
		}
		n := old
		bump := false
		if upd.DisplayName != nil {
			n.DisplayName = *upd.DisplayName
		}
		if upd.Role != nil {
			n.Role = *upd.Role
		}
		if upd.TeamID != nil {
			n.TeamID = *upd.TeamID
		}
		if upd.Disabled != nil {
			bump = bump || (*upd.Disabled && !old.Disabled)
			n.Disabled = *upd.Disabled
		}
		if upd.Language != nil {
			n.Language = *upd.Language
		}
		if upd.TimeZone != nil {
			n.TimeZone = *upd.TimeZone
		}
		if upd.PasswordHash != nil {
			n.PasswordHash = *upd.PasswordHash
			n.MustChangePassword = false
			bump = true
		}
		if bump {
			// The sessions table is what ends sessions now; the version stays a counter of
			// credential changes.
			n.SessionVersion++
			if _, err := endSessions(ctx, tx, id, upd.KeepSession); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET display_name = ?, role = ?, team_id = ?, disabled = ?,
			password_hash = ?, session_version = ?, must_change_password = ?, language = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
			n.DisplayName, n.Role, nullID(n.TeamID), n.Disabled, n.PasswordHash, n.SessionVersion,
			n.MustChangePassword, n.Language, n.TimeZone, ms(now), id)
		if err != nil {
			return err
		}
		if u, err = userByID(ctx, tx, id); err != nil {
			return err
		}
		before, after := auditOfUser(old), auditOfUser(u)
		action := "user.update"
		if upd.PasswordHash != nil {
			after.Password = "[changed]"
			if a.UserID != id {
				action = "user.reset_password"
			} else {
				action = "user.change_password"
			}
		}
		return insertAudit(ctx, tx, now, a, Change{Action: action, ObjectType: "user", ObjectID: id,
			ObjectName: u.Username, TeamID: u.TeamID, Before: before, After: after})
	})
	return u, mapErr(err)
}

// CountAdmins counts enabled admins, so the last one cannot be demoted or disabled.
func (d *DB) CountAdmins(ctx context.Context) (int, error) {
	var n int
	err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&n)
	return n, err
}
