package routing

import (
	"context"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

func veh(id string, capacity ...int64) Vehicle {
	return Vehicle{ID: id, Start: 0, End: 0, ShiftStart: 0, ShiftEnd: 10000, Capacity: capacity}
}

func job(id string, loc int, demand ...int64) Job {
	return Job{ID: id, Location: loc, Service: 1, Demand: demand}
}

func TestConstraints(t *testing.T) {
	line := lineMatrix(0, 10, 20, 30, 40, 50, 60)
	tests := []struct {
		name string
		p    *Problem
		opt  Options
		test func(t *testing.T, s *Solution)
	}{
		{
			name: "capacity: second job does not fit",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A", 10)},
				Jobs: []Job{job("a", 1, 6), job("b", 2, 6), job("big", 3, 11)}},
			test: func(t *testing.T, s *Solution) {
				if s.Served != 1 || len(s.Unassigned) != 2 {
					t.Fatalf("served %d, unassigned %v", s.Served, s.Unassigned)
				}
				if r := reasonOf(s, "big"); r != ReasonCapacity {
					t.Errorf("big: reason %v, want capacity", r)
				}
				for _, u := range s.Unassigned {
					if u.Reason != ReasonCapacity {
						t.Errorf("%s: reason %v, want capacity", u.JobID, u.Reason)
					}
				}
			},
		},
		{
			name: "capacity: multiple dimensions",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A", 10, 2)},
				Jobs: []Job{job("a", 1, 1, 1), job("b", 2, 1, 1), job("c", 3, 1, 1)}},
			test: func(t *testing.T, s *Solution) {
				if s.Served != 2 || reasonOf(s, "a")+reasonOf(s, "b")+reasonOf(s, "c") != ReasonCapacity {
					t.Fatalf("served %d, unassigned %v", s.Served, s.Unassigned)
				}
			},
		},
		{
			name: "time windows: wait for window, impossible window",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A")},
				Jobs: []Job{
					{ID: "late", Location: 1, Service: 5, Windows: []TimeWindow{{100, 120}}},
					{ID: "never", Location: 6, Service: 5, Windows: []TimeWindow{{0, 50}}},
				}},
			test: func(t *testing.T, s *Solution) {
				if reasonOf(s, "never") != ReasonTimeWindow {
					t.Errorf("never: %v", s.Unassigned)
				}
				st := s.Routes[0].Stops[0]
				if st.JobID != "late" || st.Start != 100 || s.Routes[0].Depart != 90 {
					t.Errorf("late: stop %+v depart %v", st, s.Routes[0].Depart)
				}
			},
		},
		{
			name: "time windows: multiple windows per job",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A")},
				Jobs: []Job{{ID: "m", Location: 5, Service: 1, Windows: []TimeWindow{{0, 10}, {100, 110}, {200, 210}}}}},
			test: func(t *testing.T, s *Solution) {
				if st := s.Routes[0].Stops[0]; st.Start != 100 {
					t.Errorf("start %v, want 100 (second window)", st.Start)
				}
			},
		},
		{
			name: "skills",
			p: &Problem{Matrix: line,
				Vehicles: []Vehicle{veh("A"), {ID: "B", ShiftEnd: 10000, Skills: []string{"medic", "ru"}}},
				Jobs: []Job{
					{ID: "a", Location: 1, Skills: []string{"medic"}},
					{ID: "b", Location: 2, Skills: []string{"boat"}},
				}},
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "B"); !reflect.DeepEqual(got, []string{"a"}) {
					t.Errorf("B route %v", got)
				}
				if reasonOf(s, "b") != ReasonSkills {
					t.Errorf("b: %v", s.Unassigned)
				}
			},
		},
		{
			name: "shifts",
			p: &Problem{Matrix: line,
				Vehicles: []Vehicle{
					{ID: "short", ShiftStart: 100, ShiftEnd: 200},
					{ID: "long", ShiftStart: 0, ShiftEnd: 1000},
				},
				Jobs: []Job{{ID: "far", Location: 6, Service: 10}, {ID: "near", Location: 1, Service: 10}}},
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "long"); len(got) == 0 || got[len(got)-1] != "far" && got[0] != "far" {
					t.Errorf("far must go to long shift: %v / %v", routeOf(s, "short"), got)
				}
				for _, r := range s.Routes {
					if r.VehicleID == "short" && (r.Depart < 100 || r.Return > 200) {
						t.Errorf("short outside shift: %+v", r)
					}
				}
			},
		},
		{
			name: "shift too short for a job",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", ShiftStart: 0, ShiftEnd: 100}},
				Jobs: []Job{{ID: "far", Location: 6, Service: 10}}},
			test: func(t *testing.T, s *Solution) {
				if reasonOf(s, "far") != ReasonTimeWindow {
					t.Errorf("%v", s.Unassigned)
				}
			},
		},
		{
			name: "max stops",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", ShiftEnd: 1000, MaxStops: 2}},
				Jobs: []Job{job("a", 1), job("b", 2), job("c", 3)}},
			test: func(t *testing.T, s *Solution) {
				if s.Served != 2 || len(s.Unassigned) != 1 || s.Unassigned[0].Reason != ReasonMaxStops {
					t.Errorf("served %d unassigned %v", s.Served, s.Unassigned)
				}
			},
		},
		{
			name: "max duration",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", ShiftEnd: 1000, MaxDuration: 50}},
				Jobs: []Job{job("near", 1), job("far", 6)}},
			test: func(t *testing.T, s *Solution) {
				if reasonOf(s, "far") != ReasonMaxDuration || s.Served != 1 {
					t.Errorf("served %d unassigned %v", s.Served, s.Unassigned)
				}
			},
		},
		{
			name: "open route ends at last stop",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", Start: 0, End: NoEnd, ShiftEnd: 1000}},
				Jobs: []Job{job("a", 3), job("b", 6)}},
			test: func(t *testing.T, s *Solution) {
				r := s.Routes[0]
				if r.Distance != 60 || r.Return != 62 {
					t.Errorf("open route distance %v return %v", r.Distance, r.Return)
				}
			},
		},
		{
			name: "priority: urgent served before normal when capacity is short",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A", 5)},
				Jobs: []Job{
					{ID: "normal1", Location: 1, Demand: []int64{2}},
					{ID: "normal2", Location: 1, Demand: []int64{2}},
					{ID: "urgent", Location: 6, Demand: []int64{5}, Priority: PriorityUrgent},
				}},
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "A"); !reflect.DeepEqual(got, []string{"urgent"}) {
					t.Errorf("route %v, want [urgent]", got)
				}
			},
		},
		{
			name: "priority: one high beats two normal",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A", 4)},
				Jobs: []Job{
					{ID: "n1", Location: 1, Demand: []int64{2}},
					{ID: "n2", Location: 2, Demand: []int64{2}},
					{ID: "h", Location: 6, Demand: []int64{3}, Priority: PriorityHigh},
				}},
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "A"); len(got) != 1 || got[0] != "h" {
					t.Errorf("route %v", got)
				}
			},
		},
		{
			name: "locked stops stay first in order; urgent job inserted into live route",
			p: &Problem{Matrix: line,
				Vehicles: []Vehicle{{ID: "A", ShiftEnd: 1000, Capacity: []int64{3}, Fixed: []string{"far", "near"}}},
				Jobs: []Job{
					job("near", 1, 1), job("far", 6, 1), job("mid", 3, 1),
					{ID: "urgent", Location: 4, Demand: []int64{1}, Priority: PriorityUrgent, Windows: []TimeWindow{{0, 500}}},
				}},
			test: func(t *testing.T, s *Solution) {
				got := routeOf(s, "A")
				if len(got) != 3 || got[0] != "far" || got[1] != "near" || got[2] != "urgent" {
					t.Errorf("route %v, want [far near urgent]", got)
				}
				if reasonOf(s, "mid") != ReasonCapacity {
					t.Errorf("mid: %v", s.Unassigned)
				}
			},
		},
		{
			name: "unreachable location and pairs",
			p: func() *Problem {
				m := NewDenseMatrix(4)
				for i := 0; i < 4; i++ {
					for j := 0; j < 4; j++ {
						if i != j {
							m.Set(i, j, 10, 10)
						}
					}
				}
				m.Set(1, 2, Unreachable, Unreachable) // a -> b impossible, b -> a fine
				m.Set(0, 3, Unreachable, Unreachable) // depot cannot reach c
				return &Problem{Matrix: m, Vehicles: []Vehicle{{ID: "A", ShiftEnd: 1000}},
					Jobs: []Job{job("a", 1), job("b", 2), job("c", 3)}}
			}(),
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "A"); !reflect.DeepEqual(got, []string{"b", "a"}) {
					t.Errorf("route %v, want [b a]", got)
				}
				if reasonOf(s, "c") != ReasonUnreachable {
					t.Errorf("c: %v", s.Unassigned)
				}
			},
		},
		{
			name: "not enough vehicles",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", ShiftEnd: 1000}},
				Jobs: []Job{
					{ID: "x", Location: 6, Windows: []TimeWindow{{60, 60}}},
					{ID: "y", Location: 5, Windows: []TimeWindow{{60, 60}}},
				}},
			test: func(t *testing.T, s *Solution) {
				if s.Served != 1 || len(s.Unassigned) != 1 || s.Unassigned[0].Reason != ReasonNotEnoughVehicles {
					t.Errorf("served %d %v", s.Served, s.Unassigned)
				}
			},
		},
		{
			name: "preference bonus picks the preferred team",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A"), veh("B")},
				Jobs: []Job{{ID: "a", Location: 1, Preferred: []string{"B"}}}},
			opt: Options{PreferenceBonus: 5},
			test: func(t *testing.T, s *Solution) {
				if got := routeOf(s, "B"); len(got) != 1 {
					t.Errorf("B route %v", got)
				}
			},
		},
		{
			name: "initial solution is used and repaired",
			p: &Problem{Matrix: line, Vehicles: []Vehicle{veh("A", 2), veh("B", 2)},
				Jobs:    []Job{job("a", 1, 1), job("b", 2, 1), job("c", 3, 1)},
				Initial: []InitialRoute{{VehicleID: "A", JobIDs: []string{"c", "b", "a"}}}},
			opt: Options{MaxIterations: 1},
			test: func(t *testing.T, s *Solution) {
				if s.Served != 3 {
					t.Errorf("served %d", s.Served)
				}
				if got := routeOf(s, "A"); len(got) != 2 || got[0] != "c" && got[1] != "c" {
					t.Errorf("A route %v, want c and b from the initial route", got)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Seed = 1
			s := solveChecked(t, tc.p, opt)
			tc.test(t, s)
		})
	}
}

func TestBalance(t *testing.T) {
	p := &Problem{Matrix: lineMatrix(0, 1, 2, 3, 4, 5, 6), Vehicles: []Vehicle{veh("A"), veh("B")}}
	for i := 1; i <= 6; i++ {
		p.Jobs = append(p.Jobs, Job{ID: string(rune('a' + i)), Location: i, Service: 100})
	}
	s := solveChecked(t, p, Options{Seed: 3})
	if len(s.Routes) != 1 {
		t.Errorf("without balance one route is cheapest, got %d routes", len(s.Routes))
	}
	s = solveChecked(t, p, Options{Seed: 3, BalanceWeight: 1})
	if len(s.Routes) != 2 || len(s.Routes[0].Stops) != 3 || len(s.Routes[1].Stops) != 3 {
		t.Errorf("with balance want 3+3 stops, got %d routes: %v / %v", len(s.Routes), routeOf(s, "A"), routeOf(s, "B"))
	}
}

func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	p := randomProblem(rng, 25, 4)
	a := solveChecked(t, p, Options{Seed: 7, MaxIterations: 3000})
	b := solveChecked(t, p, Options{Seed: 7, MaxIterations: 3000})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same seed and iterations gave different solutions: %.4f vs %.4f", a.Distance, b.Distance)
	}
}

func TestCancelledContextReturnsPlan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := randomProblem(rng, 20, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Solve(ctx, p, Options{TimeLimit: 1e12})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p, s); err != nil {
		t.Fatal(err)
	}
	if s.Served == 0 {
		t.Error("no jobs served")
	}
}

func TestMalformed(t *testing.T) {
	line := lineMatrix(0, 1, 2)
	neg := NewDenseMatrix(2)
	neg.Set(0, 1, -1, 1)
	neg.Set(1, 0, 1, 1)
	tests := []struct {
		p    *Problem
		want string
	}{
		{&Problem{}, "no matrix"},
		{&Problem{Matrix: line, Jobs: []Job{{ID: "a", Location: 3}}}, "outside matrix"},
		{&Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", Start: 5}}}, "outside matrix"},
		{&Problem{Matrix: line, Jobs: []Job{{ID: "a", Location: 1, Service: -1}}}, "service"},
		{&Problem{Matrix: line, Jobs: []Job{{ID: "a", Location: 1}, {ID: "a", Location: 2}}}, "duplicate job"},
		{&Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", Fixed: []string{"zz"}}}}, "unknown job"},
		{&Problem{Matrix: line, Jobs: []Job{{ID: "a", Location: 1, Windows: []TimeWindow{{5, 1}}}}}, "time window"},
		{&Problem{Matrix: neg, Vehicles: []Vehicle{{ID: "A"}}, Jobs: []Job{{ID: "a", Location: 1}}}, "duration"},
		{&Problem{Matrix: line, Initial: []InitialRoute{{VehicleID: "X"}}}, "unknown vehicle"},
		{&Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", Capacity: []int64{1}, Fixed: []string{"a"}}},
			Jobs: []Job{{ID: "a", Location: 1, Demand: []int64{2}}}}, "fixed jobs"},
		{&Problem{Matrix: line, Vehicles: []Vehicle{{ID: "A", Fixed: []string{"a"}}},
			Jobs: []Job{{ID: "a", Location: 1, Skills: []string{"x"}}}}, "lacks skill"},
	}
	for _, tc := range tests {
		_, err := Solve(context.Background(), tc.p, Options{MaxIterations: 1})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want it to contain %q", err, tc.want)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	p := &Problem{Matrix: lineMatrix(0, 10, 20), Vehicles: []Vehicle{veh("A", 2), veh("B", 2)},
		Jobs: []Job{job("a", 1, 1), {ID: "b", Location: 2, Service: 1, Demand: []int64{1}, Windows: []TimeWindow{{0, 100}}}}}
	good := solveChecked(t, p, Options{Seed: 1})
	clone := func() *Solution {
		s := *good
		s.Routes = nil
		for _, r := range good.Routes {
			r.Stops = append([]Stop(nil), r.Stops...)
			s.Routes = append(s.Routes, r)
		}
		s.Unassigned = append([]Unassigned(nil), good.Unassigned...)
		return &s
	}
	mut := []struct {
		name string
		f    func(s *Solution)
	}{
		{"dropped job", func(s *Solution) { s.Routes[0].Stops = s.Routes[0].Stops[:1] }},
		{"wrong total", func(s *Solution) { s.Distance += 1 }},
		{"duplicate", func(s *Solution) { s.Unassigned = append(s.Unassigned, Unassigned{JobID: "a", Reason: ReasonCapacity}) }},
		{"unknown vehicle", func(s *Solution) { s.Routes[0].VehicleID = "Z" }},
		{"late start", func(s *Solution) { s.Routes[0].Stops[0].Start += 5 }},
	}
	for _, m := range mut {
		s := clone()
		m.f(s)
		if Check(p, s) == nil {
			t.Errorf("%s: Check accepted a broken solution", m.name)
		}
	}
	// Capacity and time windows.
	p2 := *p
	p2.Vehicles = []Vehicle{veh("A", 1), veh("B", 1)}
	if len(good.Routes) == 1 && Check(&p2, good) == nil {
		t.Error("capacity violation accepted")
	}
	p3 := *p
	p3.Jobs = []Job{p.Jobs[0], {ID: "b", Location: 2, Service: 1, Demand: []int64{1}, Windows: []TimeWindow{{0, 5}}}}
	if Check(&p3, good) == nil {
		t.Error("time window violation accepted")
	}
}

func TestReasonStrings(t *testing.T) {
	for r := ReasonNone; r <= ReasonNotEnoughVehicles; r++ {
		if r.String() == "" || strings.HasPrefix(r.String(), "Reason(") {
			t.Errorf("reason %d has no name", r)
		}
	}
}
