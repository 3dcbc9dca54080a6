-- PostgreSQL form of 0016_consoles.sql (same tables, BIGINT for the integer columns).
--
-- consoles: one row per console process (a random id per start), its heartbeat every
-- second and the roles it holds; a row whose heartbeat is older than the timeout is a dead
-- console (pruned later).
CREATE TABLE consoles (
	id             TEXT    PRIMARY KEY,
	hostname       TEXT    NOT NULL,
	pid            BIGINT NOT NULL,
	version        TEXT    NOT NULL,
	schema_version TEXT    NOT NULL,
	started_at     BIGINT NOT NULL,
	heartbeat_at   BIGINT NOT NULL,
	roles          TEXT    NOT NULL DEFAULT '', -- comma-separated roles held
	stopped_at     BIGINT                      -- set by a clean shutdown
);
-- leases: the timed work (pipeline, delivery, jobs) runs on the one console holding the
-- role's lease; epoch grows at every change of holder (a fencing token).
CREATE TABLE leases (
	role        TEXT    PRIMARY KEY,
	holder      TEXT    NOT NULL,
	epoch       BIGINT NOT NULL,
	acquired_at BIGINT NOT NULL,
	expires_at  BIGINT NOT NULL
);
-- change_versions: a counter per kind of cached configuration (rules), bumped by the
-- console that changed it; the others poll it and reload.
CREATE TABLE change_versions (
	name    TEXT    PRIMARY KEY,
	version BIGINT NOT NULL
);
-- Which console claimed a notification in state sending, and until when the claim holds.
ALTER TABLE notifications ADD COLUMN claimed_by TEXT;
ALTER TABLE notifications ADD COLUMN lease_until BIGINT;
