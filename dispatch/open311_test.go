package dispatch

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestStreetOnly(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"улица Кенесары, 40", "улица Кенесары"},
		{"Kenesary 40", "Kenesary"},
		{"пр. Абая 12 кв 5", "пр. Абая"},
		{"Абая даңғылы 12, пәтер 5", "Абая даңғылы"},
		{"Сарыарка 3/1 кв. 17", "Сарыарка"},
		{"Мангилик Ел д. 8", "Мангилик Ел"},
		{"Turan avenue 55A flat 3", "Turan avenue"},
		{"40 Kenesary street", ""},
		{"", ""},
	} {
		if got := StreetOnly(tc.in); got != tc.want {
			t.Errorf("StreetOnly(%q)=%q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCoarsenPoint(t *testing.T) {
	a := orb.Point{71.43041, 51.12821}
	b := orb.Point{71.43160, 51.12905} // next house, same cell
	ca, cb := CoarsenPoint(a), CoarsenPoint(b)
	if ca != cb {
		t.Errorf("neighbours land in different cells: %v %v", ca, cb)
	}
	if ca == a {
		t.Errorf("CoarsenPoint kept the exact point")
	}
	for i := range 2 {
		if d := math.Abs(ca[i] - a[i]); d > PublicGridDeg/2+1e-9 {
			t.Errorf("coordinate %d moved %v, more than half a cell", i, d)
		}
	}
}

func TestOpen311Status(t *testing.T) {
	for s := range requestTransitions {
		want := "open"
		if s == StatusDone || s == StatusCancelled {
			want = "closed"
		}
		if got := Open311Status(s); got != want {
			t.Errorf("Open311Status(%s)=%s, want %s", s, got, want)
		}
		for _, l := range Languages {
			if StatusNote(s, l) == "" {
				t.Errorf("no status note for %s in %s", s, l)
			}
		}
	}
}
