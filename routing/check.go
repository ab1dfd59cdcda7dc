package routing

import (
	"fmt"
	"math"
)

// checkTol is the absolute-plus-relative tolerance used by Check when
// comparing times and totals computed in different orders.
const checkTol = 1e-6

func near(a, b float64) bool {
	return math.Abs(a-b) <= checkTol*(1+math.Max(math.Abs(a), math.Abs(b)))
}

// Check verifies s against p by re-simulating every route from scratch,
// independently of the solver's data structures. It checks that every job
// is served at most once and every job not served is listed as unassigned
// exactly once with a reason; vehicle IDs, skills, capacity in every
// dimension, max stops, fixed prefixes, time windows (except for fixed
// jobs), shifts and max durations; that reported times follow the earliest
// schedule; and that reported distances, durations and totals match the
// matrix of each vehicle's travel profile (Vehicle.Profile).
func Check(p *Problem, s *Solution) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if s == nil {
		return fmt.Errorf("check: nil solution")
	}
	jobs := map[string]int{}
	for i, j := range p.Jobs {
		jobs[j.ID] = i
	}
	vehs := map[string]int{}
	fixed := map[string]bool{}
	for i, v := range p.Vehicles {
		vehs[v.ID] = i
		for _, id := range v.Fixed {
			fixed[id] = true
		}
	}
	seen := map[string]string{}
	usedVeh := map[string]bool{}
	var totDist, totTime, totDur float64
	served := 0
	for ri, r := range s.Routes {
		vi, ok := vehs[r.VehicleID]
		if !ok {
			return fmt.Errorf("check: route %d has unknown vehicle %q", ri, r.VehicleID)
		}
		if usedVeh[r.VehicleID] {
			return fmt.Errorf("check: vehicle %q has two routes", r.VehicleID)
		}
		usedVeh[r.VehicleID] = true
		v := &p.Vehicles[vi]
		mat := p.matrixOf(v) // the vehicle's own travel profile
		if len(r.Stops) == 0 {
			return fmt.Errorf("check: vehicle %q has an empty route", v.ID)
		}
		if v.MaxStops > 0 && len(r.Stops) > v.MaxStops {
			return fmt.Errorf("check: vehicle %q has %d stops, max %d", v.ID, len(r.Stops), v.MaxStops)
		}
		for k, id := range v.Fixed {
			if k >= len(r.Stops) || r.Stops[k].JobID != id {
				return fmt.Errorf("check: vehicle %q must start with fixed job %q at position %d", v.ID, id, k)
			}
		}
		have := map[string]bool{}
		for _, sk := range v.Skills {
			have[sk] = true
		}
		load := make([]int64, len(v.Capacity))
		anyCap := false
		for _, vv := range p.Vehicles {
			if vv.Capacity != nil {
				anyCap = true
			}
		}
		t := v.ShiftStart
		loc := v.Start
		var dist, tt float64
		for k, st := range r.Stops {
			ji, ok := jobs[st.JobID]
			if !ok {
				return fmt.Errorf("check: vehicle %q serves unknown job %q", v.ID, st.JobID)
			}
			if other, dup := seen[st.JobID]; dup {
				return fmt.Errorf("check: job %q served by %q and %q", st.JobID, other, v.ID)
			}
			seen[st.JobID] = v.ID
			job := &p.Jobs[ji]
			if st.Location != job.Location {
				return fmt.Errorf("check: job %q reported at location %d, is at %d", job.ID, st.Location, job.Location)
			}
			if fixed[job.ID] && k >= len(v.Fixed) {
				return fmt.Errorf("check: job %q is fixed to another vehicle or position", job.ID)
			}
			for _, sk := range job.Skills {
				if !have[sk] {
					return fmt.Errorf("check: vehicle %q lacks skill %q for job %q", v.ID, sk, job.ID)
				}
			}
			for d, dem := range job.Demand {
				if dem == 0 {
					continue
				}
				if d >= len(load) {
					if anyCap {
						return fmt.Errorf("check: vehicle %q has no capacity dimension %d for job %q", v.ID, d, job.ID)
					}
					continue
				}
				load[d] += dem
			}
			leg := mat.Duration(loc, job.Location)
			if math.IsInf(leg, 1) {
				return fmt.Errorf("check: vehicle %q: leg %d->%d to job %q is unreachable", v.ID, loc, job.Location, job.ID)
			}
			dist += mat.Distance(loc, job.Location)
			tt += leg
			arr := t + leg
			start := arr
			if !fixed[job.ID] && len(job.Windows) > 0 {
				start = math.Inf(1)
				for _, w := range job.Windows {
					if arr <= w.End+checkTol {
						start = math.Max(arr, w.Start)
						break
					}
				}
				if math.IsInf(start, 1) {
					return fmt.Errorf("check: vehicle %q arrives at job %q at %.6f, after every time window", v.ID, job.ID, arr)
				}
			}
			if !near(start, st.Start) {
				return fmt.Errorf("check: job %q start reported %.6f, simulated %.6f", job.ID, st.Start, start)
			}
			if k > 0 && !near(arr, st.Arrival) {
				return fmt.Errorf("check: job %q arrival reported %.6f, simulated %.6f", job.ID, st.Arrival, arr)
			}
			if st.Arrival > st.Start+checkTol {
				return fmt.Errorf("check: job %q starts before arrival", job.ID)
			}
			t = start + job.Service
			if !near(t, st.Departure) {
				return fmt.Errorf("check: job %q departure reported %.6f, simulated %.6f", job.ID, st.Departure, t)
			}
			loc = job.Location
		}
		for d := range load {
			if load[d] > v.Capacity[d] {
				return fmt.Errorf("check: vehicle %q load %d exceeds capacity %d in dimension %d", v.ID, load[d], v.Capacity[d], d)
			}
		}
		ret := t
		if v.End != NoEnd {
			leg := mat.Duration(loc, v.End)
			if math.IsInf(leg, 1) {
				return fmt.Errorf("check: vehicle %q cannot return to its end", v.ID)
			}
			dist += mat.Distance(loc, v.End)
			tt += leg
			ret += leg
		}
		if v.ShiftEnd != 0 && ret > v.ShiftEnd+checkTol {
			return fmt.Errorf("check: vehicle %q returns at %.6f after shift end %.6f", v.ID, ret, v.ShiftEnd)
		}
		first := mat.Duration(v.Start, p.Jobs[jobs[r.Stops[0].JobID]].Location)
		depart := math.Max(v.ShiftStart, r.Stops[0].Start-first)
		if !near(depart, r.Depart) || !near(ret, r.Return) {
			return fmt.Errorf("check: vehicle %q depart/return reported %.6f/%.6f, simulated %.6f/%.6f", v.ID, r.Depart, r.Return, depart, ret)
		}
		if !near(r.Stops[0].Arrival, depart+first) {
			return fmt.Errorf("check: vehicle %q first arrival %.6f, expected %.6f", v.ID, r.Stops[0].Arrival, depart+first)
		}
		dur := ret - depart
		if v.MaxDuration > 0 && dur > v.MaxDuration+checkTol {
			return fmt.Errorf("check: vehicle %q route takes %.3f s, max %.3f", v.ID, dur, v.MaxDuration)
		}
		if !near(dist, r.Distance) || !near(tt, r.TravelTime) || !near(dur, r.Duration) {
			return fmt.Errorf("check: vehicle %q distance/time/duration reported %.6f/%.6f/%.6f, simulated %.6f/%.6f/%.6f",
				v.ID, r.Distance, r.TravelTime, r.Duration, dist, tt, dur)
		}
		totDist += dist
		totTime += tt
		totDur += dur
		served += len(r.Stops)
	}
	for _, v := range p.Vehicles {
		if len(v.Fixed) > 0 && !usedVeh[v.ID] {
			return fmt.Errorf("check: vehicle %q has fixed jobs but no route", v.ID)
		}
	}
	un := map[string]bool{}
	for _, u := range s.Unassigned {
		if _, ok := jobs[u.JobID]; !ok {
			return fmt.Errorf("check: unknown unassigned job %q", u.JobID)
		}
		if un[u.JobID] {
			return fmt.Errorf("check: job %q listed twice as unassigned", u.JobID)
		}
		if _, ok := seen[u.JobID]; ok {
			return fmt.Errorf("check: job %q both served and unassigned", u.JobID)
		}
		if u.Reason == ReasonNone {
			return fmt.Errorf("check: unassigned job %q has no reason", u.JobID)
		}
		un[u.JobID] = true
	}
	for _, j := range p.Jobs {
		if _, ok := seen[j.ID]; !ok && !un[j.ID] {
			return fmt.Errorf("check: job %q neither served nor unassigned", j.ID)
		}
	}
	if served != s.Served {
		return fmt.Errorf("check: served reported %d, counted %d", s.Served, served)
	}
	if !near(totDist, s.Distance) || !near(totTime, s.TravelTime) || !near(totDur, s.Duration) {
		return fmt.Errorf("check: totals reported %.6f/%.6f/%.6f, simulated %.6f/%.6f/%.6f", s.Distance, s.TravelTime, s.Duration, totDist, totTime, totDur)
	}
	return nil
}
