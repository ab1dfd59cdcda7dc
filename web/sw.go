package web

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
)

// registerServiceWorkerRoutes serves the team page's service worker,
// static/team-sw.js, from the root: a worker only controls pages under the
// path it is served from, so /static/team-sw.js could not control /team.
// It is public like /static/*: the file holds no data, and the browser's
// update checks must not fail when a session has expired.
func (s *Server) registerServiceWorkerRoutes(r chi.Router) {
	r.Get("/team-sw.js", s.handleTeamServiceWorker)
}

// handleTeamServiceWorker serves GET /team-sw.js with no-cache, so a deploy
// reaches phones at their next visit (the browser revalidates by ETag).
func (s *Server) handleTeamServiceWorker(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(s.assets.fs, "team-sw.js")
	if err != nil {
		s.Error(w, r, fmt.Errorf("read service worker: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", `"`+s.assets.hashes["team-sw.js"]+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}
