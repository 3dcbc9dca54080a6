-- Alert rules, silences, API tokens; received alerts, their groups and threshold state.

CREATE TABLE rules (
	id                INTEGER PRIMARY KEY,
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
	UNIQUE (team_id, name)
);

-- Notification objects of a rule. RESTRICT: a robot in use cannot be deleted.
CREATE TABLE rule_robots (
	rule_id  INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	robot_id INTEGER NOT NULL REFERENCES robots (id) ON DELETE RESTRICT,
	PRIMARY KEY (rule_id, robot_id)
);
CREATE INDEX rule_robots_robot ON rule_robots (robot_id);

CREATE TABLE rule_contacts (
	rule_id    INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE RESTRICT,
	PRIMARY KEY (rule_id, contact_id)
);
CREATE INDEX rule_contacts_contact ON rule_contacts (contact_id);

CREATE TABLE rule_contact_groups (
	rule_id  INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	group_id INTEGER NOT NULL REFERENCES contact_groups (id) ON DELETE RESTRICT,
	PRIMARY KEY (rule_id, group_id)
);
CREATE INDEX rule_contact_groups_group ON rule_contact_groups (group_id);

CREATE TABLE silences (
	id         INTEGER PRIMARY KEY,
	team_id    INTEGER REFERENCES teams (id) ON DELETE CASCADE, -- NULL = every team (admins only)
	matchers   TEXT    NOT NULL,                                 -- JSON like rules.matchers
	starts_at  INTEGER NOT NULL,
	ends_at    INTEGER NOT NULL,
	comment    TEXT    NOT NULL DEFAULT '',
	created_by TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	CHECK (ends_at > starts_at)
);
CREATE INDEX silences_ends ON silences (ends_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	team_id      INTEGER REFERENCES teams (id) ON DELETE RESTRICT, -- NULL = global: feeds every team's rules
	name         TEXT    NOT NULL,
	token_hash   TEXT    NOT NULL UNIQUE,
	token_hint   TEXT    NOT NULL,
	created_by   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
);

-- Every alert received, normalised. A redelivery (same scope, fingerprint, status and
-- start) hits the unique index and is ignored: it changes nothing and sends nothing.
CREATE TABLE alerts (
	id            INTEGER PRIMARY KEY,
	team_id       INTEGER NOT NULL DEFAULT 0, -- the token's team; 0 = a global token
	source        TEXT    NOT NULL,
	fingerprint   TEXT    NOT NULL,
	status        TEXT    NOT NULL CHECK (status IN ('firing', 'resolved')),
	name          TEXT    NOT NULL DEFAULT '',
	labels        TEXT    NOT NULL,
	annotations   TEXT    NOT NULL DEFAULT '{}',
	alert_values  TEXT    NOT NULL DEFAULT '{}',
	starts_at     INTEGER NOT NULL,
	ends_at       INTEGER NOT NULL DEFAULT 0,
	generator_url TEXT    NOT NULL DEFAULT '',
	received_at   INTEGER NOT NULL,
	matched_rules TEXT    NOT NULL DEFAULT '' -- comma-separated ids of the rules that matched
);
-- starts_at leads (after the team) so new alerts land at the right edge of the index
-- instead of at random pages: far fewer pages written per commit at high intake rates.
CREATE UNIQUE INDEX alerts_dedup ON alerts (team_id, starts_at, fingerprint, status);
CREATE INDEX alerts_received ON alerts (received_at DESC, id DESC);

-- A rule's aggregation group: alerts with the same group-by label values.
CREATE TABLE alert_groups (
	id            INTEGER PRIMARY KEY,
	rule_id       INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	group_key     TEXT    NOT NULL,
	group_labels  TEXT    NOT NULL DEFAULT '{}',
	flush_at      INTEGER,            -- when the group is next due to notify; NULL = nothing due
	changed       INTEGER NOT NULL DEFAULT 0,
	last_sent_at  INTEGER,
	last_status   TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	UNIQUE (rule_id, group_key)
);
CREATE INDEX alert_groups_due ON alert_groups (flush_at) WHERE flush_at IS NOT NULL;

-- The alerts currently in a group, one row per fingerprint (latest state).
CREATE TABLE group_alerts (
	group_id    INTEGER NOT NULL REFERENCES alert_groups (id) ON DELETE CASCADE,
	fingerprint TEXT    NOT NULL,
	alert_id    INTEGER NOT NULL,
	status      TEXT    NOT NULL,
	notified    INTEGER NOT NULL DEFAULT 0, -- the current status has been sent
	PRIMARY KEY (group_id, fingerprint)
) WITHOUT ROWID;

-- Threshold rules keep one state per (rule, series).
CREATE TABLE series_state (
	rule_id       INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	fingerprint   TEXT    NOT NULL,
	pending_since INTEGER NOT NULL DEFAULT 0,
	firing        INTEGER NOT NULL DEFAULT 0,
	last_value    REAL    NOT NULL DEFAULT 0,
	alert_id      INTEGER NOT NULL DEFAULT 0,
	updated_at    INTEGER NOT NULL,
	PRIMARY KEY (rule_id, fingerprint)
) WITHOUT ROWID;

-- Which alerts a notification carried (digests: through the folded notifications).
CREATE TABLE notification_alerts (
	notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	alert_id        INTEGER NOT NULL,
	PRIMARY KEY (notification_id, alert_id)
) WITHOUT ROWID;
CREATE INDEX notification_alerts_alert ON notification_alerts (alert_id);
