package routing

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// syntheticProblem is a random VRPTW on a 1000x1000 square (durations =
// Euclidean distances, computed on demand: memory stays linear in n)
// with a central depot, an 8-hour-like horizon, time windows on two thirds
// of the jobs and capacities that leave about 30% slack.
func syntheticProblem(n, vehicles int, seed uint64) *Problem {
	rng := rand.New(rand.NewPCG(seed, 99))
	pts := []Point{{500, 500}}
	for i := 0; i < n; i++ {
		pts = append(pts, Point{rng.Float64() * 1000, rng.Float64() * 1000})
	}
	p := &Problem{Matrix: &EuclideanMatrix{Points: pts}}
	var total int64
	for i := 0; i < n; i++ {
		j := Job{ID: "j" + itoa(i), Location: i + 1, Service: 30, Demand: []int64{int64(1 + rng.IntN(10))}}
		total += j.Demand[0]
		if rng.IntN(3) > 0 {
			s := rng.Float64() * 6000
			j.Windows = []TimeWindow{{s, s + 1000 + rng.Float64()*2000}}
		}
		p.Jobs = append(p.Jobs, j)
	}
	capacity := total * 13 / 10 / int64(vehicles)
	for v := 0; v < vehicles; v++ {
		p.Vehicles = append(p.Vehicles, Vehicle{ID: "v" + itoa(v), Start: 0, End: 0, ShiftStart: 0, ShiftEnd: 10000, Capacity: []int64{capacity}})
	}
	return p
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func benchLarge(b *testing.B, n, vehicles int, limit time.Duration) {
	p := syntheticProblem(n, vehicles, 1)
	for _, mode := range []struct {
		name string
		opt  Options
	}{
		{"construct", Options{MaxIterations: 1, Seed: 1}},
		{"solve", Options{TimeLimit: limit, Seed: 1}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			var s *Solution
			for i := 0; i < b.N; i++ {
				var err error
				s, err = Solve(context.Background(), p, mode.opt)
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := Check(p, s); err != nil {
				b.Fatalf("infeasible plan: %v", err)
			}
			b.ReportMetric(float64(s.Served), "served")
			b.ReportMetric(float64(len(s.Unassigned)), "unassigned")
			b.ReportMetric(float64(len(s.Routes)), "routes")
			b.ReportMetric(s.Distance, "distance")
			b.ReportMetric(float64(s.Iterations), "iterations")
		})
	}
}

// BenchmarkLarge1000 solves 1,000 jobs with 60 vehicles within 5 s.
func BenchmarkLarge1000(b *testing.B) { benchLarge(b, 1000, 60, 5*time.Second) }

// BenchmarkLarge5000 solves 5,000 jobs with 300 vehicles within 60 s.
func BenchmarkLarge5000(b *testing.B) { benchLarge(b, 5000, 300, 60*time.Second) }

// BenchmarkSolomon runs a fixed number of iterations on two instances.
func BenchmarkSolomon(b *testing.B) {
	for _, name := range []string{"R101", "RC208"} {
		in, err := ReadSolomon("../testdata/solomon/" + name + ".txt")
		if err != nil {
			b.Fatal(err)
		}
		p := in.Problem()
		b.Run(name, func(b *testing.B) {
			var s *Solution
			for i := 0; i < b.N; i++ {
				var err error
				s, err = Solve(context.Background(), p, Options{MaxIterations: 2000, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := Check(p, s); err != nil {
				b.Fatalf("infeasible plan: %v", err)
			}
			if len(s.Unassigned) > 0 {
				b.Fatalf("%d customers unassigned", len(s.Unassigned))
			}
			b.ReportMetric(s.Distance, "distance")
		})
	}
}

// BenchmarkInsertCost measures the O(1) insertion test.
func BenchmarkInsertCost(b *testing.B) {
	in, _ := ReadSolomon("../testdata/solomon/R201.txt")
	m, _ := compile(in.Problem(), Options{})
	s := newSearch(m, Options{})
	s.initial()
	r := &s.routes[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = m.insertCost(r, int32(i%m.nJ), i%(len(r.jobs)+1))
	}
}
