package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// OpenTestSchema creates a uniquely named schema, opens a DB whose
// search_path starts with it, and migrates it. Used by pgtest.
func OpenTestSchema(ctx context.Context, url, name string) (*DB, error) {
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	n := sanitizeIdent(name)
	// River qualifies its tables with the schema and allows 46
	// characters: "t_" + 35 + "_" + 8 hex digits.
	if len(n) > 35 {
		n = n[:35]
	}
	schema := "t_" + n + "_" + hex.EncodeToString(suffix[:])
	admin, err := Open(ctx, url, "")
	if err != nil {
		return nil, err
	}
	_, err = admin.pool.Exec(ctx, `CREATE SCHEMA `+pgx.Identifier{schema}.Sanitize())
	admin.Close()
	if err != nil {
		return nil, fmt.Errorf("create schema=%s: %w", schema, err)
	}
	db, err := Open(ctx, url, schema)
	if err != nil {
		return nil, err
	}
	db.schema = schema
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// DropTestSchema drops the schema made by OpenTestSchema.
func (db *DB) DropTestSchema(ctx context.Context) error {
	if db.schema == "" {
		return nil
	}
	_, err := db.pool.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{db.schema}.Sanitize()+` CASCADE`)
	return err
}

// Schema returns the schema of a DB made by OpenTestSchema ("" otherwise),
// so an end-to-end test can point a server process at it.
func (db *DB) Schema() string { return db.schema }
