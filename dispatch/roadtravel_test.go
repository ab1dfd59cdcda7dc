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
	m, err := tr.Matrix(ctx, pts, dispatch.ByCar)
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
	line, dist, dur, err := tr.Path(ctx, pts[:2], dispatch.ByCar)
	if err != nil || len(line) < 3 || math.Abs(dist-m.Distance(0, 1)) > 1 || math.Abs(dur-d) > 1 {
		t.Fatalf("Path len=%d dist=%.0f dur=%.0f err=%v, want a polyline matching the matrix (%.0f m, %.0f s)", len(line), dist, dur, err, m.Distance(0, 1), d)
	}
}

func TestTravelModes(t *testing.T) {
	ctx := context.Background()
	net, err := geo.ReadOSMFile(ctx, "../testdata/osm/astana_roads_approx.osm.pbf", geo.ImportAll)
	if err != nil {
		t.Fatal(err)
	}
	car, err := geo.NewRouter(net, geo.Car)
	if err != nil {
		t.Fatal(err)
	}
	foot, err := geo.NewRouter(net, geo.Foot)
	if err != nil {
		t.Fatal(err)
	}
	pts := []orb.Point{{71.4304, 51.1282}, {71.4460, 51.1694}}
	for _, tr := range []dispatch.Travel{dispatch.RoadTravel{Router: car, Foot: foot, SnapLimitM: 500}, dispatch.HaversineTravel{}} {
		byCar, err := tr.Matrix(ctx, pts, dispatch.ByCar)
		if err != nil {
			t.Fatal(err)
		}
		onFoot, err := tr.Matrix(ctx, pts, dispatch.OnFoot)
		if err != nil {
			t.Fatal(err)
		}
		c, f := byCar.Duration(0, 1), onFoot.Duration(0, 1)
		// Walking 5 km across town takes several times as long as driving.
		if math.IsInf(f, 0) || f < 3*c {
			t.Errorf("%s: walking %.0f s vs driving %.0f s, want walking at least 3x slower", tr.Kind(), f, c)
		}
		_, _, dur, err := tr.Path(ctx, pts, dispatch.OnFoot)
		if err != nil || math.Abs(dur-f) > 1 {
			t.Errorf("%s: walking path %.0f s (err %v), want the matrix's %.0f s", tr.Kind(), dur, err, f)
		}
	}
	if dispatch.ModeOf(true) != dispatch.ByCar || dispatch.ModeOf(false) != dispatch.OnFoot {
		t.Error("ModeOf: a team with a vehicle drives, without one walks")
	}
}
