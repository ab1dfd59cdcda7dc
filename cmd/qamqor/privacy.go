package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

func init() { commands["privacy"] = runPrivacy }

// runPrivacy implements
//
//	qamqor privacy erase --care-address ID   irreversibly redact a pensioner everywhere
//	qamqor privacy purge                     remove what is past its retention now
//
// Both print what they changed as JSON.
func runPrivacy(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "erase" && args[0] != "purge") {
		return fmt.Errorf("want `qamqor privacy erase --care-address ID` or `qamqor privacy purge`: %w", errUsage)
	}
	fs := flag.NewFlagSet("privacy "+args[0], flag.ContinueOnError)
	careID := fs.Int64("care-address", 0, "the care address (pensioner) to erase")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, pending, err := db.SchemaUpToDate(ctx); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("the database schema is old (pending %v): run `qamqor migrate` first", pending)
	}
	// The audit trail names the command line as the source.
	ctx = dispatch.WithOrigin(ctx, dispatch.Origin{Source: "command line"})
	var out any
	switch args[0] {
	case "erase":
		if *careID <= 0 {
			return fmt.Errorf("--care-address ID is required: %w", errUsage)
		}
		if out, err = db.EraseCareAddress(ctx, nil, *careID); err != nil {
			return err
		}
	case "purge":
		if out, err = db.PurgeExpired(ctx, cfg.Retention); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
