package routing

import (
	"context"
	"math"
	"time"
)

// Solve plans routes for p. It returns the best plan found when a limit in
// opt is reached or ctx is cancelled (in that case the error is nil and the
// plan is the best so far). It returns an error only for a malformed
// problem.
//
// Method: jobs are first inserted greedily at their cheapest feasible
// positions (starting from p.Initial and the vehicles' Fixed prefixes), then
// improved by SISR ruin-and-recreate with simulated-annealing acceptance
// (Christiaens & Vanden Berghe 2020, "Slack Induction by String Removals
// for Vehicle Routing Problems", Transportation Science 54(2)), with an
// occasional whole-route removal, and after every recreate a granular local
// search around the reinserted jobs (relocate, swap, or-opt, CROSS-exchange,
// 2-opt*, intra-route relocate and 2-opt); every new best gets a full local
// search. Time-window feasibility of a move is tested in O(1) (O(chain
// length) for chain moves) with forward earliest / backward latest start
// times (Savelsbergh 1992; Vidal et al. 2013). The objective is
// lexicographic: first the unassigned jobs weighted by priority (so a job
// is never dropped to serve any number of lower-priority jobs), then travel
// time plus the optional balance and preference terms.
//
// With Options.MaxIterations and no TimeLimit the result is deterministic
// for a given Seed; with a TimeLimit it depends on machine speed.
func Solve(ctx context.Context, p *Problem, opt Options) (*Solution, error) {
	start := time.Now()
	m, err := compile(p, opt)
	if err != nil {
		return nil, err
	}
	s := newSearch(m, opt)
	s.start = start // the time limit includes compilation and construction
	s.initial()
	var iters int
	if opt.Threads > 1 {
		iters = solveParallel(ctx, s, opt.Threads)
	} else {
		iters = s.run(ctx)
	}
	sol := s.extract()
	sol.Iterations = iters
	return sol, nil
}

// initial builds the starting solution: Fixed prefixes, then the routes of
// p.Initial (jobs appended while feasible), then the other servable jobs
// by the best of several constructions (see construct).
func (s *search) initial() {
	m := s.m
	jobIdx := make(map[string]int32, m.nJ)
	for i, j := range m.p.Jobs {
		jobIdx[j.ID] = int32(i)
	}
	for _, ir := range m.p.Initial {
		v := -1
		for k := range m.p.Vehicles {
			if m.p.Vehicles[k].ID == ir.VehicleID {
				v = k
			}
		}
		r := &s.routes[v]
		for _, id := range ir.JobIDs {
			j := jobIdx[id]
			if s.where[j] >= 0 || m.fixedOf[j] >= 0 || !m.compat[int(j)*m.nV+v] || !m.fits(r, j) {
				continue
			}
			if m.insertCost(r, j, len(r.jobs)) < inf {
				r.jobs = append(r.jobs, j)
				m.update(r, s.where, s.pos)
			}
		}
	}
	for j := 0; j < m.nJ; j++ {
		if s.where[j] < 0 && m.static[j] == ReasonNone {
			s.removed = append(s.removed, int32(j))
		}
	}
	// The construction may take a tenth of the time limit beyond its
	// first variant; without a time limit every variant runs (so that
	// MaxIterations runs stay deterministic).
	budget := time.Duration(math.MaxInt64)
	if s.opt.TimeLimit > 0 {
		budget = s.opt.TimeLimit/10 - time.Since(s.start)
	}
	s.construct(max(1, s.opt.Threads), budget)
}

// extract converts the current routes into a Solution with schedules and
// reasons for unassigned jobs.
func (s *search) extract() *Solution {
	m := s.m
	p := m.p
	sol := &Solution{}
	for v := range s.routes {
		r := &s.routes[v]
		if len(r.jobs) == 0 {
			continue
		}
		veh := &p.Vehicles[v]
		vd := m.vd[v]
		mat := p.matrixOf(veh)
		rt := Route{VehicleID: veh.ID}
		prevM := veh.Start
		prev := m.vStart[v]
		dep := veh.ShiftStart
		for i, j := range r.jobs {
			job := &p.Jobs[j]
			tt := vd.t(prev, m.jLoc[j])
			arr := dep + tt
			st := m.earliest(j, arr)
			if i == 0 {
				rt.Depart = math.Max(veh.ShiftStart, st-tt)
			}
			rt.TravelTime += tt
			rt.Distance += mat.Distance(prevM, job.Location)
			dep = st + job.Service
			rt.Stops = append(rt.Stops, Stop{JobID: job.ID, Location: job.Location, Arrival: arr, Start: st, Departure: dep})
			prev, prevM = m.jLoc[j], job.Location
			sol.Served++
		}
		rt.Stops[0].Arrival = math.Min(rt.Stops[0].Start, rt.Depart+vd.t(m.vStart[v], m.jLoc[r.jobs[0]]))
		rt.Return = dep
		if veh.End != NoEnd {
			tt := vd.t(prev, m.vEnd[v])
			rt.TravelTime += tt
			rt.Distance += mat.Distance(prevM, veh.End)
			rt.Return = dep + tt
		}
		rt.Duration = rt.Return - rt.Depart
		sol.Distance += rt.Distance
		sol.TravelTime += rt.TravelTime
		sol.Duration += rt.Duration
		sol.Routes = append(sol.Routes, rt)
	}
	un := make([]bool, m.nJ)
	for j := 0; j < m.nJ; j++ {
		if s.where[j] < 0 {
			un[j] = true
		}
	}
	for j := 0; j < m.nJ; j++ {
		if un[j] {
			sol.Unassigned = append(sol.Unassigned, Unassigned{JobID: p.Jobs[j].ID, Reason: s.reason(int32(j))})
		}
	}
	return sol
}

// reason explains why servable-alone job j is not on any route.
func (s *search) reason(j int32) Reason {
	m := s.m
	if m.static[j] != ReasonNone {
		return m.static[j]
	}
	stops, capacity, other := 0, 0, 0
	for v := range s.routes {
		if !m.compat[int(j)*m.nV+v] {
			continue
		}
		r := &s.routes[v]
		switch {
		case m.maxStops[v] > 0 && len(r.jobs) >= m.maxStops[v]:
			stops++
		case !m.fits(r, j):
			capacity++
		default:
			other++
		}
	}
	switch {
	case other > 0:
		return ReasonNotEnoughVehicles
	case capacity > 0:
		return ReasonCapacity
	case stops > 0:
		return ReasonMaxStops
	}
	return ReasonNotEnoughVehicles
}
