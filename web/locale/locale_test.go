package locale

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// messageCalls are the functions whose argument at the given index is a
// user-facing message format: the catalogue must translate it.
var messageCalls = map[string]int{
	"Errorf":   1, // dispatch.Errorf(code, format, ...)
	"Invalid":  1, // dispatch.Invalid(field, format, ...)
	"tr":       1, // web: tr(r, format, ...)
	"malformd": 1, // web/error.go's jsonError helper
	"Sprintf":  -1,
}

// sourceMessages parses every non-test Go file of the repository and returns
// the literal message formats it passes to dispatch.Errorf, dispatch.Invalid,
// locale.Sprintf and web's tr, with where each was found. fmt.Errorf is
// internal (logs only) and is not collected.
func sourceMessages(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..", "..")
	out := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "vendor" || n == "node_modules" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name, pkg string
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
				if id, ok := fn.X.(*ast.Ident); ok {
					pkg = id.Name
				}
			}
			idx, ok := messageCalls[name]
			if !ok {
				return true
			}
			switch {
			case name == "Sprintf" && pkg == "locale":
				idx = 1
			case name == "Sprintf":
				return true
			case name == "Errorf" && pkg == "fmt":
				return true
			case name == "Errorf" && pkg != "dispatch" && pkg != "":
				return true
			}
			if idx >= len(call.Args) {
				return true
			}
			lit, ok := call.Args[idx].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil {
				out[s] = fset.Position(lit.Pos()).String()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatalf("walk source: %v", err)
	}
	return out
}

// TestCatalogue fails when a message in the source has no Kazakh or Russian
// text, or a translation's verbs differ from its key's (a missing %d would
// print "%!d(MISSING)" to a user).
func TestCatalogue(t *testing.T) {
	msgs := sourceMessages(t)
	if len(msgs) < 100 {
		t.Fatalf("found %d messages in the source; the scanner is broken", len(msgs))
	}
	for _, key := range extraKeys {
		msgs[key] = "web/locale (extraKeys)"
	}
	keys := make([]string, 0, len(msgs))
	for k := range msgs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var missing []string
	for _, lang := range []string{KK, RU} {
		c := Catalogue(lang)
		for _, k := range keys {
			v, ok := c[k]
			if !ok || strings.TrimSpace(v) == "" {
				missing = append(missing, fmt.Sprintf("%s: %q (%s)", lang, k, msgs[k]))
				continue
			}
			if a, b := Verbs(k), Verbs(v); fmt.Sprint(a) != fmt.Sprint(b) {
				t.Errorf("%s: %q: translation %q has verbs %v, want %v", lang, k, v, b, a)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d messages lack a translation; add them to web/locale/translations/{kk,ru}.json:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// extraKeys are messages made outside the calls the scanner knows: problem
// titles (web/error.go's status table), the planner's progress texts and
// the reasons it stores in English (translated with Text when served).
var extraKeys = []string{
	"Malformed request", "Invalid input", "Login required", "Forbidden", "Not found", "Method not allowed",
	"Conflict", "Request too large", "Unsupported media type", "Internal error", "Service unavailable",
	"Too many attempts", "Internal error.", "Changed by someone else", "Version required",
	"building the %s travel matrix for %d places", "solving %d requests with %d teams",
	"drawing routes on the road network", "saving draft routes", "done", "abandoned (no progress for 10 minutes)",
	"no adult lead: a team of minors is never planned without one",
	"shift over (or outside daylight hours for a team with minors)",
	"time window is not on this day", "no team available",
	"no vehicle with the required skills", "location unreachable", "capacity", "outside every shift or time window",
	"max route duration", "max stops", "not enough vehicles",
	"queued", "started", "started again (attempt %d of %d) after an interruption",
	"interrupted too often: the planning run stopped %d times; start it again",
	"put on route %d while planning", "marked %s while planning", "moved to route %d while planning",
	"locked while planning", "route %d published while planning", "already %s", "request became %s while planning",
	"route %d was %s while planning", "the team's route was published while planning; plan again to add to it",
	"request cancelled",
}

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"kk", KK, true},
		{"ru-RU,ru;q=0.9,en;q=0.8", RU, true},
		{"en-US,en;q=0.9,ru;q=0.8", EN, true},
		{"de-DE,ru;q=0.5,kk;q=0.7", KK, true},
		{"kz", KK, true},
		{"de, fr", "", false},
		{"", "", false},
	} {
		got, ok := Negotiate(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Negotiate(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

type routeStatus string

func TestSprintfWordsAndText(t *testing.T) {
	c := newCatalog(map[string]map[string]string{
		KK: {"Route %d is %s.": "%[1]d маршруты: %[2]s.", "routeStatus.draft": "жоба", "solving %d requests with %d teams": "%d өтінім %d топпен шешілуде"},
		RU: {}, EN: {"routeStatus.draft": "draft"},
	})
	if got, want := c.sprintf(KK, "Route %d is %s.", 5, routeStatus("draft")), "5 маршруты: жоба."; got != want {
		t.Errorf("sprintf = %q, want %q", got, want)
	}
	if got, want := c.sprintf(RU, "Route %d is %s.", 5, routeStatus("draft")), "Route 5 is draft."; got != want {
		t.Errorf("sprintf without entry = %q, want %q", got, want)
	}
	if got, want := c.text(KK, "solving 189 requests with 38 teams"), "189 өтінім 38 топпен шешілуде"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := c.text(RU, "solving 189 requests with 38 teams"), "solving 189 requests with 38 teams"; got != want {
		t.Errorf("text without entry = %q, want %q", got, want)
	}
}
