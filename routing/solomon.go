package routing

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SolomonInstance is a VRPTW instance in Solomon's text format: customer 0
// is the depot, whose time window is the shift of every vehicle.
type SolomonInstance struct {
	Name     string
	Vehicles int
	Capacity int64
	// Customers (index 0 = depot) with their file numbers.
	Numbers []int
	Points  []Point
	Demand  []int64
	Ready   []float64
	Due     []float64
	Service []float64
}

// ParseSolomon reads an instance in Solomon's format (CRLF or LF line
// endings): a name line, a VEHICLE section with NUMBER and CAPACITY, and a
// CUSTOMER section with rows "no x y demand ready due service".
func ParseSolomon(r io.Reader) (*SolomonInstance, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	in := &SolomonInstance{}
	state := 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		up := strings.ToUpper(line)
		switch {
		case in.Name == "":
			in.Name = line
			continue
		case strings.HasPrefix(up, "VEHICLE"):
			state = 1
			continue
		case strings.HasPrefix(up, "NUMBER"):
			continue
		case strings.HasPrefix(up, "CUSTOMER"):
			state = 2
			continue
		case strings.HasPrefix(up, "CUST"):
			continue
		}
		switch state {
		case 1:
			if len(f) != 2 {
				return nil, fmt.Errorf("solomon: bad vehicle line %q", line)
			}
			n, err1 := strconv.Atoi(f[0])
			c, err2 := strconv.ParseInt(f[1], 10, 64)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("solomon: bad vehicle line %q", line)
			}
			in.Vehicles, in.Capacity = n, c
		case 2:
			if len(f) != 7 {
				return nil, fmt.Errorf("solomon: bad customer line %q", line)
			}
			var v [7]float64
			for i := range f {
				x, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return nil, fmt.Errorf("solomon: bad number %q in %q", f[i], line)
				}
				v[i] = x
			}
			in.Numbers = append(in.Numbers, int(v[0]))
			in.Points = append(in.Points, Point{v[1], v[2]})
			in.Demand = append(in.Demand, int64(v[3]))
			in.Ready = append(in.Ready, v[4])
			in.Due = append(in.Due, v[5])
			in.Service = append(in.Service, v[6])
		default:
			return nil, fmt.Errorf("solomon: unexpected line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(in.Points) < 1 || in.Vehicles <= 0 {
		return nil, fmt.Errorf("solomon: no depot or no vehicles")
	}
	return in, nil
}

// ReadSolomon parses the Solomon file at path.
func ReadSolomon(path string) (*SolomonInstance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := ParseSolomon(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
}

// Problem converts the instance: location i is customer i, travel time
// equals Euclidean distance, every vehicle starts and ends at the depot
// within the depot's time window.
func (in *SolomonInstance) Problem() *Problem {
	p := &Problem{Matrix: &EuclideanMatrix{Points: in.Points}}
	for k := 0; k < in.Vehicles; k++ {
		p.Vehicles = append(p.Vehicles, Vehicle{
			ID: strconv.Itoa(k + 1), Start: 0, End: 0,
			ShiftStart: in.Ready[0], ShiftEnd: in.Due[0],
			Capacity: []int64{in.Capacity},
		})
	}
	for i := 1; i < len(in.Points); i++ {
		p.Jobs = append(p.Jobs, Job{
			ID: strconv.Itoa(in.Numbers[i]), Location: i, Service: in.Service[i],
			Windows: []TimeWindow{{in.Ready[i], in.Due[i]}},
			Demand:  []int64{in.Demand[i]},
		})
	}
	return p
}

// WriteSolomonSolution writes s in the common ".sol" format: one line per
// route "Route k: c1 c2 ..." with the customer numbers (depot omitted),
// then "Cost <distance>".
func WriteSolomonSolution(w io.Writer, s *Solution) error {
	k := 0
	for _, r := range s.Routes {
		if len(r.Stops) == 0 {
			continue
		}
		k++
		ids := make([]string, len(r.Stops))
		for i, st := range r.Stops {
			ids[i] = st.JobID
		}
		if _, err := fmt.Fprintf(w, "Route %d: %s\n", k, strings.Join(ids, " ")); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "Cost %.2f\n", s.Distance)
	return err
}

// ReadSolomonSolution reads the routes of a ".sol" file as lists of
// customer numbers.
func ReadSolomonSolution(r io.Reader) ([][]int, error) {
	var routes [][]int
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "Route") {
			continue
		}
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("sol: bad line %q", line)
		}
		var rt []int
		for _, f := range strings.Fields(rest) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, fmt.Errorf("sol: bad customer %q", f)
			}
			rt = append(rt, n)
		}
		routes = append(routes, rt)
	}
	return routes, sc.Err()
}

// SolomonRouteDistance sums the Euclidean lengths of routes given as
// customer numbers, each starting and ending at the depot.
func (in *SolomonInstance) SolomonRouteDistance(routes [][]int) (float64, error) {
	idx := map[int]int{}
	for i, n := range in.Numbers {
		idx[n] = i
	}
	d := func(a, b int) float64 {
		p, q := in.Points[a], in.Points[b]
		return math.Hypot(p.X-q.X, p.Y-q.Y)
	}
	total := 0.0
	for _, r := range routes {
		prev := 0
		for _, c := range r {
			i, ok := idx[c]
			if !ok || i == 0 {
				return 0, fmt.Errorf("sol: unknown customer %d", c)
			}
			total += d(prev, i)
			prev = i
		}
		total += d(prev, 0)
	}
	return total, nil
}

// BKS is a best-known solution: vehicles and distance.
type BKS struct {
	Vehicles int
	Distance float64
}

// ReadBKS reads a CSV with header columns instance,vehicles,distance (more
// columns are ignored).
func ReadBKS(r io.Reader) (map[string]BKS, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	out := map[string]BKS{}
	for i, rec := range recs {
		if i == 0 || len(rec) < 3 {
			continue
		}
		v, err1 := strconv.Atoi(strings.TrimSpace(rec[1]))
		d, err2 := strconv.ParseFloat(strings.TrimSpace(rec[2]), 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("bks: bad row %d: %v", i+1, rec)
		}
		out[strings.TrimSpace(rec[0])] = BKS{v, d}
	}
	return out, nil
}

// BenchConfig configures RunBench.
type BenchConfig struct {
	TimeLimit time.Duration
	Seed      int64
	BKS       map[string]BKS
	RoutesOut string // directory for <instance>.sol files, "" for none
	Threads   int    // Options.Threads (0 or 1: one)
}

// BenchResult is the outcome on one instance.
type BenchResult struct {
	Instance string
	Vehicles int
	Distance float64
	Seconds  float64
	Feasible bool
	Gap      float64 // percent vs BKS; NaN without BKS
}

// SolomonFamily returns C1, C2, R1, R2, RC1 or RC2 for a Solomon instance
// name such as "RC204", or "" if the name does not look like one.
func SolomonFamily(name string) string {
	n := strings.ToUpper(name)
	for _, pre := range []string{"RC", "C", "R"} {
		if strings.HasPrefix(n, pre) && len(n) > len(pre) {
			d := n[len(pre)]
			if d >= '0' && d <= '9' {
				return pre + string(d)
			}
		}
	}
	return ""
}

// RunBench solves each file in turn (cfg.Threads threads each) and writes the CSV
// report to w: a header "instance,vehicles,distance,seconds,feasible,gap_pct",
// one row per instance, then "summary,<family>,<instances>,<mean vehicles>,
// <mean distance>,<mean seconds>,<all feasible>,<mean gap_pct>" rows per
// family and one with family "all".
func RunBench(ctx context.Context, w io.Writer, files []string, cfg BenchConfig) ([]BenchResult, error) {
	fmt.Fprintln(w, "instance,vehicles,distance,seconds,feasible,gap_pct")
	var res []BenchResult
	for _, f := range files {
		in, err := ReadSolomon(f)
		if err != nil {
			return res, err
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		p := in.Problem()
		start := time.Now()
		sol, err := Solve(ctx, p, Options{TimeLimit: cfg.TimeLimit, Seed: cfg.Seed, Threads: cfg.Threads})
		if err != nil {
			return res, fmt.Errorf("%s: %w", f, err)
		}
		secs := time.Since(start).Seconds()
		r := BenchResult{Instance: name, Vehicles: len(sol.Routes), Distance: sol.Distance, Seconds: secs, Gap: math.NaN()}
		r.Feasible = Check(p, sol) == nil && len(sol.Unassigned) == 0
		if b, ok := cfg.BKS[name]; ok && b.Distance > 0 {
			r.Gap = 100 * (sol.Distance - b.Distance) / b.Distance
		}
		if cfg.RoutesOut != "" {
			if err := os.MkdirAll(cfg.RoutesOut, 0o755); err != nil {
				return res, err
			}
			out, err := os.Create(filepath.Join(cfg.RoutesOut, name+".sol"))
			if err != nil {
				return res, err
			}
			werr := WriteSolomonSolution(out, sol)
			if cerr := out.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return res, werr
			}
		}
		gap := ""
		if !math.IsNaN(r.Gap) {
			gap = fmt.Sprintf("%.2f", r.Gap)
		}
		fmt.Fprintf(w, "%s,%d,%.2f,%.3f,%t,%s\n", r.Instance, r.Vehicles, r.Distance, r.Seconds, r.Feasible, gap)
		res = append(res, r)
		if ctx.Err() != nil {
			break
		}
	}
	writeSummary(w, res)
	return res, nil
}

func writeSummary(w io.Writer, res []BenchResult) {
	groups := map[string][]BenchResult{}
	var fams []string
	for _, r := range res {
		f := SolomonFamily(r.Instance)
		if f == "" {
			f = "other"
		}
		if _, ok := groups[f]; !ok {
			fams = append(fams, f)
		}
		groups[f] = append(groups[f], r)
	}
	order := map[string]int{"C1": 0, "C2": 1, "R1": 2, "R2": 3, "RC1": 4, "RC2": 5, "other": 6}
	sort.Slice(fams, func(a, b int) bool { return order[fams[a]] < order[fams[b]] })
	line := func(name string, rs []BenchResult) {
		var veh, dist, secs, gap float64
		feas := true
		ng := 0
		for _, r := range rs {
			veh += float64(r.Vehicles)
			dist += r.Distance
			secs += r.Seconds
			feas = feas && r.Feasible
			if !math.IsNaN(r.Gap) {
				gap += r.Gap
				ng++
			}
		}
		n := float64(len(rs))
		g := ""
		if ng > 0 {
			g = fmt.Sprintf("%.2f", gap/float64(ng))
		}
		fmt.Fprintf(w, "summary,%s,%d,%.2f,%.2f,%.3f,%t,%s\n", name, len(rs), veh/n, dist/n, secs/n, feas, g)
	}
	for _, f := range fams {
		line(f, groups[f])
	}
	if len(res) > 0 {
		line("all", res)
	}
}
