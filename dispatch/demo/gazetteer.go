package demo

import (
	"fmt"
	"io"

	"github.com/qamqor/qamqor/geo"
	"github.com/qamqor/qamqor/geo/data"
)

// Gazetteer sources, stored in gazetteer.source for attribution.
const (
	SourceAddresses     = "osm:ecopath-astana"
	SourceStreets       = "osm:astanasafe-streets"
	SourceIntersections = "osm:astanasafe-intersections"
)

// Gazetteer parses the embedded Astana files: house addresses, streets and
// crossings (OpenStreetMap, ODbL), and the six districts (municipal
// geoportal, demo use only). See geo/data/SOURCES.md.
func Gazetteer() (houses, streets, crossings []geo.GazetteerEntry, districts []geo.District, err error) {
	parse := func(name string, fn func(io.Reader) error) {
		if err != nil {
			return
		}
		f, e := data.FS.Open(name)
		if e != nil {
			err = fmt.Errorf("open %s: %w", name, e)
			return
		}
		defer f.Close()
		if e := fn(f); e != nil {
			err = fmt.Errorf("parse %s: %w", name, e)
		}
	}
	parse(data.Addresses, func(r io.Reader) (e error) { houses, e = geo.ParseAddresses(r, SourceAddresses); return })
	parse(data.Streets, func(r io.Reader) (e error) { streets, e = geo.ParseStreets(r, SourceStreets); return })
	parse(data.Intersections, func(r io.Reader) (e error) {
		crossings, e = geo.ParseIntersections(r, SourceIntersections)
		return
	})
	parse(data.Districts, func(r io.Reader) (e error) { districts, e = geo.ParseDistricts(r); return })
	return
}
