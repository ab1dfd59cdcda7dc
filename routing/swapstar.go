package routing

// SWAP* (Vidal 2022, "Hybrid genetic search for the CVRP: Open-source
// implementation and SWAP* neighborhood", Computers & Operations Research
// 140, section 4): exchange a job u of route A with a job v of route B,
// each inserted at its best position in the other route rather than in the
// place of the other. For every u the three cheapest insertion positions
// in B are kept (travel only, on B's profile); the best position for u in
// B without v is then one of them not next to v, or v's own place. The
// candidate pairs are ranked by this estimate and the best few are checked
// exactly (time windows, shift, duration: full simulation; capacity and
// stops from the loads) before one is applied. As in HGS it runs in the
// full local search, on pairs of routes that serve granular neighbours.

// swapStarChecks is how many of the best estimated pairs are simulated.
const swapStarChecks = 4

type insPos struct {
	cost float64
	pos  int // insert before the job at pos (len: at the end)
}

// top3 returns the three cheapest travel insertions of job j into r
// (positions from r.nFixed on), cheapest first; unused entries have cost
// +Inf.
func (m *model) top3(r *route, j int32) [3]insPos {
	best := [3]insPos{{inf, -1}, {inf, -1}, {inf, -1}}
	vd := m.vd[r.v]
	l := m.jLoc[j]
	n := len(r.jobs)
	for i := r.nFixed; i <= n; i++ {
		var prev int32
		if i == 0 {
			prev = m.vStart[r.v]
		} else {
			prev = m.jLoc[r.jobs[i-1]]
		}
		var c float64
		switch {
		case i < n:
			nx := m.jLoc[r.jobs[i]]
			c = vd.t(prev, l) + vd.t(l, nx) - vd.t(prev, nx)
		case m.vEnd[r.v] >= 0:
			e := m.vEnd[r.v]
			c = vd.t(prev, l) + vd.t(l, e)
			if n > 0 {
				c -= vd.t(prev, e)
			}
		default:
			c = vd.t(prev, l)
		}
		if !(c < inf) {
			continue
		}
		switch {
		case c < best[0].cost:
			best[2], best[1], best[0] = best[1], best[0], insPos{c, i}
		case c < best[1].cost:
			best[2], best[1] = best[1], insPos{c, i}
		case c < best[2].cost:
			best[2] = insPos{c, i}
		}
	}
	return best
}

// removalGain returns the travel saved on r by removing the job at p.
func (m *model) removalGain(r *route, p int) float64 {
	vd := m.vd[r.v]
	l := m.jLoc[r.jobs[p]]
	var prev int32
	if p == 0 {
		prev = m.vStart[r.v]
	} else {
		prev = m.jLoc[r.jobs[p-1]]
	}
	n := len(r.jobs)
	switch {
	case p+1 < n:
		nx := m.jLoc[r.jobs[p+1]]
		return vd.t(prev, l) + vd.t(l, nx) - vd.t(prev, nx)
	case m.vEnd[r.v] >= 0:
		e := m.vEnd[r.v]
		g := vd.t(prev, l) + vd.t(l, e)
		if n > 1 {
			g -= vd.t(prev, e)
		}
		return g
	}
	return vd.t(prev, l)
}

// inPlace returns the travel of putting job j in the place of the job at
// p of r.
func (m *model) inPlace(r *route, p int, j int32) float64 {
	vd := m.vd[r.v]
	l := m.jLoc[j]
	var prev int32
	if p == 0 {
		prev = m.vStart[r.v]
	} else {
		prev = m.jLoc[r.jobs[p-1]]
	}
	n := len(r.jobs)
	switch {
	case p+1 < n:
		nx := m.jLoc[r.jobs[p+1]]
		return vd.t(prev, l) + vd.t(l, nx) - vd.t(prev, nx)
	case m.vEnd[r.v] >= 0:
		e := m.vEnd[r.v]
		c := vd.t(prev, l) + vd.t(l, e)
		if n > 1 {
			c -= vd.t(prev, e)
		}
		return c
	}
	return vd.t(prev, l)
}

// bestWithout returns the cheapest insertion among top (of a job into r)
// that does not touch position p (whose job leaves r), or the job's place
// at p; the position is in r's current indices.
func (m *model) bestWithout(top [3]insPos, r *route, p int, j int32) insPos {
	best := insPos{m.inPlace(r, p, j), p}
	for _, c := range top {
		if c.pos >= 0 && c.pos != p && c.pos != p+1 && c.cost < best.cost {
			best = c
		}
	}
	return best
}

// swapStar applies the best improving SWAP* move between routes ra and rb
// and reports whether it found one.
func (s *search) swapStar(ra, rb int) bool {
	m := s.m
	a, b := &s.routes[ra], &s.routes[rb]
	if len(a.jobs) == a.nFixed || len(b.jobs) == b.nFixed || m.maxDur[a.v] > 0 || m.maxDur[b.v] > 0 {
		return false
	}
	if m.pref != nil || m.balW != 0 {
		return false // the estimate counts travel only
	}
	topInB := make([][3]insPos, len(a.jobs))
	remA := make([]float64, len(a.jobs))
	for p := a.nFixed; p < len(a.jobs); p++ {
		topInB[p] = m.top3(b, a.jobs[p])
		remA[p] = m.removalGain(a, p)
	}
	topInA := make([][3]insPos, len(b.jobs))
	remB := make([]float64, len(b.jobs))
	for q := b.nFixed; q < len(b.jobs); q++ {
		topInA[q] = m.top3(a, b.jobs[q])
		remB[q] = m.removalGain(b, q)
	}
	type cand struct {
		est        float64
		pu, qv     int
		insU, insV insPos
	}
	var cands [swapStarChecks]cand
	nc := 0
	for p := a.nFixed; p < len(a.jobs); p++ {
		u := a.jobs[p]
		if !m.compat[int(u)*m.nV+b.v] {
			continue
		}
		for q := b.nFixed; q < len(b.jobs); q++ {
			v := b.jobs[q]
			if !m.compat[int(v)*m.nV+a.v] || !m.swapLoadOK(a, u, v) || !m.swapLoadOK(b, v, u) {
				continue
			}
			insV := m.bestWithout(topInA[q], a, p, v)
			insU := m.bestWithout(topInB[p], b, q, u)
			est := insU.cost + insV.cost - remA[p] - remB[q]
			if !(est < -lsEps) {
				continue
			}
			if nc < swapStarChecks {
				nc++
			} else if est >= cands[nc-1].est {
				continue
			}
			k := nc - 1
			for k > 0 && cands[k-1].est > est {
				cands[k] = cands[k-1]
				k--
			}
			cands[k] = cand{est, p, q, insU, insV}
		}
	}
	old := a.cost + b.cost
	for _, c := range cands[:nc] {
		ja := swapSeq(a.jobs, c.pu, b.jobs[c.qv], c.insV.pos)
		jb := swapSeq(b.jobs, c.qv, a.jobs[c.pu], c.insU.pos)
		ca := m.seqCost(a.v, ja)
		if !(ca < inf) {
			continue
		}
		cb := m.seqCost(b.v, jb)
		if ca+cb < old-lsEps {
			s.apply(ra, ja, rb, jb)
			return true
		}
	}
	return false
}

// swapLoadOK reports whether r can take job in for job out (capacity).
func (m *model) swapLoadOK(r *route, out, in int32) bool {
	vb := r.v * m.dim
	for d := 0; d < m.dim; d++ {
		if r.load[d]-m.dem[int(out)*m.dim+d]+m.dem[int(in)*m.dim+d] > m.capa[vb+d] {
			return false
		}
	}
	return true
}

// swapSeq returns jobs without the job at p and with j inserted before
// the job at pos (pos in the original indices; pos == p: in its place).
func swapSeq(jobs []int32, p int, j int32, pos int) []int32 {
	out := make([]int32, 0, len(jobs))
	for i, x := range jobs {
		if i == pos {
			out = append(out, j)
		}
		if i != p {
			out = append(out, x)
		}
	}
	if pos >= len(jobs) {
		out = append(out, j)
	}
	return out
}

// swapStarPass tries SWAP* on every pair of routes in which some job of
// one has one of its lsNeighbours nearest jobs in the other (and both
// routes may change); it returns whether it improved anything.
func (s *search) swapStarPass() bool {
	m := s.m
	improved := false
	seen := map[[2]int32]bool{}
	for v := range s.routes {
		r := &s.routes[v]
		if !s.mine(int32(v)) {
			continue
		}
		for i := r.nFixed; i < len(r.jobs); i++ {
			u := r.jobs[i]
			nb := m.neigh[u]
			if len(nb) > lsNeighbours {
				nb = nb[:lsNeighbours]
			}
			for _, k := range nb {
				w := s.where[k]
				if w < 0 || int(w) == v || !s.mine(w) {
					continue
				}
				key := [2]int32{int32(min(v, int(w))), int32(max(v, int(w)))}
				if seen[key] {
					continue
				}
				seen[key] = true
				if s.swapStar(v, int(w)) {
					improved = true
				}
			}
		}
	}
	return improved
}
