package routing

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TestParallelRich: with several threads every plan of the random rich
// problems (all features) passes Check.
func TestParallelRich(t *testing.T) {
	n := 30
	if testing.Short() {
		n = 8
	}
	solved := 0
	for k := 0; k < n; k++ {
		seed := uint64(k)
		rng := rand.New(rand.NewPCG(seed, 5))
		p := richProblem(rng, 10+rng.IntN(30), 2+rng.IntN(4))
		opt := Options{MaxIterations: 200, Seed: int64(k), Threads: 2 + k%2, PreferenceBonus: float64(rng.IntN(2)) * 5, BalanceWeight: float64(rng.IntN(2))}
		if solveRich(t, seed, p, opt) {
			solved++
		}
	}
	if solved < n*2/3 {
		t.Errorf("only %d of %d problems solved", solved, n)
	}
}

// TestParallelDecomposition exercises the route groups (600 jobs, several
// depots): every plan passes Check, serves the jobs the single-threaded
// search serves, and is deterministic with MaxIterations.
func TestParallelDecomposition(t *testing.T) {
	p := syntheticProblem(600, 40, 5)
	pts := p.Matrix.(*EuclideanMatrix).Points
	for i := 1; i < 4; i++ {
		pts = append(pts, Point{X: float64(250 * i), Y: float64(1000 - 250*i)})
	}
	p.Matrix = &EuclideanMatrix{Points: pts}
	for v := range p.Vehicles {
		if v%4 > 0 {
			p.Vehicles[v].Start = len(pts) - 4 + v%4
		}
	}
	one := solveChecked(t, p, Options{MaxIterations: 400, Seed: 3})
	a := solveChecked(t, p, Options{MaxIterations: 400, Seed: 3, Threads: 2})
	b := solveChecked(t, p, Options{MaxIterations: 400, Seed: 3, Threads: 2})
	if a.Distance != b.Distance || a.Served != b.Served {
		t.Errorf("not deterministic: %v/%d vs %v/%d", a.Distance, a.Served, b.Distance, b.Served)
	}
	if a.Served < one.Served {
		t.Errorf("2 threads served %d, 1 thread %d", a.Served, one.Served)
	}
	if a.Iterations != 800 {
		t.Errorf("iterations %d, want 2 x 400", a.Iterations)
	}
	t.Logf("1 thread %.0f, 2 threads %.0f", one.Distance, a.Distance)
}

// TestParallelCancel: a cancelled context ends a parallel solve with a
// feasible plan.
func TestParallelCancel(t *testing.T) {
	p := syntheticProblem(400, 30, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Solve(ctx, p, Options{MaxIterations: 100000, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p, s); err != nil {
		t.Fatal(err)
	}
}
