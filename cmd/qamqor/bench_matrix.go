package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
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
//	qamqor bench matrix [--graph FILE.osm.pbf] [--sizes 100,1000] [--seed N]
//
// on one core: for each size n it snaps n random points of the graph's
// bounding box to the main car component, times the n×n many-to-many
// contraction-hierarchy matrix, and checks 200 random pairs against plain
// Dijkstra. It prints the CSV header n,seconds,checked_pairs,mismatches,
// one row per size, then preprocessing time, one-to-one median latency and
// memory.
func runBenchMatrix(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("bench matrix", flag.ContinueOnError)
	graph := fs.String("graph", "testdata/osm/astana_roads_approx.osm.pbf", "OSM file (.osm.pbf or .osm)")
	sizesFlag := fs.String("sizes", "100,1000", "comma-separated matrix sizes")
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
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
	net, err := geo.ReadOSMFile(ctx, *graph, geo.ImportAll)
	if err != nil {
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
