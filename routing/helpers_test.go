package routing

import (
	"context"
	"math/rand/v2"
	"testing"
)

// solveChecked solves p and fails the test if Solve errors or Check
// rejects the solution.
func solveChecked(t testing.TB, p *Problem, opt Options) *Solution {
	t.Helper()
	if opt.MaxIterations == 0 && opt.TimeLimit == 0 {
		opt.MaxIterations = 2000
	}
	s, err := Solve(context.Background(), p, opt)
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	if err := Check(p, s); err != nil {
		t.Fatalf("Check: %v", err)
	}
	return s
}

// lineProblem puts location 0 (depot) and jobs on a line: job i at x=xs[i].
func lineMatrix(xs ...float64) *EuclideanMatrix {
	pts := make([]Point, len(xs))
	for i, x := range xs {
		pts[i] = Point{X: x}
	}
	return &EuclideanMatrix{Points: pts}
}

func routeOf(s *Solution, vehicle string) []string {
	for _, r := range s.Routes {
		if r.VehicleID == vehicle {
			ids := make([]string, len(r.Stops))
			for i, st := range r.Stops {
				ids[i] = st.JobID
			}
			return ids
		}
	}
	return nil
}

func reasonOf(s *Solution, job string) Reason {
	for _, u := range s.Unassigned {
		if u.JobID == job {
			return u.Reason
		}
	}
	return ReasonNone
}

// randomProblem makes a small random VRPTW with nJobs jobs and nVeh
// vehicles on a 100x100 square.
func randomProblem(rng *rand.Rand, nJobs, nVeh int) *Problem {
	pts := []Point{{50, 50}}
	for i := 0; i < nJobs; i++ {
		pts = append(pts, Point{rng.Float64() * 100, rng.Float64() * 100})
	}
	p := &Problem{Matrix: &EuclideanMatrix{Points: pts}}
	for v := 0; v < nVeh; v++ {
		p.Vehicles = append(p.Vehicles, Vehicle{
			ID: string(rune('A' + v)), Start: 0, End: 0, ShiftStart: 0, ShiftEnd: 400,
			Capacity: []int64{int64(10 + rng.IntN(10))},
		})
	}
	for i := 0; i < nJobs; i++ {
		j := Job{ID: string(rune('a' + i)), Location: i + 1, Service: 10, Demand: []int64{int64(1 + rng.IntN(6))}}
		if rng.IntN(3) > 0 {
			s := rng.Float64() * 300
			j.Windows = []TimeWindow{{s, s + 30 + rng.Float64()*120}}
		}
		p.Jobs = append(p.Jobs, j)
	}
	return p
}

// fixedPrefixBroken reports, independently of the solver, whether the
// Fixed jobs of some vehicle alone break what Solve enforces for them (the
// documented contract of Vehicle.Fixed): a missing skill, capacity, max
// stops, the shift end or max duration, with their time windows ignored.
// Solve must reject exactly these problems.
func fixedPrefixBroken(p *Problem) bool {
	anyCap := false
	for _, v := range p.Vehicles {
		if v.Capacity != nil {
			anyCap = true
		}
	}
	jobs := map[string]*Job{}
	for i := range p.Jobs {
		jobs[p.Jobs[i].ID] = &p.Jobs[i]
	}
	for vi := range p.Vehicles {
		v := &p.Vehicles[vi]
		if len(v.Fixed) == 0 {
			continue
		}
		mat := p.Matrix
		if v.Profile > 0 {
			mat = p.Profiles[v.Profile-1]
		}
		if v.MaxStops > 0 && len(v.Fixed) > v.MaxStops {
			return true
		}
		have := map[string]bool{}
		for _, s := range v.Skills {
			have[s] = true
		}
		load := map[int]int64{}
		t, at := v.ShiftStart, v.Start
		for _, id := range v.Fixed {
			j := jobs[id]
			for _, s := range j.Skills {
				if !have[s] {
					return true
				}
			}
			for d, q := range j.Demand {
				load[d] += q
			}
			t += mat.Duration(at, j.Location) + j.Service
			at = j.Location
		}
		if anyCap {
			for d, q := range load {
				c := int64(0)
				if d < len(v.Capacity) {
					c = v.Capacity[d]
				}
				if q > c {
					return true
				}
			}
		}
		if v.End != NoEnd {
			t += mat.Duration(at, v.End)
		}
		if v.ShiftEnd != 0 && !(t <= v.ShiftEnd) {
			return true
		}
		if v.MaxDuration > 0 && !(t-v.ShiftStart <= v.MaxDuration) {
			return true
		}
	}
	return false
}

// solveRich solves a random rich problem and checks the outcome: Solve
// errors exactly when the fixed prefixes alone are infeasible, and every
// plan passes Check and gives every unassigned job a reason. It reports
// whether a plan was made.
func solveRich(t *testing.T, seed uint64, p *Problem, opt Options) bool {
	t.Helper()
	broken := fixedPrefixBroken(p)
	s, err := Solve(context.Background(), p, opt)
	if err != nil {
		if !broken {
			t.Errorf("seed %d: Solve rejected a problem whose fixed prefixes are feasible: %v", seed, err)
		}
		return false
	}
	if broken {
		t.Errorf("seed %d: Solve accepted fixed prefixes that break their vehicle's limits", seed)
	}
	if err := Check(p, s); err != nil {
		t.Errorf("seed %d: %v", seed, err)
	}
	for _, u := range s.Unassigned {
		if u.Reason == ReasonNone {
			t.Errorf("seed %d: job %s without reason", seed, u.JobID)
		}
	}
	return true
}
