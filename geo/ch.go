package geo

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/routing"
)

// Contraction hierarchies, after R. Geisberger, P. Sanders, D. Schultes and
// D. Delling, "Contraction Hierarchies: Faster and Simpler Hierarchical
// Routing in Road Networks", WEA 2008, LNCS 5038, pp. 319–333.
//
// Preprocessing contracts vertices one by one in the order of a priority
// (edge difference + deleted neighbours, updated lazily). Contracting v adds
// a shortcut u→w for every pair of remaining neighbours unless a witness
// search (a Dijkstra from u that skips v, limited in settled vertices) finds
// a path no longer than u→v→w. A query is a bidirectional Dijkstra that only
// goes up the hierarchy, with stall-on-demand.
//
// Many-to-many matrices use the bucket algorithm of S. Knopp, P. Sanders,
// D. Schultes, F. Schulz and D. Wagner, "Computing Many-to-Many Shortest
// Paths Using Highway Hierarchies", ALENEX 2007: one backward upward search
// per target leaves (target, distance) entries in buckets at the vertices it
// settles; one forward upward search per source scans the buckets of the
// vertices it settles.
//
// All weights are the packed (duration ms, distance dm) integers of
// graph.go, so results equal Dijkstra's exactly.

// chArc is an arc of the hierarchy: an original arc (edge >= 0) or a
// shortcut made of arcs a then b.
type chArc struct {
	from, to int32
	w        int64
	a, b     int32 // children of a shortcut, -1 for an original arc
	edge     int32 // original edge, -1 for a shortcut
	fwd      bool  // original arc runs along the edge geometry
}

// CH is a contraction hierarchy over a Graph. It answers one-to-one routes
// (with geometry) and many-to-many matrices, and is safe for concurrent use.
type CH struct {
	g    *Graph
	rank []int32
	arcs []chArc

	// Upward forward graph: arcs u→x with rank[x] > rank[u].
	fOff  []int32
	fHead []int32
	fW    []int64
	fArc  []int32
	// Upward backward graph: arcs x→u with rank[x] > rank[u], stored at u.
	bOff  []int32
	bHead []int32
	bW    []int64
	bArc  []int32

	// Shortcuts is the number of shortcuts added by preprocessing.
	Shortcuts int

	pool sync.Pool // *chQuery
}

// Witness search limits: settled vertices while estimating a priority and
// while contracting for real.
const (
	witnessLimitSim  = 60
	witnessLimitReal = 600
)

type chBuilder struct {
	g          *Graph
	arcs       []chArc
	out, in    [][]int32
	contracted []bool
	deleted    []int32
	// witness search state
	dist  []int64
	stamp []uint32
	gen   uint32
	heap  minHeap
}

// BuildCH contracts the graph. It takes a few seconds for a city.
func BuildCH(g *Graph) *CH {
	n := g.NumVertices()
	b := &chBuilder{
		g:          g,
		out:        make([][]int32, n),
		in:         make([][]int32, n),
		contracted: make([]bool, n),
		deleted:    make([]int32, n),
		dist:       make([]int64, n),
		stamp:      make([]uint32, n),
	}
	// Original arcs; of parallel arcs keep the lightest (then lowest edge).
	for u := int32(0); u < int32(n); u++ {
		for a := g.off[u]; a < g.off[u+1]; a++ {
			v, e := g.head[a], g.arcEdge[a]
			w := g.ew[e]
			dup := false
			for _, id := range b.out[u] {
				x := &b.arcs[id]
				if x.to == v {
					dup = true
					if w < x.w {
						x.w, x.edge, x.fwd = w, e, g.arcFwd[a]
					}
					break
				}
			}
			if dup {
				continue
			}
			id := int32(len(b.arcs))
			b.arcs = append(b.arcs, chArc{from: u, to: v, w: w, a: -1, b: -1, edge: e, fwd: g.arcFwd[a]})
			b.out[u] = append(b.out[u], id)
			b.in[v] = append(b.in[v], id)
		}
	}
	nOrig := len(b.arcs)

	upOut := make([][]int32, n)
	upIn := make([][]int32, n)
	rank := make([]int32, n)
	prio := make([]int64, n)
	var pq minHeap
	for v := int32(0); v < int32(n); v++ {
		prio[v] = b.priority(v)
		pq.push(prio[v], v)
	}
	var order int32
	var neigh []int32
	for pq.len() > 0 {
		p, v := pq.pop()
		if b.contracted[v] || p != prio[v] {
			continue
		}
		// Lazy update: re-evaluate and put back if no longer the minimum.
		if np := b.priority(v); np != p {
			prio[v] = np
			if pq.len() > 0 && np > pq.minKey() {
				pq.push(np, v)
				continue
			}
		}
		upOut[v] = append([]int32(nil), b.out[v]...)
		upIn[v] = append([]int32(nil), b.in[v]...)
		b.contract(v, false)
		neigh = neigh[:0]
		for _, id := range upIn[v] {
			u := b.arcs[id].from
			b.out[u] = remove(b.out[u], id)
			neigh = append(neigh, u)
		}
		for _, id := range upOut[v] {
			x := b.arcs[id].to
			b.in[x] = remove(b.in[x], id)
			neigh = append(neigh, x)
		}
		b.contracted[v] = true
		rank[v] = order
		order++
		sort.Slice(neigh, func(i, j int) bool { return neigh[i] < neigh[j] })
		for i, u := range neigh {
			if i > 0 && neigh[i-1] == u {
				continue
			}
			b.deleted[u]++
			prio[u] = b.priority(u)
			pq.push(prio[u], u)
		}
	}

	c := &CH{g: g, rank: rank, arcs: b.arcs, Shortcuts: len(b.arcs) - nOrig}
	c.fOff, c.fHead, c.fW, c.fArc = c.csr(upOut, func(a *chArc) int32 { return a.to })
	c.bOff, c.bHead, c.bW, c.bArc = c.csr(upIn, func(a *chArc) int32 { return a.from })
	c.pool.New = func() any { return newCHQuery(n) }
	return c
}

func (c *CH) csr(lists [][]int32, other func(*chArc) int32) (off, head []int32, w []int64, arc []int32) {
	off = make([]int32, len(lists)+1)
	for i, l := range lists {
		off[i+1] = off[i] + int32(len(l))
	}
	m := off[len(lists)]
	head = make([]int32, 0, m)
	w = make([]int64, 0, m)
	arc = make([]int32, 0, m)
	for _, l := range lists {
		for _, id := range l {
			a := &c.arcs[id]
			head = append(head, other(a))
			w = append(w, a.w)
			arc = append(arc, id)
		}
	}
	return off, head, w, arc
}

func remove(s []int32, x int32) []int32 {
	for i, y := range s {
		if y == x {
			s[i] = s[len(s)-1]
			return s[:len(s)-1]
		}
	}
	return s
}

// priority is the edge difference (shortcuts needed minus arcs removed) plus
// the number of already contracted neighbours.
func (b *chBuilder) priority(v int32) int64 {
	sc := b.contract(v, true)
	ed := sc - len(b.in[v]) - len(b.out[v])
	return int64(ed) + int64(b.deleted[v])
}

// contract finds the shortcuts needed to remove v; when !simulate it adds
// them. It returns their number.
func (b *chBuilder) contract(v int32, simulate bool) int {
	limit := witnessLimitReal
	if simulate {
		limit = witnessLimitSim
	}
	outs := b.out[v]
	if len(outs) == 0 || len(b.in[v]) == 0 {
		return 0
	}
	var maxOut int64
	for _, id := range outs {
		maxOut = max(maxOut, b.arcs[id].w)
	}
	count := 0
	for i := 0; i < len(b.in[v]); i++ {
		ia := b.in[v][i]
		u := b.arcs[ia].from
		wu := b.arcs[ia].w
		b.witness(u, v, wu+maxOut, limit)
		for k := 0; k < len(b.out[v]); k++ {
			oa := b.out[v][k]
			x := b.arcs[oa].to
			if x == u {
				continue
			}
			need := wu + b.arcs[oa].w
			if b.get(x) <= need {
				continue
			}
			count++
			if !simulate {
				b.addShortcut(u, x, need, ia, oa)
			}
		}
	}
	return count
}

func (b *chBuilder) get(v int32) int64 {
	if b.stamp[v] != b.gen {
		return infW
	}
	return b.dist[v]
}

// witness runs a Dijkstra from src among uncontracted vertices, skipping
// skip, until maxW or limit settled vertices.
func (b *chBuilder) witness(src, skip int32, maxW int64, limit int) {
	b.gen++
	if b.gen == 0 {
		clear(b.stamp)
		b.gen = 1
	}
	b.heap.reset()
	b.stamp[src], b.dist[src] = b.gen, 0
	b.heap.push(0, src)
	settled := 0
	for b.heap.len() > 0 {
		k, u := b.heap.pop()
		if k != b.get(u) {
			continue
		}
		if k > maxW || settled >= limit {
			break
		}
		settled++
		for _, id := range b.out[u] {
			a := &b.arcs[id]
			if a.to == skip {
				continue
			}
			nk := k + a.w
			if nk < b.get(a.to) {
				b.stamp[a.to], b.dist[a.to] = b.gen, nk
				b.heap.push(nk, a.to)
			}
		}
	}
}

func (b *chBuilder) addShortcut(u, x int32, w int64, ia, oa int32) {
	for i, id := range b.out[u] {
		if b.arcs[id].to != x {
			continue
		}
		if b.arcs[id].w <= w {
			return
		}
		nid := int32(len(b.arcs))
		b.arcs = append(b.arcs, chArc{from: u, to: x, w: w, a: ia, b: oa, edge: -1})
		b.out[u][i] = nid
		for k, jd := range b.in[x] {
			if jd == id {
				b.in[x][k] = nid
			}
		}
		return
	}
	nid := int32(len(b.arcs))
	b.arcs = append(b.arcs, chArc{from: u, to: x, w: w, a: ia, b: oa, edge: -1})
	b.out[u] = append(b.out[u], nid)
	b.in[x] = append(b.in[x], nid)
}

// chQuery is the per-goroutine search state.
type chQuery struct {
	fd, bd     []int64
	fs, bs     []uint32
	fp, bp     []int32 // parent arc (index into CH.arcs), -1 at a seed
	gen        uint32
	fh, bh     minHeap
	settled    []int32
	bucketOff  []int32
	bucketFill []int32
}

func newCHQuery(n int) *chQuery {
	return &chQuery{
		fd: make([]int64, n), bd: make([]int64, n),
		fs: make([]uint32, n), bs: make([]uint32, n),
		fp: make([]int32, n), bp: make([]int32, n),
	}
}

func (q *chQuery) next() {
	q.gen++
	if q.gen == 0 {
		clear(q.fs)
		clear(q.bs)
		q.gen = 1
	}
	q.fh.reset()
	q.bh.reset()
}

func (q *chQuery) fget(v int32) int64 {
	if q.fs[v] != q.gen {
		return infW
	}
	return q.fd[v]
}

func (q *chQuery) bget(v int32) int64 {
	if q.bs[v] != q.gen {
		return infW
	}
	return q.bd[v]
}

// Graph is the graph the hierarchy was built on.
func (c *CH) Graph() *Graph { return c.g }

// Query returns the duration (seconds) and distance (metres) of the fastest
// route, equal to Dijkstra's; +Inf (routing.Unreachable) when there is none.
func (c *CH) Query(from, to Snap) (seconds, meters float64) {
	q := c.pool.Get().(*chQuery)
	w, _ := c.query(q, from, to)
	c.pool.Put(q)
	return unpackW(w)
}

// query runs the bidirectional upward search and returns the best weight and
// the meeting vertex (-1 for the direct same-edge route or none).
func (c *CH) query(q *chQuery, from, to Snap) (int64, int32) {
	g := c.g
	q.next()
	best := g.direct(from, to)
	meet := int32(-1)
	for _, s := range g.sourceSeeds(from) {
		if s.w < q.fget(s.v) {
			q.fs[s.v], q.fd[s.v], q.fp[s.v] = q.gen, s.w, -1
			q.fh.push(s.w, s.v)
		}
	}
	for _, s := range g.targetSeeds(to) {
		if s.w < q.bget(s.v) {
			q.bs[s.v], q.bd[s.v], q.bp[s.v] = q.gen, s.w, -1
			q.bh.push(s.w, s.v)
		}
	}
	for {
		fok := q.fh.len() > 0 && q.fh.minKey() < best
		bok := q.bh.len() > 0 && q.bh.minKey() < best
		if !fok && !bok {
			break
		}
		if fok && (!bok || q.fh.minKey() <= q.bh.minKey()) {
			k, u := q.fh.pop()
			if k != q.fget(u) {
				continue
			}
			if o := q.bget(u); o != infW && k+o < best || (o != infW && k+o == best && meet >= 0 && u < meet) {
				best, meet = k+o, u
			}
			if c.fStalled(q, u, k) {
				continue
			}
			for a := c.fOff[u]; a < c.fOff[u+1]; a++ {
				v := c.fHead[a]
				nk := k + c.fW[a]
				if nk < q.fget(v) {
					q.fs[v], q.fd[v], q.fp[v] = q.gen, nk, c.fArc[a]
					q.fh.push(nk, v)
				}
			}
		} else {
			k, u := q.bh.pop()
			if k != q.bget(u) {
				continue
			}
			if o := q.fget(u); o != infW && k+o < best || (o != infW && k+o == best && meet >= 0 && u < meet) {
				best, meet = k+o, u
			}
			if c.bStalled(q, u, k) {
				continue
			}
			for a := c.bOff[u]; a < c.bOff[u+1]; a++ {
				v := c.bHead[a]
				nk := k + c.bW[a]
				if nk < q.bget(v) {
					q.bs[v], q.bd[v], q.bp[v] = q.gen, nk, c.bArc[a]
					q.bh.push(nk, v)
				}
			}
		}
	}
	return best, meet
}

// fStalled is stall-on-demand for the forward search: u is reached more
// cheaply through a higher vertex x with an arc x→u.
func (c *CH) fStalled(q *chQuery, u int32, k int64) bool {
	for a := c.bOff[u]; a < c.bOff[u+1]; a++ {
		if d := q.fget(c.bHead[a]); d != infW && d+c.bW[a] < k {
			return true
		}
	}
	return false
}

// bStalled is stall-on-demand for the backward search.
func (c *CH) bStalled(q *chQuery, u int32, k int64) bool {
	for a := c.fOff[u]; a < c.fOff[u+1]; a++ {
		if d := q.bget(c.fHead[a]); d != infW && d+c.fW[a] < k {
			return true
		}
	}
	return false
}

// Route is a travelled leg: duration, distance and the road geometry from
// the snapped start to the snapped end.
type Route struct {
	Seconds float64
	Meters  float64
	Geom    orb.LineString
}

// Route returns the fastest route with its geometry. When there is no route
// it returns Seconds = Meters = +Inf and no geometry.
func (c *CH) Route(from, to Snap) Route {
	q := c.pool.Get().(*chQuery)
	defer c.pool.Put(q)
	w, meet := c.query(q, from, to)
	if w == infW {
		return Route{Seconds: math.Inf(1), Meters: math.Inf(1)}
	}
	sec, m := unpackW(w)
	r := Route{Seconds: sec, Meters: m}
	g := c.g
	if meet < 0 { // direct along the shared edge (or the same vertex)
		if from.Edge >= 0 {
			r.Geom = subLine(g.Net.Edges[from.Edge].Geom, from.Fraction, to.Fraction)
		} else {
			r.Geom = orb.LineString{from.Point, to.Point}
		}
		return r
	}
	// Forward half: arcs from the source seed up to meet, collected backwards.
	var fwdArcs []int32
	for v := meet; q.fp[v] >= 0; v = c.arcs[q.fp[v]].from {
		fwdArcs = append(fwdArcs, q.fp[v])
	}
	first := meet
	if len(fwdArcs) > 0 {
		first = c.arcs[fwdArcs[len(fwdArcs)-1]].from
	}
	var bwdArcs []int32
	last := meet
	for v := meet; q.bp[v] >= 0; v = c.arcs[q.bp[v]].to {
		bwdArcs = append(bwdArcs, q.bp[v])
		last = c.arcs[q.bp[v]].to
	}
	var geom orb.LineString
	appendPts := func(ls orb.LineString) {
		for _, p := range ls {
			if len(geom) > 0 && geom[len(geom)-1] == p {
				continue
			}
			geom = append(geom, p)
		}
	}
	// From the snapped start to the first vertex.
	if from.Edge >= 0 {
		j := from.Edge
		if first == g.ev[j] && g.edir[j]&dirFwd != 0 && q.fd[first] == g.ew[j]-g.partial(j, from.Fraction) {
			appendPts(subLine(g.Net.Edges[j].Geom, from.Fraction, 1))
		} else {
			appendPts(subLine(g.Net.Edges[j].Geom, from.Fraction, 0))
		}
	} else {
		appendPts(orb.LineString{from.Point})
	}
	var unpack func(id int32)
	unpack = func(id int32) {
		a := &c.arcs[id]
		if a.edge < 0 {
			unpack(a.a)
			unpack(a.b)
			return
		}
		if a.fwd {
			appendPts(subLine(g.Net.Edges[a.edge].Geom, 0, 1))
		} else {
			appendPts(subLine(g.Net.Edges[a.edge].Geom, 1, 0))
		}
	}
	for i := len(fwdArcs) - 1; i >= 0; i-- {
		unpack(fwdArcs[i])
	}
	for _, id := range bwdArcs {
		unpack(id)
	}
	// From the last vertex to the snapped end.
	if to.Edge >= 0 {
		j := to.Edge
		if last == g.eu[j] && g.edir[j]&dirFwd != 0 && q.bd[last] == g.partial(j, to.Fraction) {
			appendPts(subLine(g.Net.Edges[j].Geom, 0, to.Fraction))
		} else {
			appendPts(subLine(g.Net.Edges[j].Geom, 1, to.Fraction))
		}
	} else {
		appendPts(orb.LineString{to.Point})
	}
	if len(geom) == 1 {
		geom = append(geom, geom[0])
	}
	r.Geom = geom
	return r
}

// subLine is the part of ls between fractions a and b of its length,
// reversed when a > b.
func subLine(ls orb.LineString, a, b float64) orb.LineString {
	if a > b {
		out := subLine(ls, b, a)
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	total := LineLength(ls)
	from, to := a*total, b*total
	var out orb.LineString
	var pos float64
	for i := 1; i < len(ls); i++ {
		seg := Haversine(ls[i-1], ls[i])
		s0, s1 := pos, pos+seg
		pos = s1
		if s1 < from || s0 > to {
			continue
		}
		at := func(d float64) orb.Point {
			if seg == 0 {
				return ls[i-1]
			}
			t := math.Min(1, math.Max(0, (d-s0)/seg))
			return orb.Point{ls[i-1][0] + t*(ls[i][0]-ls[i-1][0]), ls[i-1][1] + t*(ls[i][1]-ls[i-1][1])}
		}
		if len(out) == 0 {
			out = append(out, at(math.Max(from, s0)))
		}
		p := at(math.Min(to, s1))
		if out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = orb.LineString{ls[0]}
	}
	if len(out) == 1 {
		out = append(out, out[0])
	}
	return out
}

// bucketEntry is one (target, distance) left at a vertex by a backward
// search.
type bucketEntry struct {
	t int32
	w int64
}

// ManyToMany returns the durations (seconds) and distances (metres) from
// every source to every target, row-major (i*len(targets)+j), with +Inf for
// unreachable pairs. It runs on the calling goroutine.
func (c *CH) ManyToMany(sources, targets []Snap) (seconds, meters []float64) {
	w := c.manyToMany(sources, targets)
	seconds = make([]float64, len(w))
	meters = make([]float64, len(w))
	for i, x := range w {
		seconds[i], meters[i] = unpackW(x)
	}
	return seconds, meters
}

func (c *CH) manyToMany(sources, targets []Snap) []int64 {
	g := c.g
	n := g.NumVertices()
	q := c.pool.Get().(*chQuery)
	defer c.pool.Put(q)
	nt := len(targets)
	res := make([]int64, len(sources)*nt)
	for i := range res {
		res[i] = infW
	}
	// Backward searches: collect (vertex, target, weight) then bucket them.
	type raw struct {
		v int32
		e bucketEntry
	}
	var entries []raw
	for t, ts := range targets {
		q.next()
		q.settled = q.settled[:0]
		for _, s := range g.targetSeeds(ts) {
			if s.w < q.bget(s.v) {
				q.bs[s.v], q.bd[s.v] = q.gen, s.w
				q.bh.push(s.w, s.v)
			}
		}
		for q.bh.len() > 0 {
			k, u := q.bh.pop()
			if k != q.bget(u) {
				continue
			}
			if c.bStalled(q, u, k) {
				continue
			}
			entries = append(entries, raw{u, bucketEntry{int32(t), k}})
			for a := c.bOff[u]; a < c.bOff[u+1]; a++ {
				v := c.bHead[a]
				nk := k + c.bW[a]
				if nk < q.bget(v) {
					q.bs[v], q.bd[v] = q.gen, nk
					q.bh.push(nk, v)
				}
			}
		}
	}
	if cap(q.bucketOff) < n+1 {
		q.bucketOff = make([]int32, n+1)
		q.bucketFill = make([]int32, n+1)
	}
	off := q.bucketOff[:n+1]
	clear(off)
	for _, e := range entries {
		off[e.v+1]++
	}
	for i := 1; i <= n; i++ {
		off[i] += off[i-1]
	}
	fill := q.bucketFill[:n]
	copy(fill, off[:n])
	buckets := make([]bucketEntry, len(entries))
	for _, e := range entries {
		buckets[fill[e.v]] = e.e
		fill[e.v]++
	}
	// Forward searches scan the buckets.
	for s, ss := range sources {
		row := res[s*nt : (s+1)*nt]
		q.next()
		for _, sd := range g.sourceSeeds(ss) {
			if sd.w < q.fget(sd.v) {
				q.fs[sd.v], q.fd[sd.v] = q.gen, sd.w
				q.fh.push(sd.w, sd.v)
			}
		}
		for q.fh.len() > 0 {
			k, u := q.fh.pop()
			if k != q.fget(u) {
				continue
			}
			if c.fStalled(q, u, k) {
				continue
			}
			for _, b := range buckets[off[u]:off[u+1]] {
				if x := k + b.w; x < row[b.t] {
					row[b.t] = x
				}
			}
			for a := c.fOff[u]; a < c.fOff[u+1]; a++ {
				v := c.fHead[a]
				nk := k + c.fW[a]
				if nk < q.fget(v) {
					q.fs[v], q.fd[v] = q.gen, nk
					q.fh.push(nk, v)
				}
			}
		}
	}
	// Pairs on a common edge may travel along it without touching a vertex.
	onEdge := make(map[int][]int32)
	for t, ts := range targets {
		if ts.Edge >= 0 {
			onEdge[ts.Edge] = append(onEdge[ts.Edge], int32(t))
		}
	}
	for s, ss := range sources {
		if ss.Edge < 0 {
			continue
		}
		for _, t := range onEdge[ss.Edge] {
			if d := g.direct(ss, targets[t]); d < res[s*nt+int(t)] {
				res[s*nt+int(t)] = d
			}
		}
	}
	return res
}

// Router bundles a profile's graph and its contraction hierarchy: the one
// value the server keeps in memory to snap points, build travel-time
// matrices and draw legs. It is safe for concurrent use.
type Router struct {
	Graph *Graph
	CH    *CH
}

// NewRouter builds the graph of a network for a profile and contracts it.
func NewRouter(net *Network, p Profile) (*Router, error) {
	g, err := BuildGraph(net, p)
	if err != nil {
		return nil, err
	}
	return &Router{Graph: g, CH: BuildCH(g)}, nil
}

// LoadRouterFile reads an .osm.pbf or .osm file straight into a Router,
// without the database (benchmarks, tests, QAMQOR_GRAPH).
func LoadRouterFile(ctx context.Context, path string, p Profile) (*Router, error) {
	net, err := ReadOSMFile(ctx, path, ImportAll)
	if err != nil {
		return nil, err
	}
	return NewRouter(net, p)
}

// Snap snaps a point to the main component; see Graph.Snap.
func (r *Router) Snap(pt orb.Point, maxMeters float64) (Snap, error) {
	return r.Graph.Snap(pt, maxMeters)
}

// SnapAll snaps every point. The error names the index of the first point
// that is too far; errors.As finds the *SnapError.
func (r *Router) SnapAll(pts []orb.Point, maxMeters float64) ([]Snap, error) {
	out := make([]Snap, len(pts))
	for i, p := range pts {
		s, err := r.Graph.Snap(p, maxMeters)
		if err != nil {
			return nil, fmt.Errorf("snap point index=%d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}

// Matrix snaps the points and returns the road travel-time matrix between
// them (Kind "road"), with the snaps so callers can report snap distances.
func (r *Router) Matrix(pts []orb.Point, maxMeters float64) (*routing.RoadMatrix, []Snap, error) {
	snaps, err := r.SnapAll(pts, maxMeters)
	if err != nil {
		return nil, nil, err
	}
	sec, m := r.CH.ManyToMany(snaps, snaps)
	rm, err := routing.NewRoadMatrix(len(snaps), sec, m)
	return rm, snaps, err
}

// Route snaps both points and returns the fastest leg with its polyline.
// Seconds and Meters are +Inf when the points cannot reach each other.
func (r *Router) Route(from, to orb.Point, maxMeters float64) (Route, error) {
	a, err := r.Graph.Snap(from, maxMeters)
	if err != nil {
		return Route{}, fmt.Errorf("snap start: %w", err)
	}
	b, err := r.Graph.Snap(to, maxMeters)
	if err != nil {
		return Route{}, fmt.Errorf("snap end: %w", err)
	}
	return r.CH.Route(a, b), nil
}
