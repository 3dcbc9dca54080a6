-- Server-side sessions: the browser's cookie carries only a random session id; this table
-- says whose it is and when it was last used, so logout, a password change, disabling a
-- user or an admin's "sign out everywhere" end sessions at once, and the lifetimes are
-- enforced here rather than trusted to the cookie.

CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	-- SHA-256 of the session id (hex): a copy of the database does not hand out live sessions
	token_hash   TEXT    NOT NULL UNIQUE,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	ip           TEXT    NOT NULL DEFAULT '',
	user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at DESC);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
