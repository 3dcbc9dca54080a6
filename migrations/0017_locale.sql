-- Language and time zone.
--
-- users.language: the console's language for this user ('' = the browser's
-- Accept-Language, else ALERTDESK_DEFAULT_LANGUAGE). users.time_zone: an IANA zone name
-- ('' = the browser's zone, else UTC). teams.language: the language of the team's chat
-- messages built from the default templates ('' = ALERTDESK_DEFAULT_LANGUAGE).
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE teams ADD COLUMN language TEXT NOT NULL DEFAULT '';
