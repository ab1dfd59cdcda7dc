package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
)

func init() {
	routeTable["GET /api/openapi.json"] = routeExpect{Public: true}
}

// TestOpenAPICoversRoutes: every chi route has a description and every
// description names a route that exists.
func TestOpenAPICoversRoutes(t *testing.T) {
	ts := MustServer(t, Config{})
	routes := map[string]bool{}
	err := chi.Walk(ts.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		routes[method+" "+route] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var missing, stale []string
	for k := range routes {
		if _, ok := apiOps[k]; !ok {
			missing = append(missing, k)
		}
	}
	for k := range apiOps {
		if !routes[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, k := range missing {
		t.Errorf("route %q is not described: add describe(apiOp{...}) (see web/openapi.go)", k)
	}
	for _, k := range stale {
		t.Errorf("described route %q does not exist: fix or remove its apiOp", k)
	}
}

// TestOpenAPIDocument checks the served document: OpenAPI 3.1, every
// route's path and method present, every $ref resolvable, and the schemas
// generated from the Go types.
func TestOpenAPIDocument(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "GET", Path: "/api/openapi.json"})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d, want 200", w.Code)
	}
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi=%q, want 3.1.0", doc.OpenAPI)
	}
	n := 0
	chi.Walk(ts.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		op := doc.Paths[openAPIPath(route)][strings.ToLower(method)]
		if op == nil {
			t.Errorf("%s %s (path %s) is not in the document", method, route, openAPIPath(route))
		} else if op["summary"] == "undocumented" || op["responses"] == nil {
			t.Errorf("%s %s is undocumented", method, route)
		}
		return nil
	})
	if n < 50 {
		t.Errorf("walked %d routes; the router seems empty", n)
	}
	for _, ref := range regexpAll(w.Body.String(), `"\$ref": "#/components/schemas/([^"]+)"`) {
		if _, ok := doc.Components.Schemas[ref]; !ok {
			t.Errorf("$ref %s has no schema", ref)
		}
	}
	in := doc.Components.Schemas["dispatch.RequestInput"]
	props, _ := in["properties"].(map[string]any)
	for _, f := range []string{"kind", "address", "lat", "lon", "priority", "force"} {
		if _, ok := props[f]; !ok {
			t.Errorf("dispatch.RequestInput lacks %q: %v", f, props)
		}
	}
	if _, ok := props["IdempotencyKey"]; ok {
		t.Errorf("json:\"-\" fields leak into the schema: %v", props)
	}
	post := doc.Paths["/api/requests"]["post"]
	if post == nil || post["requestBody"] == nil {
		t.Fatalf("POST /api/requests has no request body: %v", post)
	}
}

func regexpAll(s, re string) []string {
	var out []string
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
