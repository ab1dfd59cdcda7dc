package routing

import "math"

// route is one vehicle's sequence of jobs with the data needed to test an
// insertion in O(1) (Savelsbergh 1992): the earliest service start es[i]
// given the prefix, and the latest service start ls[i] that keeps the
// suffix feasible (Kindervater & Savelsbergh 1997 "forward/backward time
// slack"). Both support multiple time windows per job because the earliest
// start is monotone in the arrival time.
type route struct {
	v      int
	jobs   []int32
	es     []float64
	ls     []float64
	load   []int64
	pload  []int64   // prefix loads: pload[i*dim+d] = load of jobs 0..i
	ptr    []float64 // ptr[i] = travel from the start to job i
	psvc   []float64 // psvc[i] = service of jobs 0..i
	ppref  []float64 // ppref[i] = preference cost of jobs 0..i
	travel float64
	work   float64 // travel + service
	pref   float64
	cost   float64 // travel + pref + balance
	nFixed int
	// broken: the last update found the route infeasible (a ruin can leave
	// an unreachable leg, or a later arrival on a matrix without the
	// triangle inequality); the search never accepts such a state.
	broken bool
}

// update recomputes all derived data of r; it reports whether the route is
// time-feasible (fixed jobs and initial solutions may not be).
func (m *model) update(r *route, where, pos []int32) bool {
	n := len(r.jobs)
	if cap(r.es) < n {
		r.es = make([]float64, n, 2*n+4)
		r.ls = make([]float64, n, 2*n+4)
	}
	r.es = r.es[:n]
	r.ls = r.ls[:n]
	if cap(r.ptr) < n {
		r.ptr = make([]float64, n, 2*n+4)
		r.psvc = make([]float64, n, 2*n+4)
		r.ppref = make([]float64, n, 2*n+4)
		r.pload = make([]int64, n*m.dim, (2*n+4)*m.dim)
	}
	r.ptr, r.psvc, r.ppref, r.pload = r.ptr[:n], r.psvc[:n], r.ppref[:n], r.pload[:n*m.dim]
	for d := range r.load {
		r.load[d] = 0
	}
	v := r.v
	vd := m.vd[v]
	prev := m.vStart[v]
	dep := m.shiftS[v]
	travel, work, pref := 0.0, 0.0, 0.0
	ok := true
	for i, j := range r.jobs {
		if where != nil {
			where[j] = int32(v)
			pos[j] = int32(i)
		}
		l := m.jLoc[j]
		tt := vd.t(prev, l)
		travel += tt
		s := m.earliest(j, dep+tt)
		if !(s <= big) {
			ok = false
		}
		r.es[i] = s
		dep = s + m.svc[j]
		work += m.svc[j]
		for d := 0; d < m.dim; d++ {
			r.load[d] += m.dem[int(j)*m.dim+d]
			r.pload[i*m.dim+d] = r.load[d]
		}
		if m.pref != nil {
			pref += m.pref[int(j)*m.nV+v]
		}
		r.ptr[i], r.psvc[i], r.ppref[i] = travel, work, pref
		prev = l
	}
	L := m.shiftE[v]
	if e := m.vEnd[v]; e >= 0 && n > 0 {
		tt := vd.t(prev, e)
		travel += tt
		L -= tt
	}
	if n > 0 && !(dep <= L) {
		ok = false
	}
	for i := n - 1; i >= 0; i-- {
		j := r.jobs[i]
		ls := m.latest(j, L-m.svc[j])
		r.ls[i] = ls
		if i > 0 {
			L = ls - vd.t(m.jLoc[r.jobs[i-1]], m.jLoc[j])
		}
	}
	work += travel
	r.travel, r.work, r.pref = travel, work, pref
	r.cost = travel + pref + m.balW*work*work
	if n > 0 && m.maxDur[v] > 0 && m.duration(r.v, r.jobs, -1, 0) > m.maxDur[v] {
		ok = false
	}
	for d := 0; d < m.dim; d++ {
		if r.load[d] > m.capa[v*m.dim+d] {
			ok = false
		}
	}
	if m.maxStops[v] > 0 && n > m.maxStops[v] {
		ok = false
	}
	r.broken = !ok
	return ok
}

// duration simulates vehicle v serving jobs with job ins inserted at
// position at (ins < 0: no insertion) and returns the route duration: from
// leaving the start just in time for the first job to arriving at the end
// (or finishing the last job of an open route). Infeasible: +Inf.
func (m *model) duration(v int, jobs []int32, ins int32, at int) float64 {
	vd := m.vd[v]
	prev := m.vStart[v]
	dep := m.shiftS[v]
	first := -1.0
	n := len(jobs)
	if ins >= 0 {
		n++
	}
	k := 0
	for i := 0; i < n; i++ {
		var j int32
		if ins >= 0 && i == at {
			j = ins
		} else {
			j = jobs[k]
			k++
		}
		tt := vd.t(prev, m.jLoc[j])
		s := m.earliest(j, dep+tt)
		if !(s <= big) {
			return inf
		}
		if i == 0 {
			first = math.Max(m.shiftS[v], s-tt)
		}
		dep = s + m.svc[j]
		prev = m.jLoc[j]
	}
	if e := m.vEnd[v]; e >= 0 {
		dep += vd.t(prev, e)
	}
	if n == 0 {
		return 0
	}
	return dep - first
}

// insertCost returns the objective change of inserting job j at position
// i of r, or +Inf if infeasible. Capacity and max stops are checked by the
// caller once per route.
func (m *model) insertCost(r *route, j int32, i int) float64 {
	v := r.v
	vd := m.vd[v]
	n := len(r.jobs)
	var prev int32
	var dep float64
	if i == 0 {
		prev, dep = m.vStart[v], m.shiftS[v]
	} else {
		pj := r.jobs[i-1]
		prev, dep = m.jLoc[pj], r.es[i-1]+m.svc[pj]
	}
	l := m.jLoc[j]
	t1 := vd.t(prev, l)
	s := m.earliest(j, dep+t1)
	if !(s <= big) {
		return inf
	}
	fin := s + m.svc[j]
	var delta float64
	if i < n {
		nl := m.jLoc[r.jobs[i]]
		t2 := vd.t(l, nl)
		if !(fin+t2 <= r.ls[i]) {
			return inf
		}
		delta = t1 + t2 - vd.t(prev, nl)
	} else if e := m.vEnd[v]; e >= 0 {
		t2 := vd.t(l, e)
		if !(fin+t2 <= m.shiftE[v]) {
			return inf
		}
		delta = t1 + t2 - vd.t(prev, e)
	} else {
		if !(fin <= m.shiftE[v]) {
			return inf
		}
		delta = t1
	}
	// A route broken by a ruin can have an unreachable leg prev -> next:
	// then delta is -Inf (or NaN), which is no bargain but infeasible.
	if math.IsInf(delta, 0) || delta != delta {
		return inf
	}
	c := delta
	if m.pref != nil {
		c += m.pref[int(j)*m.nV+v]
	}
	if m.balW != 0 {
		w := r.work + delta + m.svc[j]
		c += m.balW * (w*w - r.work*r.work)
	}
	if m.maxDur[v] > 0 && m.duration(v, r.jobs, j, i) > m.maxDur[v] {
		return inf
	}
	return c
}

// fits reports whether job j fits r's capacity and stop limit.
func (m *model) fits(r *route, j int32) bool {
	if m.maxStops[r.v] > 0 && len(r.jobs) >= m.maxStops[r.v] {
		return false
	}
	base := int(j) * m.dim
	vb := r.v * m.dim
	for d := 0; d < m.dim; d++ {
		if r.load[d]+m.dem[base+d] > m.capa[vb+d] {
			return false
		}
	}
	return true
}

// scanRoute returns the cheapest feasible insertion of j into r (cost and
// position, or best and -1 if none beats best). It is insertCost unrolled
// over all positions; with blink > 0 each position is skipped with
// probability blink/2^64 using the xorshift state x (SISR's blinks).
func (m *model) scanRoute(r *route, j int32, best float64, blink uint64, x *uint64) (float64, int) {
	v := r.v
	if m.maxDur[v] > 0 {
		bi := -1
		for i := r.nFixed; i <= len(r.jobs); i++ {
			if c := m.insertCost(r, j, i); c < best {
				best, bi = c, i
			}
		}
		return best, bi
	}
	n := len(r.jobs)
	// The durations are read from the flat copy inline (a call to
	// durations.t is not inlined).
	vd := m.vd[v]
	if vd.flat == nil {
		return m.scanRouteMatrix(r, j, best, blink, x)
	}
	flat, nL := vd.flat, vd.nL
	l := m.jLoc[j]
	svc := m.svc[j]
	extra := 0.0
	if m.pref != nil {
		extra = m.pref[int(j)*m.nV+v]
	}
	balW, work := m.balW, r.work
	single := m.multi[j] == nil
	wS, wE := m.wS[j], m.wE[j]
	bi := -1
	var prev int32
	var dep float64
	if r.nFixed == 0 {
		prev, dep = m.vStart[v], m.shiftS[v]
	} else {
		pj := r.jobs[r.nFixed-1]
		prev, dep = m.jLoc[pj], r.es[r.nFixed-1]+m.svc[pj]
	}
	xs := *x
	for i := r.nFixed; i <= n; i++ {
		if i > r.nFixed {
			pj := r.jobs[i-1]
			prev, dep = m.jLoc[pj], r.es[i-1]+m.svc[pj]
		}
		if blink > 0 {
			xs ^= xs << 13
			xs ^= xs >> 7
			xs ^= xs << 17
			if xs < blink {
				continue
			}
		}
		t1 := flat[int(prev)*nL+int(l)]
		a := dep + t1
		var s float64
		if single {
			if a > wE {
				continue
			}
			s = a
			if a < wS {
				s = wS
			}
		} else {
			s = m.earliest(j, a)
			if !(s <= big) {
				continue
			}
		}
		fin := s + svc
		var delta float64
		if i < n {
			nl := m.jLoc[r.jobs[i]]
			t2 := flat[int(l)*nL+int(nl)]
			if !(fin+t2 <= r.ls[i]) {
				continue
			}
			delta = t1 + t2 - flat[int(prev)*nL+int(nl)]
		} else if e := m.vEnd[v]; e >= 0 {
			t2 := flat[int(l)*nL+int(e)]
			if !(fin+t2 <= m.shiftE[v]) {
				continue
			}
			delta = t1 + t2 - flat[int(prev)*nL+int(e)]
		} else {
			if !(fin <= m.shiftE[v]) {
				continue
			}
			delta = t1
		}
		if math.IsInf(delta, 0) || delta != delta {
			continue
		}
		c := delta + extra
		if balW != 0 {
			w := work + delta + svc
			c += balW * (w*w - work*work)
		}
		if c < best {
			best, bi = c, i
		}
	}
	*x = xs
	return best, bi
}

// scanRouteMatrix is scanRoute for a profile without a flat copy of its
// durations (more than flatLimit locations): insertCost at every position,
// with the same blinks.
func (m *model) scanRouteMatrix(r *route, j int32, best float64, blink uint64, x *uint64) (float64, int) {
	bi := -1
	xs := *x
	for i := r.nFixed; i <= len(r.jobs); i++ {
		if blink > 0 {
			xs ^= xs << 13
			xs ^= xs >> 7
			xs ^= xs << 17
			if xs < blink {
				continue
			}
		}
		if c := m.insertCost(r, j, i); c < best {
			best, bi = c, i
		}
	}
	*x = xs
	return best, bi
}
