package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo"
	gdata "github.com/qamqor/qamqor/geo/data"
	"github.com/qamqor/qamqor/routing"
)

func init() { benchCommands["cityday"] = runBenchCityDay }

// runBenchCityDay implements
//
//	qamqor bench cityday [--sizes 200,400,800,1600] [--kinds snow,food] [--days 2]
//	    [--time-limit 0] [--threads N] [--seed 1] [--graph FILE] [--bks FILE] [--vroom-out DIR]
//
// It generates realistic Astana working days (see cityDay) from the real
// house addresses of geo/data on the road network of --graph, with car and
// foot travel times, solves each with the route planner and prints a CSV:
//
//	instance,stops,teams,routes,cost_s,distance_km,seconds,unassigned,feasible,gap_pct
//
// then "summary,<stops>,<instances>,<mean routes>,<mean cost_s>,<mean
// seconds>,<total unassigned>,<all feasible>,<mean gap_pct>" per size and
// "summary,all,...". cost_s is the planner's objective: total travel time
// of all teams in seconds (each team on its own profile); feasible means
// routing.Check accepts the plan. gap_pct compares cost_s with --bks (a
// CSV instance,vehicles,distance whose distance column holds a reference
// cost_s, e.g. the output of a long run of this command turned into that
// form). --time-limit 0 gives 5 s up to 800 stops and 10 s above.
// --vroom-out writes each instance as VROOM JSON (matrices included) so
// that the same days can be solved by VROOM where it is installed.
func runBenchCityDay(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench cityday", flag.ContinueOnError)
	sizesFlag := fs.String("sizes", "200,400,800,1600", "comma-separated numbers of stops")
	kindsFlag := fs.String("kinds", "snow,food", "comma-separated day kinds: snow, food")
	days := fs.Int("days", 2, "days per size and kind (seeds seed, seed+1, ...)")
	limit := fs.Duration("time-limit", 0, "time limit per instance (0: 5s up to 800 stops, 10s above)")
	threads := fs.Int("threads", runtime.GOMAXPROCS(0), "solver threads (default: all cores)")
	seed := fs.Uint64("seed", 1, "first day seed")
	graph := fs.String("graph", "testdata/osm/astana_roads_approx.osm.pbf", "road network (.osm.pbf)")
	bksFile := fs.String("bks", "", "CSV instance,vehicles,distance with reference cost_s values")
	vroomOut := fs.String("vroom-out", "", "directory to write <instance>.json in VROOM's input format")
	cpuProfile := fs.String("cpuprofile", "", "") // hidden: CPU profile of the solves
	iters := fs.Int("iterations", 0, "search iterations per thread instead of a time limit (reproducible runs)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 10 {
			return fmt.Errorf("bench cityday: bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	kinds := strings.Split(*kindsFlag, ",")
	for _, k := range kinds {
		if k != "snow" && k != "food" {
			return fmt.Errorf("bench cityday: unknown kind %q (snow, food)", k)
		}
	}
	if *threads < 1 || *days < 1 {
		return fmt.Errorf("bench cityday: --threads and --days must be at least 1")
	}
	var bks map[string]routing.BKS
	if *bksFile != "" {
		f, err := os.Open(*bksFile)
		if err != nil {
			return fmt.Errorf("bench cityday: %w", err)
		}
		bks, err = routing.ReadBKS(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("bench cityday: %s: %w", *bksFile, err)
		}
	}
	city, err := loadCity(ctx, *graph)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "instance,stops,teams,routes,cost_s,distance_km,seconds,unassigned,feasible,gap_pct")
	type row struct {
		stops, routes, unassigned int
		cost, secs, gap           float64
		feasible                  bool
	}
	bySize := map[int][]row{}
	var all []row
	for _, n := range sizes {
		tl := *limit
		if *iters > 0 {
			tl = 0
		} else if tl == 0 {
			tl = 5 * time.Second
			if n > 800 {
				tl = 10 * time.Second
			}
		}
		for _, kind := range kinds {
			for d := 0; d < *days; d++ {
				if err := ctx.Err(); err != nil {
					return err
				}
				day := city.day(kind, n, *seed+uint64(d))
				if *vroomOut != "" {
					if err := writeVROOM(*vroomOut, day); err != nil {
						return err
					}
				}
				start := time.Now()
				sol, err := routing.Solve(ctx, day.p, routing.Options{TimeLimit: tl, MaxIterations: *iters, Seed: 1, Threads: *threads})
				if err != nil {
					return fmt.Errorf("%s: %w", day.name, err)
				}
				secs := time.Since(start).Seconds()
				r := row{stops: n, routes: len(sol.Routes), unassigned: len(sol.Unassigned), cost: sol.TravelTime, secs: secs, gap: math.NaN()}
				r.feasible = routing.Check(day.p, sol) == nil
				if b, ok := bks[day.name]; ok && b.Distance > 0 {
					r.gap = 100 * (r.cost - b.Distance) / b.Distance
				}
				gap := ""
				if !math.IsNaN(r.gap) {
					gap = fmt.Sprintf("%.2f", r.gap)
				}
				fmt.Fprintf(w, "%s,%d,%d,%d,%.0f,%.1f,%.3f,%d,%t,%s\n", day.name, n, len(day.p.Vehicles), r.routes,
					r.cost, sol.Distance/1000, secs, r.unassigned, r.feasible, gap)
				w.Flush()
				bySize[n] = append(bySize[n], r)
				all = append(all, r)
			}
		}
	}
	line := func(name string, rs []row) {
		var routes, cost, secs, gap float64
		un, ng := 0, 0
		feas := true
		for _, r := range rs {
			routes += float64(r.routes)
			cost += r.cost
			secs += r.secs
			un += r.unassigned
			feas = feas && r.feasible
			if !math.IsNaN(r.gap) {
				gap += r.gap
				ng++
			}
		}
		k := float64(len(rs))
		g := ""
		if ng > 0 {
			g = fmt.Sprintf("%.2f", gap/float64(ng))
		}
		fmt.Fprintf(w, "summary,%s,%d,%.2f,%.0f,%.3f,%d,%t,%s\n", name, len(rs), routes/k, cost/k, secs/k, un, feas, g)
	}
	for _, n := range sizes {
		line(strconv.Itoa(n), bySize[n])
	}
	line("all", all)
	return nil
}

// city holds what the day generator draws from: the house addresses that
// snap to both the car and the foot network, and the two routers.
type city struct {
	car, foot *geo.Router
	addrs     []orb.Point
}

// cityDayMaxSnapM is how far an address may be from the road it snaps to.
const cityDayMaxSnapM = 150

func loadCity(ctx context.Context, graph string) (*city, error) {
	net, err := geo.ReadOSMFile(ctx, graph, geo.ImportAll)
	if err != nil {
		return nil, fmt.Errorf("load graph: %w", err)
	}
	car, err := geo.NewRouter(net, geo.Car)
	if err != nil {
		return nil, err
	}
	foot, err := geo.NewRouter(net, geo.Foot)
	if err != nil {
		return nil, err
	}
	f, err := gdata.FS.Open(gdata.Addresses)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gdata.Addresses, err)
	}
	c := &city{car: car, foot: foot}
	seen := map[orb.Point]bool{}
	for i, rec := range recs {
		if i == 0 || len(rec) < 4 {
			continue
		}
		lat, err1 := strconv.ParseFloat(rec[2], 64)
		lon, err2 := strconv.ParseFloat(rec[3], 64)
		if err1 != nil || err2 != nil {
			continue
		}
		pt := orb.Point{lon, lat}
		if seen[pt] {
			continue
		}
		if _, err := car.Snap(pt, cityDayMaxSnapM); err != nil {
			continue
		}
		if _, err := foot.Snap(pt, cityDayMaxSnapM); err != nil {
			continue
		}
		seen[pt] = true
		c.addrs = append(c.addrs, pt)
	}
	if len(c.addrs) < 100 {
		return nil, fmt.Errorf("bench cityday: only %d addresses snap to the road network", len(c.addrs))
	}
	return c, nil
}

// cityDay is one generated working day.
type cityDay struct {
	name  string
	p     *routing.Problem
	walks []bool // per vehicle: a walking team
}

// day generates a day of kind "snow" or "food" with n stops:
//
//   - stops at distinct real house addresses, 60 % of them around 8
//     neighbourhood centres (within 1.5 km; pensioners cluster in older
//     districts, and so do a campaign's requests) and 40 % anywhere;
//   - a third of the stops have a narrow window given by the hotline
//     (1 or 2 hours starting between 09:00 and 16:00), the others only the
//     teams' shifts; 10 % are high priority;
//   - snow: clearing takes 20-45 minutes and one bag of sand/salt from the
//     team's supply; 70 % of the teams walk (8-12 bags), the others drive
//     (20-30 bags); every snow stop needs shovels, which every team has;
//   - food: a visit takes 5-15 minutes and 1-3 packages; 70 % of the teams
//     drive (25-30 packages), the others walk (8-10 packages);
//   - teams start and end at one of n/50 (at least 3) volunteer hubs at
//     real addresses; 80 % work 09:00-17:00, 20 % 13:00-18:00; there are
//     enough teams for about 80 % use of their time and capacity;
//   - travel: road-network times (car profile for drivers, foot for
//     walkers), whole seconds, on the approximate Astana network.
func (c *city) day(kind string, n int, seed uint64) *cityDay {
	rng := rand.New(rand.NewPCG(seed, uint64(n)*7+uint64(len(kind))))
	if n+n/50+3 > len(c.addrs) {
		n = len(c.addrs) - n/50 - 3
	}
	perm := rng.Perm(len(c.addrs))
	used := make([]bool, len(c.addrs))
	var pts []orb.Point
	take := func(i int) {
		used[i] = true
		pts = append(pts, c.addrs[i])
	}
	nHubs := max(3, n/50)
	for _, i := range perm[:nHubs] {
		take(i)
	}
	centres := make([]orb.Point, 8)
	for k := range centres {
		centres[k] = c.addrs[perm[nHubs+k]]
	}
	near := make([][]int, len(centres))
	for k, ct := range centres {
		for i, a := range c.addrs {
			if geo.Haversine(ct, a) <= 1500 {
				near[k] = append(near[k], i)
			}
		}
	}
	next := 0
	for len(pts) < nHubs+n {
		if rng.Float64() < 0.6 {
			cand := near[rng.IntN(len(near))]
			i := cand[rng.IntN(len(cand))]
			if !used[i] {
				take(i)
				continue
			}
		}
		for used[perm[next]] {
			next++
		}
		take(perm[next])
	}
	carM, _, err := c.car.Matrix(pts, cityDayMaxSnapM)
	if err != nil {
		panic(err) // the addresses were filtered by the same snap
	}
	footM, _, err := c.foot.Matrix(pts, cityDayMaxSnapM)
	if err != nil {
		panic(err)
	}
	size := len(pts)
	round := func(m *routing.RoadMatrix) *routing.RoadMatrix {
		d := make([]float64, size*size)
		dist := make([]float64, size*size)
		for a := 0; a < size; a++ {
			for b := 0; b < size; b++ {
				d[a*size+b] = math.Round(m.Duration(a, b))
				dist[a*size+b] = m.Distance(a, b)
			}
		}
		rm, _ := routing.NewRoadMatrix(size, d, dist)
		return rm
	}
	p := &routing.Problem{Matrix: round(carM), Profiles: []routing.Matrix{round(footM)}}
	const h = 3600.0
	var work float64
	var demand int64
	for i := 0; i < n; i++ {
		j := routing.Job{ID: fmt.Sprintf("s%d", i+1), Location: nHubs + i}
		if kind == "snow" {
			j.Service = float64(20*60 + rng.IntN(26)*60)
			j.Demand = []int64{1}
			j.Skills = []string{"shovels"}
		} else {
			j.Service = float64(5*60 + rng.IntN(11)*60)
			j.Demand = []int64{int64(1 + rng.IntN(3))}
		}
		if rng.IntN(3) == 0 {
			st := 9*h + float64(rng.IntN(15))*h/2
			j.Windows = []routing.TimeWindow{{Start: st, End: st + h*float64(1+rng.IntN(2))}}
		}
		if rng.IntN(10) == 0 {
			j.Priority = routing.PriorityHigh
		}
		work += j.Service + 8*60 // plus a typical leg
		demand += j.Demand[0]
		p.Jobs = append(p.Jobs, j)
	}
	walkShare := 0.3
	if kind == "snow" {
		walkShare = 0.7
	}
	// Enough teams for ~80 % use of time and capacity.
	avgShift := 0.8*8*h + 0.2*5*h
	avgCap := walkShare*9 + (1-walkShare)*27.5
	if kind == "snow" {
		avgCap = walkShare*10 + (1-walkShare)*25
	}
	nTeams := int(math.Ceil(math.Max(work/(0.8*avgShift), float64(demand)/(0.8*avgCap))))
	day := &cityDay{name: fmt.Sprintf("%s-%d-%d", kind, n, seed)}
	for t := 0; t < nTeams; t++ {
		hub := rng.IntN(nHubs)
		v := routing.Vehicle{ID: fmt.Sprintf("t%d", t+1), Start: hub, End: hub, ShiftStart: 9 * h, ShiftEnd: 17 * h}
		if rng.IntN(5) == 0 {
			v.ShiftStart, v.ShiftEnd = 13*h, 18*h
		}
		walk := rng.Float64() < walkShare
		switch {
		case kind == "snow" && walk:
			v.Capacity = []int64{int64(8 + rng.IntN(5))}
		case kind == "snow":
			v.Capacity = []int64{int64(20 + rng.IntN(11))}
		case walk:
			v.Capacity = []int64{int64(8 + rng.IntN(3))}
		default:
			v.Capacity = []int64{int64(25 + rng.IntN(6))}
		}
		if kind == "snow" {
			v.Skills = []string{"shovels"}
		}
		if walk {
			v.Profile = 1
		}
		p.Vehicles = append(p.Vehicles, v)
		day.walks = append(day.walks, walk)
	}
	day.p = p
	return day
}

// writeVROOM writes the day as VROOM input JSON (DIR/<name>.json): car and
// foot duration matrices, vehicles with profile, capacity, skills and time
// window, jobs with service, delivery, skills, windows and priority.
func writeVROOM(dir string, d *cityDay) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, d.name+".json"))
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	if err := encodeVROOM(bw, d); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func encodeVROOM(w io.Writer, d *cityDay) error {
	p := d.p
	skillID := func(ss []string) []int {
		var out []int
		for _, s := range ss {
			if s == "shovels" {
				out = append(out, 1)
			}
		}
		return out
	}
	type vehicle struct {
		ID          int     `json:"id"`
		Profile     string  `json:"profile"`
		StartIndex  int     `json:"start_index"`
		EndIndex    int     `json:"end_index"`
		Capacity    []int64 `json:"capacity"`
		Skills      []int   `json:"skills,omitempty"`
		TimeWindow  [2]int  `json:"time_window"`
		Description string  `json:"description"`
	}
	type job struct {
		ID          int      `json:"id"`
		Location    int      `json:"location_index"`
		Service     int      `json:"service"`
		Delivery    []int64  `json:"delivery"`
		Skills      []int    `json:"skills,omitempty"`
		TimeWindows [][2]int `json:"time_windows,omitempty"`
		Priority    int      `json:"priority,omitempty"`
		Description string   `json:"description"`
	}
	type matrix struct {
		Durations [][]int `json:"durations"`
	}
	in := struct {
		Vehicles []vehicle         `json:"vehicles"`
		Jobs     []job             `json:"jobs"`
		Matrices map[string]matrix `json:"matrices"`
	}{Matrices: map[string]matrix{}}
	for i, v := range p.Vehicles {
		prof := "car"
		if d.walks[i] {
			prof = "foot"
		}
		in.Vehicles = append(in.Vehicles, vehicle{ID: i + 1, Profile: prof, StartIndex: v.Start, EndIndex: v.End,
			Capacity: v.Capacity, Skills: skillID(v.Skills), TimeWindow: [2]int{int(v.ShiftStart), int(v.ShiftEnd)}, Description: v.ID})
	}
	for i, j := range p.Jobs {
		o := job{ID: i + 1, Location: j.Location, Service: int(j.Service), Delivery: j.Demand, Skills: skillID(j.Skills), Description: j.ID}
		for _, tw := range j.Windows {
			o.TimeWindows = append(o.TimeWindows, [2]int{int(tw.Start), int(tw.End)})
		}
		if j.Priority > 0 {
			o.Priority = 50 * j.Priority
		}
		in.Jobs = append(in.Jobs, o)
	}
	for name, m := range map[string]routing.Matrix{"car": p.Matrix, "foot": p.Profiles[0]} {
		n := m.Size()
		rows := make([][]int, n)
		for a := range rows {
			rows[a] = make([]int, n)
			for b := range rows[a] {
				rows[a][b] = int(m.Duration(a, b))
			}
		}
		in.Matrices[name] = matrix{Durations: rows}
	}
	return json.NewEncoder(w).Encode(in)
}
