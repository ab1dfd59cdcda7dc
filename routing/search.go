package routing

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"time"
)

// SISR parameters (Christiaens & Vanden Berghe 2020, "Slack Induction by
// String Removals for Vehicle Routing Problems", Transportation Science
// 54(2), Table 6): average removed customers cBar, maximum string length
// lMax, split rate alpha, split depth beta, blink rate.
// Annealing temperatures, relative to the mean nearest-neighbour travel
// time (m.scale), tuned on the Solomon instances; and the probability of a
// route-elimination ruin instead of a string ruin.
var (
	saT0          = 8.0
	saTf          = 0.2
	routeRuinRate = 0.05
)

var (
	sisrCBar  = 10.0
	sisrLMax  = 10.0
	sisrAlpha = 0.5
	sisrBeta  = 0.01
	sisrBlink = 0.01
)

// search is the state of one ruin-and-recreate run.
type search struct {
	m   *model
	opt Options
	rng *rand.Rand

	routes     []route
	where, pos []int32
	unassigned []int32 // servable jobs not on a route
	cost, pen  float64

	// undo log
	touched   []bool
	touchList []int
	saved     [][]int32
	savedU    []int32

	// best
	best     [][]int32
	bestU    []int32
	bestCost float64
	bestPen  float64

	// scratch
	removed  []int32
	ruined   []bool
	stamp    []int
	stampGen int
	classGen []int
	inPool   []bool
	large    bool
	lsOrder  []int32
	lsBuf    []int32
	// emptyLast: open new routes only when no used route can take a job.
	emptyLast bool
	xs        uint64 // xorshift state for blinks
	start     time.Time

	// Decomposition (see parallel.go): when allowed is not nil the search
	// only changes the routes v with allowed[v] and ruins around the jobs
	// of pool (the jobs of those routes and their unassigned jobs).
	allowed []bool
	pool    []int32
	fullLS  int // full local searches so far
}

// mine reports whether the search may change route v.
func (s *search) mine(v int32) bool {
	return s.allowed == nil || (v >= 0 && s.allowed[v])
}

func newSearch(m *model, opt Options) *search {
	s := &search{m: m, opt: opt}
	s.rng = rand.New(rand.NewPCG(uint64(opt.Seed), uint64(opt.Seed)^0x9e3779b97f4a7c15))
	s.routes = make([]route, m.nV)
	s.xs = uint64(opt.Seed)*0x9e3779b97f4a7c15 | 1
	s.where = make([]int32, m.nJ)
	s.pos = make([]int32, m.nJ)
	for j := range s.where {
		s.where[j] = -1
	}
	s.touched = make([]bool, m.nV)
	s.saved = make([][]int32, m.nV)
	s.best = make([][]int32, m.nV)
	s.ruined = make([]bool, m.nV)
	s.stamp = make([]int, m.nV)
	s.classGen = make([]int, m.nV)
	s.inPool = make([]bool, m.nJ)
	s.large = m.nJ > 400
	for v := range s.routes {
		r := &s.routes[v]
		r.v = v
		r.load = make([]int64, m.dim)
		r.jobs = append(r.jobs, m.fixed[v]...)
		r.nFixed = len(r.jobs)
		m.update(r, s.where, s.pos)
	}
	return s
}

func (s *search) touch(v int) {
	if !s.touched[v] {
		s.touched[v] = true
		s.touchList = append(s.touchList, v)
		s.saved[v] = append(s.saved[v][:0], s.routes[v].jobs...)
	}
}

func (s *search) commit() {
	for _, v := range s.touchList {
		s.touched[v] = false
	}
	s.touchList = s.touchList[:0]
}

func (s *search) rollback() {
	for _, v := range s.touchList {
		for _, j := range s.routes[v].jobs {
			s.where[j] = -1
		}
	}
	for _, v := range s.touchList {
		s.touched[v] = false
		r := &s.routes[v]
		r.jobs = append(r.jobs[:0], s.saved[v]...)
		s.m.update(r, s.where, s.pos)
	}
	s.touchList = s.touchList[:0]
	for _, j := range s.unassigned {
		s.where[j] = -1
	}
	s.unassigned = append(s.unassigned[:0], s.savedU...)
	for _, j := range s.unassigned {
		s.where[j] = -1
	}
}

func (s *search) objective() (float64, float64) {
	c := 0.0
	for v := range s.routes {
		if len(s.routes[v].jobs) > 0 {
			c += s.routes[v].cost
			if s.routes[v].broken {
				c = inf
			}
		}
	}
	p := 0.0
	for _, j := range s.unassigned {
		p += s.m.pen[j]
	}
	return c, p
}

// insertAt puts job j at position i of route v.
func (s *search) insertAt(j int32, v, i int) {
	s.touch(v)
	r := &s.routes[v]
	r.jobs = slices.Insert(r.jobs, i, j)
	s.m.update(r, s.where, s.pos)
}

// bestInsertion finds the cheapest feasible insertion of j. With blinks,
// positions are skipped at random (SISR). Granular search looks only at
// routes that serve one of j's nearest neighbours, and at empty vehicles.
func (s *search) bestInsertion(j int32, blink float64, granular bool) (float64, int, int) {
	m := s.m
	best, bv, bi := inf, -1, -1
	s.stampGen++
	gen := s.stampGen
	try := func(v int) {
		if s.stamp[v] == gen {
			return
		}
		s.stamp[v] = gen
		if !m.compat[int(j)*m.nV+v] || (s.allowed != nil && !s.allowed[v]) {
			return
		}
		r := &s.routes[v]
		if len(r.jobs) == 0 {
			c := m.vclass[v]
			if s.classGen[c] == gen {
				return
			}
			s.classGen[c] = gen
		}
		if !m.fits(r, j) {
			return
		}
		var th uint64
		if blink > 0 {
			th = uint64(blink * (1 << 63) * 2)
		}
		if c, i := m.scanRoute(r, j, best, th, &s.xs); i >= 0 {
			best, bv, bi = c, v, i
		}
	}
	// Empty vehicles normally compete with used routes (distance-optimal
	// plans often use more routes); after a route-elimination ruin a new
	// route is opened only when no used route can take the job (as in SISR).
	emptyLast := s.emptyLast
	if granular {
		nb := m.neigh[j]
		if len(nb) > 40 {
			nb = nb[:40]
		}
		for _, k := range nb {
			if w := s.where[k]; w >= 0 {
				try(int(w))
			}
		}
		if !emptyLast {
			for v := range s.routes {
				if len(s.routes[v].jobs) == 0 {
					try(v)
				}
			}
		}
		if bv >= 0 {
			return best, bv, bi
		}
		s.stampGen++
		gen = s.stampGen
	}
	for v := range s.routes {
		if !emptyLast || len(s.routes[v].jobs) > 0 {
			try(v)
		}
	}
	if bv < 0 && emptyLast {
		for v := range s.routes {
			if len(s.routes[v].jobs) == 0 {
				try(v)
			}
		}
	}
	return best, bv, bi
}

// recreate inserts the jobs of s.removed (in SISR's random sort order),
// each at its cheapest position; jobs that fit nowhere become unassigned.
func (s *search) recreate(blink float64) {
	m := s.m
	rem := s.removed
	// Sort order: random 4, demand 4, far 2, close 1 (SISR).
	switch x := s.rng.IntN(11); {
	case x < 4:
		s.rng.Shuffle(len(rem), func(a, b int) { rem[a], rem[b] = rem[b], rem[a] })
	case x < 8:
		s.rng.Shuffle(len(rem), func(a, b int) { rem[a], rem[b] = rem[b], rem[a] })
		sort.SliceStable(rem, func(a, b int) bool { return m.demandSum(rem[a]) > m.demandSum(rem[b]) })
	case x < 10:
		sort.SliceStable(rem, func(a, b int) bool { return m.distDepo[rem[a]] > m.distDepo[rem[b]] })
	default:
		sort.SliceStable(rem, func(a, b int) bool { return m.distDepo[rem[a]] < m.distDepo[rem[b]] })
	}
	sort.SliceStable(rem, func(a, b int) bool { return m.prio[rem[a]] > m.prio[rem[b]] })
	for _, j := range rem {
		_, v, i := s.bestInsertion(j, blink, s.large)
		if v < 0 {
			s.unassigned = append(s.unassigned, j)
			continue
		}
		s.insertAt(j, v, i)
	}
	s.removed = s.removed[:0]
}

func (m *model) demandSum(j int32) int64 {
	t := int64(0)
	for d := 0; d < m.dim; d++ {
		t += m.dem[int(j)*m.dim+d]
	}
	return t
}

// ruin removes strings of consecutive jobs from routes near a random seed
// job (SISR, Algorithm 2 of Christiaens & Vanden Berghe 2020).
func (s *search) ruin() {
	m := s.m
	served, nonEmpty := 0, 0
	for v := range s.routes {
		r := &s.routes[v]
		if k := len(r.jobs) - r.nFixed; k > 0 && s.mine(int32(v)) {
			served += k
			nonEmpty++
		}
	}
	if served == 0 {
		return
	}
	avg := float64(served) / float64(nonEmpty)
	lsMax := math.Min(sisrLMax, avg)
	ksMax := 4*sisrCBar/(1+lsMax) - 1
	ks := int(s.rng.Float64()*ksMax) + 1

	var seed int32
	if len(s.unassigned) > 0 && s.rng.IntN(2) == 0 {
		seed = s.unassigned[s.rng.IntN(len(s.unassigned))]
	} else if s.pool != nil {
		if len(s.pool) == 0 {
			return
		}
		seed = s.pool[s.rng.IntN(len(s.pool))]
	} else {
		seed = int32(s.rng.IntN(m.nJ))
	}
	nRuined := 0
	visit := func(c int32) bool {
		if nRuined >= ks {
			return false
		}
		v := s.where[c]
		if v < 0 || s.ruined[v] || m.fixedOf[c] >= 0 || !s.mine(v) {
			return true
		}
		r := &s.routes[v]
		card := len(r.jobs) - r.nFixed
		ltMax := math.Min(float64(card), lsMax)
		lt := int(s.rng.Float64()*ltMax) + 1
		s.touch(int(v))
		if lt >= card || s.rng.Float64() < sisrAlpha {
			s.removeString(r, int(s.pos[c]), lt, 0)
		} else {
			mm := 1
			for lt+mm < card && s.rng.Float64() > sisrBeta {
				mm++
			}
			s.removeString(r, int(s.pos[c]), lt, mm)
		}
		s.ruined[v] = true
		nRuined++
		return true
	}
	if visit(seed) {
		for _, c := range m.neigh[seed] {
			if !visit(c) {
				break
			}
		}
	}
	for v := range s.ruined {
		s.ruined[v] = false
	}
}

// removeString removes l jobs (keeping mm consecutive ones inside the
// string when mm > 0: the split-string variant) from a string of length
// l+mm that contains position p of r.
func (s *search) removeString(r *route, p, l, mm int) {
	total := l + mm
	card := len(r.jobs) - r.nFixed
	if total > card {
		total = card
		if mm > 0 {
			mm = total - l
		}
	}
	lo := max(r.nFixed, p-total+1)
	hi := min(p, len(r.jobs)-total)
	start := lo
	if hi > lo {
		start = lo + s.rng.IntN(hi-lo+1)
	}
	keepFrom, keepTo := -1, -1
	if mm > 0 {
		keepFrom = start + s.rng.IntN(l+1)
		keepTo = keepFrom + mm
	}
	out := r.jobs[:start]
	var kept []int32
	for i := start; i < start+total; i++ {
		j := r.jobs[i]
		if i >= keepFrom && i < keepTo {
			kept = append(kept, j)
			continue
		}
		s.removed = append(s.removed, j)
		s.where[j] = -1
	}
	tail := append(kept, r.jobs[start+total:]...)
	r.jobs = append(out, tail...)
	s.m.update(r, s.where, s.pos)
}

func (s *search) saveBest() {
	for v := range s.routes {
		s.best[v] = append(s.best[v][:0], s.routes[v].jobs...)
	}
	s.bestU = append(s.bestU[:0], s.unassigned...)
	s.bestCost, s.bestPen = s.cost, s.pen
}

// run performs simulated-annealing ruin and recreate until a limit.
func (s *search) run(ctx context.Context) int {
	opt := s.opt
	maxIt := opt.MaxIterations
	if maxIt <= 0 && opt.TimeLimit <= 0 {
		maxIt = DefaultIterations
	}
	if s.m.nJ == 0 {
		s.cost, s.pen = s.objective()
		s.saveBest()
		return 0
	}
	s.begin()
	it := 0
	progress := 0.0
	for ; ; it++ {
		if maxIt > 0 && it >= maxIt {
			break
		}
		if it&7 == 0 {
			if ctx.Err() != nil {
				break
			}
			if opt.TimeLimit > 0 {
				el := time.Since(s.start)
				if el >= opt.TimeLimit {
					break
				}
				progress = float64(el) / float64(opt.TimeLimit)
			}
		}
		if maxIt > 0 {
			progress = math.Max(progress, float64(it)/float64(maxIt))
		}
		s.step(s.temperature(progress))
	}
	s.restoreBest()
	return it
}

// temperature is the simulated-annealing temperature at progress in
// [0, 1]: geometric cooling from saT0 to saTf mean nearest-neighbour legs.
func (s *search) temperature(progress float64) float64 {
	t0 := saT0 * s.m.scale
	tf := saTf * s.m.scale
	if s.opt.BalanceWeight > 0 || s.opt.PreferenceBonus > 0 {
		t0 += 0.1 * s.opt.PreferenceBonus
	}
	return t0 * math.Pow(tf/t0, progress)
}

// begin runs a full local search on the current solution and records it
// as the best.
func (s *search) begin() {
	s.localSearch()
	s.commit()
	s.cost, s.pen = s.objective()
	s.saveBest()
}

// step is one ruin-and-recreate iteration with annealing acceptance at
// temperature temp; a new best gets a full local search.
func (s *search) step(temp float64) {
	s.savedU = append(s.savedU[:0], s.unassigned...)
	oldCost, oldPen := s.cost, s.pen
	routeRuin := s.rng.Float64() < routeRuinRate
	if routeRuin {
		s.ruinRoute()
		s.emptyLast = true
	} else {
		s.ruin()
	}
	// Previously unassigned jobs get another chance (a few per iteration).
	if len(s.savedU) > 0 {
		k := min(len(s.savedU), 2*int(sisrCBar))
		for x := 0; x < k; x++ {
			y := x + s.rng.IntN(len(s.unassigned)-x)
			s.unassigned[x], s.unassigned[y] = s.unassigned[y], s.unassigned[x]
		}
		s.removed = append(s.removed, s.unassigned[:k]...)
		s.unassigned = append(s.unassigned[:0], s.unassigned[k:]...)
	}
	s.lsOrder = append(s.lsOrder[:0], s.removed...)
	s.recreate(sisrBlink)
	s.emptyLast = false
	if lsPasses > 0 {
		s.localSearchOn(s.lsOrder, lsPasses)
	}
	c, p := s.objective()
	accept := c < inf && (p < oldPen || (p == oldPen && c < oldCost-temp*math.Log(s.rng.Float64())))
	if accept {
		s.commit()
		s.cost, s.pen = c, p
		if p < s.bestPen || (p == s.bestPen && c < s.bestCost-1e-9) {
			s.localSearch()
			s.commit()
			s.cost, s.pen = s.objective()
			s.saveBest()
		}
	} else {
		s.rollback()
		s.cost, s.pen = oldCost, oldPen
	}
}

// restoreBest makes the best solution found the current one.
func (s *search) restoreBest() {
	s.load(s.best, s.bestU)
}

// load makes routes (one job list per vehicle) and unassigned the current
// solution.
func (s *search) load(routes [][]int32, unassigned []int32) {
	for j := range s.where {
		s.where[j] = -1
	}
	for v := range s.routes {
		r := &s.routes[v]
		r.jobs = append(r.jobs[:0], routes[v]...)
		s.m.update(r, s.where, s.pos)
	}
	s.unassigned = append(s.unassigned[:0], unassigned...)
}

// ruinRoute removes all non-fixed jobs of one route (the shorter of two
// random used routes), so that the recreate step can try to do with one
// route less: a route-elimination move in the spirit of SISR's fleet
// minimisation, useful when long routes cannot be emptied by strings.
func (s *search) ruinRoute() {
	var used []int
	for v := range s.routes {
		if len(s.routes[v].jobs) > s.routes[v].nFixed && s.mine(int32(v)) {
			used = append(used, v)
		}
	}
	if len(used) < 2 {
		s.ruin()
		return
	}
	a := used[s.rng.IntN(len(used))]
	b := used[s.rng.IntN(len(used))]
	if len(s.routes[b].jobs) < len(s.routes[a].jobs) {
		a = b
	}
	r := &s.routes[a]
	s.touch(a)
	for _, j := range r.jobs[r.nFixed:] {
		s.removed = append(s.removed, j)
		s.where[j] = -1
	}
	r.jobs = r.jobs[:r.nFixed]
	s.m.update(r, s.where, s.pos)
}
