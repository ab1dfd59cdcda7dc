package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/qamqor/qamqor/dispatch"
)

//go:embed templates
var templateFS embed.FS

// page is one entry of the home page's menu. Route files add theirs with
// addPage; the home page and /api/me show each user the pages their role's
// Action allows.
type page struct {
	Path string
	// TitleKey is the i18n.js key of the title; Title its English text.
	TitleKey, Title string
	Action          dispatch.Action
}

// pageLink is a page as shown to one user.
type pageLink struct {
	Path     string `json:"path"`
	Title    string `json:"title"`
	TitleKey string `json:"title_key"`
}

// addPage lists a page on the home page for the roles allowed action.
func (s *Server) addPage(p page) { s.pages = append(s.pages, p) }

func (s *Server) pagesFor(u *dispatch.User) []pageLink {
	out := []pageLink{}
	for _, p := range s.pages {
		if u.Can(p.Action) {
			out = append(out, pageLink{Path: p.Path, Title: p.Title, TitleKey: p.TitleKey})
		}
	}
	return out
}

// registerPageRoutes adds the HTML pages of this issue. Later pages
// (dispatcher map, team view) register in their own files the same way:
// a route plus an addPage call.
func (s *Server) registerPageRoutes(r chi.Router) {
	r.Get("/", s.handleHome)
	r.Get("/hotline", s.handleHotlinePage)
	s.addPage(page{Path: "/hotline", TitleKey: "nav.hotline", Title: "Hotline", Action: dispatch.ActCreateRequest})
}

// pageData is what every template gets; Data is the page's own.
type pageData struct {
	User      *dispatch.User
	CSRFToken string
	Pages     []pageLink
	Path      string
	// Lang is the page's language as the server sees it (cookie, then
	// Accept-Language); i18n.js may switch it in the browser.
	Lang string
	// Telegram is true when the bot is on: pages offer linking a chat.
	Telegram bool
	Data     any
}

// parseTemplates parses templates/base.html together with each other
// template file; a page is rendered by its file name without extension.
func (s *Server) parseTemplates() (map[string]*template.Template, error) {
	funcs := template.FuncMap{"asset": s.assets.url, "astana": dispatch.LocalTime, "hqSection": hqSection}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		if n == "templates/base.html" {
			continue
		}
		t, err := template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", n, err)
		}
		out[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return out, nil
}

// render executes the named page into a buffer first, so a template error
// becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t, ok := s.templates[name]
	if !ok {
		s.Error(w, r, fmt.Errorf("no template %q", name))
		return
	}
	pd := pageData{Path: r.URL.Path, Data: data, Lang: langOf(r), Telegram: s.Telegram != nil}
	if sess := sessionFrom(r.Context()); sess != nil {
		pd.User, pd.CSRFToken, pd.Pages = sess.User, sess.CSRFToken, s.pagesFor(sess.User)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", pd); err != nil {
		s.Error(w, r, fmt.Errorf("render template=%s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows a problem as a page. It must not call Error again.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, p problem) {
	var buf bytes.Buffer
	pd := pageData{Path: r.URL.Path, Data: p, Lang: langOf(r)}
	if sess := sessionFrom(r.Context()); sess != nil {
		pd.User, pd.CSRFToken, pd.Pages = sess.User, sess.CSRFToken, s.pagesFor(sess.User)
	}
	t := s.templates["error"]
	if t == nil || t.ExecuteTemplate(&buf, "base", pd) != nil {
		writeProblem(w, r, p)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(buf.Bytes())
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", nil)
}

// hotlinePage lists the choices of the hotline form.
type hotlinePage struct {
	Kinds      []dispatch.RequestKind
	Priorities []dispatch.Priority
}

func (s *Server) handleHotlinePage(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActCreateRequest); !ok {
		return
	}
	s.render(w, r, http.StatusOK, "hotline", hotlinePage{
		Kinds:      []dispatch.RequestKind{dispatch.SnowClearing, dispatch.FoodDelivery, dispatch.OtherKind},
		Priorities: []dispatch.Priority{dispatch.Normal, dispatch.High, dispatch.Urgent},
	})
}
