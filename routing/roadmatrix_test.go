package routing

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestRoadMatrix(t *testing.T) {
	m, err := NewRoadMatrix(2, []float64{0, 10, Unreachable, 0}, []float64{0, 100, Unreachable, 0})
	if err != nil {
		t.Fatal(err)
	}
	if m.Size() != 2 || m.Duration(0, 1) != 10 || m.Distance(0, 1) != 100 || !math.IsInf(m.Duration(1, 0), 1) || m.Kind() != "road" {
		t.Fatalf("unexpected matrix %+v", m)
	}
	if _, err := NewRoadMatrix(3, nil, nil); err == nil {
		t.Fatal("want a size error")
	}
}

func TestHaversineMatrix(t *testing.T) {
	// Two points 0.01° of latitude apart: 1,111.95 m on the mean sphere.
	m := NewHaversineMatrix([]orb.Point{{71.43, 51.13}, {71.43, 51.14}})
	d := m.Distance(0, 1)
	if want := 1111.95 * DetourFactor; math.Abs(d-want) > 0.5 {
		t.Fatalf("distance %.2f, want %.2f", d, want)
	}
	if s := m.Duration(0, 1); math.Abs(s-d/(FallbackSpeedKmh/3.6)) > 1e-9 {
		t.Fatalf("duration %.2f", s)
	}
	if m.Distance(1, 1) != 0 || m.Kind() != "haversine" || m.Size() != 2 {
		t.Fatal("bad self distance, kind or size")
	}
}
