-- The console's own usability state.
--
-- must_change_password: the first administrator's password was generated and printed in
-- the log; the console shows a banner until it is changed (set at creation, cleared by
-- any password change).
ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
