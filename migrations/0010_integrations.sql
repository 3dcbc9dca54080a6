-- Inbound integrations: a team's own URL and credentials for one monitoring tool, and the
-- mapping (JSON, see package integrations) that turns what the tool posts into alerts.
-- Only hashes of the token and of the secret URL's secret are kept.
CREATE TABLE integrations (
	id               INTEGER PRIMARY KEY,
	team_id          INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name             TEXT    NOT NULL,
	preset           TEXT    NOT NULL DEFAULT '',
	mapping          TEXT    NOT NULL,
	token_hash       TEXT    NOT NULL,
	token_hint       TEXT    NOT NULL,
	secret_hash      TEXT,             -- NULL: no secret URL (never made, or revoked)
	enabled          INTEGER NOT NULL DEFAULT 1,
	created_by       TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	last_received_at INTEGER,
	UNIQUE (team_id, name)
);

-- The last payloads each integration received (kept to 100 per integration by the
-- writer), cut to a bounded size with credentials masked, and what became of them.
CREATE TABLE integration_payloads (
	id             INTEGER PRIMARY KEY,
	integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
	received_at    INTEGER NOT NULL,
	content_type   TEXT    NOT NULL DEFAULT '',
	body           TEXT    NOT NULL,
	body_bytes     INTEGER NOT NULL,  -- the size received, before cutting
	outcome        TEXT    NOT NULL CHECK (outcome IN ('accepted', 'refused', 'confirmation', 'failed')),
	http_status    INTEGER NOT NULL,
	detail         TEXT    NOT NULL DEFAULT '', -- the refusal, or the confirmation link
	field          TEXT    NOT NULL DEFAULT '', -- the field a refusal names
	alerts         TEXT    NOT NULL DEFAULT '[]' -- what the payload became (a short summary per alert)
);
CREATE INDEX integration_payloads_recent ON integration_payloads (integration_id, id DESC);
