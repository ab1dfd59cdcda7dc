package postgres

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/migrations"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrationLockKey namespaces the advisory lock taken while migrating, so two
// server instances starting at once do not both apply the same file.
const migrationLockKey = "qamqor-migrate"

func migrationFiles() ([]string, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	return names, nil
}

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction, holding a session advisory lock for the duration.
// It returns the names of the files it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire connection: %w", err)
	}
	defer conn.Release()
	// The key includes the schema so test schemas migrate independently.
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext($1 || current_schema()))`, migrationLockKey); err != nil {
		return nil, fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1 || current_schema()))`, migrationLockKey)

	// PostGIS and pg_trgm are database-wide; `make db` creates them as a
	// superuser. Here they are created when missing and we are allowed to
	// (the PostGIS docker image's owner is), otherwise the error says why.
	for _, ext := range []string{"postgis", "pg_trgm"} {
		if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS `+ext+` SCHEMA public`); err != nil {
			return nil, fmt.Errorf("extension %s is missing and cannot be created by this user (run make db, or as a superuser: CREATE EXTENSION %s): %w", ext, ext, err)
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := migrationFiles()
	if err != nil {
		return nil, err
	}
	// River's tables (river_job, river_leader, ...) come first, from the
	// migrations of the River version in go.mod, in the same locked session.
	applied, err := db.migrateRiver(ctx)
	if err != nil {
		return applied, err
	}
	for _, name := range names {
		var done bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE name = $1)`, name).Scan(&done); err != nil {
			return applied, fmt.Errorf("check migration name=%s: %w", name, err)
		}
		if done {
			continue
		}
		body, err := fs.ReadFile(migrations.FS, name)
		if err != nil {
			return applied, fmt.Errorf("read migration name=%s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (name) VALUES ($1)`, name)
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration name=%s: %w", name, err)
		}
		applied = append(applied, name)
	}
	return applied, nil
}

// SchemaUpToDate reports whether every embedded migration has been applied;
// the server refuses to start on an old schema.
func (db *DB) SchemaUpToDate(ctx context.Context) (bool, []string, error) {
	names, err := migrationFiles()
	if err != nil {
		return false, nil, err
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return false, nil, fmt.Errorf("check schema_migrations: %w", err)
	}
	if !exists {
		return false, names, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT name FROM schema_migrations`)
	if err != nil {
		return false, nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return false, nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	var missing []string
	for _, n := range names {
		if !set[n] {
			missing = append(missing, n)
		}
	}
	riverMissing, err := db.riverPending(ctx)
	if err != nil {
		return false, nil, err
	}
	for i := len(riverMissing) - 1; i >= 0; i-- {
		missing = append([]string{riverName(riverMissing[i].Version, riverMissing[i].Name)}, missing...)
	}
	return len(missing) == 0, missing, nil
}

// migrateRiver applies River's own migrations up to the version in go.mod
// with rivermigrate, each in a transaction on conn, and returns them as
// "river/NNN_name" names. We run them rather than copying River's SQL into
// our files so that upgrading River brings its schema changes with it, and
// the server's schema check (SchemaUpToDate) covers them too.
func (db *DB) migrateRiver(ctx context.Context) ([]string, error) {
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Schema: db.current})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	// Migrate runs each version in its own transaction: a later version may
	// use an enum value an earlier one added, which PostgreSQL allows only
	// once that committed. Our session lock (held on conn) keeps two
	// `qamqor migrate` runs apart.
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("apply river migrations: %w", err)
	}
	var applied []string
	for _, v := range res.Versions {
		applied = append(applied, riverName(v.Version, v.Name))
	}
	return applied, nil
}

func riverName(version int, name string) string { return fmt.Sprintf("river/%03d_%s", version, name) }

// riverPending lists River migrations not yet applied.
func (db *DB) riverPending(ctx context.Context) ([]rivermigrate.Migration, error) {
	m, err := rivermigrate.New(riverpgxv5.New(db.pool), &rivermigrate.Config{Schema: db.current})
	if err != nil {
		return nil, fmt.Errorf("river migrator: %w", err)
	}
	var exists bool
	if err := db.pool.QueryRow(ctx, `SELECT to_regclass('river_migration') IS NOT NULL`).Scan(&exists); err != nil {
		return nil, fmt.Errorf("check river_migration: %w", err)
	}
	have := map[int]bool{}
	if exists {
		got, err := m.ExistingVersions(ctx)
		if err != nil {
			return nil, fmt.Errorf("read river migrations: %w", err)
		}
		for _, v := range got {
			have[v.Version] = true
		}
	}
	var missing []rivermigrate.Migration
	for _, v := range m.AllVersions() {
		if !have[v.Version] {
			missing = append(missing, v)
		}
	}
	return missing, nil
}

// sanitizeIdent keeps only characters safe in an unquoted identifier.
func sanitizeIdent(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
