package routing

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// bruteForce returns the optimum (max jobs served, then min travel time)
// by exhaustive enumeration: for every vehicle and job subset the best
// feasible order over all permutations, then every disjoint combination.
// It supports what randomProblem generates: one window per job, one
// capacity dimension, closed routes.
func bruteForce(p *Problem) (served int, travel float64) {
	n := len(p.Jobs)
	nS := 1 << n
	simulate := func(v *Vehicle, order []int) float64 {
		t, loc := v.ShiftStart, v.Start
		var load int64
		travel := 0.0
		for _, ji := range order {
			j := &p.Jobs[ji]
			d := p.Matrix.Duration(loc, j.Location)
			travel += d
			t += d
			if len(j.Windows) > 0 {
				if t > j.Windows[0].End {
					return math.Inf(1)
				}
				t = math.Max(t, j.Windows[0].Start)
			}
			t += j.Service
			load += j.Demand[0]
			loc = j.Location
		}
		d := p.Matrix.Duration(loc, v.End)
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
	served, travel = 0, 0
	for m1 := 0; m1 < nS; m1++ {
		rest := (nS - 1) &^ m1
		for m2 := rest; ; m2 = (m2 - 1) & rest {
			c := best[0][m1] + best[1][m2]
			k := bits.OnesCount(uint(m1 | m2))
			if c < math.Inf(1) && (k > served || (k == served && c < travel)) {
				served, travel = k, c
			}
			if m2 == 0 {
				break
			}
		}
	}
	return served, travel
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
		s := solveChecked(t, p, Options{MaxIterations: 3000, Seed: int64(k)})
		if s.Served != wantServed || s.TravelTime > wantTravel+1e-6 {
			t.Errorf("instance seed %d (%d jobs): solver served %d travel %.4f, optimum served %d travel %.4f",
				seed, n, s.Served, s.TravelTime, wantServed, wantTravel)
		} else {
			t.Logf("instance seed %d (%d jobs): optimum served %d travel %.4f reached", seed, n, wantServed, wantTravel)
		}
	}
}
