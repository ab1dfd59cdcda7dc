package geo

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/osm"
	"github.com/paulmach/osm/osmpbf"
	"github.com/paulmach/osm/osmxml"
)

// Profile selects who travels: a car team or a walking team.
type Profile uint8

// Profiles. A road network stores per-edge flags for both.
const (
	Car Profile = iota
	Foot
)

// String returns "car" or "foot".
func (p Profile) String() string {
	if p == Foot {
		return "foot"
	}
	return "car"
}

// ParseProfile reads "car" or "foot".
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "car":
		return Car, nil
	case "foot":
		return Foot, nil
	}
	return Car, fmt.Errorf("unknown profile %q (want car or foot)", s)
}

// Vertex is a graph vertex: a way end or a node shared by two or more ways.
// ID is the OSM node id.
type Vertex struct {
	ID int64
	Pt orb.Point
}

// Edge is a piece of an OSM way between two vertices. Geometry runs from
// Source to Target and keeps the intermediate nodes. A way tagged
// oneway=-1 is stored reversed, so Oneway always means Source→Target.
type Edge struct {
	ID      int64 // sequential, 1..n
	Source  int64 // vertex id (OSM node id)
	Target  int64 // vertex id (OSM node id)
	LengthM float64
	// CarSeconds is the car travel time along the edge; 0 when !Car.
	CarSeconds float64
	Car        bool // usable by car teams
	Foot       bool // usable by walking teams
	// Oneway restricts car travel to Source→Target. Walking teams ignore it.
	Oneway  bool
	Name    string
	Highway string
	Geom    orb.LineString
}

// FootSeconds is the walking time along the edge, from FootSpeedKmh.
func (e *Edge) FootSeconds() float64 {
	return e.LengthM / (FootSpeedKmh(e.Highway) / 3.6)
}

// Address is a house address found on a node or a building way (centroid).
type Address struct {
	Street string
	House  string
	Pt     orb.Point
}

// Network is the raw road network: what the OSM import produces, what the
// database stores and what BuildGraph turns into a routable Graph.
// Vertices are sorted by ID; Edges by ID.
type Network struct {
	Vertices  []Vertex
	Edges     []Edge
	Addresses []Address
}

// LengthKm is the total length of all edges.
func (n *Network) LengthKm() float64 {
	var s float64
	for i := range n.Edges {
		s += n.Edges[i].LengthM
	}
	return s / 1000
}

// roadClass gives the default effective car speed (km/h, 0 = no cars) and
// whether walking is allowed, per highway=* value.
type roadClass struct {
	carKmh float64
	foot   bool
}

// roadClasses is the table of highway classes we keep, with the default car
// speed used when a way has no usable maxspeed. The speeds are typical
// effective city speeds (traffic, junctions), not legal limits; the README
// section "Road network" repeats this table.
//
//	highway          car km/h  foot
//	motorway             90     no
//	motorway_link        45     no
//	trunk                70     yes
//	trunk_link           40     yes
//	primary              50     yes
//	primary_link         35     yes
//	secondary            45     yes
//	secondary_link       30     yes
//	tertiary             40     yes
//	tertiary_link        30     yes
//	unclassified         30     yes
//	residential          25     yes
//	living_street        10     yes
//	service              15     yes
//	road                 25     yes
//	track                15     yes
//	pedestrian, footway, path, steps, cycleway, bridleway: foot only
var roadClasses = map[string]roadClass{
	"motorway":       {90, false},
	"motorway_link":  {45, false},
	"trunk":          {70, true},
	"trunk_link":     {40, true},
	"primary":        {50, true},
	"primary_link":   {35, true},
	"secondary":      {45, true},
	"secondary_link": {30, true},
	"tertiary":       {40, true},
	"tertiary_link":  {30, true},
	"unclassified":   {30, true},
	"residential":    {25, true},
	"living_street":  {10, true},
	"service":        {15, true},
	"road":           {25, true},
	"track":          {15, true},
	"pedestrian":     {0, true},
	"footway":        {0, true},
	"path":           {0, true},
	"steps":          {0, true},
	"cycleway":       {0, true},
	"bridleway":      {0, true},
}

// MaxspeedFactor scales a tagged maxspeed to an effective travel speed
// (traffic, junctions, acceleration): 60 km/h signed becomes 48 km/h.
const MaxspeedFactor = 0.8

// FootSpeedKmh is the walking speed on a highway class: 5 km/h, 3 km/h on
// steps.
func FootSpeedKmh(highway string) float64 {
	if highway == "steps" {
		return 3
	}
	return 5
}

// zoneSpeeds maps the suffix of implicit maxspeed values ("RU:urban",
// "KZ:rural", "DE:living_street") to km/h; a few countries differ.
var zoneSpeeds = map[string]float64{
	"urban": 60, "rural": 90, "motorway": 110, "trunk": 90, "living_street": 20, "walk": 7,
}

var countryZoneSpeeds = map[string]float64{
	"DE:urban": 50, "DE:rural": 100, "DE:motorway": 130,
	"CH:urban": 50, "CH:rural": 80, "CH:motorway": 120, "CH:trunk": 100,
	"AT:urban": 50, "AT:rural": 100, "AT:motorway": 130,
	"LI:urban": 50, "LI:rural": 80,
	"RU:urban": 60, "RU:rural": 90, "RU:motorway": 110, "RU:living_street": 20,
	"KZ:urban": 60, "KZ:rural": 90, "KZ:motorway": 110, "KZ:living_street": 20,
}

// ParseMaxspeed reads an OSM maxspeed value in km/h: "60", "60 km/h",
// "30 mph", "RU:urban", "walk". ok is false for "none", "signals",
// unparsable values and conditional lists.
func ParseMaxspeed(v string) (kmh float64, ok bool) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "none" || v == "signals" || v == "variable" {
		return 0, false
	}
	if v == "walk" {
		return 7, true
	}
	if i := strings.IndexByte(v, ';'); i >= 0 { // "50;30": take the first
		v = strings.TrimSpace(v[:i])
	}
	if i := strings.IndexByte(v, ':'); i > 0 {
		key := strings.ToUpper(v[:i]) + ":" + v[i+1:]
		if s, ok := countryZoneSpeeds[key]; ok {
			return s, true
		}
		if s, ok := zoneSpeeds[v[i+1:]]; ok {
			return s, true
		}
		return 0, false
	}
	mult := 1.0
	switch {
	case strings.HasSuffix(v, "mph"):
		mult = 1.609344
		v = strings.TrimSpace(strings.TrimSuffix(v, "mph"))
	case strings.HasSuffix(v, "km/h"):
		v = strings.TrimSpace(strings.TrimSuffix(v, "km/h"))
	case strings.HasSuffix(v, "kmh"):
		v = strings.TrimSpace(strings.TrimSuffix(v, "kmh"))
	case strings.HasSuffix(v, "knots"):
		mult = 1.852
		v = strings.TrimSpace(strings.TrimSuffix(v, "knots"))
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f <= 0 || f > 300 {
		return 0, false
	}
	return f * mult, true
}

// wayAccess decides from a highway way's tags whether cars and walkers may
// use it and in which direction cars may go (dir 1 forward, -1 reversed, 0
// both). keep is false for ways we ignore.
func wayAccess(t osm.Tags) (car, foot bool, dir int, carKmh float64, keep bool) {
	hw := t.Find("highway")
	cls, ok := roadClasses[hw]
	if !ok || t.Find("area") == "yes" {
		return false, false, 0, 0, false
	}
	car = cls.carKmh > 0
	foot = cls.foot
	no := func(k string) bool {
		v := t.Find(k)
		return v == "no" || v == "private"
	}
	yes := func(k string) bool {
		v := t.Find(k)
		return v == "yes" || v == "designated" || v == "permissive" || v == "destination"
	}
	if no("access") {
		car, foot = false, false
	}
	if no("vehicle") || no("motor_vehicle") || no("motorcar") {
		car = false
	}
	if cls.carKmh > 0 && (yes("motor_vehicle") || yes("motorcar")) {
		car = true
	}
	if no("foot") {
		foot = false
	} else if yes("foot") {
		foot = true
	}
	if !car && !foot {
		return false, false, 0, 0, false
	}
	carKmh = cls.carKmh
	if s, ok := ParseMaxspeed(t.Find("maxspeed")); ok {
		carKmh = s * MaxspeedFactor
		if carKmh < 5 {
			carKmh = 5
		}
	}
	switch t.Find("oneway") {
	case "yes", "true", "1":
		dir = 1
	case "-1", "reverse":
		dir = -1
	case "no", "false", "0":
		dir = 0
	default:
		j := t.Find("junction")
		if hw == "motorway" || j == "roundabout" || j == "circular" {
			dir = 1
		}
	}
	return car, foot, dir, carKmh, true
}

// ReadOSMFile parses an .osm.pbf or .osm (XML) file; see ReadOSM.
func ReadOSMFile(ctx context.Context, path string, p ImportProfile) (*Network, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open osm file: %w", err)
	}
	defer f.Close()
	pbf := strings.HasSuffix(strings.ToLower(path), ".pbf")
	return ReadOSM(ctx, f, pbf, p)
}

// ImportProfile selects which edges an import keeps.
type ImportProfile uint8

// Import profiles.
const (
	ImportAll  ImportProfile = iota // car and foot edges
	ImportCar                       // edges usable by car
	ImportFoot                      // edges usable on foot
)

// ParseImportProfile reads "all", "car" or "foot".
func ParseImportProfile(s string) (ImportProfile, error) {
	switch s {
	case "all", "":
		return ImportAll, nil
	case "car":
		return ImportCar, nil
	case "foot":
		return ImportFoot, nil
	}
	return ImportAll, fmt.Errorf("unknown import profile %q (want all, car or foot)", s)
}

type rawWay struct {
	nodes   []osm.NodeID
	car     bool
	foot    bool
	dir     int
	carKmh  float64
	name    string
	highway string
}

type osmScanner interface {
	Scan() bool
	Object() osm.Object
	Err() error
	Close() error
}

// ReadOSM parses OSM data (PBF when pbf, else XML): it keeps highway ways a
// team can use, splits them into edges at shared nodes, and collects house
// addresses from nodes and building ways. The result is deterministic.
func ReadOSM(ctx context.Context, r io.Reader, pbf bool, p ImportProfile) (*Network, error) {
	var sc osmScanner
	if pbf {
		s := osmpbf.New(ctx, r, 2)
		s.SkipRelations = true
		sc = s
	} else {
		sc = osmxml.New(ctx, r)
	}
	defer sc.Close()

	coords := make(map[osm.NodeID]orb.Point, 1<<16)
	var ways []rawWay
	var buildings [][]osm.NodeID
	var buildingAddr []Address
	var addrs []Address
	for sc.Scan() {
		switch o := sc.Object().(type) {
		case *osm.Node:
			coords[o.ID] = orb.Point{o.Lon, o.Lat}
			if st, hn := o.Tags.Find("addr:street"), o.Tags.Find("addr:housenumber"); st != "" && hn != "" {
				addrs = append(addrs, Address{Street: st, House: hn, Pt: orb.Point{o.Lon, o.Lat}})
			}
		case *osm.Way:
			if st, hn := o.Tags.Find("addr:street"), o.Tags.Find("addr:housenumber"); st != "" && hn != "" && len(o.Nodes) > 0 {
				ids := make([]osm.NodeID, len(o.Nodes))
				for i, n := range o.Nodes {
					ids[i] = n.ID
				}
				buildings = append(buildings, ids)
				buildingAddr = append(buildingAddr, Address{Street: st, House: hn})
			}
			car, foot, dir, kmh, keep := wayAccess(o.Tags)
			if !keep || len(o.Nodes) < 2 {
				continue
			}
			switch p {
			case ImportCar:
				foot = false
			case ImportFoot:
				car = false
			}
			if !car && !foot {
				continue
			}
			ids := make([]osm.NodeID, len(o.Nodes))
			for i, n := range o.Nodes {
				ids[i] = n.ID
			}
			if car && dir == -1 {
				for i, j := 0, len(ids)-1; i < j; i, j = i+1, j-1 {
					ids[i], ids[j] = ids[j], ids[i]
				}
			}
			name := o.Tags.Find("name")
			if name == "" {
				name = o.Tags.Find("ref")
			}
			ways = append(ways, rawWay{nodes: ids, car: car, foot: foot, dir: dir, carKmh: kmh, name: name, highway: o.Tags.Find("highway")})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read osm: %w", err)
	}

	// Building centroids (mean of the distinct ring nodes: buildings are
	// small, so this is within metres of the area centroid).
	for i, ids := range buildings {
		var sx, sy float64
		n := 0
		for j, id := range ids {
			if j == len(ids)-1 && j > 0 && id == ids[0] {
				break
			}
			if pt, ok := coords[id]; ok {
				sx += pt[0]
				sy += pt[1]
				n++
			}
		}
		if n == 0 {
			continue
		}
		a := buildingAddr[i]
		a.Pt = orb.Point{sx / float64(n), sy / float64(n)}
		addrs = append(addrs, a)
	}
	addrs = dedupeAddresses(addrs)

	net := buildEdges(ways, coords)
	net.Addresses = addrs
	return net, nil
}

// dedupeAddresses keeps the first of identical (street, house) pairs and
// sorts the result.
func dedupeAddresses(in []Address) []Address {
	seen := make(map[[2]string]bool, len(in))
	out := in[:0]
	for _, a := range in {
		k := [2]string{a.Street, a.House}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Street != out[j].Street {
			return out[i].Street < out[j].Street
		}
		return out[i].House < out[j].House
	})
	return out
}

// buildEdges splits ways at vertices: way ends and nodes used more than once
// (by two ways, or twice by one). A node with no coordinates (clipped
// extract) breaks the way there.
func buildEdges(ways []rawWay, coords map[osm.NodeID]orb.Point) *Network {
	use := make(map[osm.NodeID]int32, len(ways)*8)
	for _, w := range ways {
		for _, id := range w.nodes {
			use[id]++
		}
	}
	net := &Network{}
	vseen := make(map[osm.NodeID]bool)
	addVertex := func(id osm.NodeID) {
		if !vseen[id] {
			vseen[id] = true
			net.Vertices = append(net.Vertices, Vertex{ID: int64(id), Pt: coords[id]})
		}
	}
	for _, w := range ways {
		start := -1
		var geom orb.LineString
		for i, id := range w.nodes {
			pt, ok := coords[id]
			if !ok {
				start = -1
				geom = nil
				continue
			}
			if start < 0 {
				start = i
				geom = orb.LineString{pt}
				continue
			}
			geom = append(geom, pt)
			if i == len(w.nodes)-1 || use[id] > 1 || !hasCoords(coords, w.nodes[i+1]) {
				if len(geom) >= 2 {
					e := Edge{
						Source:  int64(w.nodes[start]),
						Target:  int64(id),
						LengthM: LineLength(geom),
						Car:     w.car,
						Foot:    w.foot,
						Oneway:  w.car && w.dir != 0,
						Name:    w.name,
						Highway: w.highway,
						Geom:    geom,
					}
					if w.car {
						e.CarSeconds = e.LengthM / (w.carKmh / 3.6)
					}
					addVertex(w.nodes[start])
					addVertex(id)
					net.Edges = append(net.Edges, e)
				}
				start = i
				geom = orb.LineString{pt}
			}
		}
	}
	sort.Slice(net.Vertices, func(i, j int) bool { return net.Vertices[i].ID < net.Vertices[j].ID })
	for i := range net.Edges {
		net.Edges[i].ID = int64(i + 1)
	}
	return net
}

func hasCoords(c map[osm.NodeID]orb.Point, id osm.NodeID) bool {
	_, ok := c[id]
	return ok
}

// earthRadiusM is the mean Earth radius used by all distance functions here.
const earthRadiusM = 6371008.8

// Haversine returns the great-circle distance in metres between two
// {lon, lat} points.
func Haversine(a, b orb.Point) float64 {
	const rad = math.Pi / 180
	dlat := (b[1] - a[1]) * rad
	dlon := (b[0] - a[0]) * rad
	s := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(s)))
}

// LineLength is the haversine length of a line string in metres.
func LineLength(ls orb.LineString) float64 {
	var s float64
	for i := 1; i < len(ls); i++ {
		s += Haversine(ls[i-1], ls[i])
	}
	return s
}
