package routing

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// big is a finite stand-in for "no limit" so that an arrival of +Inf (an
// Unreachable leg) always fails a "<= limit" test.
const big = 1e300

var inf = math.Inf(1)

// flatLimit is the largest number of distinct locations whose duration
// matrix is copied into a flat slice (4000^2 * 8 bytes = 128 MB).
const flatLimit = 4000

// model is the solver's compiled, index-based view of a Problem. Locations
// are compacted to the ones actually used.
type model struct {
	p   *Problem
	nJ  int
	nV  int
	dim int

	nL    int
	locOf []int // compact location -> matrix index
	// prof holds one duration table per distinct travel matrix; prof[0]
	// is Problem.Matrix (the neighbour lists are based on it). vd[v] is
	// vehicle v's table: every cost and time of v's route reads it.
	prof []*durations
	vd   []*durations

	jLoc   []int32
	svc    []float64
	wS, wE []float64      // single window (or [-big,big])
	multi  [][]TimeWindow // non-nil for jobs with 2+ windows
	dem    []int64        // nJ*dim
	prio   []int
	pen    []float64 // unassigned penalty per job (lexicographic by priority)

	vStart, vEnd []int32 // vEnd -1 = open route
	shiftS       []float64
	shiftE       []float64
	capa         []int64 // nV*dim
	maxDur       []float64
	maxStops     []int
	fixed        [][]int32
	fixedOf      []int32 // job -> vehicle, -1
	vclass       []int32
	vprof        []int32 // vehicle -> index in prof

	compat   []bool    // nJ*nV
	static   []Reason  // per job, ReasonNone if some vehicle can serve it alone
	pref     []float64 // nJ*nV cost offsets, nil if none
	balW     float64   // BalanceWeight / meanWork
	neigh    [][]int32
	distDepo []float64
	scale    float64 // typical short edge, for annealing temperatures
	// allCompat: every job can go to every vehicle.
	allCompat bool
}

// durations is the duration lookup of one travel matrix over the compact
// locations: a flat copy when there are at most flatLimit locations, else
// the Matrix itself.
type durations struct {
	flat  []float64 // nL*nL durations, or nil when too large
	nL    int
	mat   Matrix
	locOf []int
	// symmetric: durations are symmetric (lets 2-opt reverse in O(1)).
	symmetric bool
}

// t returns the travel duration between compact locations a and b.
func (d *durations) t(a, b int32) float64 {
	if d.flat != nil {
		return d.flat[int(a)*d.nL+int(b)]
	}
	return d.mat.Duration(d.locOf[a], d.locOf[b])
}

// t0 returns the travel duration of profile 0 (Problem.Matrix), used where
// no vehicle is involved (neighbour lists, scales).
func (m *model) t0(a, b int32) float64 {
	return m.prof[0].t(a, b)
}

// newDurations copies the durations of mat between the compact locations
// (when they are at most flatLimit).
func newDurations(mat Matrix, locOf []int) (*durations, error) {
	n := len(locOf)
	d := &durations{nL: n, mat: mat, locOf: locOf}
	if n > flatLimit {
		return d, nil
	}
	d.flat = make([]float64, n*n)
	for a := 0; a < n; a++ {
		for b := 0; b < n; b++ {
			x := mat.Duration(locOf[a], locOf[b])
			if x < 0 || math.IsNaN(x) {
				return nil, fmt.Errorf("routing: matrix duration %d->%d is %v", locOf[a], locOf[b], x)
			}
			d.flat[a*n+b] = x
		}
	}
	d.symmetric = true
	for a := 0; a < n && d.symmetric; a++ {
		for b := 0; b < a; b++ {
			if d.flat[a*n+b] != d.flat[b*n+a] {
				d.symmetric = false
				break
			}
		}
	}
	return d, nil
}

// sameMatrix reports whether a and b are the same matrix value (pointers to
// one matrix, or equal comparable values), so that they share one table.
func sameMatrix(a, b Matrix) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}

// earliest returns the earliest service start of job j for arrival a, or
// +Inf if no window is left.
func (m *model) earliest(j int32, a float64) float64 {
	if ws := m.multi[j]; ws != nil {
		for _, w := range ws {
			if a <= w.End {
				if a < w.Start {
					return w.Start
				}
				return a
			}
		}
		return inf
	}
	if a < m.wS[j] {
		return m.wS[j]
	}
	if a <= m.wE[j] {
		return a
	}
	return inf
}

// latest returns the latest service start of job j not after L, or -Inf.
func (m *model) latest(j int32, L float64) float64 {
	if ws := m.multi[j]; ws != nil {
		for k := len(ws) - 1; k >= 0; k-- {
			if ws[k].Start <= L {
				return math.Min(ws[k].End, L)
			}
		}
		return math.Inf(-1)
	}
	if L < m.wS[j] {
		return math.Inf(-1)
	}
	return math.Min(m.wE[j], L)
}

func skillSet(s []string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, x := range s {
		m[x] = true
	}
	return m
}

// compile validates p and builds the model.
func compile(p *Problem, opt Options) (*model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	m := &model{p: p, nJ: len(p.Jobs), nV: len(p.Vehicles)}
	for _, v := range p.Vehicles {
		m.dim = max(m.dim, len(v.Capacity))
	}
	for _, j := range p.Jobs {
		m.dim = max(m.dim, len(j.Demand))
	}
	// Compact locations.
	compact := map[int]int32{}
	add := func(l int) int32 {
		if c, ok := compact[l]; ok {
			return c
		}
		c := int32(len(m.locOf))
		compact[l] = c
		m.locOf = append(m.locOf, l)
		return c
	}
	m.jLoc = make([]int32, m.nJ)
	for i, j := range p.Jobs {
		m.jLoc[i] = add(j.Location)
	}
	m.vStart = make([]int32, m.nV)
	m.vEnd = make([]int32, m.nV)
	for i, v := range p.Vehicles {
		m.vStart[i] = add(v.Start)
		m.vEnd[i] = -1
		if v.End != NoEnd {
			m.vEnd[i] = add(v.End)
		}
	}
	m.nL = len(m.locOf)
	// One duration table per distinct matrix among Matrix and the profiles
	// that vehicles use.
	d0, err := newDurations(p.Matrix, m.locOf)
	if err != nil {
		return nil, err
	}
	m.prof = []*durations{d0}
	m.vprof = make([]int32, m.nV)
	m.vd = make([]*durations, m.nV)
	profIdx := map[int]int32{0: 0}
	for i, v := range p.Vehicles {
		k, ok := profIdx[v.Profile]
		if !ok {
			mat := p.matrixOf(&p.Vehicles[i])
			k = -1
			for x, d := range m.prof {
				if sameMatrix(d.mat, mat) {
					k = int32(x)
					break
				}
			}
			if k < 0 {
				d, err := newDurations(mat, m.locOf)
				if err != nil {
					return nil, fmt.Errorf("%w (profile %d)", err, v.Profile)
				}
				k = int32(len(m.prof))
				m.prof = append(m.prof, d)
			}
			profIdx[v.Profile] = k
		}
		m.vprof[i] = k
		m.vd[i] = m.prof[k]
	}

	// Jobs.
	m.svc = make([]float64, m.nJ)
	m.wS = make([]float64, m.nJ)
	m.wE = make([]float64, m.nJ)
	m.multi = make([][]TimeWindow, m.nJ)
	m.dem = make([]int64, m.nJ*m.dim)
	m.prio = make([]int, m.nJ)
	m.fixedOf = make([]int32, m.nJ)
	jobIdx := make(map[string]int32, m.nJ)
	for i, j := range p.Jobs {
		jobIdx[j.ID] = int32(i)
		m.svc[i] = j.Service
		m.wS[i], m.wE[i] = -big, big
		switch len(j.Windows) {
		case 0:
		case 1:
			m.wS[i], m.wE[i] = j.Windows[0].Start, j.Windows[0].End
		default:
			m.multi[i] = j.Windows
		}
		copy(m.dem[i*m.dim:], j.Demand)
		m.prio[i] = min(j.Priority, maxPriority)
		m.fixedOf[i] = -1
	}
	// Vehicles.
	m.shiftS = make([]float64, m.nV)
	m.shiftE = make([]float64, m.nV)
	m.capa = make([]int64, m.nV*m.dim)
	m.maxDur = make([]float64, m.nV)
	m.maxStops = make([]int, m.nV)
	m.fixed = make([][]int32, m.nV)
	vehIdx := map[string]int{}
	noCap := true
	for _, v := range p.Vehicles {
		if v.Capacity != nil {
			noCap = false
		}
	}
	for i, v := range p.Vehicles {
		vehIdx[v.ID] = i
		m.shiftS[i] = v.ShiftStart
		m.shiftE[i] = math.Min(v.shiftEnd(), big)
		copy(m.capa[i*m.dim:], v.Capacity)
		if noCap {
			for d := 0; d < m.dim; d++ {
				m.capa[i*m.dim+d] = math.MaxInt64 / 4
			}
		}
		m.maxDur[i] = v.MaxDuration
		m.maxStops[i] = v.MaxStops
		for _, id := range v.Fixed {
			j := jobIdx[id]
			m.fixed[i] = append(m.fixed[i], j)
			m.fixedOf[j] = int32(i)
			// Committed stops: windows are not enforced.
			m.wS[j], m.wE[j] = -big, big
			m.multi[j] = nil
		}
	}
	// Penalties: lexicographic by priority.
	m.pen = make([]float64, m.nJ)
	for i := range m.pen {
		m.pen[i] = math.Pow(float64(m.nJ+1), float64(m.prio[i]))
	}
	// Preferences.
	if opt.PreferenceBonus != 0 {
		m.pref = make([]float64, m.nJ*m.nV)
		for i, j := range p.Jobs {
			for _, id := range j.Preferred {
				m.pref[i*m.nV+vehIdx[id]] = -opt.PreferenceBonus
			}
		}
	}
	// Vehicle classes (identical vehicles share one empty-route evaluation).
	preferred := map[string]bool{}
	for _, j := range p.Jobs {
		for _, id := range j.Preferred {
			preferred[id] = true
		}
	}
	classOf := map[string]int32{}
	m.vclass = make([]int32, m.nV)
	for i, v := range p.Vehicles {
		sk := append([]string(nil), v.Skills...)
		sort.Strings(sk)
		key := fmt.Sprintf("%d|%d|%v|%v|%v|%v|%d|%d|%s", v.Start, v.End, v.ShiftStart, v.ShiftEnd, v.Capacity, v.MaxDuration, v.MaxStops, m.vprof[i], strings.Join(sk, ","))
		if len(v.Fixed) > 0 || (m.pref != nil && preferred[v.ID]) {
			key = "unique|" + v.ID
		}
		c, ok := classOf[key]
		if !ok {
			c = int32(len(classOf))
			classOf[key] = c
		}
		m.vclass[i] = c
	}
	m.compileCompat()
	for v := 0; v < m.nV; v++ {
		have := skillSet(p.Vehicles[v].Skills)
		for _, j := range m.fixed[v] {
			for _, sk := range p.Jobs[j].Skills {
				if !have[sk] {
					return nil, fmt.Errorf("routing: job %q is fixed to vehicle %q, which lacks skill %q", p.Jobs[j].ID, p.Vehicles[v].ID, sk)
				}
			}
			m.compat[int(j)*m.nV+v] = true
		}
	}
	m.allCompat = true
	for _, c := range m.compat {
		if !c {
			m.allCompat = false
			break
		}
	}
	m.compileNeighbours(opt.Neighbours)
	m.profileScale()
	for v := 0; v < m.nV; v++ {
		if len(m.fixed[v]) == 0 {
			continue
		}
		r := route{v: v, jobs: m.fixed[v], load: make([]int64, m.dim)}
		if !m.update(&r, nil, nil) {
			return nil, fmt.Errorf("routing: the fixed jobs of vehicle %q alone break its capacity, shift end, max stops or max duration", p.Vehicles[v].ID)
		}
	}
	if m.nV == 0 {
		for j := range m.static {
			m.static[j] = ReasonNotEnoughVehicles
		}
	}
	// Balance normalisation.
	if opt.BalanceWeight > 0 {
		work := 0.0
		for j := 0; j < m.nJ; j++ {
			work += m.svc[j]
			if len(m.neigh[j]) > 0 {
				work += m.t0(m.jLoc[j], m.jLoc[m.neigh[j][0]])
			}
		}
		mean := work / float64(max(1, m.nV))
		if mean < 1 {
			mean = 1
		}
		m.balW = opt.BalanceWeight / mean
	}
	return m, nil
}

// compileCompat computes which vehicle can serve which job alone, and the
// static reason for jobs no vehicle can serve.
func (m *model) compileCompat() {
	p := m.p
	m.compat = make([]bool, m.nJ*m.nV)
	m.static = make([]Reason, m.nJ)
	vskills := make([]map[string]bool, m.nV)
	for i, v := range p.Vehicles {
		vskills[i] = skillSet(v.Skills)
	}
	for j := 0; j < m.nJ; j++ {
		best := ReasonSkills
		job := &p.Jobs[j]
		jj := int32(j)
		for v := 0; v < m.nV; v++ {
			ok := true
			for _, s := range job.Skills {
				if !vskills[v][s] {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			stage := ReasonUnreachable
			vd := m.vd[v]
			t1 := vd.t(m.vStart[v], m.jLoc[j])
			t2 := 0.0
			if m.vEnd[v] >= 0 {
				t2 = vd.t(m.jLoc[j], m.vEnd[v])
			}
			if t1 < inf && t2 < inf {
				stage = ReasonCapacity
				capOK := true
				for d := 0; d < m.dim; d++ {
					if m.dem[j*m.dim+d] > m.capa[v*m.dim+d] {
						capOK = false
					}
				}
				if capOK {
					stage = ReasonTimeWindow
					s := m.earliest(jj, m.shiftS[v]+t1)
					if s <= big && s+m.svc[j]+t2 <= m.shiftE[v] {
						stage = ReasonMaxDuration
						dur := m.svc[j] + t1 + t2
						if m.maxDur[v] == 0 || dur <= m.maxDur[v] {
							stage = ReasonMaxStops
							if m.maxStops[v] == 0 || m.maxStops[v] > len(m.fixed[v]) {
								stage = ReasonNone
							}
						}
					}
				}
			}
			if stage == ReasonNone {
				m.compat[j*m.nV+v] = true
			}
			if stage > best || stage == ReasonNone {
				best = stage
			}
			if best == ReasonNone {
				// keep scanning to fill compat
				continue
			}
		}
		m.static[j] = best
	}
	for j := 0; j < m.nJ; j++ {
		for v := 0; v < m.nV; v++ {
			if m.compat[j*m.nV+v] {
				m.static[j] = ReasonNone
				break
			}
		}
	}
}

// compileNeighbours builds, for each job, the list of other jobs sorted by
// proximity (granular neighbourhood, Toth & Vigo 2003). Small instances
// keep the full list, as in SISR's adjacency lists.
func (m *model) compileNeighbours(k int) {
	n := m.nJ
	if k <= 0 {
		k = 60
	}
	if n <= 300 {
		k = n - 1
	}
	k = min(k, n-1)
	m.neigh = make([][]int32, n)
	m.distDepo = make([]float64, n)
	type cand struct {
		d float64
		j int32
	}
	buf := make([]cand, 0, n)
	heap := make([]cand, 0, k+1)
	sum, cnt := 0.0, 0
	for a := 0; a < n; a++ {
		if m.nV > 0 {
			m.distDepo[a] = m.vd[0].t(m.vStart[0], m.jLoc[a])
		}
		la := m.jLoc[a]
		if k >= n-1 {
			buf = buf[:0]
			for b := 0; b < n; b++ {
				if b != a {
					lb := m.jLoc[b]
					buf = append(buf, cand{math.Min(m.t0(la, lb), m.t0(lb, la)), int32(b)})
				}
			}
			sort.Slice(buf, func(x, y int) bool {
				if buf[x].d != buf[y].d {
					return buf[x].d < buf[y].d
				}
				return buf[x].j < buf[y].j
			})
			m.neigh[a] = make([]int32, len(buf))
			for i, c := range buf {
				m.neigh[a][i] = c.j
			}
		} else {
			// bounded max-heap of the k nearest
			heap = heap[:0]
			less := func(x, y cand) bool { return x.d > y.d || (x.d == y.d && x.j > y.j) }
			for b := 0; b < n; b++ {
				if b == a {
					continue
				}
				lb := m.jLoc[b]
				c := cand{math.Min(m.t0(la, lb), m.t0(lb, la)), int32(b)}
				if len(heap) == k {
					if !less(heap[0], c) {
						continue
					}
					heap[0] = c
					// sift down
					i := 0
					for {
						l := 2*i + 1
						if l >= k {
							break
						}
						if r := l + 1; r < k && less(heap[l], heap[r]) {
							l = r
						}
						if !less(heap[i], heap[l]) {
							break
						}
						heap[i], heap[l] = heap[l], heap[i]
						i = l
					}
					continue
				}
				heap = append(heap, c)
				i := len(heap) - 1
				for i > 0 {
					par := (i - 1) / 2
					if !less(heap[par], heap[i]) {
						break
					}
					heap[par], heap[i] = heap[i], heap[par]
					i = par
				}
			}
			h := append([]cand(nil), heap...)
			sort.Slice(h, func(x, y int) bool {
				if h[x].d != h[y].d {
					return h[x].d < h[y].d
				}
				return h[x].j < h[y].j
			})
			m.neigh[a] = make([]int32, len(h))
			for i, c := range h {
				m.neigh[a][i] = c.j
			}
		}
		if len(m.neigh[a]) > 0 {
			d := m.t0(la, m.jLoc[m.neigh[a][0]])
			if d < inf {
				sum += d
				cnt++
			}
		}
	}
	m.scale = 1
	if cnt > 0 && sum > 0 {
		m.scale = sum / float64(cnt)
	}
}

// profileScale sets m.scale, the typical short leg that the annealing
// temperatures are relative to, to the mean nearest-neighbour travel time
// over the vehicles' own profiles (weighted by vehicles): when most teams
// walk, their legs are several times longer than by car, and a
// temperature taken from Problem.Matrix alone would freeze their routes.
func (m *model) profileScale() {
	if len(m.prof) < 2 || m.nV == 0 || m.nJ < 2 {
		return
	}
	mean := make([]float64, len(m.prof))
	for k, d := range m.prof {
		sum, cnt := 0.0, 0
		for a := 0; a < m.nJ; a++ {
			if len(m.neigh[a]) == 0 {
				continue
			}
			x := d.t(m.jLoc[a], m.jLoc[m.neigh[a][0]])
			if x < inf {
				sum += x
				cnt++
			}
		}
		if cnt > 0 {
			mean[k] = sum / float64(cnt)
		}
	}
	sum := 0.0
	for v := 0; v < m.nV; v++ {
		sum += mean[m.vprof[v]]
	}
	if s := sum / float64(m.nV); s > 0 {
		m.scale = s
	}
}
