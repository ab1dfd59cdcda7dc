package routing

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Parallel search (Options.Threads > 1).
//
// The run is cut into epochs. At the start of an epoch every worker loads
// the current solution (the best so far); at its end the workers' results
// are merged into a new current solution. Two ways to share the work:
//
//   - Route-based decomposition (large instances): the routes are split
//     into as many groups of nearby routes as there are workers, and each
//     worker runs ruin-and-recreate on its group only (its ruins, insertions
//     and local search never touch the other routes), like the
//     decomposition phases of HGS (Vidal 2022, "Hybrid genetic search for
//     the CVRP: Open-source implementation and SWAP* neighborhood", C&OR
//     140, section 5 on large instances; Santini, Schneider, Vidal & Vigo
//     2023, "Decomposition strategies for vehicle routing heuristics",
//     INFORMS J. Computing 35(3)) and VROOM's per-cluster sub-problems. The
//     groups' best routes are disjoint, so their union is a feasible plan
//     at least as good as the epoch's start. A new random split every epoch
//     lets jobs move between any two routes over time.
//   - Independent searches from the best (small instances, or few routes):
//     each worker anneals with its own random stream from the current
//     solution, and the best worker's best becomes the next start.
//
// With MaxIterations (and no TimeLimit) epochs are counted in iterations
// and the result is deterministic for a given Seed and Threads.

// decompMinJobs is the smallest instance split into route groups; below it
// the workers search the whole instance independently.
var decompMinJobs = 300

// decompRoutes and decompMinGroupJobs size the sub-problems: instances
// with many routes are split into more groups than threads (each thread
// searches its groups one after another). Measured on GH1000 at equal
// iterations: with ~100 routes (R1, RC1) groups of ~13 routes give the
// same distances as one group per thread for 40 % less CPU time; with
// ~20-30 long routes (R2, C2) small groups are worse, so they stay at one
// group per thread.
var (
	decompRoutes       = 12
	decompMinGroupJobs = 100
)

// epochs is the number of synchronisations in a run.
const epochs = 25

type snapshot struct {
	routes     [][]int32
	unassigned []int32
}

func (s *search) snapshot() snapshot {
	sn := snapshot{routes: make([][]int32, len(s.routes))}
	for v := range s.routes {
		sn.routes[v] = append([]int32(nil), s.routes[v].jobs...)
	}
	sn.unassigned = append([]int32(nil), s.unassigned...)
	return sn
}

// solveParallel runs the search on threads workers, starting from s's
// current (constructed) solution, and leaves the best plan in s. It
// returns the total number of iterations.
func solveParallel(ctx context.Context, s *search, threads int) int {
	m := s.m
	opt := s.opt
	if m.nJ == 0 {
		s.cost, s.pen = s.objective()
		s.saveBest()
		return 0
	}
	s.begin()
	maxIt := opt.MaxIterations
	if maxIt <= 0 && opt.TimeLimit <= 0 {
		maxIt = DefaultIterations
	}
	workers := make([]*search, threads)
	for k := range workers {
		o := opt
		o.Seed = opt.Seed + int64(k)*1_000_003
		w := newSearch(m, o)
		w.start = s.start
		workers[k] = w
	}
	its := make([]int, threads)
	rng := rand.New(rand.NewPCG(uint64(opt.Seed), 0x5851f42d4c957f2d))
	decompose := m.nJ >= decompMinJobs
	total := 0
	for e := 0; ; e++ {
		if ctx.Err() != nil {
			break
		}
		var epochEnd time.Time
		epochIt := 0
		if opt.TimeLimit > 0 {
			el := time.Since(s.start)
			if el >= opt.TimeLimit {
				break
			}
			slice := opt.TimeLimit / epochs
			slice = max(min(slice, 2*time.Second), 20*time.Millisecond)
			epochEnd = s.start.Add(min(opt.TimeLimit, el+slice))
		}
		if maxIt > 0 {
			if its[0] >= maxIt {
				break
			}
			epochIt = min(maxIt-its[0], max(1, (maxIt+epochs-1)/epochs))
		}
		cur := s.snapshot()
		var groups [][]bool
		if decompose {
			// As many groups as threads, or more: about decompRoutes
			// routes and at least decompMinGroupJobs jobs each, a
			// multiple of threads.
			g := min(s.usedRoutes()/decompRoutes, m.nJ/decompMinGroupJobs)
			g = max(threads, g/threads*threads)
			groups = s.partition(g, rng)
		}
		results := make([]snapshot, len(groups))
		epochStart := time.Now()
		var wg sync.WaitGroup
		for k, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// run searches from w's current solution until the
				// iteration budget or the deadline.
				run := func(budget int, deadline time.Time) {
					n := 0
					for ; budget == 0 || n < budget; n++ {
						if n&7 == 0 {
							if ctx.Err() != nil {
								break
							}
							if opt.TimeLimit > 0 && !time.Now().Before(deadline) {
								break
							}
						}
						progress := 0.0
						if opt.TimeLimit > 0 {
							progress = float64(time.Since(s.start)) / float64(opt.TimeLimit)
						}
						if maxIt > 0 {
							progress = math.Max(progress, float64(its[k]+n)/float64(maxIt))
						}
						w.step(w.temperature(min(progress, 1)))
					}
					its[k] += n
				}
				if groups == nil {
					w.loadPart(cur, nil)
					run(epochIt, epochEnd)
					return
				}
				// This worker's groups, one after another, each for its
				// share of the epoch.
				var mine []int
				for g := k; g < len(groups); g += len(workers) {
					mine = append(mine, g)
				}
				for x, g := range mine {
					w.loadPart(cur, groups[g])
					budget := 0
					if epochIt > 0 {
						budget = max(1, (epochIt+len(mine)-1)/len(mine))
					}
					deadline := epochStart.Add(time.Duration(float64(epochEnd.Sub(epochStart)) * float64(x+1) / float64(len(mine))))
					run(budget, deadline)
					results[g] = snapshot{routes: make([][]int32, len(w.best)), unassigned: append([]int32(nil), w.bestU...)}
					for v, on := range groups[g] {
						if on {
							results[g].routes[v] = append([]int32(nil), w.best[v]...)
						}
					}
				}
			}()
		}
		wg.Wait()
		s.merge(workers, groups, results)
	}
	for _, n := range its {
		total += n
	}
	s.restoreBest()
	return total
}

// loadPart makes cur the current and best solution of w; with a mask, w
// works only on the routes of the mask and the unassigned jobs nearest to
// them (see partition).
func (w *search) loadPart(cur snapshot, mask []bool) {
	w.allowed = nil
	w.pool = nil
	w.load(cur.routes, nil)
	w.commit()
	if mask == nil {
		w.unassigned = append(w.unassigned[:0], cur.unassigned...)
	} else {
		w.allowed = mask
		w.pool = w.pool[:0]
		for v := range w.routes {
			if mask[v] {
				r := &w.routes[v]
				w.pool = append(w.pool, r.jobs[r.nFixed:]...)
			}
		}
		w.unassigned = w.unassigned[:0]
		for _, j := range cur.unassigned {
			if w.unassignedGroup(j, mask) {
				w.unassigned = append(w.unassigned, j)
				w.pool = append(w.pool, j)
			}
		}
		if w.pool == nil {
			w.pool = []int32{}
		}
	}
	w.cost, w.pen = w.objective()
	w.saveBest()
}

// unassignedGroup reports whether unassigned job j belongs to the group of
// mask: the group of the route serving j's nearest served neighbour, or
// of the first vehicle that can serve j when no neighbour is served.
func (w *search) unassignedGroup(j int32, mask []bool) bool {
	m := w.m
	for _, k := range m.neigh[j] {
		if v := w.where[k]; v >= 0 {
			return mask[v]
		}
	}
	for v := 0; v < m.nV; v++ {
		if m.compat[int(j)*m.nV+v] {
			return mask[v]
		}
	}
	return false
}

// merge builds the next current solution from the workers' bests: the
// union of each group's best routes (decomposition) or the best worker's
// best (independent searches); it becomes s's best when it improves it.
func (s *search) merge(workers []*search, groups [][]bool, results []snapshot) {
	if groups == nil {
		bw := workers[0]
		for _, w := range workers[1:] {
			if w.bestPen < bw.bestPen || (w.bestPen == bw.bestPen && w.bestCost < bw.bestCost-1e-9) {
				bw = w
			}
		}
		if bw.bestPen < s.bestPen || (bw.bestPen == s.bestPen && bw.bestCost < s.bestCost-1e-9) {
			s.load(bw.best, bw.bestU)
		} else {
			s.restoreBest()
		}
	} else {
		routes := make([][]int32, len(s.routes))
		var un []int32
		for v := range routes {
			routes[v] = s.best[v]
		}
		for g, r := range results {
			for v := range routes {
				if groups[g][v] {
					routes[v] = r.routes[v]
				}
			}
			un = append(un, r.unassigned...)
		}
		// Every unassigned job belonged to exactly one group.
		s.load(routes, un)
	}
	s.commit()
	c, p := s.objective()
	if p < s.bestPen || (p == s.bestPen && c <= s.bestCost+1e-9) {
		s.cost, s.pen = c, p
		s.saveBest()
	} else {
		s.restoreBest()
		s.cost, s.pen = s.bestCost, s.bestPen
	}
}

// partition splits the vehicles (or returns nil when there are fewer
// than two used routes per group) into n groups of nearby routes of about
// the same number of jobs: n anchor routes are picked by farthest-point
// sampling from a random route (distance between routes = travel between
// their medoid jobs on Problem.Matrix), then routes are given, in order of
// how strongly they prefer one anchor, to their nearest anchor whose group
// is not yet full. Empty vehicles go to the anchor nearest to their start,
// in turn when several are equally near (a common depot).
func (s *search) partition(n int, rng *rand.Rand) [][]bool {
	m := s.m
	type rt struct {
		v   int
		med int32 // medoid location
		sz  int
	}
	var used []rt
	totalJobs := 0
	for v := range s.routes {
		r := &s.routes[v]
		if len(r.jobs) == 0 {
			continue
		}
		used = append(used, rt{v: v, med: s.medoid(r), sz: len(r.jobs)})
		totalJobs += len(r.jobs)
	}
	d := func(a, b int32) float64 { return math.Min(m.t0(a, b), m.t0(b, a)) }
	if len(used) < 2*n {
		return nil // too few routes to split: independent searches
	}
	groups := make([][]bool, n)
	for k := range groups {
		groups[k] = make([]bool, m.nV)
	}
	anchors := []int32{used[rng.IntN(len(used))].med}
	minD := make([]float64, len(used))
	for i := range minD {
		minD[i] = d(used[i].med, anchors[0])
	}
	for len(anchors) < n {
		bi := 0
		for i := range used {
			if minD[i] > minD[bi] {
				bi = i
			}
		}
		a := used[bi].med
		anchors = append(anchors, a)
		for i := range used {
			minD[i] = math.Min(minD[i], d(used[i].med, a))
		}
	}
	// Each route's distance to every anchor; assign the routes with the
	// largest regret (second nearest minus nearest) first.
	dist := make([][]float64, len(used))
	regret := make([]float64, len(used))
	for i := range used {
		dist[i] = make([]float64, n)
		best, second := inf, inf
		for k, a := range anchors {
			x := d(used[i].med, a)
			if !(x < inf) {
				x = 1e18
			}
			dist[i][k] = x
			if x < best {
				best, second = x, best
			} else if x < second {
				second = x
			}
		}
		regret[i] = second - best
	}
	order := make([]int, len(used))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return regret[order[a]] > regret[order[b]] })
	limit := int(math.Ceil(float64(totalJobs) / float64(n) * 1.15))
	load := make([]int, n)
	for _, i := range order {
		bk := -1
		for k := 0; k < n; k++ {
			if load[k]+used[i].sz > limit && load[k] > 0 {
				continue
			}
			if bk < 0 || dist[i][k] < dist[i][bk] {
				bk = k
			}
		}
		if bk < 0 {
			for k := 0; k < n; k++ {
				if bk < 0 || load[k] < load[bk] {
					bk = k
				}
			}
		}
		groups[bk][used[i].v] = true
		load[bk] += used[i].sz
	}
	turn := 0
	for v := range s.routes {
		if len(s.routes[v].jobs) > 0 {
			continue
		}
		st := m.vStart[v]
		bk, bd := -1, inf
		tie := false
		for k, a := range anchors {
			x := d(st, a)
			switch {
			case bk < 0 || x < bd-1e-9:
				bk, bd, tie = k, x, false
			case math.Abs(x-bd) <= 1e-9:
				tie = true
			}
		}
		if tie || bk < 0 {
			bk = turn % n
			turn++
		}
		groups[bk][v] = true
	}
	return groups
}

// medoid returns the location of the job of r nearest to the others (a
// sample of at most 12 jobs stands for long routes).
func (s *search) medoid(r *route) int32 {
	m := s.m
	js := r.jobs
	step := max(1, len(js)/12)
	best, bl := inf, m.jLoc[js[0]]
	for a := 0; a < len(js); a += step {
		la := m.jLoc[js[a]]
		sum := 0.0
		for b := 0; b < len(js); b += step {
			sum += math.Min(m.t0(la, m.jLoc[js[b]]), m.t0(m.jLoc[js[b]], la))
		}
		if sum < best {
			best, bl = sum, la
		}
	}
	return bl
}
