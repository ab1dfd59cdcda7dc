package geo

import (
	"context"
	"sync"
	"testing"
)

const (
	astanaFile = "../testdata/osm/astana_roads_approx.osm.pbf"
	liechFile  = "../testdata/osm/fallback_liechtenstein_2021.osm.pbf"
)

type fixture struct {
	net *Network
	g   *Graph
	ch  *CH
	err error
}

var (
	fixMu sync.Mutex
	fixes = map[string]*fixture{}
)

// load parses, builds and contracts a test file once per test binary.
func load(tb testing.TB, file string, p Profile) *fixture {
	tb.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	key := file + "/" + p.String()
	if f, ok := fixes[key]; ok {
		if f.err != nil {
			tb.Fatal(f.err)
		}
		return f
	}
	f := &fixture{}
	fixes[key] = f
	f.net, f.err = ReadOSMFile(context.Background(), file, ImportAll)
	if f.err == nil {
		f.g, f.err = BuildGraph(f.net, p)
	}
	if f.err != nil {
		tb.Fatal(f.err)
	}
	f.ch = BuildCH(f.g)
	return f
}
