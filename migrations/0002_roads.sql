-- Road network imported from OpenStreetMap by `qamqor import-osm`.
-- The layout follows pgRouting (edge table with source/target/cost/
-- reverse_cost, vertex table like _vertices_pgr) so pgr_dijkstra can be run
-- on it by hand to cross-check the server's in-memory router.

CREATE TABLE road_vertices (
    -- OSM node id of the way end or shared node
    id       bigint PRIMARY KEY,
    the_geom geometry(Point, 4326) NOT NULL
);
CREATE INDEX road_vertices_geom_idx ON road_vertices USING gist (the_geom);

CREATE TABLE road_edges (
    id           bigint PRIMARY KEY,
    source       bigint NOT NULL REFERENCES road_vertices (id),
    target       bigint NOT NULL REFERENCES road_vertices (id),
    -- seconds source→target: car time when car, else walking time
    cost         double precision NOT NULL,
    -- seconds target→source, -1 when cars may only go source→target
    -- (pgRouting's convention for a one-way edge)
    reverse_cost double precision NOT NULL,
    length_m     double precision NOT NULL,
    car          boolean NOT NULL,
    foot         boolean NOT NULL,
    name         text NOT NULL DEFAULT '',
    highway      text NOT NULL,
    geom         geometry(LineString, 4326) NOT NULL
);
CREATE INDEX road_edges_geom_idx ON road_edges USING gist (geom);
CREATE INDEX road_edges_source_idx ON road_edges (source);
CREATE INDEX road_edges_target_idx ON road_edges (target);

-- One row per import, so the server can say which extract it routes on.
CREATE TABLE road_imports (
    id          bigserial PRIMARY KEY,
    source      text NOT NULL,
    imported_at timestamptz NOT NULL,
    vertices    integer NOT NULL,
    edges       integer NOT NULL,
    addresses   integer NOT NULL
);
