package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
)

func init() { commands["apikey"] = runAPIKey }

// runAPIKey manages Open311 API keys:
//
//	qamqor apikey create --org ID --name NAME [--rate N]   prints the new key once
//	qamqor apikey revoke KEY_ID
//	qamqor apikey list
func runAPIKey(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errUsage
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	open := func() (*postgres.DB, error) { return postgres.Open(ctx, cfg.DatabaseURL, "") }
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
		org := fs.Int64("org", 0, "organisation id the key is for (required)")
		name := fs.String("name", "", "what the key is for, e.g. \"109 portal\" (required)")
		rate := fs.Int("rate", dispatch.DefaultAPIKeyRate, "requests per minute the key may make")
		if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || *org == 0 || *name == "" {
			return fmt.Errorf("usage: qamqor apikey create --org ID --name NAME [--rate N]: %w", errUsage)
		}
		db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		k, secret, err := db.CreateAPIKey(ctx, dispatch.APIKeyInput{OrganisationID: *org, Name: *name, RatePerMinute: *rate})
		if err != nil {
			return err
		}
		fmt.Printf("API key %d for %s (%s), %d requests/minute:\n%s\n", k.ID, k.OrganisationName, k.Name, k.RatePerMinute, secret)
		fmt.Println("Store it now: Qamqor keeps only its hash and cannot show it again.")
		return nil
	case "revoke":
		if len(args) != 2 {
			return fmt.Errorf("usage: qamqor apikey revoke KEY_ID: %w", errUsage)
		}
		id, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("KEY_ID %q is not a key id (a whole number)", args[1])
		}
		db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		k, err := db.RevokeAPIKey(ctx, id)
		if err != nil {
			return err
		}
		fmt.Printf("API key %d (%s, %s) revoked at %s\n", k.ID, k.OrganisationName, k.Name, k.RevokedAt.Format("2006-01-02 15:04:05 MST"))
		return nil
	case "list":
		db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		keys, err := db.FindAPIKeys(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("%-5s %-10s %-30s %-30s %6s %s\n", "ID", "PREFIX", "ORGANISATION", "NAME", "RATE", "STATE")
		for _, k := range keys {
			state := "active"
			if k.RevokedAt != nil {
				state = "revoked " + k.RevokedAt.Format("2006-01-02")
			}
			fmt.Printf("%-5d %-10s %-30s %-30s %6d %s\n", k.ID, k.Prefix, k.OrganisationName, k.Name, k.RatePerMinute, state)
		}
		return nil
	}
	return errUsage
}
