package geo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/routing"
)

// randomSnaps returns n locations: half random vertices of the whole graph
// (any component, to exercise unreachable pairs), half random points in the
// bounding box snapped to the main component.
func randomSnaps(g *Graph, r *rand.Rand, n int) []Snap {
	b := g.Bound()
	out := make([]Snap, 0, n)
	for len(out) < n {
		if len(out)%2 == 0 {
			out = append(out, g.VertexSnap(r.IntN(g.NumVertices())))
			continue
		}
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		if s, err := g.Snap(p, 2000); err == nil {
			out = append(out, s)
		}
	}
	return out
}

func TestCHEqualsDijkstra(t *testing.T) {
	for _, file := range []string{astanaFile, liechFile} {
		for _, p := range []Profile{Car, Foot} {
			f := load(t, file, p)
			d := NewDijkstra(f.g)
			r := rand.New(rand.NewPCG(7, uint64(p)))
			pts := randomSnaps(f.g, r, 600)
			unreachable, crossComp := 0, 0
			for i := 0; i+1 < len(pts); i += 2 {
				a, b := pts[i], pts[i+1]
				ws := d.query(a, b)
				wc := f.ch.mustQuery(a, b)
				if ws != wc {
					t.Fatalf("%s %s pair %d: Dijkstra %d, CH %d", file, p, i, ws, wc)
				}
				if a.Edge < 0 && b.Edge < 0 && !f.g.SameComponent(a.Vertex, b.Vertex) {
					crossComp++
				}
				if ws == infW {
					unreachable++
					if s, m := f.ch.Query(a, b); s != routing.Unreachable || m != routing.Unreachable {
						t.Fatalf("unreachable pair reported as %v s %v m", s, m)
					}
				}
			}
			if unreachable == 0 || unreachable < crossComp/2 {
				t.Errorf("%s %s: %d unreachable pairs, %d cross-component", file, p, unreachable, crossComp)
			}
			// Same edge, both directions, and identical points.
			for _, s := range pts[1:40:40] {
				for _, fr := range []float64{0, 0.25, 0.5, 0.9, 1} {
					o := s
					o.Fraction = fr
					for _, pair := range [][2]Snap{{s, o}, {o, s}, {s, s}} {
						if ws, wc := d.query(pair[0], pair[1]), f.ch.mustQuery(pair[0], pair[1]); ws != wc {
							t.Fatalf("same edge: Dijkstra %d, CH %d", ws, wc)
						}
					}
				}
			}
		}
	}
}

func (c *CH) mustQuery(a, b Snap) int64 {
	q := c.pool.Get().(*chQuery)
	defer c.pool.Put(q)
	w, _ := c.query(q, a, b)
	return w
}

func TestManyToManyEqualsDijkstra(t *testing.T) {
	for _, file := range []string{astanaFile, liechFile} {
		f := load(t, file, Car)
		d := NewDijkstra(f.g)
		r := rand.New(rand.NewPCG(11, 3))
		src := randomSnaps(f.g, r, 40)
		dst := randomSnaps(f.g, r, 30)
		dst = append(dst, src[1], src[2]) // shared locations and edges
		w := f.ch.manyToMany(src, dst)
		for i := range src {
			for j := range dst {
				if want := d.query(src[i], dst[j]); w[i*len(dst)+j] != want {
					t.Fatalf("%s [%d,%d]: m2m %d, Dijkstra %d", file, i, j, w[i*len(dst)+j], want)
				}
			}
		}
	}
}

func TestRouteGeometry(t *testing.T) {
	f := load(t, astanaFile, Car)
	r := rand.New(rand.NewPCG(5, 5))
	pts := randomSnaps(f.g, r, 200)
	for i := 0; i+1 < len(pts); i += 2 {
		rt := f.ch.Route(pts[i], pts[i+1])
		if math.IsInf(rt.Meters, 1) {
			if rt.Geom != nil {
				t.Fatal("geometry for an unreachable pair")
			}
			continue
		}
		if gl := LineLength(rt.Geom); math.Abs(gl-rt.Meters) > 1+rt.Meters*1e-4 {
			t.Fatalf("pair %d: polyline %.2f m, route %.2f m", i, gl, rt.Meters)
		}
		if rt.Geom[0] != pts[i].Point || rt.Geom[len(rt.Geom)-1] != pts[i+1].Point {
			t.Fatalf("pair %d: polyline runs %v..%v, want %v..%v", i, rt.Geom[0], rt.Geom[len(rt.Geom)-1], pts[i].Point, pts[i+1].Point)
		}
	}
}

func TestRouterMatrix(t *testing.T) {
	f := load(t, astanaFile, Car)
	r := &Router{Graph: f.g, CH: f.ch}
	pts := []orb.Point{{71.43, 51.17}, {71.43, 51.12}, {71.45, 51.15}}
	m, snaps, err := r.Matrix(pts, 500)
	if err != nil {
		t.Fatal(err)
	}
	var _ routing.Matrix = m
	if m.Kind() != "road" || m.Size() != 3 || len(snaps) != 3 {
		t.Fatal("bad matrix")
	}
	for i := range pts {
		if m.Duration(i, i) != 0 {
			t.Fatalf("diagonal %v", m.Duration(i, i))
		}
		for j := range pts {
			if s, d := f.ch.Query(snaps[i], snaps[j]); s != m.Duration(i, j) || d != m.Distance(i, j) {
				t.Fatalf("[%d,%d] matrix %v/%v, query %v/%v", i, j, m.Duration(i, j), m.Distance(i, j), s, d)
			}
		}
	}
	if _, _, err := r.Matrix([]orb.Point{{71.43, 51.17}, {72.5, 51.17}}, 500); err == nil {
		t.Fatal("a point 70 km away must be refused")
	}
}

func BenchmarkBuildCH(b *testing.B) {
	f := load(b, astanaFile, Car)
	for b.Loop() {
		BuildCH(f.g)
	}
}

func benchSnaps(b *testing.B, n int) (*fixture, []Snap) {
	f := load(b, astanaFile, Car)
	r := rand.New(rand.NewPCG(1, 1))
	bd := f.g.Bound()
	var out []Snap
	for len(out) < n {
		p := orb.Point{bd.Min[0] + r.Float64()*(bd.Max[0]-bd.Min[0]), bd.Min[1] + r.Float64()*(bd.Max[1]-bd.Min[1])}
		if s, err := f.g.Snap(p, 1000); err == nil {
			out = append(out, s)
		}
	}
	return f, out
}

func BenchmarkOneToOne(b *testing.B) {
	f, pts := benchSnaps(b, 1000)
	i := 0
	for b.Loop() {
		f.ch.Query(pts[i%1000], pts[(i*7+1)%1000])
		i++
	}
}

func BenchmarkDijkstraOneToOne(b *testing.B) {
	f, pts := benchSnaps(b, 1000)
	d := NewDijkstra(f.g)
	i := 0
	for b.Loop() {
		d.Query(pts[i%1000], pts[(i*7+1)%1000])
		i++
	}
}

func BenchmarkMatrix100(b *testing.B) {
	f, pts := benchSnaps(b, 100)
	for b.Loop() {
		f.ch.ManyToMany(pts, pts)
	}
}

func BenchmarkMatrix1000(b *testing.B) {
	f, pts := benchSnaps(b, 1000)
	for b.Loop() {
		f.ch.ManyToMany(pts, pts)
	}
}

func BenchmarkSnap(b *testing.B) {
	f := load(b, astanaFile, Car)
	i := 0
	for b.Loop() {
		f.g.Snap(orb.Point{71.35 + float64(i%100)*0.002, 51.10 + float64(i%77)*0.001}, 500)
		i++
	}
}

// The Router is shared by the server's goroutines.
func TestConcurrentQueries(t *testing.T) {
	f := load(t, astanaFile, Car)
	pts := randomSnaps(f.g, rand.New(rand.NewPCG(3, 3)), 40)
	want := f.ch.manyToMany(pts, pts)
	done := make(chan error, 4)
	for k := 0; k < 4; k++ {
		go func() {
			for i := range pts {
				for j := range pts {
					if w := f.ch.mustQuery(pts[i], pts[j]); w != want[i*len(pts)+j] {
						done <- fmt.Errorf("[%d,%d] %d, want %d", i, j, w, want[i*len(pts)+j])
						return
					}
				}
			}
			f.ch.ManyToMany(pts[:10], pts)
			done <- nil
		}()
	}
	for k := 0; k < 4; k++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
