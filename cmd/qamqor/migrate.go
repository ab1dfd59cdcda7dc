package main

import (
	"context"
	"fmt"

	"github.com/qamqor/qamqor/dispatch/postgres"
)

func init() { commands["migrate"] = runMigrate }

// runMigrate applies pending migrations to DATABASE_URL.
func runMigrate(ctx context.Context, args []string) error {
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Println("migrate: schema is up to date")
	}
	for _, a := range applied {
		fmt.Println("migrate: applied", a)
	}
	return nil
}
