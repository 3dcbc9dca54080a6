-- On-call schedules: layers of rotations (stored as JSON, read by db.Schedule.Plan and
-- computed by the oncall package) and overrides, plus the fallback contact mentioned
-- while nobody is on shift.
CREATE TABLE schedules (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id             INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	name                TEXT    NOT NULL,
	layers              TEXT    NOT NULL DEFAULT '[]', -- JSON [ScheduleLayer], highest first
	fallback_contact_id INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
	handoff_robot_id    INTEGER REFERENCES robots (id) ON DELETE SET NULL, -- posts a notice at each change of shift
	handoff_at          INTEGER, -- the last change of shift announced (or when notices were switched on)
	created_at          INTEGER NOT NULL,
	updated_at          INTEGER NOT NULL,
	deleted_at          INTEGER -- soft delete: audit entries and history keep naming it
);
CREATE UNIQUE INDEX schedules_team_name ON schedules (team_id, name) WHERE deleted_at IS NULL;

-- An override puts one contact on call for a period, above all layers.
CREATE TABLE schedule_overrides (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
	contact_id  INTEGER NOT NULL REFERENCES contacts (id),
	starts_at   INTEGER NOT NULL,
	ends_at     INTEGER NOT NULL CHECK (ends_at > starts_at),
	created_at  INTEGER NOT NULL
);
CREATE INDEX schedule_overrides_schedule ON schedule_overrides (schedule_id, ends_at);

-- A rule mentions whoever is on call in these schedules, resolved at send time.
CREATE TABLE rule_schedules (
	rule_id     INTEGER NOT NULL REFERENCES rules (id) ON DELETE CASCADE,
	schedule_id INTEGER NOT NULL REFERENCES schedules (id),
	PRIMARY KEY (rule_id, schedule_id)
);
CREATE INDEX rule_schedules_schedule ON rule_schedules (schedule_id);

-- Escalation policies: ordered steps (JSON [EscalationStep]: after how long without an
-- acknowledgement, which robots, mentioning whom), the whole run repeated up to
-- repeats more times.
CREATE TABLE escalation_policies (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	name       TEXT    NOT NULL,
	steps      TEXT    NOT NULL DEFAULT '[]',
	repeats    INTEGER NOT NULL DEFAULT 0 CHECK (repeats >= 0),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	deleted_at INTEGER
);
CREATE UNIQUE INDEX escalation_policies_team_name ON escalation_policies (team_id, name) WHERE deleted_at IS NULL;

-- A rule's policy replaces its "repeat until acknowledged" option.
ALTER TABLE rules ADD COLUMN escalation_policy_id INTEGER REFERENCES escalation_policies (id);
-- How many escalation steps an incident has been through (its timeline lists each).
ALTER TABLE incidents ADD COLUMN escalation_done INTEGER NOT NULL DEFAULT 0;
-- When the steps count from: the incident's start, or its last reopening (NULL = opened_at).
ALTER TABLE incidents ADD COLUMN escalation_from INTEGER;

-- A contact group mentions, besides its members, whoever is on call in these schedules.
CREATE TABLE contact_group_schedules (
	group_id    INTEGER NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
	schedule_id INTEGER NOT NULL REFERENCES schedules (id),
	PRIMARY KEY (group_id, schedule_id)
);
CREATE INDEX contact_group_schedules_schedule ON contact_group_schedules (schedule_id);
