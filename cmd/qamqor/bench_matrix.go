package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo"
)

func init() { benchCommands["matrix"] = runBenchMatrix }

// runBenchMatrix implements
//
//	qamqor bench matrix [--graph FILE.osm.pbf | --grid WxH] [--sizes 100,1000] [--seed N]
//
// on one core: for each size n it snaps n random points of the graph's
// bounding box to the main car component, times the n×n many-to-many
// contraction-hierarchy matrix, and checks 200 random pairs against plain
// Dijkstra. It prints the CSV header n,seconds,checked_pairs,mismatches,
// one row per size, then preprocessing time, one-to-one median latency and
// memory. --grid WxH replaces the graph by a synthetic street grid (see
// gridNetwork) to show how the matrix scales past the real extracts.
func runBenchMatrix(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench matrix", flag.ContinueOnError)
	graph := fs.String("graph", "testdata/osm/astana_roads_approx.osm.pbf", "OSM file (.osm.pbf or .osm)")
	sizesFlag := fs.String("sizes", "100,1000", "comma-separated matrix sizes")
	seed := fs.Uint64("seed", 1, "random seed")
	gridFlag := fs.String("grid", "", "use a synthetic WxH street grid (e.g. 300x300) instead of --graph")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var gridW, gridH int
	if *gridFlag != "" {
		w, h, ok := strings.Cut(*gridFlag, "x")
		var err1, err2 error
		gridW, err1 = strconv.Atoi(w)
		gridH, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || gridW < 2 || gridH < 2 || gridW*gridH > 4_000_000 {
			return fmt.Errorf("bench matrix: bad --grid %q (want WxH, e.g. 300x300)", *gridFlag)
		}
	}
	var sizes []int
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bench matrix: bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	runtime.GOMAXPROCS(1)

	t0 := time.Now()
	var net *geo.Network
	var err error
	if gridW > 0 {
		net = gridNetwork(gridW, gridH, rand.New(rand.NewPCG(*seed, 0x2545f4914f6cdd1d)))
		*graph = fmt.Sprintf("synthetic grid %dx%d", gridW, gridH)
	} else if net, err = geo.ReadOSMFile(ctx, *graph, geo.ImportAll); err != nil {
		return err
	}
	g, err := geo.BuildGraph(net, geo.Car)
	if err != nil {
		return err
	}
	readT := time.Since(t0)
	t1 := time.Now()
	ch := geo.BuildCH(g)
	chT := time.Since(t1)
	dij := geo.NewDijkstra(g)
	rng := rand.New(rand.NewPCG(*seed, 0x9e3779b97f4a7c15))
	b := g.Bound()
	randomSnaps := func(n int) []geo.Snap {
		out := make([]geo.Snap, 0, n)
		for len(out) < n {
			p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
			if s, err := g.Snap(p, 500); err == nil {
				out = append(out, s)
			}
		}
		return out
	}

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintln(w, "n,seconds,checked_pairs,mismatches")
	const checks = 200
	for _, n := range sizes {
		if err := ctx.Err(); err != nil {
			return err
		}
		pts := randomSnaps(n)
		// Best of a few runs for small sizes, one run for large ones.
		runs := max(1, min(5, 2000/n))
		best := time.Duration(1<<63 - 1)
		var sec, met []float64
		for range runs {
			ts := time.Now()
			sec, met = ch.ManyToMany(pts, pts)
			best = min(best, time.Since(ts))
		}
		mismatches := 0
		for range checks {
			i, j := rng.IntN(n), rng.IntN(n)
			s, m := dij.Query(pts[i], pts[j])
			if s != sec[i*n+j] || m != met[i*n+j] {
				mismatches++
			}
		}
		fmt.Fprintf(w, "%d,%.4f,%d,%d\n", n, best.Seconds(), checks, mismatches)
		w.Flush()
	}

	pts := randomSnaps(2000)
	lat := make([]time.Duration, 0, 1000)
	for i := 0; i < 1000; i++ {
		ts := time.Now()
		ch.Query(pts[2*i], pts[2*i+1])
		lat = append(lat, time.Since(ts))
	}
	slices.Sort(lat)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(w, "# graph %s: %d vertices, %d edges, %d car arcs, %d shortcuts, main component %.1f%%\n",
		*graph, g.NumVertices(), g.NumEdges(), g.NumArcs(), ch.Shortcuts, 100*g.MainComponentShare())
	fmt.Fprintf(w, "preprocessing: %.3f s contraction (read+graph %.3f s)\n", chT.Seconds(), readT.Seconds())
	fmt.Fprintf(w, "one-to-one median: %.1f µs (1000 random snapped pairs)\n", float64(lat[len(lat)/2].Nanoseconds())/1000)
	fmt.Fprintf(w, "memory: VmRSS %s, VmHWM %s, Go heap in use %.1f MB\n", procStatus("VmRSS"), procStatus("VmHWM"), float64(ms.HeapInuse)/(1<<20))
	return nil
}

// procStatus returns a field of /proc/self/status ("123456 kB"), or "n/a".
func procStatus(key string) string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

// gridNetwork is a synthetic city of w x h junctions (w*h vertices) 100 m
// apart around Astana's centre: every row and column is a street of one
// class (10 % primary at 60 km/h, 20 % secondary at 40 km/h, the rest
// residential at 20-30 km/h), each block's speed varies by +-20 %
// (traffic), and 30 % of the residential streets are one-way in a random
// direction. Primary and secondary streets stay two-way, so every
// junction can reach every other.
func gridNetwork(w, h int, rng *rand.Rand) *geo.Network {
	const lat0, lon0, step = 51.10, 71.35, 100.0
	dLat := step / 111320
	dLon := step / (111320 * math.Cos(lat0*math.Pi/180))
	id := func(x, y int) int64 { return int64(y*w + x + 1) }
	net := &geo.Network{Vertices: make([]geo.Vertex, 0, w*h), Edges: make([]geo.Edge, 0, 2*w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			net.Vertices = append(net.Vertices, geo.Vertex{ID: id(x, y), Pt: orb.Point{lon0 + float64(x)*dLon, lat0 + float64(y)*dLat}})
		}
	}
	type street struct {
		kmh     float64
		highway string
		oneway  int // 0 two-way, 1 forward (increasing index), -1 backward
	}
	newStreet := func() street {
		switch r := rng.Float64(); {
		case r < 0.1:
			return street{60, "primary", 0}
		case r < 0.3:
			return street{40, "secondary", 0}
		default:
			s := street{20 + 10*rng.Float64(), "residential", 0}
			if rng.Float64() < 0.3 {
				s.oneway = 1 - 2*rng.IntN(2)
			}
			return s
		}
	}
	add := func(a, b int64, st street) {
		pa, pb := net.Vertices[a-1].Pt, net.Vertices[b-1].Pt
		if st.oneway < 0 {
			a, b, pa, pb = b, a, pb, pa
		}
		l := geo.Haversine(pa, pb)
		kmh := st.kmh * (0.8 + 0.4*rng.Float64())
		net.Edges = append(net.Edges, geo.Edge{ID: int64(len(net.Edges) + 1), Source: a, Target: b, LengthM: l,
			CarSeconds: l / (kmh / 3.6), Car: true, Foot: true, Oneway: st.oneway != 0,
			Highway: st.highway, Geom: orb.LineString{pa, pb}})
	}
	for y := 0; y < h; y++ {
		st := newStreet()
		for x := 0; x+1 < w; x++ {
			add(id(x, y), id(x+1, y), st)
		}
	}
	for x := 0; x < w; x++ {
		st := newStreet()
		for y := 0; y+1 < h; y++ {
			add(id(x, y), id(x, y+1), st)
		}
	}
	return net
}
