package postgres_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
	"github.com/qamqor/qamqor/geo"
)

const liechtensteinPBF = "../../testdata/osm/fallback_liechtenstein_2021.osm.pbf"

// TestRoadNetworkRoundTrip imports the Liechtenstein extract into PostGIS,
// loads it back and expects the identical network and routing results.
func TestRoadNetworkRoundTrip(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()

	if _, err := db.LoadRoadNetwork(ctx); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Fatalf("empty store: want ENOTFOUND, got %v", err)
	}

	net, err := geo.ReadOSMFile(ctx, liechtensteinPBF, geo.ImportAll)
	if err != nil {
		t.Fatal(err)
	}
	src := postgres.OSMSource(liechtensteinPBF)
	res, err := db.ReplaceRoadNetwork(ctx, net, src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Vertices != len(net.Vertices) || res.Edges != len(net.Edges) || res.Addresses == 0 {
		t.Fatalf("import stored %+v, network has %d vertices and %d edges", res, len(net.Vertices), len(net.Edges))
	}
	// A re-import replaces the graph and adds no gazetteer duplicates.
	res2, err := db.ReplaceRoadNetwork(ctx, net, src)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Addresses != 0 || res2.Edges != res.Edges {
		t.Fatalf("re-import: %+v", res2)
	}
	var houses int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM gazetteer WHERE kind = 'house' AND source = $1`, src).Scan(&houses); err != nil {
		t.Fatal(err)
	}
	if houses != res.Addresses {
		t.Fatalf("gazetteer has %d houses, first import inserted %d", houses, res.Addresses)
	}
	var städtle int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM gazetteer WHERE source = $1 AND street = 'Städtle'`, src).Scan(&städtle); err != nil {
		t.Fatal(err)
	}
	if städtle == 0 {
		t.Fatal("no Städtle address in the gazetteer")
	}
	var latin string
	if err := db.Pool().QueryRow(ctx, `SELECT latin FROM gazetteer WHERE source = $1 AND street = 'Städtle' AND house = '1'`, src).Scan(&latin); err != nil {
		t.Fatal(err)
	}
	if latin != geo.LatinKey("Städtle, 1") || latin == "" {
		t.Fatalf("latin key %q", latin)
	}

	back, err := db.LoadRoadNetwork(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := *net
	want.Addresses = nil
	if !reflect.DeepEqual(back.Vertices, want.Vertices) {
		t.Fatal("vertices differ after the round trip")
	}
	if len(back.Edges) != len(want.Edges) {
		t.Fatalf("%d edges back, want %d", len(back.Edges), len(want.Edges))
	}
	for i := range want.Edges {
		a, b := want.Edges[i], back.Edges[i]
		if !a.Car {
			a.CarSeconds = 0
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("edge %d differs:\n got %+v\nwant %+v", i, b, a)
		}
	}

	// The loaded graph routes exactly like the imported one.
	g1, err := geo.BuildGraph(net, geo.Car)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := db.LoadRoadGraph(ctx, geo.Car)
	if err != nil {
		t.Fatal(err)
	}
	d1, d2 := geo.NewDijkstra(g1), geo.NewDijkstra(g2)
	for i := 0; i < 50; i++ {
		a, b := (i*7919)%g1.NumVertices(), (i*104729+13)%g1.NumVertices()
		s1, m1 := d1.Query(g1.VertexSnap(a), g1.VertexSnap(b))
		s2, m2 := d2.Query(g2.VertexSnap(a), g2.VertexSnap(b))
		if s1 != s2 || m1 != m2 {
			t.Fatalf("pair %d→%d: %v s %v m imported, %v s %v m loaded", a, b, s1, m1, s2, m2)
		}
	}

	// Vaduz centre: the dashboard's road layer.
	fc, err := db.RoadsInBBox(ctx, orb.Bound{Min: orb.Point{9.518, 47.136}, Max: orb.Point{9.526, 47.142}}, 50)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(fc.Features); n == 0 || n > 50 {
		t.Fatalf("%d roads in the Vaduz box", n)
	}
	if _, err := fc.MarshalJSON(); err != nil {
		t.Fatal(err)
	}
}
