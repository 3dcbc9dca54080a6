-- PostgreSQL form of 0013_ux.sql.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
