-- Foundation: teams, users, invites, audit log.
-- Times are Unix milliseconds (INTEGER) everywhere: cheap to index and compare.

CREATE TABLE teams (
	id         INTEGER PRIMARY KEY,
	name       TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	created_at INTEGER NOT NULL
);

CREATE TABLE users (
	id              INTEGER PRIMARY KEY,
	username        TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	display_name    TEXT    NOT NULL DEFAULT '',
	password_hash   TEXT    NOT NULL,
	role            TEXT    NOT NULL CHECK (role IN ('admin', 'member', 'auditor')),
	team_id         INTEGER REFERENCES teams (id) ON DELETE RESTRICT,
	disabled        INTEGER NOT NULL DEFAULT 0,
	-- bumped on password change/reset and disable, so older sessions stop working
	session_version INTEGER NOT NULL DEFAULT 1,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	CHECK (role != 'member' OR team_id IS NOT NULL)
);
CREATE INDEX users_team ON users (team_id);

CREATE TABLE invites (
	id          INTEGER PRIMARY KEY,
	team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	token_hash  TEXT    NOT NULL UNIQUE,
	token_hint  TEXT    NOT NULL,
	expires_at  INTEGER NOT NULL,
	uses_left   INTEGER NOT NULL CHECK (uses_left >= 0),
	revoked_at  INTEGER,
	created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL
);
CREATE INDEX invites_team ON invites (team_id);

CREATE TABLE audit_events (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	actor_id    INTEGER,
	actor       TEXT    NOT NULL,
	action      TEXT    NOT NULL,
	object_type TEXT    NOT NULL,
	object_id   INTEGER,
	object_name TEXT    NOT NULL DEFAULT '',
	team_id     INTEGER,
	before_json TEXT,
	after_json  TEXT,
	ip          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_actor ON audit_events (actor, at DESC);
CREATE INDEX audit_object ON audit_events (object_type, at DESC);
CREATE INDEX audit_team ON audit_events (team_id, at DESC);
