-- History is permanent until retention, and ids are never reused.
--
-- Soft delete: deleting a team, robot, alert rule or contact sets deleted_at and keeps the
-- row, so every notification and delivery attempt still names what it was sent by (the
-- history LEFT JOINs stay, and nothing cascades any more). Deleted rows are hidden from
-- lists and pickers; their names are free again (the unique indexes cover live rows only).
--
-- AUTOINCREMENT: SQLite otherwise hands out max(id)+1, so deleting the newest row gives its
-- id to the next one and an old link or audit entry would name another object. Adding it
-- needs a table rebuild (create, copy, drop, rename, recreate indexes and triggers). db.migrate
-- runs migrations with foreign keys off, so dropping the old table cascades nothing, and
-- checks every key before committing. The sequences start above every id the audit log has
-- ever named, so an object deleted before this migration cannot have its id handed out again.
--
-- The big append-only tables (alerts, notifications, delivery_attempts) are not rebuilt:
-- only retention deletes from them, and it never deletes the newest row, so max(id)+1 never
-- goes back (db/retention.go).

-- The trigger on contact_group_members reads contacts and contact_groups; it would stop
-- the renames below while those tables are being replaced.
DROP TRIGGER contact_group_members_same_team;

CREATE TABLE teams_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL COLLATE NOCASE,
	created_at INTEGER NOT NULL,
	deleted_at INTEGER
);
INSERT INTO teams_new (id, name, created_at) SELECT id, name, created_at FROM teams;
DROP TABLE teams;
ALTER TABLE teams_new RENAME TO teams;
CREATE UNIQUE INDEX teams_name ON teams (name) WHERE deleted_at IS NULL;

CREATE TABLE users_new (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO users_new (id, username, display_name, password_hash, role, team_id, disabled, session_version, created_at, updated_at)
	SELECT id, username, display_name, password_hash, role, team_id, disabled, session_version, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_team ON users (team_id);

CREATE TABLE invites_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	token_hash  TEXT    NOT NULL UNIQUE,
	token_hint  TEXT    NOT NULL,
	expires_at  INTEGER NOT NULL,
	uses_left   INTEGER NOT NULL CHECK (uses_left >= 0),
	revoked_at  INTEGER,
	created_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL
);
INSERT INTO invites_new (id, team_id, token_hash, token_hint, expires_at, uses_left, revoked_at, created_by, created_at)
	SELECT id, team_id, token_hash, token_hint, expires_at, uses_left, revoked_at, created_by, created_at FROM invites;
DROP TABLE invites;
ALTER TABLE invites_new RENAME TO invites;
CREATE INDEX invites_team ON invites (team_id);

CREATE TABLE audit_events_new (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
INSERT INTO audit_events_new (id, at, actor_id, actor, action, object_type, object_id, object_name, team_id, before_json, after_json, ip)
	SELECT id, at, actor_id, actor, action, object_type, object_id, object_name, team_id, before_json, after_json, ip FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_actor ON audit_events (actor, at DESC);
CREATE INDEX audit_object ON audit_events (object_type, at DESC);
CREATE INDEX audit_team ON audit_events (team_id, at DESC);

-- consecutive_failures: retryable failures (5xx, timeouts) since the last delivery; from
-- db.DegradedAfter on the robot is shown as degraded.
CREATE TABLE robots_new (
	id                   INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id              INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name                 TEXT    NOT NULL,
	platform             TEXT    NOT NULL CHECK (platform IN ('dingtalk', 'feishu', 'lark', 'wecom')),
	webhook_enc          BLOB    NOT NULL,
	webhook_hint         TEXT    NOT NULL,
	secret_enc           BLOB,
	secret_hint          TEXT    NOT NULL DEFAULT '',
	keywords             TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	enabled              INTEGER NOT NULL DEFAULT 1,
	status               TEXT    NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'verified', 'failing')),
	status_reason        TEXT    NOT NULL DEFAULT '',
	last_success_at      INTEGER,
	last_failure_at      INTEGER,
	last_failure         TEXT    NOT NULL DEFAULT '',
	throttled_until      INTEGER,
	per_minute           INTEGER NOT NULL DEFAULT 0, -- 0 = the platform's limit
	per_second           INTEGER NOT NULL DEFAULT 0,
	consecutive_failures INTEGER NOT NULL DEFAULT 0,
	created_at           INTEGER NOT NULL,
	updated_at           INTEGER NOT NULL,
	deleted_at           INTEGER
);
INSERT INTO robots_new (id, team_id, name, platform, webhook_enc, webhook_hint, secret_enc, secret_hint, keywords, enabled,
		status, status_reason, last_success_at, last_failure_at, last_failure, throttled_until, per_minute, per_second,
		created_at, updated_at)
	SELECT id, team_id, name, platform, webhook_enc, webhook_hint, secret_enc, secret_hint, keywords, enabled,
		status, status_reason, last_success_at, last_failure_at, last_failure, throttled_until, per_minute, per_second,
		created_at, updated_at FROM robots;
DROP TABLE robots;
ALTER TABLE robots_new RENAME TO robots;
CREATE UNIQUE INDEX robots_team_name ON robots (team_id, name) WHERE deleted_at IS NULL;

CREATE TABLE contacts_new (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id          INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name             TEXT    NOT NULL,
	mobile           TEXT    NOT NULL DEFAULT '',
	email            TEXT    NOT NULL DEFAULT '',
	dingtalk_user_id TEXT    NOT NULL DEFAULT '',
	feishu_open_id   TEXT    NOT NULL DEFAULT '',
	wecom_user_id    TEXT    NOT NULL DEFAULT '',
	user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	deleted_at       INTEGER,
	-- a contact nobody can reach is useless: at least one way must be given
	CHECK (mobile != '' OR email != '' OR dingtalk_user_id != '' OR feishu_open_id != '' OR wecom_user_id != '')
);
INSERT INTO contacts_new (id, team_id, name, mobile, email, dingtalk_user_id, feishu_open_id, wecom_user_id, user_id, created_at, updated_at)
	SELECT id, team_id, name, mobile, email, dingtalk_user_id, feishu_open_id, wecom_user_id, user_id, created_at, updated_at FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE INDEX contacts_team_name ON contacts (team_id, name);
CREATE UNIQUE INDEX contacts_team_mobile ON contacts (team_id, mobile) WHERE mobile != '' AND deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_team_dingtalk ON contacts (team_id, dingtalk_user_id) WHERE dingtalk_user_id != '' AND deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_team_feishu ON contacts (team_id, feishu_open_id) WHERE feishu_open_id != '' AND deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_team_wecom ON contacts (team_id, wecom_user_id) WHERE wecom_user_id != '' AND deleted_at IS NULL;
CREATE UNIQUE INDEX contacts_user ON contacts (user_id) WHERE user_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE contact_groups_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name       TEXT    NOT NULL COLLATE NOCASE,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (team_id, name)
);
INSERT INTO contact_groups_new (id, team_id, name, created_at, updated_at)
	SELECT id, team_id, name, created_at, updated_at FROM contact_groups;
DROP TABLE contact_groups;
ALTER TABLE contact_groups_new RENAME TO contact_groups;

CREATE TRIGGER contact_group_members_same_team
BEFORE INSERT ON contact_group_members
WHEN (SELECT team_id FROM contacts WHERE id = NEW.contact_id)
	IS NOT (SELECT team_id FROM contact_groups WHERE id = NEW.group_id)
BEGIN
	SELECT RAISE(ABORT, 'contact of another team');
END;

CREATE TABLE rules_new (
	id                INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id           INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name              TEXT    NOT NULL,
	description       TEXT    NOT NULL DEFAULT '',
	enabled           INTEGER NOT NULL DEFAULT 1,
	severity          TEXT    NOT NULL DEFAULT 'warning' CHECK (severity IN ('critical', 'warning', 'info')),
	source            TEXT    NOT NULL DEFAULT '' CHECK (source IN ('', 'alertmanager', 'grafana', 'api')),
	matchers          TEXT    NOT NULL DEFAULT '[]',  -- JSON [{"name","op","value"}]
	condition         TEXT    NOT NULL DEFAULT '',    -- JSON {"metric","op","threshold","for_ms"} or '' for none
	at_all            INTEGER NOT NULL DEFAULT 0,
	title_template    TEXT    NOT NULL DEFAULT '',    -- '' = the platform's default
	body_template     TEXT    NOT NULL DEFAULT '',
	group_by          TEXT    NOT NULL DEFAULT '[]',  -- JSON array of label names; ["..."] = all labels
	group_wait_ms     INTEGER NOT NULL DEFAULT 30000,
	repeat_interval_ms INTEGER NOT NULL DEFAULT 14400000,
	send_resolved     INTEGER NOT NULL DEFAULT 1,
	quiet_hours       TEXT    NOT NULL DEFAULT '[]',  -- JSON [{"days":[1,2],"from":"22:00","to":"06:00","tz":"Asia/Shanghai"}]
	created_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	deleted_at        INTEGER
);
INSERT INTO rules_new (id, team_id, name, description, enabled, severity, source, matchers, condition, at_all, title_template,
		body_template, group_by, group_wait_ms, repeat_interval_ms, send_resolved, quiet_hours, created_at, updated_at)
	SELECT id, team_id, name, description, enabled, severity, source, matchers, condition, at_all, title_template,
		body_template, group_by, group_wait_ms, repeat_interval_ms, send_resolved, quiet_hours, created_at, updated_at FROM rules;
DROP TABLE rules;
ALTER TABLE rules_new RENAME TO rules;
CREATE UNIQUE INDEX rules_team_name ON rules (team_id, name) WHERE deleted_at IS NULL;

CREATE TABLE silences_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id    INTEGER REFERENCES teams (id) ON DELETE CASCADE, -- NULL = every team (admins only)
	matchers   TEXT    NOT NULL,                                 -- JSON like rules.matchers
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	comment    TEXT    NOT NULL DEFAULT '',
	created_by TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	CHECK (ends_at > starts_at)
);
INSERT INTO silences_new (id, team_id, matchers, starts_at, ends_at, comment, created_by, created_at)
	SELECT id, team_id, matchers, starts_at, ends_at, comment, created_by, created_at FROM silences;
DROP TABLE silences;
ALTER TABLE silences_new RENAME TO silences;
CREATE INDEX silences_ends ON silences (ends_at);

CREATE TABLE api_tokens_new (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id      INTEGER REFERENCES teams (id) ON DELETE RESTRICT, -- NULL = global: feeds every team's rules
	name         TEXT    NOT NULL,
	token_hash   TEXT    NOT NULL UNIQUE,
	token_hint   TEXT    NOT NULL,
	created_by   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);
INSERT INTO api_tokens_new (id, team_id, name, token_hash, token_hint, created_by, created_at, last_used_at, revoked_at)
	SELECT id, team_id, name, token_hash, token_hint, created_by, created_at, last_used_at, revoked_at FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

-- Start each sequence above the largest id ever used: the table's own, the audit log's
-- (objects deleted before this migration), and, for robots and rules, the history's.
DELETE FROM sqlite_sequence WHERE name IN ('teams', 'users', 'invites', 'audit_events', 'robots', 'contacts',
	'contact_groups', 'rules', 'silences', 'api_tokens');
INSERT INTO sqlite_sequence (name, seq) VALUES
	('teams', max(COALESCE((SELECT MAX(id) FROM teams), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'team'), 0),
		COALESCE((SELECT MAX(team_id) FROM delivery_attempts), 0))),
	('users', max(COALESCE((SELECT MAX(id) FROM users), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'user'), 0))),
	('invites', max(COALESCE((SELECT MAX(id) FROM invites), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'invite'), 0))),
	('audit_events', COALESCE((SELECT MAX(id) FROM audit_events), 0)),
	('robots', max(COALESCE((SELECT MAX(id) FROM robots), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'robot'), 0),
		COALESCE((SELECT MAX(robot_id) FROM delivery_attempts), 0))),
	('contacts', max(COALESCE((SELECT MAX(id) FROM contacts), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'contact'), 0))),
	('contact_groups', max(COALESCE((SELECT MAX(id) FROM contact_groups), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'contact_group'), 0))),
	('rules', max(COALESCE((SELECT MAX(id) FROM rules), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'rule'), 0),
		COALESCE((SELECT MAX(rule_id) FROM delivery_attempts), 0))),
	('silences', max(COALESCE((SELECT MAX(id) FROM silences), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'silence'), 0))),
	('api_tokens', max(COALESCE((SELECT MAX(id) FROM api_tokens), 0),
		COALESCE((SELECT MAX(object_id) FROM audit_events WHERE object_type = 'api_token'), 0)));
