package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/qamqor/qamqor/dispatch"
)

// Volunteer sign-up (public) and the review of applications (coordinators
// and admins). The public page answers every well-formed application with
// the same thanks, whether it is new, a repeat or from someone already
// volunteering, so it reveals nothing about who is registered; each client
// address may send signupsPerClient applications per signupWindow.

const (
	signupWindow     = time.Hour
	signupsPerClient = 5
)

// signupCount is one address's posts in the window starting at start.
type signupCount struct {
	start time.Time
	fails int
}

// signupLimiter counts sign-up posts per client address in fixed windows.
type signupLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	keys map[string]*signupCount
}

func newSignupLimiter() *signupLimiter {
	return &signupLimiter{now: time.Now, keys: map[string]*signupCount{}}
}

// take counts one attempt from ip and returns how long to wait when the
// address is over its limit (the attempt is then not counted).
func (l *signupLimiter) take(ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) >= maxLimiterKeys {
		for k, w := range l.keys {
			if now.Sub(w.start) >= signupWindow || len(l.keys) >= maxLimiterKeys/2 {
				delete(l.keys, k)
			}
		}
	}
	w := l.keys[ip]
	if w == nil || now.Sub(w.start) >= signupWindow {
		w = &signupCount{start: now}
		l.keys[ip] = w
	}
	if w.fails >= signupsPerClient {
		return w.start.Add(signupWindow).Sub(now)
	}
	w.fails++
	return 0
}

// registerSignupRoutes adds the public sign-up page and API.
func (s *Server) registerSignupRoutes(r chi.Router) {
	r.Get("/signup", s.handleSignupPage)
	r.Post("/signup", s.handleSignupForm)
	r.Post("/api/signup", s.handleSignupAPI)
}

// registerApplicationRoutes adds the review of applications.
func (s *Server) registerApplicationRoutes(r chi.Router) {
	r.Get("/applications", s.handleApplicationsPage)
	r.Post("/applications/{id}", s.handleApplicationForm)
	s.addPage(page{Path: "/applications", TitleKey: "nav.applications", Title: "Applications", Action: dispatch.ActReviewApplications})
	r.Get("/api/applications", s.handleApplicationList)
	r.Post("/api/applications/{id}/decision", s.handleApplicationDecision)
}

// signupPage is the sign-up form, refilled after an error.
type signupPage struct {
	L         ptext
	LangLinks []langLink
	Orgs      []dispatch.Organisation
	In        dispatch.ApplicationInput
	Langs     map[string]bool
	Error     string
	Field     string
	Done      bool
}

func (s *Server) signupOrgs(r *http.Request) ([]dispatch.Organisation, error) {
	if s.Applications == nil {
		return nil, unavailable("Volunteer sign-up")
	}
	return s.Applications.SignupOrganisations(r.Context())
}

func (s *Server) handleSignupPage(w http.ResponseWriter, r *http.Request) {
	orgs, err := s.signupOrgs(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	l := ptext(pageLang(r))
	s.render(w, r, http.StatusOK, "signup", signupPage{L: l, LangLinks: langLinks(r, string(l)), Orgs: orgs, Langs: map[string]bool{}})
}

// takeSignup counts a sign-up post from the client's address: in the
// database when the store can (dispatch.SignupThrottle, shared by every
// instance), else in this instance's memory.
func (s *Server) takeSignup(r *http.Request) (time.Duration, error) {
	ip := middleware.GetClientIP(r.Context())
	if t, ok := s.Applications.(dispatch.SignupThrottle); ok {
		return t.TakeSignup(r.Context(), ip, s.now(), signupsPerClient, signupWindow)
	}
	return s.signups.take(ip), nil
}

// submitSignup throttles, validates and stores an application. The error
// is for the applicant (EINVALID names the field); a repeat is not an
// error.
func (s *Server) submitSignup(w http.ResponseWriter, r *http.Request, in *dispatch.ApplicationInput) error {
	if s.Applications == nil {
		return unavailable("Volunteer sign-up")
	}
	wait, err := s.takeSignup(r)
	if err != nil {
		return err
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return dispatch.Errorf(codeTooMany, "Too many applications from this address; try again later.").
			WithDetail(map[string]any{"retry_after_minutes": int(wait.Minutes()) + 1})
	}
	if err := in.Normalize(s.now()); err != nil {
		return err
	}
	return s.Applications.SubmitApplication(r.Context(), *in)
}

// signupThanks is the one answer to every accepted application.
const signupThanks = "Thank you! Your application has been received. The coordinator will contact you by phone."

func (s *Server) handleSignupAPI(w http.ResponseWriter, r *http.Request) {
	in, ok := decodeBody[dispatch.ApplicationInput](s, w, r)
	if !ok {
		return
	}
	if err := s.submitSignup(w, r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "received", "message": tr(r, signupThanks)})
}

func (s *Server) handleSignupForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	f := r.PostForm
	orgID, _ := strconv.ParseInt(f.Get("organisation_id"), 10, 64)
	in := dispatch.ApplicationInput{
		OrganisationID: orgID, FullName: f.Get("full_name"), BirthDate: f.Get("birth_date"), Phone: f.Get("phone"),
		Languages: f["languages"], Motivation: f.Get("motivation"), GuardianName: f.Get("guardian_name"),
		GuardianPhone: f.Get("guardian_phone"), GuardianConsent: f.Get("guardian_consent") != "",
		Consent: f.Get("consent") != "",
	}
	l := ptext(pageLang(r))
	if v := f.Get("lang"); isLang(v) {
		l = ptext(v)
	}
	pg := signupPage{L: l, LangLinks: langLinks(r, string(l)), In: in, Langs: map[string]bool{}}
	for _, x := range in.Languages {
		pg.Langs[x] = true
	}
	err := s.submitSignup(w, r, &in)
	status := http.StatusOK
	switch code := dispatch.ErrorCode(err); {
	case err == nil:
		pg.Done = true
	case code == codeTooMany:
		var e *dispatch.Error
		mins := 60
		if errors.As(err, &e) {
			if m, ok := e.Detail["retry_after_minutes"].(int); ok {
				mins = m
			}
		}
		pg.Error, status = l.T("signup.too_many", mins), http.StatusTooManyRequests
	case code == dispatch.EINVALID:
		var e *dispatch.Error
		errors.As(err, &e)
		pg.Field, pg.Error, status = e.Field, l.T("signup.err."+e.Field), http.StatusUnprocessableEntity
		if strings.HasPrefix(pg.Error, "signup.err.") {
			pg.Error = e.Message
		}
	default:
		s.Error(w, r, err)
		return
	}
	if !pg.Done {
		if pg.Orgs, err = s.signupOrgs(r); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	s.render(w, r, status, "signup", pg)
}

func (s *Server) applicationsActor(w http.ResponseWriter, r *http.Request) (*dispatch.User, bool) {
	actor, ok := s.actorFor(w, r, dispatch.ActReviewApplications)
	if ok && s.Applications == nil {
		s.Error(w, r, unavailable("Volunteer sign-up"))
		return nil, false
	}
	return actor, ok
}

func applicationFilter(r *http.Request) (dispatch.ApplicationFilter, error) {
	f := dispatch.ApplicationFilter{Status: dispatch.ApplicationStatus(r.URL.Query().Get("status"))}
	switch f.Status {
	case "", dispatch.ApplicationPending, dispatch.ApplicationApproved, dispatch.ApplicationRejected:
		return f, nil
	}
	return f, dispatch.Invalid("status", "status must be pending, approved or rejected.")
}

func (s *Server) handleApplicationList(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.applicationsActor(w, r)
	if !ok {
		return
	}
	f, err := applicationFilter(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	apps, err := s.Applications.FindApplications(r.Context(), actor, f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apps)
}

func (s *Server) handleApplicationDecision(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.applicationsActor(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "application")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[dispatch.DecisionInput](s, w, r)
	if !ok {
		return
	}
	a, err := s.Applications.DecideApplication(r.Context(), actor, id, in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// applicationsPage is the coordinator's review list.
type applicationsPage struct {
	L      ptext
	Apps   []*dispatch.Application
	Notice string
}

func (s *Server) handleApplicationsPage(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.applicationsActor(w, r)
	if !ok {
		return
	}
	apps, err := s.Applications.FindApplications(r.Context(), actor, dispatch.ApplicationFilter{})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	l := ptext(pageLang(r))
	pg := applicationsPage{L: l, Apps: apps}
	if r.URL.Query().Get("decided") != "" {
		pg.Notice = l.T("apps.decided")
	}
	s.render(w, r, http.StatusOK, "applications", pg)
}

// handleApplicationForm takes the approve/reject buttons of the page.
func (s *Server) handleApplicationForm(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.applicationsActor(w, r)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "application")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	in := dispatch.DecisionInput{Approve: r.PostForm.Get("decision") == "approve", Note: r.PostForm.Get("note")}
	if d := r.PostForm.Get("decision"); d != "approve" && d != "reject" {
		s.Error(w, r, dispatch.Invalid("decision", "decision must be approve or reject."))
		return
	}
	if _, err := s.Applications.DecideApplication(r.Context(), actor, id, in); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/applications?decided=1", http.StatusSeeOther)
}
