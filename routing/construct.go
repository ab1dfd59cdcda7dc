package routing

import (
	"math"
	"sort"
	"time"
)

// Construction that is good from the first second.
//
// Plain cheapest insertion of every job in turn (the recreate step) makes
// poor first plans on large instances with tight windows: each job that
// fits nowhere yet opens a route, so 1,000-customer instances start 70-90 %
// above their best known distance. The sequential construction below fills
// one vehicle at a time, as in Solomon's I1 heuristic (Solomon 1987,
// "Algorithms for the vehicle routing and scheduling problems with time
// window constraints", Operations Research 35(2)) and VROOM's basic
// heuristic: a seed job opens the route, then the job with the lowest
// insertion cost minus lambda times its cost of being served alone by this
// vehicle (a regret for far jobs, which would otherwise be left for
// last) is inserted, until nothing fits; then the next vehicle. Several
// variants (seed rule x lambda) are built, on several threads when the
// solver has them, and the best plan (served priority first, then cost) is
// kept, together with the plain cheapest insertion as a fallback.

// ctorVariant is one sequential construction: how to pick the seed job
// and the regret factor lambda.
type ctorVariant struct {
	seed   int // seedFurthest, seedDeadline or seedNearest
	lambda float64
	// smallFirst fills the smaller vehicles first (walking teams), so
	// that the big ones (cars) keep room for the far jobs only they can
	// reach in time.
	smallFirst bool
}

const (
	seedFurthest = iota // the job farthest from the vehicle's start
	seedDeadline        // the job whose window closes first
	seedNearest         // the job nearest to the vehicle's start
)

// ctorVariants lists the variants in the order they are tried.
var ctorVariants = []ctorVariant{
	{seedFurthest, 0.3, false}, {seedNearest, 0.3, true}, {seedFurthest, 0.6, false}, {seedNearest, 0.3, false},
	{seedFurthest, 1.0, false}, {seedFurthest, 0.3, true}, {seedFurthest, 0.1, false}, {seedDeadline, 0.3, false},
	{seedNearest, 1.0, false}, {seedFurthest, 1.5, false},
}

// vehicleOrder is the order in which the sequential construction fills
// the vehicles: non-empty routes (fixed or initial jobs) first, then by
// decreasing capacity and shift length (bigger vehicles first, as VROOM
// ranks them), ties by index.
func (s *search) vehicleOrder() []int {
	m := s.m
	order := make([]int, m.nV)
	for v := range order {
		order[v] = v
	}
	capSum := func(v int) int64 {
		t := int64(0)
		for d := 0; d < m.dim; d++ {
			t += min(m.capa[v*m.dim+d], math.MaxInt64/(4*int64(m.dim+1)))
		}
		return t
	}
	sort.SliceStable(order, func(a, b int) bool {
		va, vb := order[a], order[b]
		ea, eb := len(s.routes[va].jobs) > 0, len(s.routes[vb].jobs) > 0
		if ea != eb {
			return ea
		}
		if ca, cb := capSum(va), capSum(vb); ca != cb {
			return ca > cb
		}
		return m.shiftE[va]-m.shiftS[va] > m.shiftE[vb]-m.shiftS[vb]
	})
	return order
}

// deadline returns the end of the last window of job j (or +big).
func (m *model) deadline(j int32) float64 {
	if ws := m.multi[j]; ws != nil {
		return ws[len(ws)-1].End
	}
	return m.wE[j]
}

// sequential inserts the jobs of s.removed with variant vr, one vehicle
// at a time; the jobs that fit nowhere stay in s.removed.
func (s *search) sequential(vr ctorVariant, order []int) {
	m := s.m
	left := append([]int32(nil), s.removed...)
	// Higher priorities first: they are placed before any lower one.
	sort.SliceStable(left, func(a, b int) bool { return m.prio[left[a]] > m.prio[left[b]] })
	for _, v := range order {
		if len(left) == 0 {
			break
		}
		r := &s.routes[v]
		vd := m.vd[v]
		alone := func(j int32) float64 {
			c := vd.t(m.vStart[v], m.jLoc[j])
			if e := m.vEnd[v]; e >= 0 {
				c += vd.t(m.jLoc[j], e)
			}
			return c
		}
		topPrio := m.prio[left[0]]
		for {
			bj, bi, bs := -1, -1, inf
			seeding := len(r.jobs) == 0
			for x, j := range left {
				if m.prio[j] < topPrio && bj >= 0 {
					break // a higher priority job fits: place it first
				}
				if !m.compat[int(j)*m.nV+v] || !m.fits(r, j) {
					continue
				}
				c, i := m.scanRoute(r, j, inf, 0, &s.xs)
				if i < 0 {
					continue
				}
				var score float64
				if seeding {
					switch vr.seed {
					case seedFurthest:
						score = -alone(j)
					case seedDeadline:
						score = m.deadline(j)
					default:
						score = alone(j)
					}
				} else {
					score = c - vr.lambda*alone(j)
				}
				if score < bs {
					bj, bi, bs = x, i, score
				}
			}
			if bj < 0 {
				break
			}
			j := left[bj]
			r.jobs = append(r.jobs, 0)
			copy(r.jobs[bi+1:], r.jobs[bi:])
			r.jobs[bi] = j
			m.update(r, s.where, s.pos)
			left = append(left[:bj], left[bj+1:]...)
			if len(left) > 0 {
				topPrio = m.prio[left[0]]
			}
		}
	}
	s.removed = append(s.removed[:0], left...)
}

// construct builds the first plan from the current routes (fixed and
// initial jobs) and the servable jobs in s.removed: the best of the plain
// cheapest insertion and the sequential variants, built on up to threads
// goroutines within budget (at least one variant always runs).
func (s *search) construct(threads int, budget time.Duration) {
	m := s.m
	base := s.snapshot()
	pending := append([]int32(nil), s.removed...)
	// Plain cheapest insertion (the recreate step) first.
	large := s.large
	s.large = false
	s.recreate(0)
	s.large = large
	s.commit()
	bestC, bestP := s.objective()
	best := s.snapshot()
	if len(pending) == 0 {
		return
	}
	order := s.vehicleOrder()
	// Smaller vehicles first: order reversed, non-empty routes still first.
	small := append([]int(nil), order...)
	for i, j := 0, len(small)-1; i < j; i, j = i+1, j-1 {
		small[i], small[j] = small[j], small[i]
	}
	sort.SliceStable(small, func(a, b int) bool {
		return len(s.routes[small[a]].jobs) > 0 && len(s.routes[small[b]].jobs) == 0
	})
	deadline := time.Now().Add(budget)
	type result struct {
		sn   snapshot
		c, p float64
	}
	build := func(w *search, vr ctorVariant) result {
		w.load(base.routes, base.unassigned)
		w.removed = append(w.removed[:0], pending...)
		if vr.smallFirst {
			w.sequential(vr, small)
		} else {
			w.sequential(vr, order)
		}
		if len(w.removed) > 0 {
			large := w.large
			w.large = false
			w.recreate(0)
			w.large = large
		}
		w.commit()
		c, p := w.objective()
		return result{w.snapshot(), c, p}
	}
	threads = max(1, min(threads, len(ctorVariants)))
	workers := make([]*search, threads)
	workers[0] = s
	for k := 1; k < threads; k++ {
		workers[k] = newSearch(m, s.opt)
	}
	results := make([][]result, threads)
	done := make(chan int, threads)
	for k := range workers {
		go func() {
			for x := k; x < len(ctorVariants); x += threads {
				if x >= threads && time.Now().After(deadline) {
					break
				}
				results[k] = append(results[k], build(workers[k], ctorVariants[x]))
			}
			done <- k
		}()
	}
	for range workers {
		<-done
	}
	for _, rs := range results {
		for _, r := range rs {
			if r.c < inf && (r.p < bestP || (r.p == bestP && r.c < bestC)) {
				best, bestC, bestP = r.sn, r.c, r.p
			}
		}
	}
	s.load(best.routes, best.unassigned)
	s.removed = s.removed[:0]
	s.commit()
}
