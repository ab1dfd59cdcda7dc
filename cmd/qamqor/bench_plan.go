package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/geo"
	gdata "github.com/qamqor/qamqor/geo/data"
)

func init() { benchCommands["plan"] = runBenchPlan }

// runBenchPlan measures a snowfall day: --requests snow-clearing requests
// at real Astana street crossings (--windowed-share of them with a one- to
// three-hour window as the hotline takes them) and --teams teams with
// bases spread over the city working real 8-hour shifts (09:00-17:00; a
// third drive, the others walk), planned on the road network through the
// real store and planner.
// It works in a scratch schema of the database (dropped afterwards), so the
// data of `make run` is never touched. Output: CSV
// requests,teams,seconds,assigned,unassigned,feasible.
func runBenchPlan(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench plan", flag.ContinueOnError)
	nReq := fs.Int("requests", 3000, "snow-clearing requests")
	nTeams := fs.Int("teams", 250, "teams")
	graph := fs.String("graph", "testdata/osm/astana_roads_approx.osm.pbf", "road network (.osm.pbf)")
	seed := fs.Int64("seed", 1, "random seed")
	limit := fs.Duration("time-limit", 0, "solver time limit (0: the planner's default for the size)")
	windowed := fs.Float64("windowed-share", 0.3, "share of requests with a time window from the hotline (0-1)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *windowed < 0 || *windowed > 1 || *nReq < 1 || *nTeams < 1 {
		return fmt.Errorf("bench plan: --requests and --teams must be positive and --windowed-share in [0, 1]: %w", errUsage)
	}
	cfg, err := LoadConfig()
	if err != nil {
		return err
	}
	net, err := geo.ReadOSMFile(ctx, *graph, geo.ImportAll)
	if err != nil {
		return fmt.Errorf("load graph: %w", err)
	}
	router, err := geo.NewRouter(net, geo.Car)
	if err != nil {
		return err
	}
	foot, err := geo.NewRouter(net, geo.Foot)
	if err != nil {
		return err
	}
	raw, err := gdata.FS.ReadFile(gdata.Intersections)
	if err != nil {
		return err
	}
	crossings, err := geo.ParseIntersections(bytes.NewReader(raw), "bench")
	if err != nil {
		return err
	}
	// Keep places a team can reach: snapped to the main road component.
	var places []orb.Point
	for _, c := range crossings {
		if _, err := router.Snap(c.Location, 200); err == nil {
			places = append(places, c.Location)
		}
	}
	db, err := postgres.OpenTestSchema(ctx, cfg.DatabaseURL, "bench_plan")
	if err != nil {
		return err
	}
	defer db.Close()
	defer db.DropTestSchema(context.WithoutCancel(ctx))

	rules := dispatch.DefaultPlanRules()
	tomorrow := time.Now().In(rules.Location).AddDate(0, 0, 1)
	day := tomorrow.Format(time.DateOnly)
	dayStart := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 0, 0, 0, 0, rules.Location)
	rng := rand.New(rand.NewSource(*seed))
	admin := &dispatch.User{Username: "bench-admin", Role: dispatch.RoleAdmin}
	if err := db.CreateUser(ctx, admin, "bench-password"); err != nil {
		return err
	}
	disp := &dispatch.User{Username: "bench-dispatcher", Role: dispatch.RoleDispatcher}
	if err := db.CreateUser(ctx, disp, "bench-password"); err != nil {
		return err
	}
	org := &dispatch.Organisation{Name: "Bench HQ", Kind: "headquarters"}
	if err := db.SaveOrganisation(ctx, admin, org); err != nil {
		return err
	}
	for i := 0; i < *nTeams; i++ {
		lead := &dispatch.Volunteer{FullName: fmt.Sprintf("Lead %d", i), BirthYear: 1990, Languages: []string{"kk", "ru"}, OrganisationID: org.ID, Active: true}
		if err := db.SaveVolunteer(ctx, admin, lead); err != nil {
			return err
		}
		// A third of the teams have a car; the others walk.
		t := &dispatch.Team{Name: fmt.Sprintf("Team %03d", i), OrganisationID: org.ID, LeadVolunteerID: &lead.ID,
			Base: places[rng.Intn(len(places))], CapacityPackages: 10, Skills: []string{"shovels"}, HasVehicle: i%3 == 0,
			Languages: []string{"kk", "ru"}, ShiftStart: "09:00", ShiftEnd: "17:00", Active: true}
		if err := db.SaveTeam(ctx, admin, t); err != nil {
			return err
		}
	}
	for i := 0; i < *nReq; i++ {
		p := places[rng.Intn(len(places))]
		lat, lon := p.Lat(), p.Lon()
		in := dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: fmt.Sprintf("bench %d", i), Lat: &lat, Lon: &lon,
			ServiceMinutes: 20 + rng.Intn(20), Force: true, Source: dispatch.SourceCampaign}
		if rng.Intn(10) == 0 {
			in.Priority = dispatch.High
		}
		if rng.Float64() < *windowed {
			// What the hotline writes down: "at home between 10 and 12",
			// a one- to three-hour slot starting on the hour, 09:00-15:00.
			ws := dayStart.Add(time.Duration(9+rng.Intn(7)) * time.Hour)
			we := ws.Add(time.Duration(1+rng.Intn(3)) * time.Hour)
			in.WindowStart, in.WindowEnd = &ws, &we
		}
		if err := in.Normalize(dispatch.AstanaArea); err != nil {
			return err
		}
		if _, _, err := db.CreateRequest(ctx, disp, in); err != nil {
			return err
		}
	}
	travel := dispatch.RoadTravel{Router: router, Foot: foot, SnapLimitM: cfg.SnapLimitM}
	planner := &dispatch.Planner{Store: db, Travel: func() dispatch.Travel { return travel }, Rules: rules}
	scope := dispatch.PlanScope{Day: day, TimeLimitS: limit.Seconds()}
	if err := scope.Normalize(); err != nil {
		return err
	}
	start := time.Now()
	job, err := db.StartPlanningJob(ctx, disp, scope)
	if err != nil {
		return err
	}
	out, err := planner.Run(ctx, disp, job, scope)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Println("requests,teams,seconds,assigned,unassigned,feasible")
	fmt.Printf("%d,%d,%.2f,%d,%d,%t\n", *nReq, *nTeams, secs, out.Assigned, len(out.Unplanned), out.Feasible)
	fmt.Fprintf(os.Stderr, "travel=%s solver+load+save, places=%d\n", out.TravelKind, len(places))
	return nil
}
