package web

import (
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
)

func TestHomePage(t *testing.T) {
	ts := MustServer(t, Config{})
	for _, tc := range []struct {
		role    dispatch.Role
		hotline bool
	}{
		{dispatch.RoleHotline, true},
		{dispatch.RoleDispatcher, true},
		{dispatch.RoleAdmin, false},
		{dispatch.RoleTeamLead, false},
	} {
		t.Run(string(tc.role), func(t *testing.T) {
			w := ts.do(t, call{Method: "GET", Path: "/", Role: tc.role})
			if w.Code != http.StatusOK {
				t.Fatalf("Code=%d, want 200", w.Code)
			}
			body := w.Body.String()
			if got := strings.Contains(body, `href="/hotline"`); got != tc.hotline {
				t.Errorf("hotline link=%v, want %v", got, tc.hotline)
			}
			if !strings.Contains(body, `name="csrf_token" value="csrf-`+string(tc.role)+`"`) {
				t.Errorf("logout form lacks the CSRF token")
			}
		})
	}
}

func TestHotlinePage(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "GET", Path: "/hotline", Role: dispatch.RoleHotline})
	if w.Code != http.StatusOK {
		t.Fatalf("Code=%d, want 200", w.Code)
	}
	body := w.Body.String()
	for _, want := range []string{`<meta name="csrf-token" content="csrf-hotline">`, `/static/hotline.js?v=`, `/static/i18n.js?v=`, `value="snow_clearing"`, `id="search"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP=%q, want script-src 'self'", csp)
	}

	t.Run("ForbiddenIsHTML", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/hotline", Role: dispatch.RoleTeamLead})
		if w.Code != http.StatusForbidden || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Fatalf("Code=%d Content-Type=%q, want 403 HTML", w.Code, w.Header().Get("Content-Type"))
		}
	})
}

func TestPageEscapesUserData(t *testing.T) {
	ts := MustServer(t, Config{})
	evil := *testUsers[dispatch.RoleHotline]
	evil.FullName = `<img src=x onerror=alert(1)>`
	orig := testUsers[dispatch.RoleHotline]
	testUsers[dispatch.RoleHotline] = &evil
	defer func() { testUsers[dispatch.RoleHotline] = orig }()
	w := ts.do(t, call{Method: "GET", Path: "/", Role: dispatch.RoleHotline})
	if strings.Contains(w.Body.String(), "<img src=x") {
		t.Errorf("full name is not escaped")
	}
}

func TestStatic(t *testing.T) {
	ts := MustServer(t, Config{})
	url, err := ts.assets.url("hotline.js")
	if err != nil {
		t.Fatal(err)
	}
	w := ts.do(t, call{Method: "GET", Path: url})
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("Code=%d Cache-Control=%q, want 200 immutable", w.Code, w.Header().Get("Cache-Control"))
	}
	if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type=%q, want javascript", ct)
	}
	w = ts.do(t, call{Method: "GET", Path: "/static/hotline.js?v=old"})
	if w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale version Cache-Control=%q, want no-cache", w.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/nope.js", "/static/../page.go", "/static/"} {
		if w := ts.do(t, call{Method: "GET", Path: p}); w.Code != http.StatusNotFound {
			t.Errorf("%s: Code=%d, want 404", p, w.Code)
		}
	}
}

// TestI18nComplete checks that every key used by the templates and scripts
// has a Kazakh, Russian and English text: in static/i18n.js or in a page
// script's own dictionary (merged into qamqorI18n.dict), one entry per line.
func TestI18nComplete(t *testing.T) {
	entry := regexp.MustCompile(`"([a-z0-9_.-]+)": \{ kk: "([^"]+)", ru: "([^"]+)", en: "([^"]+)" \}`)
	dict := map[string]bool{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") || strings.HasPrefix(p, "static/vendor/") {
			return err
		}
		src, _ := fs.ReadFile(staticFS, p)
		n := 0
		for _, m := range entry.FindAllStringSubmatch(string(src), -1) {
			dict[m[1]] = true
			n++
		}
		if p == "static/i18n.js" || n > 0 {
			if all := strings.Count(string(src), `": { kk:`) + strings.Count(string(src), `": { ru:`) + strings.Count(string(src), `": { en:`); all != n {
				t.Errorf("%s has %d dictionary entries but %d have all three languages on one line", p, all, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dict) < 40 {
		t.Fatalf("parsed %d dictionary entries; is every entry on one line as `\"key\": { kk: \"…\", ru: \"…\", en: \"…\" }`?", len(dict))
	}

	var used []string
	keyAttr := regexp.MustCompile(`data-i18n(?:-placeholder|-title)?="([^"{]+)"`)
	tKey := regexp.MustCompile(`\bt\("([a-z_.]+)"`)
	walk := func(dir string, re *regexp.Regexp, fsys fs.FS) {
		fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || p == "static/i18n.js" || strings.HasPrefix(p, "static/vendor/") {
				return err
			}
			b, _ := fs.ReadFile(fsys, p)
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if !strings.HasSuffix(m[1], ".") { // "kind." + value: checked below
					used = append(used, m[1])
				}
			}
			return nil
		})
	}
	walk("templates", keyAttr, templateFS)
	walk("static", keyAttr, staticFS)
	walk("static", tKey, staticFS)
	// Keys built from values: kinds, priorities and page titles.
	for _, k := range []dispatch.RequestKind{dispatch.SnowClearing, dispatch.FoodDelivery, dispatch.OtherKind} {
		used = append(used, "kind."+string(k))
	}
	for _, p := range []dispatch.Priority{dispatch.Normal, dispatch.High, dispatch.Urgent} {
		used = append(used, "priority."+string(p))
	}
	for _, p := range MustServer(t, Config{}).pages {
		used = append(used, p.TitleKey)
	}
	used = append(used, "login.failed", "login.missing")
	for _, k := range used {
		if !dict[k] {
			t.Errorf("i18n key %q is used but missing from i18n.js", k)
		}
	}
}
