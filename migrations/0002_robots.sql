-- Robots (notification objects), the durable outbox (notifications) and the record of
-- every send (delivery_attempts). Webhook URLs and secrets are AES-GCM encrypted by db.

CREATE TABLE robots (
	id              INTEGER PRIMARY KEY,
	team_id         INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name            TEXT    NOT NULL,
	platform        TEXT    NOT NULL CHECK (platform IN ('dingtalk', 'feishu', 'lark', 'wecom')),
	webhook_enc     BLOB    NOT NULL,
	webhook_hint    TEXT    NOT NULL,
	secret_enc      BLOB,
	secret_hint     TEXT    NOT NULL DEFAULT '',
	keywords        TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
	enabled         INTEGER NOT NULL DEFAULT 1,
	status          TEXT    NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'verified', 'failing')),
	status_reason   TEXT    NOT NULL DEFAULT '',
	last_success_at INTEGER,
	last_failure_at INTEGER,
	last_failure    TEXT    NOT NULL DEFAULT '',
	throttled_until INTEGER,
	per_minute      INTEGER NOT NULL DEFAULT 0, -- 0 = the platform's limit
	per_second      INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (team_id, name)
);

-- The outbox: a notification is a row before any HTTP request is made.
CREATE TABLE notifications (
	id              INTEGER PRIMARY KEY,
	team_id         INTEGER NOT NULL,
	robot_id        INTEGER NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
	rule_id         INTEGER,            -- NULL for test-sends
	group_key       TEXT    NOT NULL DEFAULT '',
	kind            TEXT    NOT NULL CHECK (kind IN ('firing', 'resolved', 'digest', 'test')),
	severity        TEXT    NOT NULL DEFAULT '',
	title           TEXT    NOT NULL,
	body            TEXT    NOT NULL,
	mentions        TEXT    NOT NULL DEFAULT '{}', -- JSON: people and @all, resolved when written
	state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'retrying', 'delivered', 'failed', 'expired', 'muted', 'folded')),
	digest_id       INTEGER,            -- the digest this notification was folded into
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	claimed_at      INTEGER,
	alert_count     INTEGER NOT NULL DEFAULT 0,
	search          TEXT    NOT NULL DEFAULT '', -- alert names and labels, for free-text filters
	last_outcome    TEXT    NOT NULL DEFAULT '',
	last_summary    TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);
CREATE INDEX notifications_pending ON notifications (robot_id, next_attempt_at, id)
	WHERE state IN ('queued', 'retrying', 'sending');
CREATE INDEX notifications_digest ON notifications (digest_id) WHERE digest_id IS NOT NULL;
CREATE INDEX notifications_created ON notifications (created_at);

-- One row per send attempt, test-send, muted or expired decision: the delivery history.
-- Team, robot, rule and platform are copied in so the history filters need no joins.
CREATE TABLE delivery_attempts (
	id              INTEGER PRIMARY KEY,
	notification_id INTEGER NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
	team_id         INTEGER NOT NULL,
	robot_id        INTEGER NOT NULL,
	rule_id         INTEGER NOT NULL DEFAULT 0,
	platform        TEXT    NOT NULL,
	kind            TEXT    NOT NULL,
	attempt         INTEGER NOT NULL,
	at              INTEGER NOT NULL,
	outcome         TEXT    NOT NULL, -- delivered, retry, rate_limited, misconfigured, rejected, muted, expired, folded
	http_status     INTEGER NOT NULL DEFAULT 0,
	code            TEXT    NOT NULL DEFAULT '',
	message         TEXT    NOT NULL DEFAULT '',
	summary         TEXT    NOT NULL DEFAULT '',
	latency_ms      INTEGER NOT NULL DEFAULT 0,
	request_url     TEXT    NOT NULL DEFAULT '', -- credentials masked
	request_body    TEXT    NOT NULL DEFAULT '', -- signature masked
	response        TEXT    NOT NULL DEFAULT '',
	search          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX attempts_at ON delivery_attempts (at DESC, id DESC);
CREATE INDEX attempts_notification ON delivery_attempts (notification_id, id);
CREATE INDEX attempts_robot ON delivery_attempts (robot_id, at DESC, id DESC);
CREATE INDEX attempts_team ON delivery_attempts (team_id, at DESC, id DESC);
CREATE INDEX attempts_rule ON delivery_attempts (rule_id, at DESC, id DESC);
CREATE INDEX attempts_outcome ON delivery_attempts (outcome, at DESC, id DESC);
CREATE INDEX attempts_platform ON delivery_attempts (platform, at DESC, id DESC);
