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
