-- Sign-in throttling shared by every console on the database (issue 18): failed sign-ins
-- counted per (user name, client address), and per client address (user_name ''). A row
-- is forgotten an hour after its last failure (pruned by the consoles).
CREATE TABLE login_failures (
	user_name TEXT    NOT NULL,
	ip        TEXT    NOT NULL,
	failures  INTEGER NOT NULL,
	last_at   INTEGER NOT NULL,
	PRIMARY KEY (user_name, ip)
);
CREATE INDEX login_failures_last ON login_failures (last_at);
