-- PostgreSQL form of 0015_auto_resolve.sql (SQLite's WITHOUT ROWID has no counterpart; the
-- primary key is the table's order here too).
CREATE TABLE auto_resolve (
	team_id     BIGINT NOT NULL,
	fingerprint TEXT   NOT NULL,
	resolve_at  BIGINT NOT NULL,
	alert       TEXT   NOT NULL,
	PRIMARY KEY (team_id, fingerprint)
);
CREATE INDEX auto_resolve_due ON auto_resolve (resolve_at);
