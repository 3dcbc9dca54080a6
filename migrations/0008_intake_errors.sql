-- What the intake refused or corrected, for the operator: an alert left out of an
-- Alertmanager or Grafana body (the others were stored), a resolve whose endsAt was
-- clamped, a body that could not be read at all, and alerts Alertmanager itself left out
-- (truncatedAlerts). Bounded: each team keeps its newest rows (db.IntakeErrorsKept).
-- AUTOINCREMENT so that ids, and with them the newest-first order, never go back.
CREATE TABLE intake_errors (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	team_id     INTEGER NOT NULL, -- the token's team; 0 = the global intake token
	at          INTEGER NOT NULL, -- unix ms
	source      TEXT    NOT NULL, -- alertmanager | grafana | api
	kind        TEXT    NOT NULL CHECK (kind IN ('refused', 'clamped', 'body', 'truncated')),
	field       TEXT    NOT NULL DEFAULT '', -- JSON path: alerts[3].labels
	reason      TEXT    NOT NULL,
	alert_name  TEXT    NOT NULL DEFAULT '',
	alert_index INTEGER NOT NULL DEFAULT -1, -- position in the body; -1 for the whole body
	alerts      INTEGER NOT NULL DEFAULT 0   -- alerts in the body (truncated: alerts left out)
);
CREATE INDEX intake_errors_team ON intake_errors (team_id, id);
