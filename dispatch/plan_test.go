package dispatch_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
)

func adult(id int64) dispatch.Volunteer {
	return dispatch.Volunteer{ID: id, FullName: "Adult", BirthYear: 1990, Active: true}
}

// A locked stop on a live route of a team whose shift is nearly over would
// make the solver's problem infeasible; the planner must still plan, with
// the locked stop kept on its team, rather than fail the whole day.
func TestPlanLockedStopPastShift(t *testing.T) {
	rules := dispatch.DefaultPlanRules()
	day := "2026-12-01"
	now := time.Date(2026, 12, 1, 17, 50, 0, 0, rules.Location)
	lead := adult(1)
	team := dispatch.PlanTeam{
		Team: dispatch.Team{ID: 1, Name: "A", Base: orb.Point{71.40, 51.15}, CapacityPackages: 10, Skills: []string{"shovels"},
			ShiftStart: "09:00", ShiftEnd: "18:00", Active: true},
		Members: []dispatch.Volunteer{lead}, Lead: &lead,
		Live: &dispatch.Route{ID: 10, TeamID: 1, Status: dispatch.RouteInProgress, Stops: []dispatch.Stop{
			{ID: 100, RequestID: 1000, Status: dispatch.StopPending, Locked: true, Lat: 51.25, Lon: 71.60},
		}},
	}
	lead2 := adult(2)
	other := dispatch.PlanTeam{
		Team: dispatch.Team{ID: 2, Name: "B", Base: orb.Point{71.45, 51.15}, CapacityPackages: 10, Skills: []string{"shovels"},
			ShiftStart: "09:00", ShiftEnd: "23:00", Active: true},
		Members: []dispatch.Volunteer{lead2}, Lead: &lead2,
	}
	in := &dispatch.PlanInput{Now: now, Teams: []dispatch.PlanTeam{team, other}, Requests: []dispatch.PlanRequest{
		{ID: 1000, Kind: dispatch.SnowClearing, Location: orb.Point{71.60, 51.25}, Priority: dispatch.Normal, ServiceMinutes: 60, Status: dispatch.StatusAssigned},
		{ID: 1001, Kind: dispatch.SnowClearing, Location: orb.Point{71.46, 51.15}, Priority: dispatch.Urgent, ServiceMinutes: 20, Status: dispatch.StatusNew},
	}}
	out, err := dispatch.Plan(context.Background(), in, dispatch.PlanScope{Day: day, TimeLimitS: 0.2}, rules, dispatch.HaversineTravel{}, nil)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	placed := map[int64]int64{}
	for _, r := range out.Routes {
		for _, s := range r.Stops {
			placed[s.RequestID] = r.TeamID
		}
	}
	if placed[1001] != 2 {
		t.Errorf("urgent request on team %d, want team 2 (team 1's shift is over)", placed[1001])
	}
	if placed[1000] != 1 {
		t.Errorf("locked stop on team %d, want it kept on team 1", placed[1000])
	}
}

// A team without a vehicle walks: its legs are timed on the walking matrix.
func TestPlanWalkingTeam(t *testing.T) {
	rules := dispatch.DefaultPlanRules()
	lead := adult(1)
	walkers := dispatch.PlanTeam{
		Team: dispatch.Team{ID: 1, Name: "Walkers", Base: orb.Point{71.40, 51.15}, CapacityPackages: 10, Skills: []string{"shovels"},
			ShiftStart: "09:00", ShiftEnd: "18:00", Active: true},
		Members: []dispatch.Volunteer{lead}, Lead: &lead,
	}
	req := orb.Point{71.41, 51.15}
	in := &dispatch.PlanInput{Now: time.Date(2026, 12, 1, 7, 0, 0, 0, rules.Location), Teams: []dispatch.PlanTeam{walkers},
		Requests: []dispatch.PlanRequest{{ID: 7, Kind: dispatch.SnowClearing, Location: req, Priority: dispatch.Normal, ServiceMinutes: 30, Status: dispatch.StatusNew}}}
	out, err := dispatch.Plan(context.Background(), in, dispatch.PlanScope{Day: "2026-12-01", TimeLimitS: 0.1}, rules, dispatch.HaversineTravel{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Routes) != 1 || len(out.Routes[0].Stops) != 1 {
		t.Fatalf("routes=%+v, want one stop", out.Routes)
	}
	foot, _ := dispatch.HaversineTravel{}.Matrix(context.Background(), []orb.Point{walkers.Base, req}, dispatch.OnFoot)
	if got, want := out.Routes[0].Stops[0].TravelS, foot.Duration(0, 1); got != want {
		t.Fatalf("TravelS=%.0f, want the walking time %.0f", got, want)
	}
}
