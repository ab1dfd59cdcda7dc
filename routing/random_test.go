package routing

import (
	"math/rand/v2"
	"testing"
)

// richProblem is a random problem using every feature: several capacity
// dimensions, skills, open routes, shifts, max stops and durations, fixed
// prefixes, multiple time windows, priorities and preferences, and a few
// unreachable pairs.
func richProblem(rng *rand.Rand, nJobs, nVeh int) *Problem {
	nLoc := nJobs + 3
	m := NewDenseMatrix(nLoc)
	pts := make([]Point, nLoc)
	for i := range pts {
		pts[i] = Point{rng.Float64() * 100, rng.Float64() * 100}
	}
	e := &EuclideanMatrix{Points: pts}
	for a := 0; a < nLoc; a++ {
		for b := 0; b < nLoc; b++ {
			if a != b {
				d := e.Distance(a, b)
				if rng.IntN(60) == 0 {
					m.Set(a, b, Unreachable, Unreachable)
				} else {
					m.Set(a, b, d*(1+0.2*rng.Float64()), d) // asymmetric durations
				}
			}
		}
	}
	p := &Problem{Matrix: m}
	skills := []string{"medic", "ru", "kk"}
	for i := 0; i < nJobs; i++ {
		j := Job{ID: "j" + itoa(i), Location: 3 + i, Service: float64(5 + rng.IntN(20)),
			Demand: []int64{int64(rng.IntN(4)), int64(rng.IntN(2))}, Priority: rng.IntN(3)}
		switch rng.IntN(4) {
		case 0:
			s := rng.Float64() * 400
			j.Windows = []TimeWindow{{s, s + 60}}
		case 1:
			s := rng.Float64() * 200
			j.Windows = []TimeWindow{{s, s + 30}, {s + 200, s + 260}}
		}
		if rng.IntN(4) == 0 {
			j.Skills = []string{skills[rng.IntN(3)]}
		}
		if rng.IntN(3) == 0 {
			j.Preferred = []string{"v" + itoa(rng.IntN(nVeh))}
		}
		p.Jobs = append(p.Jobs, j)
	}
	next := 0
	for v := 0; v < nVeh; v++ {
		veh := Vehicle{ID: "v" + itoa(v), Start: rng.IntN(3), End: rng.IntN(3), ShiftStart: float64(rng.IntN(50)),
			ShiftEnd: 500 + float64(rng.IntN(300)), Capacity: []int64{int64(8 + rng.IntN(10)), int64(2 + rng.IntN(3))},
			Skills: []string{skills[rng.IntN(3)], skills[rng.IntN(3)]}}
		if rng.IntN(3) == 0 {
			veh.End = NoEnd
		}
		if rng.IntN(3) == 0 {
			veh.MaxStops = 2 + rng.IntN(4)
		}
		if rng.IntN(3) == 0 {
			veh.MaxDuration = 250 + float64(rng.IntN(200))
		}
		if rng.IntN(3) == 0 && next < nJobs {
			j := &p.Jobs[next]
			next++
			j.Skills = nil
			j.Demand = []int64{1, 0}
			veh.Fixed = []string{j.ID}
		}
		p.Vehicles = append(p.Vehicles, veh)
	}
	return p
}

// TestRandomRichProblems runs the solver on random problems with every
// feature and verifies every plan with Check. Solve may reject a problem
// only when its fixed prefixes alone are infeasible (checked independently
// by fixedPrefixBroken), and must solve the others.
func TestRandomRichProblems(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 15
	}
	solved := 0
	for k := 0; k < n; k++ {
		seed := uint64(k)
		rng := rand.New(rand.NewPCG(seed, 3))
		p := richProblem(rng, 10+rng.IntN(30), 2+rng.IntN(4))
		opt := Options{MaxIterations: 300, Seed: int64(k), PreferenceBonus: float64(rng.IntN(2)) * 5, BalanceWeight: float64(rng.IntN(2))}
		if solveRich(t, seed, p, opt) {
			solved++
		}
	}
	// Most random problems have feasible fixed prefixes: a solver that
	// rejected everything must not pass.
	if solved < n*2/3 {
		t.Errorf("only %d of %d problems solved", solved, n)
	}
}

// TestGranularPath exercises the granular insertion used above 400 jobs.
func TestGranularPath(t *testing.T) {
	p := syntheticProblem(600, 40, 5)
	s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
	if s.Served < 550 {
		t.Errorf("served only %d of 600", s.Served)
	}
}

func TestNoVehicles(t *testing.T) {
	p := &Problem{Matrix: lineMatrix(0, 1), Jobs: []Job{{ID: "a", Location: 1}}}
	s := solveChecked(t, p, Options{})
	if len(s.Unassigned) != 1 || s.Unassigned[0].Reason != ReasonNotEnoughVehicles {
		t.Errorf("%v", s.Unassigned)
	}
}

func TestFixedWindowNotEnforced(t *testing.T) {
	p := &Problem{Matrix: lineMatrix(0, 10, 20),
		Vehicles: []Vehicle{{ID: "A", ShiftStart: 500, ShiftEnd: 1000, Fixed: []string{"done"}}},
		Jobs: []Job{
			{ID: "done", Location: 1, Windows: []TimeWindow{{0, 10}}},
			{ID: "new", Location: 2},
		}}
	s := solveChecked(t, p, Options{})
	if got := routeOf(s, "A"); len(got) != 2 || got[0] != "done" {
		t.Errorf("route %v", got)
	}
}
