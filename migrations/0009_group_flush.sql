-- Group flushes that cannot lose a member and cannot block each other.
--
-- alert_groups is rebuilt (AUTOINCREMENT: a group's id is in the links of its messages,
-- "… and 9,850 more: <the group's alerts>", so an id is never given to another group)
-- with three kinds of new columns:
--
-- version orders the changes of a group: every change of a member takes the group's next
-- version (group_alerts.version). A flush reads the group at one version and marks
-- notified (or forgets, for resolves) exactly the members at or below it, so an alert that
-- joins while the flush renders stays unnotified and is in the next message.
--
-- flush_failures, last_error, last_error_at: a group whose flush fails is retried with
-- backoff and shown on the why page, the rule page and the dashboard; it never holds up
-- another group.
--
-- source_truncated: Alertmanager's truncatedAlerts of the body that last fed the group
-- (alerts the source left out, its max_alerts), counted in the group's messages.
CREATE TABLE alert_groups_new (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	rule_id          INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	group_key        TEXT    NOT NULL,
	group_labels     TEXT    NOT NULL DEFAULT '{}',
	flush_at         INTEGER,            -- when the group is next due to notify; NULL = nothing due
	changed          INTEGER NOT NULL DEFAULT 0,
	last_sent_at     INTEGER,
	last_status      TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	version          INTEGER NOT NULL DEFAULT 0,
	flush_failures   INTEGER NOT NULL DEFAULT 0,
	last_error       TEXT    NOT NULL DEFAULT '',
	last_error_at    INTEGER,
	source_truncated INTEGER NOT NULL DEFAULT 0,
	UNIQUE (rule_id, group_key)
);
INSERT INTO alert_groups_new (id, rule_id, group_key, group_labels, flush_at, changed, last_sent_at, last_status, created_at)
	SELECT id, rule_id, group_key, group_labels, flush_at, changed, last_sent_at, last_status, created_at FROM alert_groups;
DROP TABLE alert_groups;
ALTER TABLE alert_groups_new RENAME TO alert_groups;
CREATE INDEX alert_groups_due ON alert_groups (flush_at) WHERE flush_at IS NOT NULL;

ALTER TABLE group_alerts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- Why a rule's own template could not render this notification (the platform's default
-- was used instead); never part of the message itself.
ALTER TABLE notifications ADD COLUMN template_failure TEXT NOT NULL DEFAULT '';
