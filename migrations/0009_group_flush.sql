-- Group flushes that cannot lose a member and cannot block each other.
--
-- group_alerts.version orders the changes of a group: every change of a member takes the
-- group's next version. A flush reads the group at one version and marks notified (or
-- forgets, for resolves) exactly the members at or below it, so an alert that joins while
-- the flush renders stays unnotified and is in the next message.
ALTER TABLE alert_groups ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_alerts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A group whose flush fails is retried with backoff and shown on the why page, the rule
-- page and the dashboard; it never holds up another group.
ALTER TABLE alert_groups ADD COLUMN flush_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE alert_groups ADD COLUMN last_error TEXT NOT NULL DEFAULT '';
ALTER TABLE alert_groups ADD COLUMN last_error_at INTEGER;

-- Why a rule's own template could not render this notification (the platform's default
-- was used instead); never part of the message itself.
ALTER TABLE notifications ADD COLUMN template_failure TEXT NOT NULL DEFAULT '';

-- Alertmanager's truncatedAlerts of the body that last fed the group: alerts the source
-- left out (its max_alerts), counted in the group's messages.
ALTER TABLE alert_groups ADD COLUMN source_truncated INTEGER NOT NULL DEFAULT 0;
