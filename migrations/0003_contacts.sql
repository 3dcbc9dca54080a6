-- Contacts (who gets @-mentioned) and contact groups, per team.
-- A contact's platform ids and mobile are unique inside its team; a user has at most one
-- card (the self-service "My contact card"). Times are Unix milliseconds.

CREATE TABLE contacts (
	id               INTEGER PRIMARY KEY,
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
	-- a contact nobody can reach is useless: at least one way must be given
	CHECK (mobile != '' OR email != '' OR dingtalk_user_id != '' OR feishu_open_id != '' OR wecom_user_id != '')
);
CREATE INDEX contacts_team_name ON contacts (team_id, name);
CREATE UNIQUE INDEX contacts_team_mobile ON contacts (team_id, mobile) WHERE mobile != '';
CREATE UNIQUE INDEX contacts_team_dingtalk ON contacts (team_id, dingtalk_user_id) WHERE dingtalk_user_id != '';
CREATE UNIQUE INDEX contacts_team_feishu ON contacts (team_id, feishu_open_id) WHERE feishu_open_id != '';
CREATE UNIQUE INDEX contacts_team_wecom ON contacts (team_id, wecom_user_id) WHERE wecom_user_id != '';
CREATE UNIQUE INDEX contacts_user ON contacts (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE contact_groups (
	id         INTEGER PRIMARY KEY,
	team_id    INTEGER NOT NULL REFERENCES teams (id) ON DELETE RESTRICT,
	name       TEXT    NOT NULL COLLATE NOCASE,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (team_id, name)
);

CREATE TABLE contact_group_members (
	group_id   INTEGER NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
	PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX contact_group_members_contact ON contact_group_members (contact_id);

-- Last line of defence: a group only ever holds contacts of its own team.
CREATE TRIGGER contact_group_members_same_team
BEFORE INSERT ON contact_group_members
WHEN (SELECT team_id FROM contacts WHERE id = NEW.contact_id)
	IS NOT (SELECT team_id FROM contact_groups WHERE id = NEW.group_id)
BEGIN
	SELECT RAISE(ABORT, 'contact of another team');
END;
