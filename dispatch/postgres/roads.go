package postgres

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/geo"
)

// RoadImport is what ReplaceRoadNetwork stored.
type RoadImport struct {
	Vertices  int
	Edges     int
	Addresses int // new gazetteer rows (existing ones are left alone)
}

// OSMSource is the gazetteer source name of addresses imported from an OSM
// file: "osm:" plus the file's base name.
func OSMSource(file string) string { return "osm:" + filepath.Base(file) }

// ReplaceRoadNetwork replaces the stored road graph with net in one
// transaction (COPY into staging tables, then INSERT ... SELECT with
// ST_GeomFromWKB) and upserts the network's addresses into the gazetteer as
// kind 'house' with the given source (name "street, house", norm and latin
// keys from geo.NormalizeAddress and geo.LatinKey), so a re-import adds no
// duplicates.
//
// road_edges follows pgRouting: cost is the car time in seconds for car
// edges and the walking time for foot-only ones; reverse_cost is -1 when
// cars may only go source→target.
func (db *DB) ReplaceRoadNetwork(ctx context.Context, net *geo.Network, source string) (RoadImport, error) {
	var res RoadImport
	now := db.Now()
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `TRUNCATE road_edges, road_vertices`); err != nil {
			return fmt.Errorf("truncate road tables: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TEMP TABLE road_vertices_in (id bigint, wkb bytea) ON COMMIT DROP;
			CREATE TEMP TABLE road_edges_in (id bigint, source bigint, target bigint, cost double precision,
				reverse_cost double precision, length_m double precision, car boolean, foot boolean,
				name text, highway text, wkb bytea) ON COMMIT DROP;
			CREATE TEMP TABLE gazetteer_in (street text, house text, name text, norm text, latin text, wkb bytea) ON COMMIT DROP`); err != nil {
			return fmt.Errorf("create staging tables: %w", err)
		}
		vi := 0
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"road_vertices_in"}, []string{"id", "wkb"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if vi >= len(net.Vertices) {
					return nil, nil
				}
				v := &net.Vertices[vi]
				vi++
				b, err := wkb.Marshal(v.Pt)
				return []any{v.ID, b}, err
			}))
		if err != nil {
			return fmt.Errorf("copy road vertices: %w", err)
		}
		res.Vertices = int(n)
		ei := 0
		n, err = tx.CopyFrom(ctx, pgx.Identifier{"road_edges_in"},
			[]string{"id", "source", "target", "cost", "reverse_cost", "length_m", "car", "foot", "name", "highway", "wkb"},
			pgx.CopyFromFunc(func() ([]any, error) {
				if ei >= len(net.Edges) {
					return nil, nil
				}
				e := &net.Edges[ei]
				ei++
				cost := e.CarSeconds
				if !e.Car {
					cost = e.FootSeconds()
				}
				rev := cost
				if e.Car && e.Oneway {
					rev = -1
				}
				b, err := wkb.Marshal(e.Geom)
				return []any{e.ID, e.Source, e.Target, cost, rev, e.LengthM, e.Car, e.Foot, e.Name, e.Highway, b}, err
			}))
		if err != nil {
			return fmt.Errorf("copy road edges: %w", err)
		}
		res.Edges = int(n)
		ai := 0
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"gazetteer_in"}, []string{"street", "house", "name", "norm", "latin", "wkb"},
			pgx.CopyFromFunc(func() ([]any, error) {
				for ai < len(net.Addresses) {
					a := &net.Addresses[ai]
					ai++
					name := a.Street + ", " + a.House
					norm := geo.NormalizeAddress(name)
					if norm == "" {
						continue
					}
					b, err := wkb.Marshal(a.Pt)
					return []any{a.Street, a.House, name, norm, geo.LatinKey(name), b}, err
				}
				return nil, nil
			}))
		if err != nil {
			return fmt.Errorf("copy addresses: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO road_vertices (id, the_geom)
			SELECT id, ST_GeomFromWKB(wkb, 4326) FROM road_vertices_in`); err != nil {
			return fmt.Errorf("insert road vertices: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO road_edges (id, source, target, cost, reverse_cost, length_m, car, foot, name, highway, geom)
			SELECT id, source, target, cost, reverse_cost, length_m, car, foot, name, highway, ST_GeomFromWKB(wkb, 4326)
			FROM road_edges_in`); err != nil {
			return translate(fmt.Errorf("insert road edges: %w", err), "Road edge")
		}
		tag, err := tx.Exec(ctx, `INSERT INTO gazetteer (kind, street, house, name, norm, latin, location, source)
			SELECT 'house', street, house, name, norm, latin, ST_GeomFromWKB(wkb, 4326)::geography, $1
			FROM gazetteer_in
			ON CONFLICT DO NOTHING`, source)
		if err != nil {
			return fmt.Errorf("insert addresses source=%s: %w", source, err)
		}
		res.Addresses = int(tag.RowsAffected())
		if _, err := tx.Exec(ctx, `INSERT INTO road_imports (source, imported_at, vertices, edges, addresses)
			VALUES ($1, $2, $3, $4, $5)`, source, now, res.Vertices, res.Edges, res.Addresses); err != nil {
			return fmt.Errorf("record road import source=%s: %w", source, err)
		}
		return nil
	})
	return res, err
}

// LoadRoadNetwork reads the stored road graph back, vertices and edges
// sorted by id; build a routable graph with geo.BuildGraph (or use
// LoadRoadGraph). Addresses are not loaded. An empty store is ENOTFOUND.
func (db *DB) LoadRoadNetwork(ctx context.Context) (*geo.Network, error) {
	net := &geo.Network{}
	rows, err := db.pool.Query(ctx, `SELECT id, ST_AsBinary(the_geom) FROM road_vertices ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query road vertices: %w", err)
	}
	for rows.Next() {
		var v geo.Vertex
		if err := rows.Scan(&v.ID, wkb.Scanner(&v.Pt)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan road vertex: %w", err)
		}
		net.Vertices = append(net.Vertices, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read road vertices: %w", err)
	}
	if len(net.Vertices) == 0 {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "No road network has been imported (run qamqor import-osm).")
	}
	rows, err = db.pool.Query(ctx, `SELECT id, source, target, cost, reverse_cost, length_m, car, foot, name, highway, ST_AsBinary(geom)
		FROM road_edges ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("query road edges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e geo.Edge
		var cost, rev float64
		if err := rows.Scan(&e.ID, &e.Source, &e.Target, &cost, &rev, &e.LengthM, &e.Car, &e.Foot, &e.Name, &e.Highway, wkb.Scanner(&e.Geom)); err != nil {
			return nil, fmt.Errorf("scan road edge: %w", err)
		}
		if e.Car {
			e.CarSeconds = cost
			e.Oneway = rev < 0
		}
		net.Edges = append(net.Edges, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read road edges: %w", err)
	}
	return net, nil
}

// LoadRoadGraph loads the stored network and builds the routable graph for
// a profile. Contract it with geo.BuildCH (or use geo.NewRouter on the
// network) before serving queries.
func (db *DB) LoadRoadGraph(ctx context.Context, p geo.Profile) (*geo.Graph, error) {
	net, err := db.LoadRoadNetwork(ctx)
	if err != nil {
		return nil, err
	}
	return geo.BuildGraph(net, p)
}

// RoadsInBBox returns up to limit road edges whose geometry intersects the
// box, as GeoJSON features (properties id, name, highway, car, foot, oneway)
// for the dashboard's road layer.
func (db *DB) RoadsInBBox(ctx context.Context, bbox orb.Bound, limit int) (*geojson.FeatureCollection, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := db.pool.Query(ctx, `SELECT id, name, highway, car, foot, car AND reverse_cost < 0, ST_AsBinary(geom)
		FROM road_edges
		WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)
		ORDER BY id
		LIMIT $5`, bbox.Min[0], bbox.Min[1], bbox.Max[0], bbox.Max[1], limit)
	if err != nil {
		return nil, fmt.Errorf("query roads in bbox: %w", err)
	}
	defer rows.Close()
	fc := geojson.NewFeatureCollection()
	for rows.Next() {
		var id int64
		var name, highway string
		var car, foot, oneway bool
		var ls orb.LineString
		if err := rows.Scan(&id, &name, &highway, &car, &foot, &oneway, wkb.Scanner(&ls)); err != nil {
			return nil, fmt.Errorf("scan road: %w", err)
		}
		f := geojson.NewFeature(ls)
		f.ID = id
		f.Properties = geojson.Properties{"id": id, "name": name, "highway": highway, "car": car, "foot": foot, "oneway": oneway}
		fc.Append(f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read roads in bbox: %w", err)
	}
	return fc, nil
}
