-- Several consoles on one database (issue 18). On SQLite only one console runs, but the
-- tables exist on both engines so the storage layer's queries are the same.
--
-- consoles: one row per console process (a random id per start), its heartbeat every
-- second and the roles it holds; a row whose heartbeat is older than the timeout is a dead
-- console (pruned later).
CREATE TABLE consoles (
	id             TEXT    PRIMARY KEY,
	hostname       TEXT    NOT NULL,
	pid            INTEGER NOT NULL,
	version        TEXT    NOT NULL,
	schema_version TEXT    NOT NULL,
	started_at     INTEGER NOT NULL,
	heartbeat_at   INTEGER NOT NULL,
	roles          TEXT    NOT NULL DEFAULT '', -- comma-separated roles held
	stopped_at     INTEGER                      -- set by a clean shutdown
);
-- leases: the timed work (pipeline, delivery, jobs) runs on the one console holding the
-- role's lease; epoch grows at every change of holder (a fencing token).
CREATE TABLE leases (
	role        TEXT    PRIMARY KEY,
	holder      TEXT    NOT NULL,
	epoch       INTEGER NOT NULL,
	acquired_at INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
-- change_versions: a counter per kind of cached configuration (rules), bumped by the
-- console that changed it; the others poll it and reload.
CREATE TABLE change_versions (
	name    TEXT    PRIMARY KEY,
	version INTEGER NOT NULL
);
-- Which console claimed a notification in state sending, and until when the claim holds.
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN lease_until INTEGER;
