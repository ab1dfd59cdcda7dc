package dispatch_test

import (
	"context"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

func TestRoadTravel(t *testing.T) {
	ctx := context.Background()
	r, err := geo.LoadRouterFile(ctx, "../testdata/osm/astana_roads_approx.osm.pbf", geo.Car)
	if err != nil {
		t.Fatal(err)
	}
	tr := dispatch.RoadTravel{Router: r, SnapLimitM: 500}
	pts := []orb.Point{
		{71.4304, 51.1282}, // Left bank, near Kenesary/Kabanbay area
		{71.4460, 51.1694}, // Right bank
		{71.90, 51.40},     // far outside the network
	}
	m, err := tr.Matrix(ctx, pts)
	if err != nil {
		t.Fatal(err)
	}
	if m.Size() != 3 {
		t.Fatalf("Size=%d, want 3", m.Size())
	}
	d := m.Duration(0, 1)
	straight := geo.Haversine(pts[0], pts[1])
	if math.IsInf(d, 0) || m.Distance(0, 1) < straight {
		t.Fatalf("road 0->1 duration=%v distance=%v, want finite and >= straight line %.0f m", d, m.Distance(0, 1), straight)
	}
	for _, pair := range [][2]int{{0, 2}, {2, 0}, {1, 2}} {
		if !math.IsInf(m.Duration(pair[0], pair[1]), 1) {
			t.Errorf("Duration(%d,%d)=%v, want Unreachable for an unsnappable point", pair[0], pair[1], m.Duration(pair[0], pair[1]))
		}
	}
	line, dist, dur, err := tr.Path(ctx, pts[:2])
	if err != nil || len(line) < 3 || math.Abs(dist-m.Distance(0, 1)) > 1 || math.Abs(dur-d) > 1 {
		t.Fatalf("Path len=%d dist=%.0f dur=%.0f err=%v, want a polyline matching the matrix (%.0f m, %.0f s)", len(line), dist, dur, err, m.Distance(0, 1), d)
	}
}
