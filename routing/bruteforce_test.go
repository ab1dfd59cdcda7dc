package routing

import (
	"math"
	"math/rand/v2"
	"testing"
)

// bruteForce returns the optimum (max jobs served, then min travel time)
// by exhaustive enumeration: for every vehicle and job subset the best
// feasible order over all permutations, then every disjoint combination.
// It supports what randomProblem generates: one window per job, one
// capacity dimension, closed routes; each route is evaluated with its
// vehicle's travel profile (Vehicle.Profile).
func bruteForce(p *Problem) (served int, travel float64) {
	w, t := bruteForceWeighted(p)
	return int(w), t
}

// bruteForceWeighted is bruteForce with priorities: it maximises the sum
// of (n+1)^priority over served jobs (the solver's lexicographic order),
// and supports several windows per job and open routes.
func bruteForceWeighted(p *Problem) (score float64, travel float64) {
	n := len(p.Jobs)
	nS := 1 << n
	simulate := func(v *Vehicle, order []int) float64 {
		mat := p.matrixOf(v)
		t, loc := v.ShiftStart, v.Start
		var load int64
		travel := 0.0
		for _, ji := range order {
			j := &p.Jobs[ji]
			d := mat.Duration(loc, j.Location)
			travel += d
			t += d
			if len(j.Windows) > 0 {
				ok := false
				for _, w := range j.Windows {
					if t <= w.End {
						t = math.Max(t, w.Start)
						ok = true
						break
					}
				}
				if !ok {
					return math.Inf(1)
				}
			}
			t += j.Service
			load += j.Demand[0]
			loc = j.Location
		}
		d := 0.0
		if v.End != NoEnd {
			d = mat.Duration(loc, v.End)
		}
		if t+d > v.ShiftEnd || load > v.Capacity[0] {
			return math.Inf(1)
		}
		return travel + d
	}
	best := make([][]float64, len(p.Vehicles))
	for vi := range p.Vehicles {
		best[vi] = make([]float64, nS)
		for mask := 1; mask < nS; mask++ {
			var jobs []int
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					jobs = append(jobs, i)
				}
			}
			b := math.Inf(1)
			permute(jobs, 0, func(o []int) {
				if c := simulate(&p.Vehicles[vi], o); c < b {
					b = c
				}
			})
			best[vi][mask] = b
		}
	}
	if len(p.Vehicles) != 2 {
		panic("bruteForce supports 2 vehicles")
	}
	weight := make([]float64, nS)
	for mask := 0; mask < nS; mask++ {
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				weight[mask] += math.Pow(float64(n+1), float64(min(p.Jobs[i].Priority, maxPriority)))
			}
		}
	}
	score, travel = 0, 0
	for m1 := 0; m1 < nS; m1++ {
		rest := (nS - 1) &^ m1
		for m2 := rest; ; m2 = (m2 - 1) & rest {
			c := best[0][m1] + best[1][m2]
			k := weight[m1|m2]
			if c < math.Inf(1) && (k > score || (k == score && c < travel)) {
				score, travel = k, c
			}
			if m2 == 0 {
				break
			}
		}
	}
	return score, travel
}

func permute(a []int, k int, f func([]int)) {
	if k == len(a) {
		f(a)
		return
	}
	for i := k; i < len(a); i++ {
		a[k], a[i] = a[i], a[k]
		permute(a, k+1, f)
		a[k], a[i] = a[i], a[k]
	}
}

// TestBruteForceOptimum compares the solver with exhaustive enumeration on
// random instances of 6-8 jobs and 2 vehicles: it must find the optimum.
func TestBruteForceOptimum(t *testing.T) {
	instances := 40
	if testing.Short() {
		instances = 10
	}
	for k := 0; k < instances; k++ {
		seed := uint64(1000 + k)
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 6 + k%3
		p := randomProblem(rng, n, 2)
		wantServed, wantTravel := bruteForce(p)
		s := solveChecked(t, p, Options{MaxIterations: 5000, Seed: int64(k)})
		if s.Served != wantServed || s.TravelTime > wantTravel+1e-6 {
			t.Errorf("instance seed %d (%d jobs): solver served %d travel %.4f, optimum served %d travel %.4f",
				seed, n, s.Served, s.TravelTime, wantServed, wantTravel)
		} else {
			t.Logf("instance seed %d (%d jobs): optimum served %d travel %.4f reached", seed, n, wantServed, wantTravel)
		}
	}
}

// TestBruteForcePriorities: random instances with tight capacity, job
// priorities, two windows on some jobs and an open route; the solver must
// reach the exhaustive optimum of the lexicographic objective.
func TestBruteForcePriorities(t *testing.T) {
	instances := 30
	if testing.Short() {
		instances = 8
	}
	for k := 0; k < instances; k++ {
		seed := uint64(5000 + k)
		rng := rand.New(rand.NewPCG(seed, 11))
		n := 6 + k%2
		p := randomProblem(rng, n, 2)
		p.Vehicles[1].End = NoEnd
		for i := range p.Jobs {
			p.Jobs[i].Priority = rng.IntN(3)
			p.Jobs[i].Demand[0] += 2 // capacity is short: priorities decide
			if i%3 == 0 {
				s := rng.Float64() * 150
				p.Jobs[i].Windows = []TimeWindow{{s, s + 20}, {s + 150, s + 200}}
			}
		}
		wantScore, wantTravel := bruteForceWeighted(p)
		s := solveChecked(t, p, Options{MaxIterations: 5000, Seed: int64(k)})
		score := 0.0
		for _, r := range s.Routes {
			for _, st := range r.Stops {
				for _, j := range p.Jobs {
					if j.ID == st.JobID {
						score += math.Pow(float64(n+1), float64(j.Priority))
					}
				}
			}
		}
		if score != wantScore || s.TravelTime > wantTravel+1e-6 {
			t.Errorf("instance seed %d (%d jobs): solver score %v travel %.4f, optimum score %v travel %.4f",
				seed, n, score, s.TravelTime, wantScore, wantTravel)
		} else {
			t.Logf("instance seed %d (%d jobs): optimum score %v travel %.4f reached (%d unassigned)", seed, n, wantScore, wantTravel, len(s.Unassigned))
		}
	}
}
