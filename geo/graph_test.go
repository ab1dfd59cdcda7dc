package geo

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestSnapAstana(t *testing.T) {
	f := load(t, astanaFile, Car)
	r := &Router{Graph: f.g, CH: f.ch}

	// A point on the Yesil around 51.15 N in the city centre: it must
	// either snap to a main-component road within the limit or be refused.
	river := orb.Point{71.43, 51.15}
	s, err := r.Snap(river, 500)
	if err != nil {
		var se *SnapError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "from the nearest road; the limit is 500 m") {
			t.Fatalf("river point: unexpected error %v", err)
		}
	} else {
		if s.DistanceM > 500 || !f.g.snappable(s.Edge) {
			t.Fatalf("river point snapped to %+v", s)
		}
		if d := Haversine(s.Point, river); math.Abs(d-s.DistanceM) > 1 {
			t.Fatalf("snap distance %.1f m, haversine %.1f m", s.DistanceM, d)
		}
	}

	// 30 km north of the network's northernmost vertex (farther from the
	// main component): refused, with a clear
	// message giving the distance and the limit.
	far := orb.Point{71.43, 51.68 + 0.27}
	_, err = r.Snap(far, 500)
	var se *SnapError
	if !errors.As(err, &se) {
		t.Fatalf("far point: want *SnapError, got %v", err)
	}
	if se.DistanceM < 29000 || math.IsInf(se.DistanceM, 1) {
		t.Fatalf("far point distance %.0f m", se.DistanceM)
	}
	if msg := err.Error(); !strings.HasSuffix(msg, " m from the nearest road; the limit is 500 m") {
		t.Fatalf("message %q", msg)
	}

	// Both banks are in the main component: a north-bank point reaches a
	// south-bank point, by a road longer than the straight line.
	north, south := orb.Point{71.43, 51.17}, orb.Point{71.43, 51.12}
	rt, err := r.Route(north, south, 500)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsInf(rt.Seconds, 1) || rt.Meters < Haversine(north, south)*0.95 {
		t.Fatalf("across the river: %+v", rt.Meters)
	}
}

// Snapping must match a brute-force scan over all snappable segments.
func TestSnapBruteForce(t *testing.T) {
	f := load(t, liechFile, Foot)
	g := f.g
	gr := &g.grid
	b := g.Bound()
	for i := 0; i < 300; i++ {
		p := orb.Point{
			b.Min[0] + (b.Max[0]-b.Min[0])*float64((i*7919)%1000)/1000,
			b.Min[1] + (b.Max[1]-b.Min[1])*float64((i*104729)%1000)/1000,
		}
		s, err := g.Snap(p, math.Inf(1))
		if err != nil {
			t.Fatal(err)
		}
		px, py := gr.xy(p)
		best := math.Inf(1)
		for j := range g.Net.Edges {
			if !g.snappable(j) {
				continue
			}
			geom := g.Net.Edges[j].Geom
			for k := 0; k+1 < len(geom); k++ {
				ax, ay := gr.xy(geom[k])
				bx, by := gr.xy(geom[k+1])
				d, _ := segDist(px, py, ax, ay, bx, by)
				best = math.Min(best, d)
			}
		}
		if s.DistanceM != best {
			t.Fatalf("point %v: grid %.3f m, brute force %.3f m", p, s.DistanceM, best)
		}
	}
}
