package routing

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
)

// scaledMatrix returns a DenseMatrix over the same locations as base whose
// durations are base's times a random factor in [lo, hi) per ordered pair
// (asymmetric), distances base's. With unreachable > 0 about one location
// in unreachable (other than location 0, the depot) has no road at all on
// this profile, like a park for cars: every pair to or from it is
// Unreachable.
func scaledMatrix(rng *rand.Rand, base Matrix, lo, hi float64, unreachable int) *DenseMatrix {
	n := base.Size()
	m := NewDenseMatrix(n)
	cut := make([]bool, n)
	for a := 1; a < n; a++ {
		cut[a] = unreachable > 0 && rng.IntN(unreachable) == 0
	}
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			if a != b && !cut[a] && !cut[b] {
				m.Set(a, b, base.Duration(a, b)*(lo+(hi-lo)*rng.Float64()), base.Distance(a, b))
			}
		}
	}
	return m
}

// TestBruteForceProfiles: two vehicles on different travel profiles (one
// slow, asymmetric and without roads to some jobs; on some instances
// neither vehicle uses Problem.Matrix). The solver must reach the exhaustive optimum, which
// evaluates each route with its vehicle's own matrix.
func TestBruteForceProfiles(t *testing.T) {
	instances := 40
	if testing.Short() {
		instances = 10
	}
	for k := 0; k < instances; k++ {
		seed := uint64(9000 + k)
		rng := rand.New(rand.NewPCG(seed, 13))
		n := 6 + k%3
		p := randomProblem(rng, n, 2)
		foot := scaledMatrix(rng, p.Matrix, 1.8, 2.2, 6)
		car := &EuclideanMatrix{Points: p.Matrix.(*EuclideanMatrix).Points, Speed: 2}
		p.Profiles = []Matrix{foot, car}
		p.Vehicles[1].Profile = 1
		if k%3 == 0 {
			p.Vehicles[0].Profile = 2
		}
		if k%4 == 1 {
			// Stretch the shifts so the slow profile still serves something.
			for v := range p.Vehicles {
				p.Vehicles[v].ShiftEnd = 800
			}
		}
		wantServed, wantTravel := bruteForce(p)
		s := solveChecked(t, p, Options{MaxIterations: 5000, Seed: int64(k)})
		if s.Served != wantServed || s.TravelTime > wantTravel+1e-6 {
			t.Errorf("instance seed %d (%d jobs): solver served %d travel %.4f, optimum served %d travel %.4f",
				seed, n, s.Served, s.TravelTime, wantServed, wantTravel)
		}
	}
}

// TestProfileAssignment: a job reachable only on foot goes to the foot
// team; a job too far to walk within the shift goes to the car.
func TestProfileAssignment(t *testing.T) {
	// Locations on a line: 0 depot, 1 park (x=100, no road), 2 village
	// (x=2000), 3 near (x=50).
	car := NewDenseMatrix(4)
	foot := NewDenseMatrix(4)
	xs := []float64{0, 100, 2000, 50}
	for a := range xs {
		for b := range xs {
			if a == b {
				continue
			}
			d := xs[a] - xs[b]
			if d < 0 {
				d = -d
			}
			foot.Set(a, b, d, d) // 1 m/s
			if a != 1 && b != 1 {
				car.Set(a, b, d/10, d) // 10 m/s, no road to the park
			}
		}
	}
	carV := Vehicle{ID: "car", ShiftEnd: 1000, Profile: 0}
	footV := Vehicle{ID: "foot", ShiftEnd: 1000, Profile: 1}
	park := Job{ID: "park", Location: 1, Service: 10}
	village := Job{ID: "village", Location: 2, Service: 10}
	near := Job{ID: "near", Location: 3, Service: 10}
	tests := []struct {
		name     string
		vehicles []Vehicle
		jobs     []Job
		want     map[string]string // job -> vehicle ("" = unassigned)
		reasons  map[string]Reason
	}{
		{"park on foot", []Vehicle{carV, footV}, []Job{park}, map[string]string{"park": "foot"}, nil},
		{"park on foot, listed first", []Vehicle{footV, carV}, []Job{park}, map[string]string{"park": "foot"}, nil},
		{"village by car", []Vehicle{footV, carV}, []Job{village}, map[string]string{"village": "car"}, nil},
		{"both", []Vehicle{carV, footV}, []Job{village, park, near}, map[string]string{"park": "foot", "village": "car"}, nil},
		{"park without a foot team", []Vehicle{carV}, []Job{park}, map[string]string{"park": ""}, map[string]Reason{"park": ReasonUnreachable}},
		{"village without a car", []Vehicle{footV}, []Job{village}, map[string]string{"village": ""}, map[string]Reason{"village": ReasonTimeWindow}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &Problem{Matrix: car, Profiles: []Matrix{foot}, Vehicles: tc.vehicles, Jobs: tc.jobs}
			s := solveChecked(t, p, Options{MaxIterations: 200})
			for job, want := range tc.want {
				got := ""
				for _, r := range s.Routes {
					for _, st := range r.Stops {
						if st.JobID == job {
							got = r.VehicleID
						}
					}
				}
				if got != want {
					t.Errorf("job %s on %q, want %q", job, got, want)
				}
			}
			for job, want := range tc.reasons {
				if got := reasonOf(s, job); got != want {
					t.Errorf("job %s reason %v, want %v", job, got, want)
				}
			}
			for _, r := range s.Routes {
				if r.VehicleID == "foot" && r.Stops[0].JobID == "park" && r.Stops[0].Arrival != 100 {
					t.Errorf("foot arrives at the park at %v, want 100 (foot matrix)", r.Stops[0].Arrival)
				}
			}
		})
	}
}

// TestCheckWrongProfile: Check re-simulates each route with its vehicle's
// own profile, so a schedule computed with another matrix is rejected.
func TestCheckWrongProfile(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 1))
	p := randomProblem(rng, 6, 2)
	for i := range p.Jobs {
		p.Jobs[i].Windows = nil
	}
	p.Vehicles[0].ShiftEnd, p.Vehicles[1].ShiftEnd = 10000, 10000
	slow := &EuclideanMatrix{Points: p.Matrix.(*EuclideanMatrix).Points, Speed: 0.5}
	p.Profiles = []Matrix{slow}
	p.Vehicles[1].Profile = 1
	s := solveChecked(t, p, Options{MaxIterations: 500})
	if len(s.Routes) == 0 {
		t.Fatal("no routes")
	}
	for _, r := range s.Routes {
		q := *p
		q.Vehicles = append([]Vehicle(nil), p.Vehicles...)
		for i := range q.Vehicles {
			if q.Vehicles[i].ID == r.VehicleID {
				q.Vehicles[i].Profile = 1 - q.Vehicles[i].Profile
			}
		}
		err := Check(&q, s)
		if err == nil {
			t.Errorf("Check accepted the route of %s computed with the other profile", r.VehicleID)
		} else {
			t.Logf("route of %s with the other profile: %v", r.VehicleID, err)
		}
	}
}

// TestValidateProfiles: bad profile indices and profile matrices of the
// wrong size are refused.
func TestValidateProfiles(t *testing.T) {
	base := func() *Problem {
		return &Problem{Matrix: lineMatrix(0, 10), Profiles: []Matrix{lineMatrix(0, 20)},
			Vehicles: []Vehicle{{ID: "A"}}, Jobs: []Job{{ID: "a", Location: 1}}}
	}
	tests := []struct {
		name string
		edit func(p *Problem)
		want string
	}{
		{"ok", func(p *Problem) { p.Vehicles[0].Profile = 1 }, ""},
		{"profile too high", func(p *Problem) { p.Vehicles[0].Profile = 2 }, "profile 2"},
		{"negative profile", func(p *Problem) { p.Vehicles[0].Profile = -1 }, "profile -1"},
		{"no profiles", func(p *Problem) { p.Profiles = nil; p.Vehicles[0].Profile = 1 }, "profile 1"},
		{"wrong size", func(p *Problem) { p.Profiles = []Matrix{lineMatrix(0, 10, 20)} }, "size 3"},
		{"nil profile", func(p *Problem) { p.Profiles = []Matrix{nil} }, "no matrix"},
		{"negative duration", func(p *Problem) {
			m := NewDenseMatrix(2)
			m.Set(0, 1, -1, 1)
			p.Profiles = []Matrix{m}
		}, "profile 1 matrix duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			tc.edit(p)
			err := p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestRandomRichProfiles: random problems with every feature and vehicles
// on three travel profiles (one shared by value with Matrix); every plan
// must pass Check, and the model keeps one duration table per distinct
// matrix.
func TestRandomRichProfiles(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 10
	}
	solved := 0
	for k := 0; k < n; k++ {
		seed := uint64(k)
		rng := rand.New(rand.NewPCG(seed, 17))
		p := richProblem(rng, 10+rng.IntN(30), 2+rng.IntN(4))
		p.Profiles = []Matrix{scaledMatrix(rng, p.Matrix, 1.5, 3, 30), p.Matrix, scaledMatrix(rng, p.Matrix, 0.3, 0.6, 0)}
		for v := range p.Vehicles {
			p.Vehicles[v].Profile = rng.IntN(4)
		}
		opt := Options{MaxIterations: 300, Seed: int64(k), PreferenceBonus: float64(rng.IntN(2)) * 5, BalanceWeight: float64(rng.IntN(2))}
		m, err := compile(p, opt)
		if err != nil {
			if !fixedPrefixBroken(p) {
				t.Errorf("seed %d: rejected a problem whose fixed prefixes are feasible: %v", seed, err)
			}
			continue
		}
		if fixedPrefixBroken(p) {
			t.Errorf("seed %d: accepted fixed prefixes that break their vehicle's limits", seed)
		}
		solved++
		distinct := map[*durations]bool{m.prof[0]: true}
		for v := range p.Vehicles {
			distinct[m.vd[v]] = true
			if (p.Vehicles[v].Profile == 0 || p.Vehicles[v].Profile == 2) && m.vd[v] != m.prof[0] {
				t.Errorf("seed %d: vehicle %d: profile %d does not share Matrix's table", seed, v, p.Vehicles[v].Profile)
			}
		}
		if len(distinct) != len(m.prof) {
			t.Errorf("seed %d: %d tables for %d distinct matrices", seed, len(m.prof), len(distinct))
		}
		s, err := Solve(context.Background(), p, opt)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := Check(p, s); err != nil {
			t.Errorf("seed %d: %v", seed, err)
		}
	}
	if solved < n*2/3 {
		t.Errorf("only %d of %d problems solved", solved, n)
	}
}

// TestGranularPathProfiles: the granular insertion (above 400 jobs) with a
// slow and a fast profile; every plan must pass Check.
func TestGranularPathProfiles(t *testing.T) {
	p := syntheticProblem(600, 40, 5)
	pts := p.Matrix.(*EuclideanMatrix).Points
	p.Profiles = []Matrix{&EuclideanMatrix{Points: pts, Speed: 0.8}, &EuclideanMatrix{Points: pts, Speed: 1.5}}
	for v := range p.Vehicles {
		p.Vehicles[v].Profile = v % 3
	}
	s := solveChecked(t, p, Options{MaxIterations: 300, Seed: 1})
	if s.Served < 500 {
		t.Errorf("served only %d of 600", s.Served)
	}
}

// TestMatrixPathProfiles: without flat copies (as above flatLimit
// locations) the solver reads each vehicle's Matrix directly; with a fixed
// seed and iteration count the plan is the same as with the copies.
func TestMatrixPathProfiles(t *testing.T) {
	for k := 0; k < 6; k++ {
		rng := rand.New(rand.NewPCG(uint64(k), 23))
		p := richProblem(rng, 30, 3)
		for v := range p.Vehicles {
			p.Vehicles[v].Fixed = nil
			p.Vehicles[v].Profile = v % 3
		}
		p.Profiles = []Matrix{scaledMatrix(rng, p.Matrix, 1.5, 2, 10), scaledMatrix(rng, p.Matrix, 0.4, 0.6, 0)}
		opt := Options{MaxIterations: 300, Seed: int64(k), BalanceWeight: float64(k % 2)}
		var plans [2]*Solution
		for x, flat := range []bool{true, false} {
			m, err := compile(p, opt)
			if err != nil {
				t.Fatal(err)
			}
			if !flat {
				for _, d := range m.prof {
					d.flat = nil
				}
			}
			s := newSearch(m, opt)
			s.initial()
			s.run(context.Background())
			plans[x] = s.extract()
			if err := Check(p, plans[x]); err != nil {
				t.Fatalf("seed %d flat %v: %v", k, flat, err)
			}
		}
		if plans[0].Served != plans[1].Served || plans[0].TravelTime != plans[1].TravelTime {
			t.Errorf("seed %d: flat plan served %d travel %v, matrix plan served %d travel %v",
				k, plans[0].Served, plans[0].TravelTime, plans[1].Served, plans[1].TravelTime)
		}
	}
}
