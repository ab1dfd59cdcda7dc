package geo

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Gazetteer entry kinds.
const (
	KindStreet   = "street"
	KindHouse    = "house"
	KindCrossing = "crossing"
)

// GazetteerEntry is one searchable place: a street, a crossing of two
// streets or a house address.
type GazetteerEntry struct {
	Kind   string
	Street string
	// House is the house number as written in the source ("40", "69А", "6/1").
	House string
	// Name is the display name: "Кенесары көшесі, 40", "A / B".
	Name string
	// Norm is NormalizeAddress of the name; Latin is its LatinKey.
	Norm     string
	Latin    string
	Location orb.Point
	// Source names the file the entry came from, for attribution.
	Source string
}

// newEntry fills the keys from the name.
func newEntry(kind, street, house, name string, pt orb.Point, source string) GazetteerEntry {
	return GazetteerEntry{
		Kind: kind, Street: street, House: house, Name: name,
		Norm: NormalizeAddress(name), Latin: LatinKey(name),
		Location: pt, Source: source,
	}
}

// ParseAddresses reads house addresses from a CSV with the header
// street,house,lat,lon (addresses_sample.csv). Rows whose name normalises to
// a key seen before are dropped, keeping the first.
func ParseAddresses(r io.Reader, source string) ([]GazetteerEntry, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read address header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{"street", "house", "lat", "lon"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("address csv: missing column %q", c)
		}
	}
	seen := map[string]bool{}
	var out []GazetteerEntry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read address line=%d: %w", line, err)
		}
		street, house := strings.TrimSpace(rec[col["street"]]), strings.TrimSpace(rec[col["house"]])
		lat, err1 := strconv.ParseFloat(rec[col["lat"]], 64)
		lon, err2 := strconv.ParseFloat(rec[col["lon"]], 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("parse address line=%d: %w", line, err)
		}
		if street == "" || house == "" {
			continue
		}
		e := newEntry(KindHouse, street, house, street+", "+house, orb.Point{lon, lat}, source)
		if e.Norm == "" || seen[e.Norm] {
			continue
		}
		seen[e.Norm] = true
		out = append(out, e)
	}
	return out, nil
}

type latLng struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// ParseStreets reads {"streets": [{"name", "points": [{lat, lng}]}]}
// (astana_streets_osm.json) into one street entry per normalised name. The
// point lists join a street's ways with jumps between them, so the location
// is the medoid-like point: the listed point nearest the median latitude and
// longitude, which always lies on the street.
func ParseStreets(r io.Reader, source string) ([]GazetteerEntry, error) {
	var doc struct {
		Streets []struct {
			Name   string   `json:"name"`
			Points []latLng `json:"points"`
		} `json:"streets"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode streets: %w", err)
	}
	seen := map[string]bool{}
	var out []GazetteerEntry
	for _, s := range doc.Streets {
		name := strings.TrimSpace(s.Name)
		if name == "" || len(s.Points) == 0 {
			continue
		}
		pts := make([]orb.Point, len(s.Points))
		for i, p := range s.Points {
			pts[i] = orb.Point{p.Lng, p.Lat}
		}
		e := newEntry(KindStreet, name, "", name, MedianPoint(pts), source)
		if e.Norm == "" || seen[e.Norm] {
			continue
		}
		seen[e.Norm] = true
		out = append(out, e)
	}
	return out, nil
}

// MedianPoint returns the point of pts nearest (in degrees, which is enough
// to pick a representative) to the per-axis median. pts must not be empty.
func MedianPoint(pts []orb.Point) orb.Point {
	xs := make([]float64, len(pts))
	ys := make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p[0], p[1]
	}
	sort.Float64s(xs)
	sort.Float64s(ys)
	m := orb.Point{xs[len(xs)/2], ys[len(ys)/2]}
	best, bestD := pts[0], -1.0
	for _, p := range pts {
		dx, dy := p[0]-m[0], p[1]-m[1]
		if d := dx*dx + dy*dy; bestD < 0 || d < bestD {
			best, bestD = p, d
		}
	}
	return best
}

// ParseIntersections reads {street: [{crossroad, lat, lng}]}
// (astana_intersections_osm.json) into one crossing entry per pair of
// streets, named "A / B" with the two names in sorted order; the first point
// listed for the pair is used (divided roads cross in several points a few
// metres apart). Entries with an empty crossroad or a street crossing itself
// are skipped.
func ParseIntersections(r io.Reader, source string) ([]GazetteerEntry, error) {
	var doc map[string][]struct {
		Crossroad string  `json:"crossroad"`
		Lat       float64 `json:"lat"`
		Lng       float64 `json:"lng"`
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decode intersections: %w", err)
	}
	streets := make([]string, 0, len(doc))
	for s := range doc {
		streets = append(streets, s)
	}
	sort.Strings(streets) // map order is random; keep the output stable
	seen := map[string]bool{}
	var out []GazetteerEntry
	for _, s := range streets {
		for _, c := range doc[s] {
			a, b := strings.TrimSpace(s), strings.TrimSpace(c.Crossroad)
			if a == "" || b == "" || a == b {
				continue
			}
			if b < a {
				a, b = b, a
			}
			e := newEntry(KindCrossing, a+" / "+b, "", a+" / "+b, orb.Point{c.Lng, c.Lat}, source)
			if e.Norm == "" || seen[e.Norm] {
				continue
			}
			seen[e.Norm] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// District is one of the city's administrative districts.
type District struct {
	ID     int64  `json:"id"`
	NameRU string `json:"name_ru"`
	NameKK string `json:"name_kk"`
	// KATO is the national territory code; two pairs of districts share one.
	KATO     string           `json:"kato"`
	Geometry orb.MultiPolygon `json:"-"`
	// GeoJSON is the geometry as a GeoJSON object, filled when read from the
	// database.
	GeoJSON json.RawMessage `json:"geometry,omitempty"`
}

// ParseDistricts reads a GeoJSON FeatureCollection of districts with
// properties name_object (Russian name), name_object_kaz (Kazakh name) and
// kato (astana_districts_municipal.geojson). Polygons become one-part
// multipolygons.
func ParseDistricts(r io.Reader) ([]District, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read districts: %w", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("decode districts: %w", err)
	}
	var out []District
	for i, f := range fc.Features {
		d := District{
			NameRU: f.Properties.MustString("name_object", ""),
			NameKK: f.Properties.MustString("name_object_kaz", ""),
			KATO:   f.Properties.MustString("kato", ""),
		}
		switch g := f.Geometry.(type) {
		case orb.Polygon:
			d.Geometry = orb.MultiPolygon{g}
		case orb.MultiPolygon:
			d.Geometry = g
		default:
			return nil, fmt.Errorf("district feature=%d: geometry is %T, want a polygon", i, f.Geometry)
		}
		if d.NameRU == "" {
			return nil, fmt.Errorf("district feature=%d: no name_object", i)
		}
		if d.NameKK == "" {
			d.NameKK = d.NameRU
		}
		out = append(out, d)
	}
	return out, nil
}
