package db

import (
	"alertdesk/alerting"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Silence mutes the alerts its matchers select between StartsAt and EndsAt.
type Silence struct {
	ID        int64
	TeamID    int64 // 0 = every team (admins only)
	TeamName  string
	Matchers  alerting.Matchers
	StartsAt  time.Time
	EndsAt    time.Time
	Comment   string
	CreatedBy string
	CreatedAt time.Time
}

type silenceAudit struct {
	TeamID   int64             `json:"team_id,omitempty"`
	Matchers alerting.Matchers `json:"matchers"`
	StartsAt string            `json:"starts_at"`
	EndsAt   string            `json:"ends_at"`
	Comment  string            `json:"comment"`
}

func auditOfSilence(s Silence) silenceAudit {
	return silenceAudit{TeamID: s.TeamID, Matchers: nonNilSlice(s.Matchers), StartsAt: s.StartsAt.UTC().Format(time.RFC3339),
		EndsAt: s.EndsAt.UTC().Format(time.RFC3339), Comment: s.Comment}
}

const silenceCols = `s.id, COALESCE(s.team_id, 0), COALESCE(t.name, ''), s.matchers, s.starts_at, s.ends_at, s.comment,
	s.created_by, s.created_at`

const silenceFrom = ` FROM silences s LEFT JOIN teams t ON t.id = s.team_id`

func scanSilence(row interface{ Scan(...any) error }) (Silence, error) {
	var s Silence
	var matchers string
	var starts, ends, created int64
	if err := row.Scan(&s.ID, &s.TeamID, &s.TeamName, &matchers, &starts, &ends, &s.Comment, &s.CreatedBy, &created); err != nil {
		return s, err
	}
	s.StartsAt, s.EndsAt, s.CreatedAt = fromMS(starts), fromMS(ends), fromMS(created)
	if err := json.Unmarshal([]byte(matchers), &s.Matchers); err != nil {
		return s, fmt.Errorf("db: silence %d matchers: %w", s.ID, err)
	}
	return s, nil
}

func querySilences(ctx context.Context, q querier, query string, args ...any) ([]Silence, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("db: silences: %w", err)
	}
	defer rows.Close()
	var out []Silence
	for rows.Next() {
		s, err := scanSilence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// silenceScope is the scope's condition on silences: a member also sees the silences
// that apply to every team.
func silenceScope(s Scope) (string, []any) {
	if s.All {
		return "1=1", nil
	}
	return "(s.team_id = ? OR s.team_id IS NULL)", []any{s.TeamID}
}

// Silences lists the silences visible in scope (for a member: their team's and those
// of every team), newest first.
func (d *DB) Silences(ctx context.Context, s Scope) ([]Silence, error) {
	cond, args := silenceScope(s)
	return querySilences(ctx, d.read, `SELECT `+silenceCols+silenceFrom+` WHERE `+cond+` ORDER BY s.created_at DESC, s.id DESC`, args...)
}

// ActiveSilences lists every team's silences in force at now (StartsAt <= now < EndsAt).
func (d *DB) ActiveSilences(ctx context.Context, now time.Time) ([]Silence, error) {
	return querySilences(ctx, d.read, `SELECT `+silenceCols+silenceFrom+` WHERE s.starts_at <= ? AND s.ends_at > ?
		ORDER BY s.id`, ms(now), ms(now))
}

func silenceByID(ctx context.Context, q querier, id int64) (Silence, error) {
	s, err := scanSilence(q.QueryRowContext(ctx, `SELECT `+silenceCols+silenceFrom+` WHERE s.id = ?`, id))
	return s, mapErr(err)
}

// CreateSilence stores a silence; in.TeamID 0 silences every team. CreatedBy defaults to
// the actor's name. The caller validates the matchers and the window (EndsAt after StartsAt).
func (d *DB) CreateSilence(ctx context.Context, a Actor, in Silence) (Silence, error) {
	now := d.now()
	if in.CreatedBy == "" {
		in.CreatedBy = a.Name
	}
	var out Silence
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := insertReturningID(ctx, tx, `INSERT INTO silences (team_id, matchers, starts_at, ends_at, comment, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, nullID(in.TeamID), jsonText(nonNilSlice(in.Matchers)), ms(in.StartsAt), ms(in.EndsAt),
			in.Comment, in.CreatedBy, ms(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if out, err = silenceByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "silence.create", ObjectType: "silence", ObjectID: id,
			ObjectName: silenceName(out), TeamID: out.TeamID, After: auditOfSilence(out)})
	})
	return out, mapErr(err)
}

func silenceName(s Silence) string {
	name := s.Comment
	if len([]rune(name)) > 60 {
		name = string([]rune(name)[:60]) + "…"
	}
	return name
}

// ExpireSilence ends a silence visible in scope now (a silence of every team only in the
// all-teams scope). A silence that has not started yet is expired as well; one that has
// already ended is left as it is.
func (d *DB) ExpireSilence(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := silenceByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.Allows(old.TeamID) {
			return ErrNotFound
		}
		if !old.EndsAt.After(now) {
			return nil
		}
		// ends_at must stay after starts_at (CHECK): a future silence starts "just now".
		starts := min(ms(old.StartsAt), ms(now)-1)
		if _, err := tx.ExecContext(ctx, `UPDATE silences SET starts_at = ?, ends_at = ? WHERE id = ?`, starts, ms(now), id); err != nil {
			return err
		}
		after := old
		after.StartsAt, after.EndsAt = fromMS(starts), fromMS(ms(now))
		return insertAudit(ctx, tx, now, a, Change{Action: "silence.expire", ObjectType: "silence", ObjectID: id,
			ObjectName: silenceName(old), TeamID: old.TeamID, Before: auditOfSilence(old), After: auditOfSilence(after)})
	})
	return mapErr(err)
}
