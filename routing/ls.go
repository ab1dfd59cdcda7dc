package routing

// Local search with granular neighbourhoods (Toth & Vigo 2003): for each
// job u and each of its nearest neighbours v, try relocating u next to v,
// swapping u and v, and 2-opt* (exchanging the route tails after u and
// before v), accepting the first improving feasible move. Inter-route moves
// are evaluated in O(1) from the routes' forward earliest and backward
// latest start times and prefix sums (Savelsbergh 1992; Vidal et al. 2013,
// "A hybrid genetic algorithm with adaptive diversity management for a
// large class of vehicle routing problems with time-windows", C&OR 40(1)).
// Intra-route moves are checked by re-simulating the (short) route.

var lsNeighbours = 8

// lsPasses is the number of local-search passes around the reinserted jobs
// after each recreate.
var lsPasses = 2

// routeCost is the objective of a route with the given travel, work
// (travel + service) and preference totals.
func (m *model) routeCost(travel, work, pref float64) float64 {
	return travel + pref + m.balW*work*work
}

// depAt returns the location and departure time after position i of r
// (i = -1: the vehicle's start).
func (m *model) depAt(r *route, i int) (int32, float64) {
	if i < 0 {
		return m.vStart[r.v], m.shiftS[r.v]
	}
	j := r.jobs[i]
	return m.jLoc[j], r.es[i] + m.svc[j]
}

// join tests the sequence "prefix of a through position i" followed by
// "suffix of b from position k" on a's vehicle (b's latest start times must
// be valid for a's vehicle: same end and shift end). It returns the travel
// of the connecting leg, or +Inf if infeasible in time.
func (m *model) join(a *route, i int, b *route, k int) float64 {
	da := m.vd[a.v]
	loc, dep := m.depAt(a, i)
	if k < len(b.jobs) {
		t := da.t(loc, m.jLoc[b.jobs[k]])
		if !(dep+t <= b.ls[k]) {
			return inf
		}
		return t
	}
	if e := m.vEnd[a.v]; e >= 0 {
		if i < 0 {
			return 0 // empty route
		}
		t := da.t(loc, e)
		if !(dep+t <= m.shiftE[a.v]) {
			return inf
		}
		return t
	}
	return 0
}

// legOut returns the travel of the leg leaving position i of r (to the
// next job or the end).
func (m *model) legOut(r *route, i int) float64 {
	loc, _ := m.depAt(r, i)
	if i+1 < len(r.jobs) {
		return m.vd[r.v].t(loc, m.jLoc[r.jobs[i+1]])
	}
	if e := m.vEnd[r.v]; e >= 0 && i >= 0 {
		return m.vd[r.v].t(loc, e)
	}
	return 0
}

func (m *model) prefTravel(r *route, i int) float64 {
	if i < 0 {
		return 0
	}
	return r.ptr[i]
}

func (m *model) prefSvc(r *route, i int) float64 {
	if i < 0 {
		return 0
	}
	return r.psvc[i]
}

func (m *model) prefPref(r *route, i int) float64 {
	if i < 0 || m.pref == nil {
		return 0
	}
	return r.ppref[i]
}

// splitCost returns the cost of the route made of a's prefix through i and
// b's suffix from k, on a's vehicle, given the connecting leg. Preferences
// of the moved suffix are re-evaluated for a's vehicle.
func (m *model) splitCost(a *route, i int, b *route, k int, link float64) float64 {
	travel := m.prefTravel(a, i) + link
	work := m.prefSvc(a, i)
	pref := m.prefPref(a, i)
	if k < len(b.jobs) {
		// suffix travel = total travel without the end leg - travel up to k
		sufTravel := b.travel - b.ptr[k]
		if e := m.vEnd[b.v]; e >= 0 {
			// b.travel includes the leg to b's end; a has the same end.
			_ = e
		}
		travel += sufTravel
		work += m.prefSvc(b, len(b.jobs)-1) - m.prefSvc(b, k-1)
		if m.pref != nil {
			if a.v == b.v {
				pref += m.prefPref(b, len(b.jobs)-1) - m.prefPref(b, k-1)
			} else {
				for x := k; x < len(b.jobs); x++ {
					pref += m.pref[int(b.jobs[x])*m.nV+a.v]
				}
			}
		}
	}
	return m.routeCost(travel, work+travel, pref)
}

// loadOK checks capacity of a's prefix through i plus b's suffix from k.
func (m *model) loadOK(a *route, i int, b *route, k int) bool {
	vb := a.v * m.dim
	for d := 0; d < m.dim; d++ {
		l := int64(0)
		if i >= 0 {
			l = a.pload[i*m.dim+d]
		}
		if k < len(b.jobs) {
			l += b.load[d]
			if k > 0 {
				l -= b.pload[(k-1)*m.dim+d]
			}
		}
		if l > m.capa[vb+d] {
			return false
		}
	}
	return true
}

// sameTail reports whether routes of vehicles a and b can exchange tails:
// the backward latest times and prefix travel of one are valid for the
// other (same end, shift end and travel profile).
func (m *model) sameTail(a, b int) bool {
	return m.vEnd[a] == m.vEnd[b] && m.shiftE[a] == m.shiftE[b] && m.maxDur[a] == 0 && m.maxDur[b] == 0 &&
		m.vprof[a] == m.vprof[b]
}

// seqCost simulates vehicle v on jobs and returns the route cost, or +Inf
// if infeasible (time windows, shift, capacity, max stops or duration).
func (m *model) seqCost(v int, jobs []int32) float64 {
	if m.maxStops[v] > 0 && len(jobs) > m.maxStops[v] {
		return inf
	}
	vd := m.vd[v]
	prev := m.vStart[v]
	dep := m.shiftS[v]
	travel, work, pref := 0.0, 0.0, 0.0
	for _, j := range jobs {
		l := m.jLoc[j]
		t := vd.t(prev, l)
		s := m.earliest(j, dep+t)
		if !(s <= big) {
			return inf
		}
		travel += t
		work += m.svc[j]
		if m.pref != nil {
			pref += m.pref[int(j)*m.nV+v]
		}
		dep = s + m.svc[j]
		prev = l
	}
	if e := m.vEnd[v]; e >= 0 && len(jobs) > 0 {
		t := vd.t(prev, e)
		travel += t
		dep += t
	}
	if !(dep <= m.shiftE[v]) {
		return inf
	}
	if m.maxDur[v] > 0 && len(jobs) > 0 && m.duration(v, jobs, -1, 0) > m.maxDur[v] {
		return inf
	}
	return m.routeCost(travel, travel+work, pref)
}

// travelOf returns the travel time of vehicle v visiting jobs (a cheap
// filter before the full simulation: within a route only travel changes).
func (m *model) travelOf(v int, jobs []int32) float64 {
	vd := m.vd[v]
	prev := m.vStart[v]
	t := 0.0
	for _, j := range jobs {
		l := m.jLoc[j]
		t += vd.t(prev, l)
		prev = l
	}
	if e := m.vEnd[v]; e >= 0 && len(jobs) > 0 {
		t += vd.t(prev, e)
	}
	return t
}

// localSearch improves the current solution until no move improves it.
func (s *search) localSearch() {
	m := s.m
	order := s.lsOrder[:0]
	for j := 0; j < m.nJ; j++ {
		if s.where[j] >= 0 && m.fixedOf[j] < 0 && s.mine(s.where[j]) {
			order = append(order, int32(j))
		}
	}
	s.lsOrder = order
	s.localSearchOn(order, 50)
	// SWAP* costs O(|A| |B|) per pair of routes: on every full local
	// search when routes are short, on every 8th otherwise.
	s.fullLS++
	if useSwapStar && (len(order) <= 20*s.usedRoutes() || s.fullLS%8 == 1) {
		for pass := 0; pass < 3 && s.swapStarPass(); pass++ {
			s.localSearchOn(order, 50)
		}
	}
}

// usedRoutes counts the routes with jobs.
func (s *search) usedRoutes() int {
	n := 0
	for v := range s.routes {
		if len(s.routes[v].jobs) > 0 {
			n++
		}
	}
	return n
}

// useSwapStar enables SWAP* (swapstar.go) in the full local search.
var useSwapStar = true

// localSearchOn runs up to maxPass passes of the local search over the
// given jobs (in random order) and their neighbours.
func (s *search) localSearchOn(order []int32, maxPass int) {
	m := s.m
	s.rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	for pass := 0; pass < maxPass; pass++ {
		improved := false
		for _, u := range order {
			nb := m.neigh[u]
			if len(nb) > lsNeighbours {
				nb = nb[:lsNeighbours]
			}
			for _, v := range nb {
				if s.where[u] < 0 || s.where[v] < 0 || m.fixedOf[v] >= 0 || m.fixedOf[u] >= 0 || !s.mine(s.where[v]) {
					continue
				}
				if s.tryMoves(u, v) {
					improved = true
				}
			}
		}
		if !improved {
			break
		}
	}
}

const lsEps = 1e-9

// tryMoves tries moves involving jobs u and v; it applies the first
// improving one and reports whether it did.
func (s *search) tryMoves(u, v int32) bool {
	m := s.m
	ru, rv := int(s.where[u]), int(s.where[v])
	a, b := &s.routes[ru], &s.routes[rv]
	pu, pv := int(s.pos[u]), int(s.pos[v])
	if ru == rv {
		return s.intra(a, pu, pv)
	}
	if !m.compat[int(u)*m.nV+b.v] && !m.compat[int(v)*m.nV+a.v] {
		return false
	}
	old := a.cost + b.cost
	// Relocate u before v or after v.
	if m.compat[int(u)*m.nV+b.v] && m.fits(b, u) {
		link := m.join(a, pu-1, a, pu+1)
		if link < inf {
			rem := m.removalCost(a, pu, link)
			for _, q := range [2]int{pv, pv + 1} {
				if q < b.nFixed {
					continue
				}
				c := m.insertCost(b, u, q)
				if c < inf && rem+b.cost+c < old-lsEps {
					s.apply(ru, removeAt(a.jobs, pu), rv, insertAt(b.jobs, q, u))
					return true
				}
			}
		}
	}
	// Or-opt: move the chain of 2 or 3 jobs starting at u next to v.
	for k := 2; k <= 3; k++ {
		if s.orOpt(a, pu, k, b, pv, old) {
			return true
		}
	}
	// CROSS-exchange (Taillard et al. 1997): swap the chains of 1-3 jobs
	// starting at u and at v (1-1 is the plain swap below). Skipped on
	// large instances, where the time is better spent on more iterations.
	if !s.large && m.maxDur[a.v] == 0 && m.maxDur[b.v] == 0 {
		for k1 := 1; k1 <= 3; k1++ {
			for k2 := 1; k2 <= 3; k2++ {
				if (k1 > 1 || k2 > 1) && s.cross(a, pu, k1, b, pv, k2, old) {
					return true
				}
			}
		}
	}
	// Swap u and v.
	if m.compat[int(u)*m.nV+b.v] && m.compat[int(v)*m.nV+a.v] {
		ca := m.replaceCost(a, pu, v)
		if ca < inf {
			cb := m.replaceCost(b, pv, u)
			if cb < inf && ca+cb < old-lsEps {
				ja := append([]int32(nil), a.jobs...)
				jb := append([]int32(nil), b.jobs...)
				ja[pu], jb[pv] = v, u
				s.apply(ru, ja, rv, jb)
				return true
			}
		}
	}
	// 2-opt*: a = a[..pu] + b[pv..], b = b[..pv-1] + a[pu+1..].
	if m.sameTail(a.v, b.v) && m.loadOK(a, pu, b, pv) && m.loadOK(b, pv-1, a, pu+1) &&
		(m.pref == nil || a.v == b.v) && s.tailsCompat(a, pu+1, b.v) && s.tailsCompat(b, pv, a.v) {
		la := m.join(a, pu, b, pv)
		if la < inf {
			lb := m.join(b, pv-1, a, pu+1)
			if lb < inf {
				na := m.splitCost(a, pu, b, pv, la)
				nb := m.splitCost(b, pv-1, a, pu+1, lb)
				if m.maxStops[a.v] > 0 && pu+1+len(b.jobs)-pv > m.maxStops[a.v] ||
					m.maxStops[b.v] > 0 && pv+len(a.jobs)-pu-1 > m.maxStops[b.v] {
					return false
				}
				if na+nb < old-lsEps {
					ja := append(append([]int32(nil), a.jobs[:pu+1]...), b.jobs[pv:]...)
					jb := append(append([]int32(nil), b.jobs[:pv]...), a.jobs[pu+1:]...)
					s.apply(ru, ja, rv, jb)
					return true
				}
			}
		}
	}
	return false
}

// tailsCompat checks skills/compatibility of r's jobs from k on vehicle v.
func (s *search) tailsCompat(r *route, k int, v int) bool {
	m := s.m
	if r.v == v || m.allCompat {
		return true
	}
	for x := k; x < len(r.jobs); x++ {
		if !m.compat[int(r.jobs[x])*m.nV+v] {
			return false
		}
	}
	return true
}

// removalCost returns r's cost without the job at position p, given the
// travel of the leg that then joins p-1 and p+1.
func (m *model) removalCost(r *route, p int, link float64) float64 {
	vd := m.vd[r.v]
	j := r.jobs[p]
	var prevLoc int32
	if p == 0 {
		prevLoc = m.vStart[r.v]
	} else {
		prevLoc = m.jLoc[r.jobs[p-1]]
	}
	travel := r.travel - vd.t(prevLoc, m.jLoc[j]) - m.legOut(r, p) + link
	if len(r.jobs) == 1 {
		travel = 0
	}
	work := r.work - r.travel + travel - m.svc[j]
	pref := r.pref
	if m.pref != nil {
		pref -= m.pref[int(j)*m.nV+r.v]
	}
	if len(r.jobs) == 1 {
		return 0
	}
	return m.routeCost(travel, work, pref)
}

// replaceCost returns r's cost with the job at position p replaced by j,
// or +Inf if infeasible.
func (m *model) replaceCost(r *route, p int, j int32) float64 {
	old := r.jobs[p]
	base := int(j) * m.dim
	ob := int(old) * m.dim
	for d := 0; d < m.dim; d++ {
		if r.load[d]-m.dem[ob+d]+m.dem[base+d] > m.capa[r.v*m.dim+d] {
			return inf
		}
	}
	if m.maxDur[r.v] > 0 {
		return inf
	}
	vd := m.vd[r.v]
	loc, dep := m.depAt(r, p-1)
	l := m.jLoc[j]
	t1 := vd.t(loc, l)
	st := m.earliest(j, dep+t1)
	if !(st <= big) {
		return inf
	}
	fin := st + m.svc[j]
	var t2 float64
	if p+1 < len(r.jobs) {
		t2 = vd.t(l, m.jLoc[r.jobs[p+1]])
		if !(fin+t2 <= r.ls[p+1]) {
			return inf
		}
	} else if e := m.vEnd[r.v]; e >= 0 {
		t2 = vd.t(l, e)
		if !(fin+t2 <= m.shiftE[r.v]) {
			return inf
		}
	} else if !(fin <= m.shiftE[r.v]) {
		return inf
	}
	oldIn := vd.t(loc, m.jLoc[old])
	oldOut := m.legOut(r, p)
	travel := r.travel - oldIn - oldOut + t1 + t2
	if !(travel < inf) {
		return inf
	}
	work := r.work - r.travel + travel - m.svc[old] + m.svc[j]
	pref := r.pref
	if m.pref != nil {
		pref += m.pref[int(j)*m.nV+r.v] - m.pref[int(old)*m.nV+r.v]
	}
	return m.routeCost(travel, work, pref)
}

// intra tries, within one route, moving the job at pu next to the job at
// pv, and reversing the segment between them (2-opt), by re-simulation.
func (s *search) intra(r *route, pu, pv int) bool {
	m := s.m
	n := len(r.jobs)
	if n < 3 {
		return false
	}
	old := r.cost
	vd := m.vd[r.v]
	u := r.jobs[pu]
	lu := m.jLoc[u]
	// loc returns the location at position i (-1: start, n: end or -1).
	loc := func(i int) int32 {
		switch {
		case i < 0:
			return m.vStart[r.v]
		case i >= n:
			return m.vEnd[r.v]
		}
		return m.jLoc[r.jobs[i]]
	}
	tt := func(a, b int32) float64 {
		if a < 0 || b < 0 {
			return 0
		}
		return vd.t(a, b)
	}
	lv := loc(pv)
	pPrev, pNext := loc(pu-1), loc(pu+1)
	dRem := tt(pPrev, pNext) - tt(pPrev, lu) - tt(lu, pNext)
	for _, after := range [2]bool{true, false} {
		if (after && pv == pu-1) || (!after && pv == pu+1) {
			continue
		}
		var d float64
		if after {
			sn := loc(pv + 1)
			if pv+1 == pu {
				sn = pNext
			}
			d = dRem + tt(lv, lu) + tt(lu, sn) - tt(lv, sn)
		} else {
			pp := loc(pv - 1)
			if pv-1 == pu {
				pp = pPrev
			}
			d = dRem + tt(pp, lu) + tt(lu, lv) - tt(pp, lv)
		}
		if !(d < -lsEps) {
			continue
		}
		buf := s.lsBuf[:0]
		for i, j := range r.jobs {
			if i == pu {
				continue
			}
			if i == pv && !after {
				buf = append(buf, u)
			}
			buf = append(buf, j)
			if i == pv && after {
				buf = append(buf, u)
			}
		}
		s.lsBuf = buf
		if c := m.seqCost(r.v, buf); c < old-lsEps {
			s.apply(r.v, append([]int32(nil), buf...), -1, nil)
			return true
		}
	}
	// 2-opt: make u adjacent to v by reversing the segment between them.
	lo, hi := pu+1, pv
	if pv < pu {
		lo, hi = pv+1, pu
	}
	if hi-lo >= 1 && lo >= r.nFixed {
		var d float64
		if vd.symmetric {
			a, b := loc(lo-1), loc(hi+1)
			d = tt(a, loc(hi)) + tt(loc(lo), b) - tt(a, loc(lo)) - tt(loc(hi), b)
		} else {
			buf := append(s.lsBuf[:0], r.jobs...)
			for x, y := lo, hi; x < y; x, y = x+1, y-1 {
				buf[x], buf[y] = buf[y], buf[x]
			}
			s.lsBuf = buf
			d = m.travelOf(r.v, buf) - r.travel
		}
		if !(d < -lsEps) {
			return false
		}
		buf := append(s.lsBuf[:0], r.jobs...)
		for x, y := lo, hi; x < y; x, y = x+1, y-1 {
			buf[x], buf[y] = buf[y], buf[x]
		}
		s.lsBuf = buf
		if c := m.seqCost(r.v, buf); c < old-lsEps {
			s.apply(r.v, append([]int32(nil), buf...), -1, nil)
			return true
		}
	}
	return false
}

func removeAt(js []int32, p int) []int32 {
	out := make([]int32, 0, len(js)-1)
	out = append(out, js[:p]...)
	return append(out, js[p+1:]...)
}

func insertAt(js []int32, p int, j int32) []int32 {
	out := make([]int32, 0, len(js)+1)
	out = append(out, js[:p]...)
	out = append(out, j)
	return append(out, js[p:]...)
}

// apply replaces the job lists of routes ra and rb (rb < 0: only ra).
func (s *search) apply(ra int, ja []int32, rb int, jb []int32) {
	s.touch(ra)
	s.routes[ra].jobs = append(s.routes[ra].jobs[:0], ja...)
	if rb >= 0 {
		s.touch(rb)
		s.routes[rb].jobs = append(s.routes[rb].jobs[:0], jb...)
		s.m.update(&s.routes[rb], s.where, s.pos)
	}
	s.m.update(&s.routes[ra], s.where, s.pos)
}

// orOpt tries moving the k jobs a.jobs[pu:pu+k] (in order) before or after
// position pv of route b (Or 1976), checking time windows by simulating the
// chain only and reading b's latest start times (O(k)).
func (s *search) orOpt(a *route, pu, k int, b *route, pv int, old float64) bool {
	m := s.m
	if pu+k > len(a.jobs) || m.maxDur[a.v] > 0 || m.maxDur[b.v] > 0 {
		return false
	}
	if m.maxStops[b.v] > 0 && len(b.jobs)+k > m.maxStops[b.v] {
		return false
	}
	seg := a.jobs[pu : pu+k]
	vb := b.v * m.dim
	for d := 0; d < m.dim; d++ {
		l := a.pload[(pu+k-1)*m.dim+d]
		if pu > 0 {
			l -= a.pload[(pu-1)*m.dim+d]
		}
		if b.load[d]+l > m.capa[vb+d] {
			return false
		}
	}
	segPrefA, segPrefB := 0.0, 0.0
	for _, j := range seg {
		if !m.compat[int(j)*m.nV+b.v] {
			return false
		}
		if m.pref != nil {
			segPrefA += m.pref[int(j)*m.nV+a.v]
			segPrefB += m.pref[int(j)*m.nV+b.v]
		}
	}
	link := m.join(a, pu-1, a, pu+k)
	if !(link < inf) {
		return false
	}
	// Travel inside the chain: on a's profile from a's prefix sums, on b's
	// profile recomputed when b's vehicle travels by another matrix.
	da, db := m.vd[a.v], m.vd[b.v]
	segTravel := a.ptr[pu+k-1] - a.ptr[pu]
	segTravelB := segTravel
	if da != db {
		segTravelB = 0
		for x := 1; x < k; x++ {
			segTravelB += db.t(m.jLoc[seg[x-1]], m.jLoc[seg[x]])
		}
	}
	segSvc := a.psvc[pu+k-1] - m.prefSvc(a, pu-1)
	var prevLoc int32
	if pu == 0 {
		prevLoc = m.vStart[a.v]
	} else {
		prevLoc = m.jLoc[a.jobs[pu-1]]
	}
	ta := a.travel - da.t(prevLoc, m.jLoc[seg[0]]) - segTravel - m.legOut(a, pu+k-1) + link
	if pu == 0 && pu+k == len(a.jobs) {
		ta = 0
	}
	costA := m.routeCost(ta, a.work-a.travel-segSvc+ta, a.pref-segPrefA)
	if pu == 0 && pu+k == len(a.jobs) {
		costA = 0
	}
	for _, q := range [2]int{pv, pv + 1} {
		if q < b.nFixed {
			continue
		}
		loc, dep := m.depAt(b, q-1)
		t1 := db.t(loc, m.jLoc[seg[0]])
		dep += t1
		ok := true
		for x, j := range seg {
			if x > 0 {
				dep += db.t(m.jLoc[seg[x-1]], m.jLoc[j])
			}
			st := m.earliest(j, dep)
			if !(st <= big) {
				ok = false
				break
			}
			dep = st + m.svc[j]
		}
		if !ok {
			continue
		}
		last := m.jLoc[seg[k-1]]
		var t2, t3 float64
		if q < len(b.jobs) {
			nl := m.jLoc[b.jobs[q]]
			t2 = db.t(last, nl)
			if !(dep+t2 <= b.ls[q]) {
				continue
			}
			t3 = db.t(loc, nl)
		} else if e := m.vEnd[b.v]; e >= 0 {
			t2 = db.t(last, e)
			if !(dep+t2 <= m.shiftE[b.v]) {
				continue
			}
			if len(b.jobs) > 0 {
				t3 = db.t(loc, e)
			}
		} else if !(dep <= m.shiftE[b.v]) {
			continue
		}
		tb := b.travel + t1 + segTravelB + t2 - t3
		if !(tb < inf) {
			continue
		}
		costB := m.routeCost(tb, b.work-b.travel+tb+segSvc, b.pref+segPrefB)
		if costA+costB < old-lsEps {
			ja := append(append([]int32(nil), a.jobs[:pu]...), a.jobs[pu+k:]...)
			jb := make([]int32, 0, len(b.jobs)+k)
			jb = append(append(append(jb, b.jobs[:q]...), seg...), b.jobs[q:]...)
			s.apply(a.v, ja, b.v, jb)
			return true
		}
	}
	return false
}

// replaceSeg evaluates route r with its jobs [i, j) replaced by seg (taken
// from another route): it simulates seg only and reads r's latest start
// times for the rest (O(len(seg))). It returns the new route cost or +Inf.
func (m *model) replaceSeg(r *route, i, j int, seg []int32) float64 {
	v := r.v
	n := len(r.jobs)
	if m.maxStops[v] > 0 && n-(j-i)+len(seg) > m.maxStops[v] {
		return inf
	}
	vb := v * m.dim
	for d := 0; d < m.dim; d++ {
		l := r.load[d]
		if j > 0 {
			l -= r.pload[(j-1)*m.dim+d]
		}
		if i > 0 {
			l += r.pload[(i-1)*m.dim+d]
		}
		for _, x := range seg {
			l += m.dem[int(x)*m.dim+d]
		}
		if l > m.capa[vb+d] {
			return inf
		}
	}
	vd := m.vd[v]
	prev, dep := m.depAt(r, i-1)
	travel, svc, pref := 0.0, 0.0, 0.0
	for _, x := range seg {
		if !m.compat[int(x)*m.nV+v] {
			return inf
		}
		l := m.jLoc[x]
		t := vd.t(prev, l)
		travel += t
		st := m.earliest(x, dep+t)
		if !(st <= big) {
			return inf
		}
		dep = st + m.svc[x]
		svc += m.svc[x]
		if m.pref != nil {
			pref += m.pref[int(x)*m.nV+v]
		}
		prev = l
	}
	empty := i == 0 && j == n && len(seg) == 0
	if j < n {
		t := vd.t(prev, m.jLoc[r.jobs[j]])
		if !(dep+t <= r.ls[j]) {
			return inf
		}
		travel += t
	} else if e := m.vEnd[v]; e >= 0 {
		if !empty {
			t := vd.t(prev, e)
			if !(dep+t <= m.shiftE[v]) {
				return inf
			}
			travel += t
		}
	} else if !(dep <= m.shiftE[v]) {
		return inf
	}
	oldTravel := r.travel - m.prefTravel(r, i-1)
	if j < n {
		oldTravel = r.ptr[j] - m.prefTravel(r, i-1)
	}
	oldSvc := m.prefSvc(r, j-1) - m.prefSvc(r, i-1)
	oldPref := m.prefPref(r, j-1) - m.prefPref(r, i-1)
	nt := r.travel - oldTravel + travel
	if !(nt < inf) {
		return inf
	}
	if empty {
		return 0
	}
	return m.routeCost(nt, r.work-r.travel+nt-oldSvc+svc, r.pref-oldPref+pref)
}

// cross tries exchanging a[pu:pu+k1] with b[pv:pv+k2].
func (s *search) cross(a *route, pu, k1 int, b *route, pv, k2 int, old float64) bool {
	m := s.m
	if pu+k1 > len(a.jobs) || pv+k2 > len(b.jobs) {
		return false
	}
	segA, segB := a.jobs[pu:pu+k1], b.jobs[pv:pv+k2]
	ca := m.replaceSeg(a, pu, pu+k1, segB)
	if !(ca < old) {
		return false
	}
	cb := m.replaceSeg(b, pv, pv+k2, segA)
	if !(ca+cb < old-lsEps) {
		return false
	}
	ja := make([]int32, 0, len(a.jobs)-k1+k2)
	ja = append(append(append(ja, a.jobs[:pu]...), segB...), a.jobs[pu+k1:]...)
	jb := make([]int32, 0, len(b.jobs)-k2+k1)
	jb = append(append(append(jb, b.jobs[:pv]...), segA...), b.jobs[pv+k2:]...)
	s.apply(a.v, ja, b.v, jb)
	return true
}
