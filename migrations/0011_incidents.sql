-- Incidents: a notification group with a state, an owner and a timeline, acted on from
-- the console, from signed links in chat messages and over the API.
--
-- An incident is keyed by (rule_id, group_key), not by the alert group's row: the group
-- row is deleted once all its alerts resolve, while the incident stays to be reopened
-- within its window and to be counted in the reports.
CREATE TABLE incidents (
	id               INTEGER PRIMARY KEY,
	team_id          INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	rule_id          INTEGER REFERENCES rules (id) ON DELETE SET NULL,
	rule_name        TEXT    NOT NULL DEFAULT '',
	group_key        TEXT    NOT NULL,
	group_labels     TEXT    NOT NULL DEFAULT '{}', -- JSON, the group's labels (silence matchers come from them)
	title            TEXT    NOT NULL DEFAULT '',   -- "DiskFull on db-1"
	severity         TEXT    NOT NULL DEFAULT '',
	state            TEXT    NOT NULL CHECK (state IN ('triggered', 'acknowledged', 'resolved', 'closed')),
	owner            TEXT    NOT NULL DEFAULT '',   -- who claimed it
	alert_count      INTEGER NOT NULL DEFAULT 0,    -- firing alerts at the last flush
	opened_at        INTEGER NOT NULL,
	acked_at         INTEGER,
	acked_by         TEXT    NOT NULL DEFAULT '',
	resolved_at      INTEGER,
	closed_at        INTEGER,
	reopen_window_ms INTEGER NOT NULL DEFAULT 0,    -- firing again this soon after resolve/close reopens it
	reopens          INTEGER NOT NULL DEFAULT 0,
	updated_at       INTEGER NOT NULL
);
CREATE INDEX incidents_group ON incidents (rule_id, group_key, id);
CREATE INDEX incidents_team_state ON incidents (team_id, state, opened_at);
CREATE INDEX incidents_opened ON incidents (opened_at);

-- The timeline: alerts joining and resolving, each message and the platform's answer,
-- acks, claims, silences, notes, closes and reopens.
CREATE TABLE incident_events (
	id              INTEGER PRIMARY KEY,
	incident_id     INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	at              INTEGER NOT NULL,
	kind            TEXT    NOT NULL, -- opened alerts resolved message ack claim close silence note reopen
	actor           TEXT    NOT NULL DEFAULT '',
	actor_kind      TEXT    NOT NULL DEFAULT '' CHECK (actor_kind IN ('', 'system', 'user', 'contact', 'token')),
	text            TEXT    NOT NULL DEFAULT '',
	notification_id INTEGER -- no foreign key: retention may delete the notification, the line stays
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- A notification knows its incident (history rows link to it) and carries its action
-- links (JSON [{"label","url"}]), rendered by notify as buttons or markdown links.
ALTER TABLE notifications ADD COLUMN incident_id INTEGER REFERENCES incidents (id) ON DELETE SET NULL;
ALTER TABLE notifications ADD COLUMN actions TEXT NOT NULL DEFAULT '';
-- What a message is besides an alert message: 'followup' (someone acted on an incident) or
-- 'summary' (a team's daily summary); '' for alert messages, digests and test-sends.
ALTER TABLE notifications ADD COLUMN purpose TEXT NOT NULL DEFAULT '' CHECK (purpose IN ('', 'followup', 'summary'));
CREATE INDEX notifications_incident ON notifications (incident_id) WHERE incident_id IS NOT NULL;

-- Whether a person without an account may act from a chat link by picking their contact card.
ALTER TABLE teams ADD COLUMN contact_actions INTEGER NOT NULL DEFAULT 0;

-- Repeat until acknowledged: re-notify an unacknowledged incident every N minutes (0 = off).
ALTER TABLE rules ADD COLUMN repeat_unacked_ms INTEGER NOT NULL DEFAULT 0;

-- What a token may do: 'intake' (post alerts; what Alertmanager holds) or 'incidents'
-- (act on incidents over the JSON API). Existing tokens are intake tokens.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'intake' CHECK (scope IN ('intake', 'incidents'));

-- Daily summary: a robot of the team posts the day's counts and the oldest open incidents
-- at set times ("09:00,18:00") of the team's time zone. summary_last_at is the last slot
-- posted, so a slot is posted once even across restarts.
ALTER TABLE teams ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE teams ADD COLUMN summary_robot_id INTEGER REFERENCES robots (id) ON DELETE SET NULL;
ALTER TABLE teams ADD COLUMN summary_times TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN summary_last_at INTEGER;
