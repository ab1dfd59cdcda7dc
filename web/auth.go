package web

import (
	"crypto/subtle"
	"errors"
	"math"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/qamqor/qamqor/dispatch"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "qamqor_session"

// CSRFHeader carries the session's CSRF token on unsafe API requests; HTML
// forms send it as the csrfField form field instead.
const (
	CSRFHeader = "X-CSRF-Token"
	csrfField  = "csrf_token"
)

// maxCredentialLen bounds username and password before they reach bcrypt
// (which ignores bytes past 72 anyway).
const maxCredentialLen = 200

// registerLoginRoutes adds the routes usable without a session. They are
// guarded against login CSRF by the Origin check only.
func (s *Server) registerLoginRoutes(r chi.Router) {
	r.Post("/api/login", s.handleAPILogin)
	r.Get("/login", s.handleLoginPage)
	r.Post("/login", s.handleLoginForm)
}

// registerAuthRoutes adds the routes of the logged-in session itself.
func (s *Server) registerAuthRoutes(r chi.Router) {
	r.Get("/api/me", s.handleMe)
	r.Post("/api/logout", s.handleLogout)
	r.Post("/logout", s.handleLogout)
}

// loginInput is the body of POST /api/login.
type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// meJSON describes the logged-in user to scripts.
type meJSON struct {
	User      *dispatch.User `json:"user"`
	CSRFToken string         `json:"csrf_token"`
	ExpiresAt time.Time      `json:"expires_at"`
	Pages     []pageLink     `json:"pages"`
}

func (s *Server) handleAPILogin(w http.ResponseWriter, r *http.Request) {
	var in loginInput
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	sess, factor, err := s.login(w, r, in.Username, in.Password)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if factor != dispatch.NoSecondFactor {
		// No session yet: the login ticket cookie waits for the code.
		writeJSON(w, http.StatusOK, map[string]any{"second_factor": factor})
		return
	}
	writeJSON(w, http.StatusOK, s.me(sess))
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.me(sessionFrom(r.Context())))
}

func (s *Server) me(sess *session) meJSON {
	return meJSON{User: sess.User, CSRFToken: sess.CSRFToken, ExpiresAt: sess.ExpiresAt, Pages: s.pagesFor(sess.User)}
}

type loginPage struct {
	Next     string
	Username string
	// Failed is why the last attempt failed; FailedKey its i18n.js key.
	Failed, FailedKey string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if sessionFrom(r.Context()) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", loginPage{Next: next})
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(r); err != nil {
		s.Error(w, r, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	username := r.PostForm.Get("username")
	_, factor, err := s.login(w, r, username, r.PostForm.Get("password"))
	if err != nil {
		if dispatch.ErrorCode(err) != dispatch.EUNAUTHORIZED && dispatch.ErrorCode(err) != dispatch.EINVALID {
			s.Error(w, r, err)
			return
		}
		s.Logger.Info("login refused", "username", username, "detail", dispatch.ErrorMessage(err))
		key := "login.failed"
		if dispatch.ErrorCode(err) == dispatch.EINVALID {
			key = "login.missing"
		}
		s.render(w, r, http.StatusUnauthorized, "login", loginPage{Next: next, Username: username, Failed: dispatch.ErrorMessage(err), FailedKey: key})
		return
	}
	if factor != dispatch.NoSecondFactor {
		s.renderSecondStep(w, r, http.StatusOK, next, factor, "")
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// login checks the credentials and, when no second factor is needed,
// replaces any current session with a new one and sets its cookie;
// otherwise it sets the login ticket cookie and reports the factor.
func (s *Server) login(w http.ResponseWriter, r *http.Request, username, password string) (*session, dispatch.SecondFactor, error) {
	sess, err := s.checkLogin(w, r, username, password)
	if err != nil || sess == nil {
		return nil, "", err
	}
	u := sess.User
	factor, err := s.secondFactorFor(r, u)
	if err != nil {
		return nil, "", err
	}
	if factor != dispatch.NoSecondFactor {
		return nil, factor, s.startSecondFactor(w, r, u)
	}
	sess, err = s.startSession(w, r, u)
	return sess, "", err
}

// checkLogin checks the credentials, throttled; it returns a session
// holding only the user.
func (s *Server) checkLogin(w http.ResponseWriter, r *http.Request, username, password string) (*session, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return nil, dispatch.Invalid("username", "Enter your username and password.")
	}
	if len(username) > maxCredentialLen || len(password) > maxCredentialLen ||
		strings.ContainsRune(username, 0) || strings.ContainsRune(password, 0) {
		return nil, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Wrong username or password.")
	}
	ctx := r.Context()
	ip := clientAddr(r)
	if wait := s.logins.blocked(username, ip); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		if secs > 120 {
			return nil, dispatch.Errorf(codeTooMany, "Too many failed logins; try again in %d minutes.", (secs+59)/60)
		}
		return nil, dispatch.Errorf(codeTooMany, "Too many failed logins; try again in %d seconds.", secs)
	}
	u, err := s.Auth.Authenticate(ctx, username, password)
	if dispatch.ErrorCode(err) == dispatch.EUNAUTHORIZED {
		s.logins.fail(username, ip)
	}
	if err != nil {
		return nil, err
	}
	s.logins.succeed(username, ip)
	return &session{Session: &dispatch.Session{User: u}}, nil
}

// startSession replaces any current session with a new one for u and sets
// its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *dispatch.User) (*session, error) {
	ctx := r.Context()
	if old := sessionFrom(ctx); old != nil {
		if err := s.Auth.DeleteSession(ctx, old.Token); err != nil && dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			return nil, err
		}
		s.endLive(old.Token)
	}
	token, ds, err := s.Auth.CreateSession(ctx, u.ID, s.SessionTTL)
	if err != nil {
		return nil, err
	}
	if ds.User == nil {
		ds.User = u
	}
	s.setSessionCookie(w, token, ds.ExpiresAt)
	return &session{Token: token, Session: ds}, nil
}

// handleLogout ends the session. Forms are sent to the login page; scripts
// get 204.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if sess := sessionFrom(r.Context()); sess != nil {
		if err := s.Auth.DeleteSession(r.Context(), sess.Token); err != nil && dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			s.Error(w, r, err)
			return
		}
		s.endLive(sess.Token)
	}
	s.setSessionCookie(w, "", time.Time{})
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// clientAddr is the client's address: the one the ClientIP middleware
// found (through trusted proxies only), else the TCP peer's.
func clientAddr(r *http.Request) string {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// endLive closes the live connections of a session that just ended here;
// other instances notice within the hub's SessionCheck.
func (s *Server) endLive(token string) {
	if s.hub != nil {
		s.hub.EndSession(token)
	}
}

// setSessionCookie sets the session cookie, or deletes it when token is "".
func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	c := &http.Cookie{
		Name:     SessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.Secure,
		SameSite: http.SameSiteLaxMode,
	}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// loadSession puts the session named by the cookie into the context. An
// unknown or expired token makes the request anonymous and drops the cookie.
func (s *Server) loadSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			next.ServeHTTP(w, r.WithContext(dispatch.WithOrigin(r.Context(), dispatch.Origin{Source: clientAddr(r)})))
			return
		}
		ds, err := s.Auth.FindSession(r.Context(), c.Value)
		switch {
		case err == nil && ds != nil && ds.User != nil && ds.User.Active:
			ctx := withSession(r.Context(), &session{Token: c.Value, Session: ds})
			r = r.WithContext(dispatch.WithOrigin(ctx, dispatch.Origin{ActorID: ds.User.ID, Source: clientAddr(r)}))
		case err == nil || dispatch.ErrorCode(err) == dispatch.EUNAUTHORIZED || dispatch.ErrorCode(err) == dispatch.ENOTFOUND:
			s.setSessionCookie(w, "", time.Time{})
		default:
			s.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireLogin refuses anonymous requests: 401 for the API, a redirect to
// the login page for pages. Role checks stay in the handlers
// (dispatch.Require), so this only guarantees a user is present.
func (s *Server) requireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if userFrom(r.Context()) == nil {
			s.Error(w, r, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unsafe reports whether the method may change state.
func unsafe(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return false
	}
	return true
}

// checkOrigin refuses unsafe requests a browser marks as cross-site, by
// Sec-Fetch-Site or by an Origin other than ours. Requests carrying neither
// header (curl, old browsers) pass; the CSRF token still protects sessions.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unsafe(r.Method) {
			if err := s.sameOrigin(r); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) sameOrigin(r *http.Request) error {
	forbid := dispatch.Errorf(dispatch.EFORBIDDEN, "Cross-site requests are not allowed.")
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return forbid
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	o, err := url.Parse(origin)
	if err != nil || o.Host == "" {
		return forbid
	}
	if s.PublicURL != "" {
		p, _ := url.Parse(s.PublicURL)
		if !strings.EqualFold(o.Scheme, p.Scheme) || !strings.EqualFold(o.Host, p.Host) {
			return forbid
		}
		return nil
	}
	if !strings.EqualFold(o.Host, r.Host) {
		return forbid
	}
	return nil
}

// checkCSRFToken requires the session's CSRF token on unsafe requests that
// carry a session: in the X-CSRF-Token header, or in the csrf_token field
// of a form. Anonymous requests pass; requireLogin refuses them.
func (s *Server) checkCSRFToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionFrom(r.Context())
		if sess == nil || !unsafe(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		token := r.Header.Get(CSRFHeader)
		if token == "" && isForm(r) {
			if err := parseForm(r); err != nil {
				s.Error(w, r, err)
				return
			}
			token = r.PostForm.Get(csrfField)
		}
		if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(sess.CSRFToken)) != 1 {
			s.Error(w, r, dispatch.Errorf(dispatch.EFORBIDDEN, "The CSRF token is missing or wrong; reload the page."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// parseForm parses an urlencoded form body, mapping an oversized body to
// ETOOLARGE and anything else unreadable to codeMalformed.
func parseForm(r *http.Request) error {
	if !isForm(r) {
		return dispatch.Errorf(codeUnsupportedMedia, "Send the form as application/x-www-form-urlencoded.")
	}
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return dispatch.Errorf(codeMalformed, "The form cannot be read.").Wrap(err)
	}
	return nil
}

// safeNext returns next when it is a path on this server, else "/". It is
// the one place that decides where the login page may send a browser, so
// it must not become an open redirect: browsers drop tabs and newlines,
// read backslashes as slashes and some decode %2F and %5C before they look
// for a host, so next is refused unless it is printable ASCII without
// backslashes, starts with exactly one slash, and still does after every
// round of percent-decoding.
func safeNext(next string) string {
	const home = "/"
	if next == "" || len(next) > 2048 {
		return home
	}
	local := func(p string) bool {
		if len(p) == 0 || p[0] != '/' || (len(p) > 1 && p[1] == '/') {
			return false
		}
		for i := 0; i < len(p); i++ {
			if c := p[i]; c <= ' ' || c >= 0x7f || c == '\\' {
				return false
			}
		}
		return true
	}
	for p, i := next, 0; ; i++ {
		if !local(p) {
			return home
		}
		d, err := url.PathUnescape(p)
		if err != nil || i > 4 {
			return home
		}
		if d == p {
			break
		}
		p = d
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return home
	}
	return next
}

// loginURL is where an anonymous browser is sent; GET requests come back to
// where they were.
func loginURL(r *http.Request) string {
	if r.Method != http.MethodGet || r.URL.Path == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(r.URL.RequestURI())
}
