// Package data embeds the Astana gazetteer files (streets, crossings, a
// sample of house addresses and the six districts) that `qamqor demo load`
// puts into the database. See SOURCES.md for their origin and licences: the
// OpenStreetMap-derived files are ODbL 1.0, © OpenStreetMap contributors; the
// district polygons have no stated licence and are for demos only.
package data

import "embed"

// File names inside FS.
const (
	Addresses     = "addresses_sample.csv"
	Streets       = "astana_streets_osm.json"
	Intersections = "astana_intersections_osm.json"
	Districts     = "astana_districts_municipal.geojson"
)

// FS holds the data files and SOURCES.md.
//
//go:embed *.csv *.json *.geojson SOURCES.md
var FS embed.FS
