// Package migrations embeds the numbered SQL files that build the schema.
// db.Open applies the ones not yet recorded, each in its own transaction.
// A file is never edited once it has shipped; add the next number instead.
package migrations

import "embed"

//go:embed *.sql
var FS embed.FS
