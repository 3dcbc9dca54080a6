package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Integration is a team's inbound URL for one monitoring tool. Mapping is the JSON of
// an integrations.Mapping; db keeps it as text and never interprets it.
type Integration struct {
	ID             int64
	TeamID         int64
	TeamName       string
	Name           string
	Preset         string
	Mapping        string
	TokenHint      string
	HasSecretURL   bool
	Enabled        bool
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastReceivedAt time.Time // zero = never
}

// IntegrationInput is what a create or an update sets.
type IntegrationInput struct {
	TeamID  int64
	Name    string
	Preset  string
	Mapping string
	Enabled bool
}

// integrationAudit is an integration as the audit log shows it: no token, no secret,
// only whether a secret URL exists.
type integrationAudit struct {
	TeamID    int64           `json:"team_id"`
	Name      string          `json:"name"`
	Preset    string          `json:"preset,omitempty"`
	Enabled   bool            `json:"enabled"`
	Token     string          `json:"token"`
	SecretURL bool            `json:"secret_url"`
	Mapping   json.RawMessage `json:"mapping"`
}

func auditOfIntegration(i Integration) integrationAudit {
	m := json.RawMessage(i.Mapping)
	if !json.Valid(m) {
		m = json.RawMessage("null")
	}
	return integrationAudit{TeamID: i.TeamID, Name: i.Name, Preset: i.Preset, Enabled: i.Enabled, Token: i.TokenHint,
		SecretURL: i.HasSecretURL, Mapping: m}
}

const integrationCols = `g.id, g.team_id, t.name, g.name, g.preset, g.mapping, g.token_hint, g.secret_hash IS NOT NULL,
	g.enabled, g.created_by, g.created_at, g.updated_at, g.last_received_at`

const integrationFrom = ` FROM integrations g JOIN teams t ON t.id = g.team_id`

func scanIntegration(row interface{ Scan(...any) error }) (Integration, error) {
	var g Integration
	var created, updated int64
	var received sql.NullInt64
	err := row.Scan(&g.ID, &g.TeamID, &g.TeamName, &g.Name, &g.Preset, &g.Mapping, &g.TokenHint, &g.HasSecretURL,
		&g.Enabled, &g.CreatedBy, &created, &updated, &received)
	g.CreatedAt, g.UpdatedAt, g.LastReceivedAt = fromMS(created), fromMS(updated), nullMS(received)
	return g, err
}

// Integrations lists the integrations visible in scope, by team and name.
func (d *DB) Integrations(ctx context.Context, s Scope) ([]Integration, error) {
	cond, args := s.clause("g.team_id")
	rows, err := d.read.QueryContext(ctx, `SELECT `+integrationCols+integrationFrom+` WHERE `+cond+` ORDER BY t.name, g.name, g.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("db: integrations: %w", err)
	}
	defer rows.Close()
	var out []Integration
	for rows.Next() {
		g, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func integrationByID(ctx context.Context, q querier, id int64) (Integration, error) {
	g, err := scanIntegration(q.QueryRowContext(ctx, `SELECT `+integrationCols+integrationFrom+` WHERE g.id = ?`, id))
	return g, mapErr(err)
}

// IntegrationByID returns an integration visible in scope (ErrNotFound otherwise).
func (d *DB) IntegrationByID(ctx context.Context, s Scope, id int64) (Integration, error) {
	g, err := integrationByID(ctx, d.read, id)
	if err != nil {
		return g, err
	}
	if !s.Allows(g.TeamID) {
		return Integration{}, ErrNotFound
	}
	return g, nil
}

// CreateIntegration stores an integration with the hash of its token and, when secret is
// not "", of its secret URL's secret. ErrConflict: the team has one of that name.
func (d *DB) CreateIntegration(ctx context.Context, a Actor, in IntegrationInput, token, secret string) (Integration, error) {
	now := d.now()
	var g Integration
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		var secretHash any
		if secret != "" {
			secretHash = HashToken(secret)
		}
		res, err := insertReturningID(ctx, tx, `INSERT INTO integrations (team_id, name, preset, mapping, token_hash, token_hint,
			secret_hash, enabled, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			in.TeamID, in.Name, in.Preset, in.Mapping, HashToken(token), TokenHint(token), secretHash, in.Enabled, a.Name, ms(now), ms(now))
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		if g, err = integrationByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "integration.create", ObjectType: "integration", ObjectID: id,
			ObjectName: g.Name, TeamID: g.TeamID, After: auditOfIntegration(g)})
	})
	return g, mapErr(err)
}

// UpdateIntegration changes name, mapping and enabled of an integration visible in scope
// (its team and preset stay).
func (d *DB) UpdateIntegration(ctx context.Context, a Actor, s Scope, id int64, in IntegrationInput) (Integration, error) {
	now := d.now()
	var g Integration
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := integrationByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.Allows(old.TeamID) {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `UPDATE integrations SET name = ?, mapping = ?, enabled = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.Mapping, in.Enabled, ms(now), id); err != nil {
			return err
		}
		if g, err = integrationByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "integration.update", ObjectType: "integration", ObjectID: id,
			ObjectName: g.Name, TeamID: g.TeamID, Before: auditOfIntegration(old), After: auditOfIntegration(g)})
	})
	return g, mapErr(err)
}

// Credential kinds an integration has.
const (
	CredentialToken     = "token"
	CredentialSecretURL = "secret_url"
)

// SetIntegrationCredential replaces the token, or the secret URL's secret (secret ""
// revokes the secret URL), of an integration visible in scope.
func (d *DB) SetIntegrationCredential(ctx context.Context, a Actor, s Scope, id int64, kind, plain string) (Integration, error) {
	now := d.now()
	var g Integration
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := integrationByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.Allows(old.TeamID) {
			return ErrNotFound
		}
		action := ""
		switch {
		case kind == CredentialToken && plain != "":
			action = "integration.token_rotate"
			_, err = tx.ExecContext(ctx, `UPDATE integrations SET token_hash = ?, token_hint = ?, updated_at = ? WHERE id = ?`,
				HashToken(plain), TokenHint(plain), ms(now), id)
		case kind == CredentialSecretURL && plain != "":
			action = "integration.secret_url_create"
			_, err = tx.ExecContext(ctx, `UPDATE integrations SET secret_hash = ?, updated_at = ? WHERE id = ?`, HashToken(plain), ms(now), id)
		case kind == CredentialSecretURL:
			action = "integration.secret_url_revoke"
			_, err = tx.ExecContext(ctx, `UPDATE integrations SET secret_hash = NULL, updated_at = ? WHERE id = ?`, ms(now), id)
		default:
			return fmt.Errorf("db: unknown integration credential %q", kind)
		}
		if err != nil {
			return err
		}
		if g, err = integrationByID(ctx, tx, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: action, ObjectType: "integration", ObjectID: id,
			ObjectName: g.Name, TeamID: g.TeamID, Before: auditOfIntegration(old), After: auditOfIntegration(g)})
	})
	return g, mapErr(err)
}

// DeleteIntegration removes an integration visible in scope and its inbound log; the
// alerts it brought in stay.
func (d *DB) DeleteIntegration(ctx context.Context, a Actor, s Scope, id int64) error {
	now := d.now()
	err := d.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := integrationByID(ctx, tx, id)
		if err != nil {
			return err
		}
		if !s.Allows(old.TeamID) {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = ?`, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, a, Change{Action: "integration.delete", ObjectType: "integration", ObjectID: id,
			ObjectName: old.Name, TeamID: old.TeamID, Before: auditOfIntegration(old)})
	})
	return mapErr(err)
}

// IntegrationAuth is what the intake needs to check a request to one integration.
type IntegrationAuth struct {
	Integration
	TokenHash  string
	SecretHash string // "" = no secret URL
}

// IntegrationForIntake reads an integration with its credential hashes (any team: the
// caller checks the credential).
func (d *DB) IntegrationForIntake(ctx context.Context, id int64) (IntegrationAuth, error) {
	var ia IntegrationAuth
	var secret sql.NullString
	row := d.read.QueryRowContext(ctx, `SELECT `+integrationCols+`, g.token_hash, g.secret_hash`+integrationFrom+` WHERE g.id = ?`, id)
	var created, updated int64
	var received sql.NullInt64
	g := &ia.Integration
	err := row.Scan(&g.ID, &g.TeamID, &g.TeamName, &g.Name, &g.Preset, &g.Mapping, &g.TokenHint, &g.HasSecretURL,
		&g.Enabled, &g.CreatedBy, &created, &updated, &received, &ia.TokenHash, &secret)
	g.CreatedAt, g.UpdatedAt, g.LastReceivedAt = fromMS(created), fromMS(updated), nullMS(received)
	ia.SecretHash = secret.String
	return ia, mapErr(err)
}

// Outcomes of an inbound payload.
const (
	PayloadAccepted     = "accepted"
	PayloadRefused      = "refused"
	PayloadConfirmation = "confirmation"
	PayloadFailed       = "failed" // could not be stored; the tool was told to retry
)

// MaxLoggedPayloads is how many payloads an integration's inbound log keeps.
const MaxLoggedPayloads = 100

// InboundPayload is one entry of an integration's inbound log.
type InboundPayload struct {
	ID            int64
	IntegrationID int64
	ReceivedAt    time.Time
	ContentType   string
	Body          string // cut and masked by the caller
	BodyBytes     int    // the size received
	Outcome       string
	HTTPStatus    int
	Detail        string
	Field         string
	Alerts        []PayloadAlert
}

// PayloadAlert summarises one alert a payload became.
type PayloadAlert struct {
	Name        string `json:"name"`
	Status      string `json:"status"`
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity,omitempty"`
}

// RecordPayload appends to an integration's inbound log, keeps the newest
// MaxLoggedPayloads, and notes when the integration last received something.
func (d *DB) RecordPayload(ctx context.Context, p InboundPayload) error {
	alerts, err := json.Marshal(nonNilSlice(p.Alerts))
	if err != nil {
		return fmt.Errorf("db: record payload: %w", err)
	}
	err = d.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO integration_payloads (integration_id, received_at, content_type, body,
			body_bytes, outcome, http_status, detail, field, alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.IntegrationID, ms(p.ReceivedAt), p.ContentType, p.Body, p.BodyBytes, p.Outcome, p.HTTPStatus, p.Detail, p.Field,
			string(alerts)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integration_payloads WHERE integration_id = ? AND id <= (
			SELECT id FROM integration_payloads WHERE integration_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
			p.IntegrationID, p.IntegrationID, MaxLoggedPayloads); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE integrations SET last_received_at = ? WHERE id = ?`, ms(p.ReceivedAt), p.IntegrationID)
		return err
	})
	if err != nil {
		return fmt.Errorf("db: record payload: %w", mapErr(err))
	}
	return nil
}

// Payloads lists an integration's inbound log, newest first (the caller has checked scope).
func (d *DB) Payloads(ctx context.Context, integrationID int64) ([]InboundPayload, error) {
	rows, err := d.read.QueryContext(ctx, `SELECT id, integration_id, received_at, content_type, body, body_bytes, outcome,
		http_status, detail, field, alerts FROM integration_payloads WHERE integration_id = ? ORDER BY id DESC LIMIT ?`,
		integrationID, MaxLoggedPayloads)
	if err != nil {
		return nil, fmt.Errorf("db: payloads: %w", err)
	}
	defer rows.Close()
	var out []InboundPayload
	for rows.Next() {
		var p InboundPayload
		var received int64
		var alerts string
		if err := rows.Scan(&p.ID, &p.IntegrationID, &received, &p.ContentType, &p.Body, &p.BodyBytes, &p.Outcome,
			&p.HTTPStatus, &p.Detail, &p.Field, &alerts); err != nil {
			return nil, err
		}
		p.ReceivedAt = fromMS(received)
		if err := json.Unmarshal([]byte(alerts), &p.Alerts); err != nil {
			return nil, fmt.Errorf("db: payload %d alerts: %w", p.ID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
