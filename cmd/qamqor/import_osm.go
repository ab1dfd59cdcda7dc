package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/geo"
)

func init() { commands["import-osm"] = runImportOSM }

// runImportOSM implements
//
//	qamqor import-osm [--profile all|car|foot] FILE.osm.pbf|FILE.osm
//
// It reads the file, builds the road graph, replaces the graph stored in
// DATABASE_URL in one transaction, upserts the addresses into the gazetteer
// (source "osm:<basename>") and prints counts.
func runImportOSM(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("import-osm", flag.ContinueOnError)
	profile := fs.String("profile", "all", "which edges to keep: all, car or foot")
	skipIfLoaded := fs.Bool("skip-if-loaded", false, "do nothing when the database already has a road network (used by make run)")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: qamqor import-osm [--profile all|car|foot] [--skip-if-loaded] FILE.osm.pbf")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("import-osm: want exactly one file, got %d", fs.NArg())
	}
	file := fs.Arg(0)
	ip, err := geo.ParseImportProfile(*profile)
	if err != nil {
		return err
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	if *skipIfLoaded {
		db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
		if err != nil {
			return err
		}
		have, err := db.LoadRoadNetwork(ctx)
		db.Close()
		if err == nil && len(have.Edges) > 0 {
			fmt.Printf("import-osm: the database already has a road network (%d edges); skipping %s\n", len(have.Edges), file)
			return nil
		}
	}
	start := time.Now()
	net, err := geo.ReadOSMFile(ctx, file, ip)
	if err != nil {
		return err
	}
	carG, err := geo.BuildGraph(net, geo.Car)
	if err != nil {
		return err
	}
	footG, err := geo.BuildGraph(net, geo.Foot)
	if err != nil {
		return err
	}
	parsed := time.Since(start)

	db, err := postgres.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return err
	}
	defer db.Close()
	if ok, missing, err := db.SchemaUpToDate(ctx); err != nil {
		return err
	} else if !ok {
		return fmt.Errorf("database schema is not up to date (missing %v); run qamqor migrate first", missing)
	}
	res, err := db.ReplaceRoadNetwork(ctx, net, postgres.OSMSource(file))
	if err != nil {
		return fmt.Errorf("store road network file=%s: %w", file, err)
	}
	carEdges, footEdges := 0, 0
	for i := range net.Edges {
		if net.Edges[i].Car {
			carEdges++
		}
		if net.Edges[i].Foot {
			footEdges++
		}
	}
	fmt.Printf("import-osm: %s\n", file)
	fmt.Printf("  vertices    %d\n", len(net.Vertices))
	fmt.Printf("  edges       %d (car %d, foot %d)\n", len(net.Edges), carEdges, footEdges)
	fmt.Printf("  length      %.0f km\n", net.LengthKm())
	fmt.Printf("  components  car %d strongly connected, main %.1f%% of car vertices; foot %d, main %.1f%%\n",
		carG.Components(), 100*carG.MainComponentShare(), footG.Components(), 100*footG.MainComponentShare())
	fmt.Printf("  addresses   %d found, %d new in the gazetteer (source %s)\n", len(net.Addresses), res.Addresses, postgres.OSMSource(file))
	fmt.Printf("  seconds     %.2f (read and build %.2f, store %.2f)\n", time.Since(start).Seconds(), parsed.Seconds(), (time.Since(start) - parsed).Seconds())
	return nil
}

// loadRouters gives the server its in-memory routers, for teams with a car
// and for teams on foot: the graph stored by import-osm, or, when the
// database has none, the .osm.pbf named by QAMQOR_GRAPH. It returns where
// the graph came from. The caller falls back to straight lines (and says
// so) when this fails.
func loadRouters(ctx context.Context, cfg Config, db *postgres.DB) (car, foot *geo.Router, from string, err error) {
	net, err := db.LoadRoadNetwork(ctx)
	from = "database"
	if dispatch.ErrorCode(err) == dispatch.ENOTFOUND && cfg.GraphFile != "" {
		net, err = geo.ReadOSMFile(ctx, cfg.GraphFile, geo.ImportAll)
		from = cfg.GraphFile
	}
	if err != nil {
		return nil, nil, "", err
	}
	if car, err = geo.NewRouter(net, geo.Car); err != nil {
		return nil, nil, "", err
	}
	if foot, err = geo.NewRouter(net, geo.Foot); err != nil {
		return nil, nil, "", err
	}
	return car, foot, from, nil
}
