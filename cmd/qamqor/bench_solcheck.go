package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// An independent checker for the .sol files of bench vrptw: it shares no
// code with the routing package (its own parsers, its own simulation), so
// a bug in the solver's model, schedule or distance code cannot hide in
// both. bench vrptw runs it on every file it writes.

// solInstance is what the checker reads from a Solomon-format file.
type solInstance struct {
	vehicles int
	capacity float64
	// rows by customer number; number 0 is the depot.
	x, y, demand, ready, due, service map[int]float64
	depot                             int
}

func readSolInstance(path string) (*solInstance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in := &solInstance{x: map[int]float64{}, y: map[int]float64{}, demand: map[int]float64{},
		ready: map[int]float64{}, due: map[int]float64{}, service: map[int]float64{}, depot: -1}
	sc := bufio.NewScanner(f)
	section := ""
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "VEHICLE", "CUSTOMER", "NUMBER", "CUST":
			if up := strings.ToUpper(fields[0]); up == "VEHICLE" || up == "CUSTOMER" {
				section = up
			}
			continue
		}
		nums := make([]float64, len(fields))
		ok := true
		for i, fl := range fields {
			v, err := strconv.ParseFloat(fl, 64)
			if err != nil {
				ok = false
				break
			}
			nums[i] = v
		}
		if !ok {
			continue // the name line
		}
		switch {
		case section == "VEHICLE" && len(nums) == 2:
			in.vehicles, in.capacity = int(nums[0]), nums[1]
		case section == "CUSTOMER" && len(nums) == 7:
			c := int(nums[0])
			if in.depot < 0 {
				in.depot = c
			}
			in.x[c], in.y[c], in.demand[c] = nums[1], nums[2], nums[3]
			in.ready[c], in.due[c], in.service[c] = nums[4], nums[5], nums[6]
		default:
			return nil, fmt.Errorf("%s: unexpected line %q", path, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if in.depot < 0 || in.vehicles == 0 {
		return nil, fmt.Errorf("%s: no depot or no vehicles", path)
	}
	return in, nil
}

// checkSolFile re-reads a .sol file ("Route k: c1 c2 ...", "Cost X") and
// verifies it against the instance: every customer exactly once, at most
// the instance's vehicles, capacity, every time window (service may start
// at the latest at the customer's due time, waiting allowed) and the
// return to the depot by its due time. It recomputes the distance
// (Euclidean, double precision) and returns it; the file's Cost line must
// match it to its 2 decimals.
func checkSolFile(solPath string, in *solInstance) (float64, error) {
	f, err := os.Open(solPath)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seen := map[int]bool{}
	routes := 0
	total := 0.0
	cost := math.NaN()
	dist := func(a, b int) float64 { return math.Hypot(in.x[a]-in.x[b], in.y[a]-in.y[b]) }
	const eps = 1e-6
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if c, ok := strings.CutPrefix(line, "Cost "); ok {
			if cost, err = strconv.ParseFloat(strings.TrimSpace(c), 64); err != nil {
				return 0, fmt.Errorf("%s: bad cost line %q", solPath, line)
			}
			continue
		}
		_, rest, ok := strings.Cut(line, ":")
		if !strings.HasPrefix(line, "Route") || !ok {
			if line != "" {
				return 0, fmt.Errorf("%s: unexpected line %q", solPath, line)
			}
			continue
		}
		routes++
		prev, t, load := in.depot, in.ready[in.depot], 0.0
		for _, fl := range strings.Fields(rest) {
			c, err := strconv.Atoi(fl)
			if err != nil {
				return 0, fmt.Errorf("%s: bad customer %q", solPath, fl)
			}
			if _, ok := in.x[c]; !ok || c == in.depot {
				return 0, fmt.Errorf("%s: unknown customer %d", solPath, c)
			}
			if seen[c] {
				return 0, fmt.Errorf("%s: customer %d served twice", solPath, c)
			}
			seen[c] = true
			d := dist(prev, c)
			total += d
			t += d
			if t > in.due[c]+eps {
				return 0, fmt.Errorf("%s: route %d reaches customer %d at %.4f, after its due time %.0f", solPath, routes, c, t, in.due[c])
			}
			t = math.Max(t, in.ready[c]) + in.service[c]
			load += in.demand[c]
			prev = c
		}
		if load > in.capacity+eps {
			return 0, fmt.Errorf("%s: route %d carries %.0f, capacity %.0f", solPath, routes, load, in.capacity)
		}
		d := dist(prev, in.depot)
		total += d
		if t+d > in.due[in.depot]+eps {
			return 0, fmt.Errorf("%s: route %d returns at %.4f, after the depot closes at %.0f", solPath, routes, t+d, in.due[in.depot])
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if routes > in.vehicles {
		return 0, fmt.Errorf("%s: %d routes, the instance has %d vehicles", solPath, routes, in.vehicles)
	}
	if n := len(in.x) - 1; len(seen) != n {
		return 0, fmt.Errorf("%s: %d of %d customers served", solPath, len(seen), n)
	}
	if math.IsNaN(cost) {
		return 0, fmt.Errorf("%s: no Cost line", solPath)
	}
	if math.Abs(cost-total) > 0.005+1e-9 {
		return 0, fmt.Errorf("%s: Cost %.2f, the routes measure %.4f", solPath, cost, total)
	}
	return total, nil
}
