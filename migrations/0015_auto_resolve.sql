-- Alerts of tools that never send a resolve: an integration with auto-resolve arms each
-- firing alert it receives (its deadline moves with every receipt, and the row keeps the
-- alert as last received); the pipeline resolves it when the deadline passes. A resolve
-- from the tool disarms it.
CREATE TABLE auto_resolve (
	team_id       INTEGER NOT NULL,
	fingerprint   TEXT    NOT NULL,
	resolve_at    INTEGER NOT NULL,
	alert         TEXT    NOT NULL, -- the alert as last received (JSON)
	PRIMARY KEY (team_id, fingerprint)
) WITHOUT ROWID;
CREATE INDEX auto_resolve_due ON auto_resolve (resolve_at);
