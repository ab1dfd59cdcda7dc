package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/qamqor/qamqor/dispatch/demo"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/geo"
)

func init() { commands["demo"] = runDemo }

// runDemo implements `qamqor demo load [-seed N]`: the Astana gazetteer,
// the six districts and the demo set into DATABASE_URL. Loading again adds
// nothing.
func runDemo(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "simulate" {
		return runDemoSimulate(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "load" {
		return fmt.Errorf("want `qamqor demo load [-seed N]` or `qamqor demo simulate [--speed 10]`: %w", errUsage)
	}
	fs := flag.NewFlagSet("demo load", flag.ContinueOnError)
	seed := fs.Int64("seed", demo.DefaultSeed, "random seed of the demo set")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	start := time.Now()
	houses, streets, crossings, districts, err := demo.Gazetteer()
	if err != nil {
		return err
	}
	set, err := demo.Generate(*seed, start.Year(), houses, districts)
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
	nd, err := db.LoadDistricts(ctx, districts)
	if err != nil {
		return err
	}
	fmt.Printf("demo: districts: %d new of %d\n", nd, len(districts))
	for _, g := range []struct {
		what    string
		entries []geo.GazetteerEntry
	}{{"houses", houses}, {"streets", streets}, {"crossings", crossings}} {
		n, err := db.LoadGazetteer(ctx, g.entries)
		if err != nil {
			return err
		}
		fmt.Printf("demo: gazetteer %s: %d new of %d\n", g.what, n, len(g.entries))
	}
	n, err := db.LoadDemo(ctx, set, demo.Logins)
	if err != nil {
		return err
	}
	if n == (postgres.DemoCounts{}) {
		fmt.Println("demo: the demo set is already loaded (organisation " + demo.HeadquartersName + " exists); nothing added")
	} else {
		fmt.Printf("demo: %d organisations, %d teams, %d volunteers, %d care addresses, %d users\n",
			n.Organisations, n.Teams, n.Volunteers, n.CareAddresses, n.Users)
		fmt.Println("demo: logins (demo passwords, change them on any real installation):")
		for _, l := range demo.Logins {
			fmt.Printf("  %-11s %-16s %s\n", l.Username, l.Password, l.Role)
		}
	}
	h, err := db.LoadDemoHistory(ctx, *seed, start)
	if err != nil {
		return err
	}
	if h == (postgres.HistoryCounts{}) {
		fmt.Println("demo: the four weeks of history are already loaded; nothing added")
	} else {
		fmt.Printf("demo: history of four weeks: %d finished routes, %d visits, %d attendance rows (confirmed), %d welfare alerts (handled)\n",
			h.Routes, h.Stops, h.Attendance, h.Alerts)
	}
	fmt.Printf("demo: done in %s. Map data © OpenStreetMap contributors (ODbL); district boundaries: Astana municipal geoportal, demo use only.\n",
		time.Since(start).Round(time.Millisecond))
	return nil
}
