// Package migrations embeds the forward-only SQL migrations. Files are named
// NNNN_name.sql, applied in name order, each in its own transaction; an
// applied file is never edited.
package migrations

import "embed"

// FS holds the migration files.
//
//go:embed *.sql
var FS embed.FS
