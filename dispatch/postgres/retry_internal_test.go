package postgres

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// openInternal opens a migrated test schema for tests inside the package
// (pgtest cannot be imported here: it imports this package).
func openInternal(t *testing.T) *DB {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: needs PostGIS")
	}
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://qamqor:qamqor@localhost:5432/qamqor_test?sslmode=disable"
	}
	db, err := OpenTestSchema(context.Background(), url, t.Name())
	if err != nil {
		t.Fatalf("integration test needs PostGIS at %s: %v", url, err)
	}
	t.Cleanup(func() {
		if err := db.DropTestSchema(context.Background()); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
		db.Close()
	})
	return db
}

// TestInTxRetriesDeadlock: two transactions update the same two rows in
// opposite orders and wait for each other, so PostgreSQL aborts one with a
// deadlock (40P01). inTx runs the victim again; both callers succeed and
// neither sees the deadlock.
func TestInTxRetriesDeadlock(t *testing.T) {
	ctx := context.Background()
	db := openInternal(t)
	var a, b int64
	if err := db.pool.QueryRow(ctx, `INSERT INTO organisations (name, kind) VALUES ('A', 'ngo') RETURNING id`).Scan(&a); err != nil {
		t.Fatal(err)
	}
	if err := db.pool.QueryRow(ctx, `INSERT INTO organisations (name, kind) VALUES ('B', 'ngo') RETURNING id`).Scan(&b); err != nil {
		t.Fatal(err)
	}
	// Both transactions take their first lock before either asks for its
	// second one, on the first attempt only: that is a certain deadlock.
	var first sync.WaitGroup
	first.Add(2)
	var once [2]sync.Once
	update := func(i int, x, y int64) error {
		return db.inTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `UPDATE organisations SET phone = phone || 'x' WHERE id = $1`, x); err != nil {
				return err
			}
			once[i].Do(func() { first.Done(); first.Wait() })
			_, err := tx.Exec(ctx, `UPDATE organisations SET phone = phone || 'y' WHERE id = $1`, y)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- update(0, a, b) }()
	go func() { errs <- update(1, b, a) }()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Fatalf("transaction failed: %v, want the deadlock retried", err)
		}
	}
	if db.Retries() < 1 {
		t.Fatalf("Retries=%d, want at least 1 (the deadlock victim)", db.Retries())
	}
	var phones []string
	rows, _ := db.pool.Query(ctx, `SELECT phone FROM organisations ORDER BY id`)
	phones, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(phones) != 2 || len(phones[0]) != 2 || len(phones[1]) != 2 {
		t.Fatalf("phones=%q err=%v, want each row updated twice, once by each transaction", phones, err)
	}
}
