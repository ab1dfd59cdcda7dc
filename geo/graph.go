// Package geo is Qamqor's road network: OSM import, an in-memory road graph
// with snapping, Dijkstra as the reference, contraction hierarchies for fast
// one-to-one routes and many-to-many travel-time matrices, and address
// normalisation. It is a leaf library: plain values in, plain values out.
package geo

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// Weights are packed into one int64 so that every algorithm here compares
// paths the same way: first by duration (milliseconds, high 32 bits), then by
// distance (decimetres, low 32 bits). Sums stay exact (a path would need
// 429,000 km to carry into the duration bits), so "shortest" is defined
// exactly and contraction hierarchies return Dijkstra's numbers bit for bit:
// the minimal duration, and among the paths with that duration the shortest
// distance.
const (
	distBits = 32
	distMask = 1<<distBits - 1
	// infW marks an unreached vertex or an unreachable pair.
	infW int64 = math.MaxInt64
)

func packW(durMs, distDm int64) int64 { return durMs<<distBits | distDm }

// unpackW returns seconds and metres.
func unpackW(w int64) (seconds, meters float64) {
	if w == infW {
		return math.Inf(1), math.Inf(1)
	}
	return float64(w>>distBits) / 1000, float64(w&distMask) / 10
}

// Edge direction flags for one profile.
const (
	dirFwd uint8 = 1 // Source→Target allowed
	dirBwd uint8 = 2 // Target→Source allowed
)

// Graph is the routable road graph for one profile, in compact CSR arrays.
// Vertex i is Net.Vertices[i] and edge j is Net.Edges[j]. It knows its
// strongly connected components and snaps points to edges of the main
// (largest) one. A Graph is immutable and safe for concurrent use.
type Graph struct {
	// Profile is the traveller the graph is built for.
	Profile Profile
	// Net is the network the graph was built from.
	Net *Network

	eu, ev  []int32 // edge endpoints (vertex indices)
	ew      []int64 // packed edge weight, the same in both directions
	edir    []uint8 // dirFwd|dirBwd, 0 when unusable for the profile
	off     []int32 // forward CSR: arcs of vertex i are off[i]..off[i+1]
	head    []int32
	arcEdge []int32
	arcFwd  []bool  // arc runs along the edge geometry
	roff    []int32 // reverse CSR: arcs into vertex i
	rtail   []int32
	rEdge   []int32

	comp      []int32 // strongly connected component of each vertex
	compSize  []int32
	mainComp  int32
	mainCount int

	grid segGrid
}

// BuildGraph makes the routable graph of a network for a profile.
func BuildGraph(net *Network, p Profile) (*Graph, error) {
	nv := len(net.Vertices)
	index := make(map[int64]int32, nv)
	for i, v := range net.Vertices {
		index[v.ID] = int32(i)
	}
	g := &Graph{Profile: p, Net: net}
	ne := len(net.Edges)
	g.eu = make([]int32, ne)
	g.ev = make([]int32, ne)
	g.ew = make([]int64, ne)
	g.edir = make([]uint8, ne)
	outDeg := make([]int32, nv+1)
	inDeg := make([]int32, nv+1)
	for j := range net.Edges {
		e := &net.Edges[j]
		u, ok1 := index[e.Source]
		v, ok2 := index[e.Target]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("edge id=%d refers to a missing vertex", e.ID)
		}
		g.eu[j], g.ev[j] = u, v
		var sec float64
		switch {
		case p == Car && e.Car:
			sec = e.CarSeconds
			g.edir[j] = dirFwd
			if !e.Oneway {
				g.edir[j] |= dirBwd
			}
		case p == Foot && e.Foot:
			sec = e.FootSeconds()
			g.edir[j] = dirFwd | dirBwd
		}
		g.ew[j] = packW(int64(math.Round(sec*1000)), int64(math.Round(e.LengthM*10)))
		if u == v {
			continue // a loop never shortens a path
		}
		if g.edir[j]&dirFwd != 0 {
			outDeg[u]++
			inDeg[v]++
		}
		if g.edir[j]&dirBwd != 0 {
			outDeg[v]++
			inDeg[u]++
		}
	}
	g.off = prefix(outDeg)
	g.roff = prefix(inDeg)
	na := g.off[nv]
	g.head = make([]int32, na)
	g.arcEdge = make([]int32, na)
	g.arcFwd = make([]bool, na)
	g.rtail = make([]int32, na)
	g.rEdge = make([]int32, na)
	fill := append([]int32(nil), g.off[:nv]...)
	rfill := append([]int32(nil), g.roff[:nv]...)
	add := func(from, to, edge int32, fwd bool) {
		k := fill[from]
		fill[from]++
		g.head[k], g.arcEdge[k], g.arcFwd[k] = to, edge, fwd
		k = rfill[to]
		rfill[to]++
		g.rtail[k], g.rEdge[k] = from, edge
	}
	for j := range net.Edges {
		u, v := g.eu[j], g.ev[j]
		if u == v {
			continue
		}
		if g.edir[j]&dirFwd != 0 {
			add(u, v, int32(j), true)
		}
		if g.edir[j]&dirBwd != 0 {
			add(v, u, int32(j), false)
		}
	}
	g.components()
	g.buildGrid()
	return g, nil
}

func prefix(deg []int32) []int32 {
	off := make([]int32, len(deg))
	var s int32
	for i := 0; i < len(deg)-1; i++ {
		off[i] = s
		s += deg[i]
	}
	off[len(deg)-1] = s
	return off
}

// NumVertices is the number of vertices.
func (g *Graph) NumVertices() int { return len(g.Net.Vertices) }

// NumEdges is the number of edges (usable or not for the profile).
func (g *Graph) NumEdges() int { return len(g.Net.Edges) }

// NumArcs is the number of directed arcs usable by the profile.
func (g *Graph) NumArcs() int { return len(g.head) }

// Components is the number of strongly connected components (isolated
// vertices included).
func (g *Graph) Components() int { return len(g.compSize) }

// MainComponentShare is the fraction of the profile's vertices (those with
// a usable arc) in the largest strongly connected component.
func (g *Graph) MainComponentShare() float64 {
	n := 0
	for v := range g.comp {
		if g.off[v+1] > g.off[v] || g.roff[v+1] > g.roff[v] {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(g.mainCount) / float64(n)
}

// InMainComponent reports whether vertex i is in the largest component.
func (g *Graph) InMainComponent(i int) bool { return g.comp[i] == g.mainComp }

// SameComponent reports whether two vertices are strongly connected.
func (g *Graph) SameComponent(a, b int) bool { return g.comp[a] == g.comp[b] }

// VertexPoint is the position of vertex i.
func (g *Graph) VertexPoint(i int) orb.Point { return g.Net.Vertices[i].Pt }

// Bound is the bounding box of all vertices.
func (g *Graph) Bound() orb.Bound {
	b := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, v := range g.Net.Vertices {
		b = b.Extend(v.Pt)
	}
	return b
}

// components labels strongly connected components with an iterative
// Tarjan's algorithm and picks the largest (ties: the lowest label).
func (g *Graph) components() {
	n := len(g.Net.Vertices)
	g.comp = make([]int32, n)
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack, callV, callK []int32
	var next int32
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		callV = append(callV[:0], int32(root))
		callK = append(callK[:0], g.off[root])
		index[root], low[root] = next, next
		next++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(callV) > 0 {
			v := callV[len(callV)-1]
			k := callK[len(callK)-1]
			if k < g.off[v+1] {
				callK[len(callK)-1]++
				w := g.head[k]
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					callV = append(callV, w)
					callK = append(callK, g.off[w])
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			callV = callV[:len(callV)-1]
			callK = callK[:len(callK)-1]
			if len(callV) > 0 {
				p := callV[len(callV)-1]
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				c := int32(len(g.compSize))
				var size int32
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					g.comp[w] = c
					size++
					if w == v {
						break
					}
				}
				g.compSize = append(g.compSize, size)
			}
		}
	}
	g.mainComp = -1
	for c, s := range g.compSize {
		if g.mainComp < 0 || s > g.compSize[g.mainComp] {
			g.mainComp = int32(c)
		}
	}
	if g.mainComp >= 0 {
		g.mainCount = int(g.compSize[g.mainComp])
	}
}

// snappable reports whether edge j is usable and lies in the main component.
func (g *Graph) snappable(j int) bool {
	return g.edir[j] != 0 && g.comp[g.eu[j]] == g.mainComp && g.comp[g.ev[j]] == g.mainComp
}

// Snap is a location on the road graph: a point on an edge at a fraction of
// its length, or (Edge == -1) exactly a vertex.
type Snap struct {
	// Edge is the edge index in the graph (Net.Edges[Edge]), or -1 for a
	// vertex location.
	Edge int
	// Vertex is the vertex index when Edge == -1.
	Vertex int
	// Fraction is the position along the edge geometry, 0 at Source, 1 at
	// Target.
	Fraction float64
	// OffsetM is the same position in metres from Source.
	OffsetM float64
	// DistanceM is how far the input point is from the road.
	DistanceM float64
	// Point is the snapped position on the road; Input the point asked for.
	Point orb.Point
	Input orb.Point
}

// VertexSnap is the location exactly at vertex i.
func (g *Graph) VertexSnap(i int) Snap {
	pt := g.Net.Vertices[i].Pt
	return Snap{Edge: -1, Vertex: i, Point: pt, Input: pt}
}

// SnapError is returned when a point is too far from the road network.
type SnapError struct {
	Point     orb.Point
	DistanceM float64 // to the nearest usable road, +Inf when there is none
	LimitM    float64
}

// Error says how far the point is and what the limit is.
func (e *SnapError) Error() string {
	if math.IsInf(e.DistanceM, 1) {
		return "the road network is empty; no point can be snapped"
	}
	return fmt.Sprintf("point is %.0f m from the nearest road; the limit is %.0f m", e.DistanceM, e.LimitM)
}

// Snap finds the nearest point on a usable edge of the main component. It
// returns a *SnapError when that point is farther than maxMeters. Ties go to
// the lower edge index, so the result is deterministic.
func (g *Graph) Snap(pt orb.Point, maxMeters float64) (Snap, error) {
	s, ok := g.grid.nearest(g, pt)
	if !ok {
		return Snap{}, &SnapError{Point: pt, DistanceM: math.Inf(1), LimitM: maxMeters}
	}
	if s.DistanceM > maxMeters {
		return Snap{}, &SnapError{Point: pt, DistanceM: s.DistanceM, LimitM: maxMeters}
	}
	return s, nil
}

// segGrid is a uniform grid over the segments of snappable edges, in a local
// equirectangular projection (metres) centred on the graph.
type segGrid struct {
	lon0, lat0   float64
	kx, ky       float64 // metres per degree
	minX, minY   float64
	cell         float64
	nx, ny       int
	cellOff      []int32
	cellEdge     []int32
	cellSeg      []int32
	segPrefixLen [][]float64 // per edge: cumulative haversine length at each node
}

const gridCellM = 250

func (gr *segGrid) xy(p orb.Point) (x, y float64) {
	return (p[0] - gr.lon0) * gr.kx, (p[1] - gr.lat0) * gr.ky
}

func (g *Graph) buildGrid() {
	gr := &g.grid
	b := g.Bound()
	if len(g.Net.Vertices) == 0 {
		return
	}
	gr.lon0, gr.lat0 = (b.Min[0]+b.Max[0])/2, (b.Min[1]+b.Max[1])/2
	gr.ky = earthRadiusM * math.Pi / 180
	gr.kx = gr.ky * math.Cos(gr.lat0*math.Pi/180)
	gr.cell = gridCellM
	var minX, minY, maxX, maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for j := range g.Net.Edges {
		if !g.snappable(j) {
			continue
		}
		for _, p := range g.Net.Edges[j].Geom {
			x, y := gr.xy(p)
			minX, minY = math.Min(minX, x), math.Min(minY, y)
			maxX, maxY = math.Max(maxX, x), math.Max(maxY, y)
		}
	}
	if math.IsInf(minX, 1) {
		return
	}
	gr.minX, gr.minY = minX, minY
	gr.nx = int((maxX-minX)/gr.cell) + 1
	gr.ny = int((maxY-minY)/gr.cell) + 1
	counts := make([]int32, gr.nx*gr.ny+1)
	gr.segPrefixLen = make([][]float64, len(g.Net.Edges))
	visit := func(fn func(cell int, j, s int)) {
		for j := range g.Net.Edges {
			if !g.snappable(j) {
				continue
			}
			geom := g.Net.Edges[j].Geom
			for s := 0; s+1 < len(geom); s++ {
				x1, y1 := gr.xy(geom[s])
				x2, y2 := gr.xy(geom[s+1])
				cx1, cx2 := gr.cx(math.Min(x1, x2)), gr.cx(math.Max(x1, x2))
				cy1, cy2 := gr.cy(math.Min(y1, y2)), gr.cy(math.Max(y1, y2))
				for cy := cy1; cy <= cy2; cy++ {
					for cx := cx1; cx <= cx2; cx++ {
						fn(cy*gr.nx+cx, j, s)
					}
				}
			}
		}
	}
	visit(func(c, _, _ int) { counts[c]++ })
	gr.cellOff = prefix(counts)
	n := gr.cellOff[len(gr.cellOff)-1]
	gr.cellEdge = make([]int32, n)
	gr.cellSeg = make([]int32, n)
	fill := append([]int32(nil), gr.cellOff[:len(gr.cellOff)-1]...)
	visit(func(c, j, s int) {
		k := fill[c]
		fill[c]++
		gr.cellEdge[k], gr.cellSeg[k] = int32(j), int32(s)
	})
	for j := range g.Net.Edges {
		if !g.snappable(j) {
			continue
		}
		geom := g.Net.Edges[j].Geom
		pl := make([]float64, len(geom))
		for s := 1; s < len(geom); s++ {
			pl[s] = pl[s-1] + Haversine(geom[s-1], geom[s])
		}
		gr.segPrefixLen[j] = pl
	}
}

func (gr *segGrid) cx(x float64) int {
	c := int(math.Floor((x - gr.minX) / gr.cell))
	return min(max(c, 0), gr.nx-1)
}

func (gr *segGrid) cy(y float64) int {
	c := int(math.Floor((y - gr.minY) / gr.cell))
	return min(max(c, 0), gr.ny-1)
}

// nearest searches rings of cells around the point until no closer segment
// can exist.
func (gr *segGrid) nearest(g *Graph, pt orb.Point) (Snap, bool) {
	if gr.nx == 0 {
		return Snap{}, false
	}
	px, py := gr.xy(pt)
	// unclamped cell of the point
	pcx := int(math.Floor((px - gr.minX) / gr.cell))
	pcy := int(math.Floor((py - gr.minY) / gr.cell))
	best := math.Inf(1)
	bestEdge, bestSeg := -1, -1
	var bestT float64
	maxR := max(abs(pcx), abs(pcx-gr.nx), abs(pcy), abs(pcy-gr.ny)) + 1
	for r := 0; r <= maxR; r++ {
		if bestEdge >= 0 && float64(r-1)*gr.cell > best {
			break
		}
		for cy := pcy - r; cy <= pcy+r; cy++ {
			if cy < 0 || cy >= gr.ny {
				continue
			}
			step := 1
			if cy != pcy-r && cy != pcy+r {
				step = 2 * r // only the left and right cells of the ring
			}
			for cx := pcx - r; cx <= pcx+r; cx += max(step, 1) {
				if cx < 0 || cx >= gr.nx {
					continue
				}
				c := cy*gr.nx + cx
				for k := gr.cellOff[c]; k < gr.cellOff[c+1]; k++ {
					j, s := int(gr.cellEdge[k]), int(gr.cellSeg[k])
					geom := g.Net.Edges[j].Geom
					ax, ay := gr.xy(geom[s])
					bx, by := gr.xy(geom[s+1])
					d, t := segDist(px, py, ax, ay, bx, by)
					if d < best || (d == best && (j < bestEdge || (j == bestEdge && s < bestSeg))) {
						best, bestEdge, bestSeg, bestT = d, j, s, t
					}
				}
			}
		}
	}
	if bestEdge < 0 {
		return Snap{}, false
	}
	e := &g.Net.Edges[bestEdge]
	a, b := e.Geom[bestSeg], e.Geom[bestSeg+1]
	pl := gr.segPrefixLen[bestEdge]
	off := pl[bestSeg] + bestT*(pl[bestSeg+1]-pl[bestSeg])
	frac := 0.0
	if e.LengthM > 0 {
		frac = math.Min(1, math.Max(0, off/e.LengthM))
	}
	return Snap{
		Edge:      bestEdge,
		Vertex:    -1,
		Fraction:  frac,
		OffsetM:   off,
		DistanceM: best,
		Point:     orb.Point{a[0] + bestT*(b[0]-a[0]), a[1] + bestT*(b[1]-a[1])},
		Input:     pt,
	}, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// segDist is the distance from p to segment ab and the parameter t of the
// closest point.
func segDist(px, py, ax, ay, bx, by float64) (float64, float64) {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = ((px-ax)*dx + (py-ay)*dy) / l2
		t = math.Min(1, math.Max(0, t))
	}
	x, y := ax+t*dx-px, ay+t*dy-py
	return math.Hypot(x, y), t
}

// seed is a vertex entered (or left) at a cost from a location on an edge.
type seed struct {
	v int32
	w int64
}

// partial is the packed weight of the first fraction f of edge j. Each
// component is rounded separately, so partial is monotone in f and
// partial(j,1) is the edge weight.
func (g *Graph) partial(j int, f float64) int64 {
	w := g.ew[j]
	d := int64(math.Round(float64(w>>distBits) * f))
	l := int64(math.Round(float64(w&distMask) * f))
	return packW(d, l)
}

// sourceSeeds are the vertices a traveller at s reaches first, with costs.
func (g *Graph) sourceSeeds(s Snap) []seed {
	if s.Edge < 0 {
		return []seed{{int32(s.Vertex), 0}}
	}
	j := s.Edge
	p := g.partial(j, s.Fraction)
	var out []seed
	if g.edir[j]&dirFwd != 0 {
		out = append(out, seed{g.ev[j], g.ew[j] - p})
	}
	if g.edir[j]&dirBwd != 0 {
		out = append(out, seed{g.eu[j], p})
	}
	return out
}

// targetSeeds are the vertices from which t is reached last, with costs.
func (g *Graph) targetSeeds(t Snap) []seed {
	if t.Edge < 0 {
		return []seed{{int32(t.Vertex), 0}}
	}
	j := t.Edge
	p := g.partial(j, t.Fraction)
	var out []seed
	if g.edir[j]&dirFwd != 0 {
		out = append(out, seed{g.eu[j], p})
	}
	if g.edir[j]&dirBwd != 0 {
		out = append(out, seed{g.ev[j], g.ew[j] - p})
	}
	return out
}

// direct is the cost of travelling from s to t along their common edge
// without passing a vertex, or infW.
func (g *Graph) direct(s, t Snap) int64 {
	if s.Edge < 0 || s.Edge != t.Edge {
		if s.Edge < 0 && t.Edge < 0 && s.Vertex == t.Vertex {
			return 0
		}
		return infW
	}
	j := s.Edge
	best := infW
	ps, pt := g.partial(j, s.Fraction), g.partial(j, t.Fraction)
	if g.edir[j]&dirFwd != 0 && s.Fraction <= t.Fraction {
		best = pt - ps
	}
	if g.edir[j]&dirBwd != 0 && s.Fraction >= t.Fraction && ps-pt < best {
		best = ps - pt
	}
	return best
}
