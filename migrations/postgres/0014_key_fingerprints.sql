-- The fingerprints of the keys every console sharing this database must hold (PostgreSQL
-- only: a SQLite database has one console, whose keys.json sits beside it). The first
-- console records them; a console with another key refuses to start.
CREATE TABLE key_fingerprints (
	name        TEXT   PRIMARY KEY, -- the environment variable: ALERTDESK_ENCRYPTION_KEY, ALERTDESK_SESSION_KEY
	fingerprint TEXT   NOT NULL,    -- hex HMAC-SHA256 of a fixed text under the key, cut to 16 bytes
	created_at  BIGINT NOT NULL
);
