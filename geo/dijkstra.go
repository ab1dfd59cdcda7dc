package geo

// minHeap is a binary heap of (key, vertex) with lazy deletion: callers skip
// entries whose key no longer matches the vertex's tentative distance. Ties
// on key pop the lower vertex first, which keeps searches deterministic.
type minHeap struct {
	key []int64
	v   []int32
}

func (h *minHeap) len() int { return len(h.key) }

func (h *minHeap) reset() { h.key, h.v = h.key[:0], h.v[:0] }

func (h *minHeap) less(i, j int) bool {
	return h.key[i] < h.key[j] || (h.key[i] == h.key[j] && h.v[i] < h.v[j])
}

func (h *minHeap) swap(i, j int) {
	h.key[i], h.key[j] = h.key[j], h.key[i]
	h.v[i], h.v[j] = h.v[j], h.v[i]
}

func (h *minHeap) push(k int64, v int32) {
	h.key = append(h.key, k)
	h.v = append(h.v, v)
	i := len(h.key) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.swap(i, p)
		i = p
	}
}

func (h *minHeap) minKey() int64 { return h.key[0] }

func (h *minHeap) pop() (int64, int32) {
	k, v := h.key[0], h.v[0]
	n := len(h.key) - 1
	h.key[0], h.v[0] = h.key[n], h.v[n]
	h.key, h.v = h.key[:n], h.v[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h.swap(i, m)
		i = m
	}
	return k, v
}

// Dijkstra is the plain reference router on a Graph: no preprocessing, one
// search per query. Tests compare contraction hierarchies against it. A
// Dijkstra is not safe for concurrent use; make one per goroutine.
type Dijkstra struct {
	g     *Graph
	dist  []int64
	stamp []uint32
	gen   uint32
	heap  minHeap
}

// NewDijkstra prepares a reference router.
func NewDijkstra(g *Graph) *Dijkstra {
	n := g.NumVertices()
	return &Dijkstra{g: g, dist: make([]int64, n), stamp: make([]uint32, n)}
}

func (d *Dijkstra) get(v int32) int64 {
	if d.stamp[v] != d.gen {
		return infW
	}
	return d.dist[v]
}

func (d *Dijkstra) set(v int32, w int64) {
	d.stamp[v] = d.gen
	d.dist[v] = w
}

// Query returns the travel duration (seconds) and distance (metres) of the
// fastest route from one location to another; among equally fast routes the
// shortest. Unreachable pairs return +Inf for both (routing.Unreachable).
func (d *Dijkstra) Query(from, to Snap) (seconds, meters float64) {
	return unpackW(d.query(from, to))
}

func (d *Dijkstra) query(from, to Snap) int64 {
	g := d.g
	best := g.direct(from, to)
	d.gen++
	if d.gen == 0 {
		clear(d.stamp)
		d.gen = 1
	}
	d.heap.reset()
	for _, s := range g.sourceSeeds(from) {
		if s.w < d.get(s.v) {
			d.set(s.v, s.w)
			d.heap.push(s.w, s.v)
		}
	}
	targets := g.targetSeeds(to)
	for d.heap.len() > 0 {
		k, u := d.heap.pop()
		if k != d.get(u) {
			continue
		}
		if k >= best {
			break
		}
		for _, t := range targets {
			if t.v == u && k+t.w < best {
				best = k + t.w
			}
		}
		for a := g.off[u]; a < g.off[u+1]; a++ {
			v := g.head[a]
			nk := k + g.ew[g.arcEdge[a]]
			if nk < d.get(v) {
				d.set(v, nk)
				d.heap.push(nk, v)
			}
		}
	}
	return best
}
