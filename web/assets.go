package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files. Pages link them with ?v=HASH
// (the first 12 hex digits of the file's SHA-256), so a deploy changes
// every URL whose content changed and browsers may cache them forever.
type assets struct {
	fs     fs.FS
	hashes map[string]string // name → hash
}

func loadAssets() (*assets, error) {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	a := &assets{fs: sub, hashes: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[name] = hex.EncodeToString(sum[:])[:12]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash static assets: %w", err)
	}
	return a, nil
}

// url returns the versioned URL of a static file. An unknown name panics
// when the template runs, so a typo fails the page tests.
func (a *assets) url(name string) (string, error) {
	h, ok := a.hashes[name]
	if !ok {
		return "", fmt.Errorf("no static asset %q", name)
	}
	return "/static/" + name + "?v=" + h, nil
}

// registerStaticRoutes serves /static/*. It is public: the login page needs
// its stylesheet and scripts, and no asset holds data.
func (s *Server) registerStaticRoutes(r chi.Router) {
	r.Get("/static/*", s.handleStatic)
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+chi.URLParam(r, "*")), "/")
	h, ok := s.assets.hashes[name]
	if !ok {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no file %s.", name))
		return
	}
	if r.URL.Query().Get("v") == h {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+h+`"`)
	http.ServeFileFS(w, r, s.assets.fs, name)
}
