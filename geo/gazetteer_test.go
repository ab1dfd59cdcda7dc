package geo

import (
	"io"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/geo/data"
)

// mustParse parses one embedded data file.
func mustParse[T any](t *testing.T, name string, parse func(io.Reader) ([]T, error)) []T {
	t.Helper()
	f, err := data.FS.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, err := parse(f)
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	return out
}

func TestParseAddresses(t *testing.T) {
	es := mustParse(t, data.Addresses, func(r io.Reader) ([]GazetteerEntry, error) { return ParseAddresses(r, "test") })
	if len(es) < 4000 || len(es) > 4711 {
		t.Errorf("len=%d, want 4000..4711", len(es))
	}
	var found *GazetteerEntry
	for i, e := range es {
		if e.Kind != KindHouse || e.Norm == "" || e.Latin == "" {
			t.Fatalf("entry %+v: missing kind or keys", e)
		}
		if !(orb.Bound{Min: orb.Point{71.2, 50.95}, Max: orb.Point{71.8, 51.35}}).Contains(e.Location) {
			t.Fatalf("entry %+v: outside Astana", e)
		}
		if e.Norm == "кенесары 40" {
			found = &es[i]
		}
	}
	if found == nil {
		t.Fatal("Кенесары 40 not found")
	}
	if found.Name != "Кенесары көшесі, 40" || found.House != "40" || found.Latin != "kenesari 40" {
		t.Errorf("Кенесары 40 = %+v", *found)
	}
}

func TestParseStreets(t *testing.T) {
	es := mustParse(t, data.Streets, func(r io.Reader) ([]GazetteerEntry, error) { return ParseStreets(r, "test") })
	if len(es) < 1300 || len(es) > 1515 {
		t.Errorf("len=%d, want 1300..1515", len(es))
	}
	for _, e := range es {
		if e.Norm == "кенесары" {
			if e.Kind != KindStreet || e.Location.Lat() < 51.1 || e.Location.Lat() > 51.2 {
				t.Errorf("Кенесары = %+v", e)
			}
			return
		}
	}
	t.Error("street Кенесары not found")
}

func TestParseIntersections(t *testing.T) {
	es := mustParse(t, data.Intersections, func(r io.Reader) ([]GazetteerEntry, error) { return ParseIntersections(r, "test") })
	if len(es) < 3000 || len(es) > 4260 {
		t.Errorf("len=%d, want 3000..4260", len(es))
	}
	for _, e := range es {
		if e.Kind != KindCrossing || !strings.Contains(e.Name, " / ") {
			t.Fatalf("entry %+v: not a crossing", e)
		}
	}
}

func TestParseDistricts(t *testing.T) {
	ds := mustParse(t, data.Districts, func(r io.Reader) ([]District, error) { return ParseDistricts(r) })
	want := map[string]string{"Сарыарка": "Сарыарқа", "Байконур": "Байқоңыр", "Нура": "Нұра", "Алматы": "Алматы", "Сарайшык": "Сарайшық", "Есиль": "Есіл"}
	if len(ds) != len(want) {
		t.Fatalf("len=%d, want %d", len(ds), len(want))
	}
	for _, d := range ds {
		if want[d.NameRU] != d.NameKK {
			t.Errorf("district %q: NameKK=%q, want %q", d.NameRU, d.NameKK, want[d.NameRU])
		}
		if len(d.Geometry) == 0 || d.KATO == "" {
			t.Errorf("district %q: empty geometry or KATO", d.NameRU)
		}
	}
}

func TestMedianPoint(t *testing.T) {
	pts := []orb.Point{{0, 0}, {1, 1}, {2, 2}, {100, 100}, {3, 3}}
	if got := MedianPoint(pts); got != (orb.Point{2, 2}) {
		t.Errorf("MedianPoint=%v, want [2 2]", got)
	}
}
