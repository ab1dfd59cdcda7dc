package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo"
)

// SimRoute is a published route as the simulator drives it: its drawn path
// ([lat, lon] pairs, base first) and its stops in order.
type SimRoute struct {
	ID, TeamID int64
	Path       [][2]float64
	Stops      []SimStop
}

// SimStop is one visit: where, for how long, and whether a registered
// pensioner lives there (only they can be "not home": a welfare alert).
type SimStop struct {
	ID             int64
	Lat, Lon       float64
	ServiceMinutes int
	Care           bool
}

// FieldAPI is what a team's phone does; the command implements it over
// HTTP with the same endpoints team.js uses.
type FieldAPI interface {
	StartRoute(ctx context.Context, r SimRoute) error
	Position(ctx context.Context, teamID int64, lat, lon float64) error
	StopStatus(ctx context.Context, stopID int64, status, note string) error
	FinishRoute(ctx context.Context, routeID int64) error
	// Urgent files an urgent request at lat, lon (the hotline's call).
	Urgent(ctx context.Context, lat, lon float64) (int64, error)
}

// SimConfig tunes a simulation.
type SimConfig struct {
	// Speed is simulated seconds per real second (10: a 9-hour day in
	// 54 minutes).
	Speed float64
	// TravelKmh is how fast teams move along their path.
	TravelKmh float64
	// NotHomeShare is the share of visits to registered pensioners that
	// find nobody home; the first such visit after a third of the day is
	// always "not home", so every run shows one alert.
	NotHomeShare float64
	Seed         uint64
	// Log gets one line per notable step; nil is silent.
	Log func(format string, args ...any)
	// Sleep waits d of real time (tests pass a fast one); nil sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
}

// SimStats counts what a simulation did.
type SimStats struct {
	Positions, Arrived, Done, NotHome, Finished int
	UrgentID                                    int64
	SimulatedDay                                time.Duration
}

// simEvent is one thing a team does at sim-time At after the start.
type simEvent struct {
	At     time.Duration
	TeamID int64
	Kind   string // start, position, arrived, done, not_home, finish
	Route  *SimRoute
	StopID int64
	Lat    float64
	Lon    float64
}

// Simulate drives every route through its day: start, positions along the
// path, arrival at each stop, done (or, now and then, not home), finish; an
// urgent request arrives halfway through. Teams run at the same time,
// events in simulated-time order, each sent when its real time comes.
func Simulate(ctx context.Context, api FieldAPI, routes []SimRoute, cfg SimConfig) (SimStats, error) {
	if cfg.Speed <= 0 {
		cfg.Speed = 10
	}
	if cfg.TravelKmh <= 0 {
		cfg.TravelKmh = 20
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 11))
	// Positions at most every half real second per team, at least every
	// simulated minute.
	every := max(time.Minute, time.Duration(cfg.Speed*float64(500*time.Millisecond)))
	var events []simEvent
	var end time.Duration
	for i := range routes {
		evs := timeline(&routes[i], cfg.TravelKmh, every)
		if n := len(evs); n > 0 && evs[n-1].At > end {
			end = evs[n-1].At
		}
		events = append(events, evs...)
	}
	// Not home: the first care visit after a third of the day, then a
	// random share of the rest.
	forced := false
	for i := range events {
		e := &events[i]
		if e.Kind != "done" || !isCare(e.Route, e.StopID) {
			continue
		}
		if (!forced && e.At >= end/3) || rng.Float64() < cfg.NotHomeShare {
			e.Kind, forced = "not_home", forced || e.At >= end/3
		}
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].At < events[j].At })
	stats := SimStats{SimulatedDay: end}
	urgentAt, urgentSent := end/2, false
	var now time.Duration
	last := map[int64]orb.Point{}
	for _, e := range events {
		if e.At > now {
			if err := cfg.Sleep(ctx, time.Duration(float64(e.At-now)/cfg.Speed)); err != nil {
				return stats, err
			}
			now = e.At
		}
		if !urgentSent && now >= urgentAt {
			urgentSent = true
			at := busiest(events, now, last)
			id, err := api.Urgent(ctx, at.Lat()+0.0015, at.Lon()-0.001)
			if err != nil {
				return stats, fmt.Errorf("simulate: urgent request: %w", err)
			}
			stats.UrgentID = id
			cfg.Log("%s urgent request #%d came in by the hotline", clock(now), id)
		}
		var err error
		switch e.Kind {
		case "start":
			err = api.StartRoute(ctx, *e.Route)
			cfg.Log("%s team %d starts route %d (%d stops)", clock(now), e.TeamID, e.Route.ID, len(e.Route.Stops))
		case "position":
			err = api.Position(ctx, e.TeamID, e.Lat, e.Lon)
			last[e.TeamID] = orb.Point{e.Lon, e.Lat}
			stats.Positions++
		case "arrived":
			err = api.StopStatus(ctx, e.StopID, "arrived", "")
			stats.Arrived++
		case "done":
			err = api.StopStatus(ctx, e.StopID, "done", "")
			stats.Done++
		case "not_home":
			err = api.StopStatus(ctx, e.StopID, "not_home", "Есікті ешкім ашпады / никто не открыл")
			stats.NotHome++
			cfg.Log("%s team %d: nobody home at stop %d (welfare alert)", clock(now), e.TeamID, e.StopID)
		case "finish":
			err = api.FinishRoute(ctx, e.Route.ID)
			stats.Finished++
			cfg.Log("%s team %d finished route %d", clock(now), e.TeamID, e.Route.ID)
		}
		if err != nil {
			return stats, fmt.Errorf("simulate: team %d %s: %w", e.TeamID, e.Kind, err)
		}
	}
	return stats, nil
}

func isCare(r *SimRoute, stopID int64) bool {
	for _, s := range r.Stops {
		if s.ID == stopID {
			return s.Care
		}
	}
	return false
}

// busiest is where the team with the most work left is at sim-time now
// (its last position), for the urgent request to land near someone.
func busiest(events []simEvent, now time.Duration, last map[int64]orb.Point) orb.Point {
	left := map[int64]int{}
	for _, e := range events {
		if e.At > now && (e.Kind == "done" || e.Kind == "not_home") {
			left[e.TeamID]++
		}
	}
	var best int64
	for id, n := range left {
		if _, ok := last[id]; ok && (best == 0 || n > left[best] || n == left[best] && id < best) {
			best = id
		}
	}
	if p, ok := last[best]; ok {
		return p
	}
	for _, e := range events {
		return orb.Point{e.Lon, e.Lat}
	}
	return orb.Point{71.4304, 51.1282}
}

func clock(d time.Duration) string {
	return fmt.Sprintf("+%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// timeline plans one team's day: the path cut into legs at the stops,
// walked at kmh with a position every step, each stop's service time spent
// there.
func timeline(r *SimRoute, kmh float64, every time.Duration) []simEvent {
	if len(r.Stops) == 0 {
		return nil
	}
	speed := kmh * 1000 / 3600 // m/s
	var out []simEvent
	var at time.Duration
	path := r.Path
	start := [2]float64{r.Stops[0].Lat, r.Stops[0].Lon}
	if len(path) > 0 {
		start = path[0]
	}
	out = append(out, simEvent{At: 0, TeamID: r.TeamID, Kind: "start", Route: r})
	out = append(out, simEvent{At: 0, TeamID: r.TeamID, Kind: "position", Route: r, Lat: start[0], Lon: start[1]})
	cur, from := start, 0
	for _, s := range r.Stops {
		// The leg follows the path up to the vertex nearest the stop.
		to := nearestFrom(path, from, s.Lat, s.Lon)
		leg := [][2]float64{cur}
		if to > from {
			leg = append(leg, path[from+1:to+1]...)
		}
		leg = append(leg, [2]float64{s.Lat, s.Lon})
		var walked float64
		next := every
		for i := 1; i < len(leg); i++ {
			a, b := leg[i-1], leg[i]
			d := geo.Haversine(orb.Point{a[1], a[0]}, orb.Point{b[1], b[0]})
			for d > 0 && walked+d >= float64(next)/float64(time.Second)*speed {
				f := (float64(next)/float64(time.Second)*speed - walked) / d
				lat, lon := a[0]+(b[0]-a[0])*f, a[1]+(b[1]-a[1])*f
				out = append(out, simEvent{At: at + next, TeamID: r.TeamID, Kind: "position", Route: r, Lat: lat, Lon: lon})
				next += every
			}
			walked += d
		}
		at += time.Duration(walked / speed * float64(time.Second))
		out = append(out, simEvent{At: at, TeamID: r.TeamID, Kind: "position", Route: r, Lat: s.Lat, Lon: s.Lon})
		out = append(out, simEvent{At: at + time.Second, TeamID: r.TeamID, Kind: "arrived", Route: r, StopID: s.ID})
		at += time.Duration(max(s.ServiceMinutes, 1)) * time.Minute
		out = append(out, simEvent{At: at, TeamID: r.TeamID, Kind: "done", Route: r, StopID: s.ID})
		cur = [2]float64{s.Lat, s.Lon}
		if to > from {
			from = to
		}
	}
	out = append(out, simEvent{At: at + time.Minute, TeamID: r.TeamID, Kind: "finish", Route: r})
	return out
}

// nearestFrom is the index of the vertex of path, from index from on,
// nearest to lat, lon (from itself when path has no later vertex).
func nearestFrom(path [][2]float64, from int, lat, lon float64) int {
	best, bestD := from, -1.0
	for i := from; i < len(path); i++ {
		d := geo.Haversine(orb.Point{path[i][1], path[i][0]}, orb.Point{lon, lat})
		if bestD < 0 || d < bestD {
			best, bestD = i, d
		}
	}
	return best
}
