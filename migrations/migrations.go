// Package migrations embeds the numbered SQL files that build the schema.
// db.Open applies the ones not yet recorded, each in its own transaction.
// A file is never edited once it has shipped; add the next number instead.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS

// Postgres holds PostgreSQL's files, numbered in the same sequence: postgres/NNNN_*.sql
// stands for SQLite's files up to NNNN where the DDL differs (SQLite's table rebuilds are
// one CREATE on PostgreSQL). A console on PostgreSQL refuses to start when a SQLite file
// has a higher number than PostgreSQL's last one, rather than run without that change.
//
//go:embed postgres/*.sql
var Postgres embed.FS
