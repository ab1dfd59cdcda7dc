package geo

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

func TestParseMaxspeed(t *testing.T) {
	for in, want := range map[string]float64{
		"60": 60, "60 km/h": 60, "30 mph": 48.28032, "RU:urban": 60, "KZ:rural": 90,
		"DE:urban": 50, "walk": 7, "50;30": 50, "ch:motorway": 120, "XX:living_street": 20,
	} {
		got, ok := ParseMaxspeed(in)
		if !ok || math.Abs(got-want) > 1e-9 {
			t.Errorf("ParseMaxspeed(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "none", "signals", "fast", "0", "RU:nowhere"} {
		if _, ok := ParseMaxspeed(in); ok {
			t.Errorf("ParseMaxspeed(%q) should fail", in)
		}
	}
}

// tinyOSM: a T junction. Way 1 (residential, oneway=-1) runs 1-2-3, way 2
// (footway) runs 2-4-5, way 3 (motorway, implied oneway) 5-6, way 4
// (service, access=private) 6-7, and a building with an address.
const tinyOSM = `<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
 <node id="1" lat="47.000" lon="9.500"/>
 <node id="2" lat="47.001" lon="9.500"/>
 <node id="3" lat="47.002" lon="9.500"/>
 <node id="4" lat="47.001" lon="9.501"/>
 <node id="5" lat="47.001" lon="9.502"/>
 <node id="6" lat="47.001" lon="9.503"/>
 <node id="7" lat="47.001" lon="9.504"/>
 <node id="8" lat="47.0005" lon="9.5005"><tag k="addr:street" v="Städtle"/><tag k="addr:housenumber" v="3"/></node>
 <node id="10" lat="47.0100" lon="9.5100"/>
 <node id="11" lat="47.0100" lon="9.5102"/>
 <node id="12" lat="47.0102" lon="9.5102"/>
 <way id="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="oneway" v="-1"/><tag k="maxspeed" v="RU:urban"/><tag k="name" v="A"/></way>
 <way id="2"><nd ref="2"/><nd ref="4"/><nd ref="5"/><tag k="highway" v="footway"/></way>
 <way id="3"><nd ref="5"/><nd ref="6"/><tag k="highway" v="motorway"/></way>
 <way id="4"><nd ref="6"/><nd ref="7"/><tag k="highway" v="service"/><tag k="access" v="private"/></way>
 <way id="5"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="10"/><tag k="building" v="yes"/><tag k="addr:street" v="Kirchstrasse"/><tag k="addr:housenumber" v="7a"/></way>
</osm>`

func TestReadOSMSmall(t *testing.T) {
	net, err := ReadOSM(context.Background(), strings.NewReader(tinyOSM), false, ImportAll)
	if err != nil {
		t.Fatal(err)
	}
	// Vertices: 1, 2 (shared), 3, 5 (shared), 6. The private service way is
	// dropped, so 7 is not a vertex.
	var ids []int64
	for _, v := range net.Vertices {
		ids = append(ids, v.ID)
	}
	if len(ids) != 5 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 || ids[3] != 5 || ids[4] != 6 {
		t.Fatalf("vertices %v", ids)
	}
	if len(net.Edges) != 4 {
		t.Fatalf("%d edges: %+v", len(net.Edges), net.Edges)
	}
	// Way 1 is reversed (oneway=-1) and split at node 2.
	e0, e1 := net.Edges[0], net.Edges[1]
	if e0.Source != 3 || e0.Target != 2 || !e0.Oneway || !e0.Car || !e0.Foot || e1.Source != 2 || e1.Target != 1 {
		t.Fatalf("way 1 edges %+v %+v", e0, e1)
	}
	// RU:urban = 60 km/h, times MaxspeedFactor.
	if want := e0.LengthM / (60 * MaxspeedFactor / 3.6); math.Abs(e0.CarSeconds-want) > 1e-9 {
		t.Fatalf("car seconds %v, want %v", e0.CarSeconds, want)
	}
	foot := net.Edges[2]
	if foot.Car || !foot.Foot || len(foot.Geom) != 3 || foot.Oneway {
		t.Fatalf("footway edge %+v", foot)
	}
	mw := net.Edges[3]
	if !mw.Car || mw.Foot || !mw.Oneway {
		t.Fatalf("motorway edge %+v", mw)
	}
	if len(net.Addresses) != 2 || net.Addresses[0].Street != "Kirchstrasse" || net.Addresses[1].House != "3" {
		t.Fatalf("addresses %+v", net.Addresses)
	}
	c := net.Addresses[0].Pt
	if math.Abs(c[0]-9.51013333) > 1e-6 || math.Abs(c[1]-47.01006667) > 1e-6 {
		t.Fatalf("building centroid %v", c)
	}

	g, err := BuildGraph(net, Car)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDijkstra(g)
	// Car: 3→1 along the one-way street is allowed, 1→3 is not.
	if s, _ := d.Query(g.VertexSnap(2), g.VertexSnap(0)); math.IsInf(s, 1) {
		t.Fatal("3→1 should be drivable")
	}
	if s, _ := d.Query(g.VertexSnap(0), g.VertexSnap(2)); !math.IsInf(s, 1) {
		t.Fatal("1→3 is against the one-way street")
	}
	gf, _ := BuildGraph(net, Foot)
	df := NewDijkstra(gf)
	if s, m := df.Query(gf.VertexSnap(0), gf.VertexSnap(3)); math.IsInf(s, 1) || math.Abs(s-m/(5/3.6)) > 0.1 {
		t.Fatalf("walk 1→5: %v s %v m", s, m)
	}
}

// Known facts of the Liechtenstein extract (Geofabrik, 2021-01-06, clipped
// to 9.45–9.65 E, 47.03–47.28 N), measured once and pinned within 2%.
func TestLiechtensteinFacts(t *testing.T) {
	f := load(t, liechFile, Car)
	within := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 0.02*want {
			t.Errorf("%s = %v, want %v ±2%%", what, got, want)
		}
	}
	within("vertices", float64(len(f.net.Vertices)), 9513)
	within("edges", float64(len(f.net.Edges)), 11883)
	within("km", f.net.LengthKm(), 1307)
	within("addresses", float64(len(f.net.Addresses)), 3242)
	n := 0
	for _, a := range f.net.Addresses {
		if a.Street == "Städtle" {
			n++
			// Städtle is Vaduz's main street, around 9.521 E 47.139 N.
			if Haversine(a.Pt, orb.Point{9.5215, 47.1394}) > 1000 {
				t.Errorf("Städtle %s is at %v, far from Vaduz centre", a.House, a.Pt)
			}
		}
	}
	if n < 10 {
		t.Errorf("%d Städtle addresses, want at least 10", n)
	}

	// Vaduz centre to Schaan centre by car: about 3.2 km along the
	// Landstrasse, 3.0 km as the crow flies.
	r := &Router{Graph: f.g, CH: f.ch}
	vaduz, schaan := orb.Point{9.5215, 47.1394}, orb.Point{9.5097, 47.1650}
	rt, err := r.Route(vaduz, schaan, 500)
	if err != nil {
		t.Fatal(err)
	}
	straight := Haversine(vaduz, schaan)
	if ratio := rt.Meters / straight; ratio < 1.0 || ratio > 1.8 {
		t.Errorf("route %0.f m vs %.0f m straight: ratio %.2f", rt.Meters, straight, ratio)
	}
	if kmh := rt.Meters / rt.Seconds * 3.6; kmh < 15 || kmh > 70 {
		t.Errorf("average speed %.0f km/h", kmh)
	}
	if gl := LineLength(rt.Geom); math.Abs(gl-rt.Meters) > 2 {
		t.Errorf("polyline %.1f m, route %.1f m", gl, rt.Meters)
	}
}

func TestAstanaFacts(t *testing.T) {
	f := load(t, astanaFile, Car)
	// SOURCES.md: 24,154 nodes, 3,128 ways, about 1,486 km, the largest
	// component holds 83% of the nodes.
	if v, e := len(f.net.Vertices), len(f.net.Edges); v != 5513 || e != 7004 {
		t.Errorf("%d vertices, %d edges; want 5513, 7004", v, e)
	}
	if km := f.net.LengthKm(); math.Abs(km-1486) > 5 {
		t.Errorf("%.0f km, want 1486", km)
	}
	if s := f.g.MainComponentShare(); s < 0.80 || s > 0.87 {
		t.Errorf("main component share %.3f", s)
	}
}
