// Package pgtest gives integration tests a freshly migrated schema in the
// real PostGIS database named by TEST_DATABASE_URL. It fails the test, never
// skips it, when the database cannot be reached; only `go test -short` skips.
package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/qamqor/qamqor/dispatch/postgres"
)

// DefaultURL is the database `make test` creates.
const DefaultURL = "postgres://qamqor:qamqor@localhost:5432/qamqor_test?sslmode=disable"

// URL returns TEST_DATABASE_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// MustOpen returns a DB on a new schema with every migration applied; the
// schema is dropped when the test ends.
func MustOpen(tb testing.TB) *postgres.DB {
	tb.Helper()
	if testing.Short() {
		tb.Skip("integration test: needs PostGIS (run without -short, via make test)")
	}
	db, err := postgres.OpenTestSchema(context.Background(), URL(), tb.Name())
	if err != nil {
		tb.Fatalf("integration test needs PostGIS at %s (run `make test` or set TEST_DATABASE_URL): %v", URL(), err)
	}
	tb.Cleanup(func() {
		if err := db.DropTestSchema(context.Background()); err != nil {
			tb.Errorf("drop test schema: %v", err)
		}
		db.Close()
	})
	return db
}
