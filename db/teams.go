package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Team owns robots, contacts, rules and tokens.
type Team struct {
	ID        int64
	Name      string
	CreatedAt time.Time
	Members   int // users in the team (filled by Teams)
	// Language is the language of the team's chat messages built from the default
	// templates ("en", "zh-CN"); "" = the console's default (ALERTDESK_DEFAULT_LANGUAGE).
	Language string
}

// Teams lists all teams by name, with their member counts.
func (d *DB) Teams(ctx context.Context) ([]Team, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT t.id, t.name, t.created_at,
		(SELECT COUNT(*) FROM users u WHERE u.team_id = t.id), t.language FROM teams t WHERE t.deleted_at IS NULL ORDER BY t.name`)
	if err != nil {
		return nil, fmt.Errorf("db: teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		var at int64
		if err := rows.Scan(&t.ID, &t.Name, &at, &t.Members, &t.Language); err != nil {
			return nil, err
		}
		t.CreatedAt = fromMS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// TeamByID returns one team.
func (d *DB) TeamByID(ctx context.Context, id int64) (Team, error) {
	return teamByID(ctx, d.read, id)
}

func teamByID(ctx context.Context, q querier, id int64) (Team, error) {
	var t Team
	var at int64
	err := q.QueryRowContext(ctx, `SELECT id, name, created_at, language FROM teams WHERE id = ? AND deleted_at IS NULL`, id).Scan(&t.ID, &t.Name, &at, &t.Language)
	t.CreatedAt = fromMS(at)
	return t, mapErr(err)
}

// TeamByName returns a team by its (case-insensitive) name.
func (d *DB) TeamByName(ctx context.Context, name string) (Team, error) {
	var t Team
	var at int64
	err := d.read.QueryRowContext(ctx, `SELECT id, name, created_at, language FROM teams WHERE `+d.dia.nocaseEq("name")+` AND deleted_at IS NULL`, name).Scan(&t.ID, &t.Name, &at, &t.Language)
	t.CreatedAt = fromMS(at)
	return t, mapErr(err)
}

type teamAudit struct {
	Name     string `json:"name"`
	Language string `json:"language,omitempty"`
}

// CreateTeam adds a team whose messages are in the console's default language.
// ErrConflict when the name is taken.
func (d *DB) CreateTeam(ctx context.Context, a Actor, name string) (Team, error) {
	return d.CreateTeamIn(ctx, a, name, "")
}

// CreateTeamIn adds a team whose messages are in language ("" = the console's default).
// ErrConflict when the name is taken.
func (d *DB) CreateTeamIn(ctx context.Context, a Actor, name, language string) (Team, error) {
	now := d.now()
	t := Team{Name: name, CreatedAt: now, Language: language}
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO teams (name, created_at, language) VALUES (?, ?, ?)`, name, ms(now), language)
		if err != nil {
			return err
		}
		t.ID, _ = res.LastInsertId()
		return insertAudit(ctx, tx, now, a, Change{Action: "team.create", ObjectType: "team", ObjectID: t.ID,
			ObjectName: name, TeamID: t.ID, After: teamAudit{name, language}})
	})
	return t, mapErr(err)
}

// SetTeamLanguage sets the language of a team's messages ("" = the console's default),
// audited as a team.update from the old language to the new one.
func (d *DB) SetTeamLanguage(ctx context.Context, a Actor, id int64, language string) (Team, error) {
	now := d.now()
	var t Team
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := teamByID(ctx, tx, id)
		if err != nil {
			return err
		}
		t = old
		if old.Language == language {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET language = ? WHERE id = ?`, language, id); err != nil {
			return err
		}
		t.Language = language
		return insertAudit(ctx, tx, now, a, Change{Action: "team.update", ObjectType: "team", ObjectID: id,
			ObjectName: old.Name, TeamID: id, Before: teamAudit{old.Name, old.Language}, After: teamAudit{old.Name, language}})
	})
	return t, mapErr(err)
}

// RenameTeam changes a team's name.
func (d *DB) RenameTeam(ctx context.Context, a Actor, id int64, name string) (Team, error) {
	now := d.now()
	var t Team
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := teamByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET name = ? WHERE id = ?`, name, id); err != nil {
			return err
		}
		t = old
		t.Name = name
		return insertAudit(ctx, tx, now, a, Change{Action: "team.update", ObjectType: "team", ObjectID: id,
			ObjectName: name, TeamID: id, Before: teamAudit{old.Name, old.Language}, After: teamAudit{name, old.Language}})
	})
	return t, mapErr(err)
}

// DeleteTeam deletes a team that owns nothing any more. ErrInUse while it still has users,
// robots, rules, contacts, contact groups or API tokens that are not revoked. The delete is
// soft (deleted_at): the row stays so the history and the audit log keep the team's name,
// and its id is never reused; the name is free again. Its invites and silences go.
func (d *DB) DeleteTeam(ctx context.Context, a Actor, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := teamByID(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, c := range []struct{ what, query string }{
			{"users", `SELECT COUNT(*) FROM users WHERE team_id = ?`},
			{"robots", `SELECT COUNT(*) FROM robots WHERE team_id = ? AND deleted_at IS NULL`},
			{"rules", `SELECT COUNT(*) FROM rules WHERE team_id = ? AND deleted_at IS NULL`},
			{"contacts", `SELECT COUNT(*) FROM contacts WHERE team_id = ? AND deleted_at IS NULL`},
			{"contact groups", `SELECT COUNT(*) FROM contact_groups WHERE team_id = ?`},
			{"API tokens", `SELECT COUNT(*) FROM api_tokens WHERE team_id = ? AND revoked_at IS NULL`},
		} {
			var n int
			if err := tx.QueryRowContext(ctx, c.query, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("%w: team has %d %s", ErrInUse, n, c.what)
			}
		}
		for _, q := range []string{`DELETE FROM invites WHERE team_id = ?`, `DELETE FROM silences WHERE team_id = ?`} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE teams SET deleted_at = ? WHERE id = ?`, ms(now), id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "team.delete", ObjectType: "team", ObjectID: id,
			ObjectName: old.Name, TeamID: id, Before: teamAudit{old.Name, old.Language}})
	})
	return mapErr(err)
}
