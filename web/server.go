// Package web serves Qamqor over HTTP: the JSON API under /api, the embedded
// pages for operators and dispatchers, health checks and static assets. It
// sees only the dispatch interfaces; cmd/qamqor wires in the PostgreSQL
// implementations.
package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/qamqor/qamqor/dispatch"
)

// Defaults for the zero values of Config.
const (
	DefaultMaxBodyBytes   = 1 << 20 // 1 MiB: a request form is a few hundred bytes
	DefaultRequestTimeout = 30 * time.Second
	DefaultSessionTTL     = 12 * time.Hour
	DefaultSnapLimitM     = 500
	// shutdownTimeout bounds how long ListenAndServe waits for requests in
	// flight once its context is cancelled.
	shutdownTimeout = 10 * time.Second
)

// Config holds the plain settings of the server. Zero values take the
// Default constants above.
type Config struct {
	// Addr is what ListenAndServe listens on, e.g. ":8080" or ":0".
	Addr string
	// PublicURL is the address users reach the server at, e.g.
	// "https://qamqor.example.kz". When set, its origin is the only one
	// accepted in Origin headers; when empty, the request's own Host is.
	PublicURL string
	// Secure marks session cookies Secure; set it when served over TLS
	// (directly or behind a TLS-terminating proxy).
	Secure bool
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// TileURL is the map tile template handed to map pages.
	TileURL string
	// SnapLimitM is the radius reverse geocoding searches.
	SnapLimitM float64
	// MaxBodyBytes limits request bodies; larger ones get 413.
	MaxBodyBytes int64
	// MaxUploadBytes limits an uploaded import file instead of
	// MaxBodyBytes; see bulk.go.
	MaxUploadBytes int64
	// RequestTimeout cancels the context of non-WebSocket requests.
	RequestTimeout time.Duration
	// TelegramBot is the bot's user name, for t.me links; may be empty.
	TelegramBot string
	// TrustedProxies are the addresses (CIDR prefixes or single IPs) of
	// the reverse proxies in front of the server. Only a request whose TCP
	// peer is one of them has its client read from X-Forwarded-For (the
	// rightmost address that is not a trusted proxy); with none the TCP
	// peer is the client and the header is ignored.
	TrustedProxies []string
	// MaxSocketsPerSession and MaxSocketsPerUser cap the live connections
	// (GET /ws) of one login and of one user; 0 takes the hub's defaults,
	// negative means no cap (benchmarks).
	MaxSocketsPerSession, MaxSocketsPerUser int
}

// Services are the dispatch implementations the handlers call.
type Services struct {
	Auth     dispatch.AuthStore
	Requests dispatch.RequestStore
	Care     dispatch.CareStore
	Geocoder dispatch.Geocoder
	// Area is the service area; points outside it are refused. The zero
	// value means dispatch.AstanaArea.
	Area dispatch.ServiceArea
	// Events feeds the live hub behind GET /ws; nil turns /ws off (503).
	Events dispatch.EventSource
	// Ready reports whether the server can serve (the database answers);
	// nil means always ready.
	Ready func(ctx context.Context) error
	// Unavailable reports whether an error means the database cannot be
	// reached right now; such errors are answered 503 with Retry-After
	// (outageRetryAfter) and a problem, never 500. Nil means never.
	Unavailable func(err error) bool
	// Logger gets one line per failed request; nil means slog.Default().
	Logger *slog.Logger
	// Execute applies what teams report from the field; see execute.go.
	Execute dispatch.ExecuteStore
	// Campaigns opens campaigns and recurring visits; see campaign.go.
	Campaigns dispatch.CampaignStore
	// Alerts are the welfare alerts dispatchers handle; see alert.go.
	Alerts dispatch.AlertStore
	// Plan is the planner and route editing; see plan.go.
	Plan PlanServices
	// Registry keeps care addresses, teams, volunteers and organisations;
	// Users is user administration; see registry.go.
	Registry dispatch.RegistryStore
	Users    dispatch.UserAdmin
	// Reports computes the reports; see report.go.
	Reports dispatch.ReportStore
	// Imports stages and applies imports; Exports writes tables; see
	// bulk.go.
	Imports ImportService
	Exports dispatch.ExportStore
	// TwoFactor keeps TOTP secrets, recovery codes, login tickets and the
	// security settings; nil turns two-factor login off.
	TwoFactor dispatch.TwoFactorStore
	// Audit searches the audit trail; see audit.go.
	Audit dispatch.AuditStore
	// HQ computes the HQ's monthly report; see hq.go.
	HQ dispatch.HQReportStore
	// Consent approves visits to pensioners without recorded consent.
	Consent dispatch.VisitApprover
	// Privacy erases a person's data (admins); see audit.go.
	Privacy dispatch.PrivacyStore
	// Map reads roads, districts, requests and teams for the maps; see
	// map.go. Nil falls back to Requests when it implements MapStore.
	Map MapStore
	// APIKeys keeps Open311 keys and reads public requests; see
	// open311.go. Nil answers the Open311 requests endpoints with 503.
	APIKeys dispatch.APIKeyStore
	// Applications are volunteer sign-ups (signup.go); Attendance the
	// verified hours (attendance.go); Certificates the signed hour
	// certificates and their public verification (certificate.go).
	Applications dispatch.ApplicationStore
	Attendance   dispatch.AttendanceStore
	Certificates dispatch.CertificateStore
	// Webhooks are the outbound webhook subscriptions; see webhook.go.
	Webhooks dispatch.WebhookStore
	// Telegram links users' chats; nil when the bot is off (503). See
	// telegram.go.
	Telegram dispatch.TelegramStore
	// Metrics, when set, counts requests, sockets and events; serve its
	// MetricsHandler on a separate address. See metrics.go.
	Metrics *Metrics
}

// Server is the HTTP front of Qamqor. Build it with NewServer.
type Server struct {
	Config
	Services

	router chi.Router
	hub    *Hub // nil without Services.Events
	logins *loginLimiter
	plans  sessionPlans
	// open311Limits throttles Open311 clients per key and per address.
	open311Limits *rateLimiter
	templates     map[string]*template.Template
	assets        *assets
	signups       *signupLimiter
	// pages are the links the home page offers, filtered by role. Route
	// files append to it with addPage.
	pages []page
}

// NewServer builds the router. It fails only when the embedded templates or
// assets are broken.
func NewServer(cfg Config, svc Services) (*Server, error) {
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, DefaultMaxBodyBytes)
	cfg.MaxUploadBytes = cmp.Or(cfg.MaxUploadBytes, DefaultMaxUploadBytes)
	cfg.RequestTimeout = cmp.Or(cfg.RequestTimeout, DefaultRequestTimeout)
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, DefaultSessionTTL)
	cfg.SnapLimitM = cmp.Or(cfg.SnapLimitM, DefaultSnapLimitM)
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return nil, fmt.Errorf("public url %q: want scheme://host", cfg.PublicURL)
		}
		// Users reach us over TLS (directly or through a proxy): a cookie
		// must never travel in clear.
		if strings.EqualFold(u.Scheme, "https") {
			cfg.Secure = true
		}
	}
	for i, p := range cfg.TrustedProxies {
		pfx, err := ParseTrustedProxy(p)
		if err != nil {
			return nil, err
		}
		cfg.TrustedProxies[i] = pfx
	}
	if svc.Area == (dispatch.ServiceArea{}) {
		svc.Area = dispatch.AstanaArea
	}
	if svc.Logger == nil {
		svc.Logger = slog.Default()
	}
	s := &Server{Config: cfg, Services: svc, logins: newLoginLimiter(), open311Limits: newRateLimiter(), signups: newSignupLimiter()}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.templates, err = s.parseTemplates(); err != nil {
		return nil, err
	}
	if svc.Events != nil {
		hc := HubConfig{Logger: svc.Logger, MaxPerSession: cfg.MaxSocketsPerSession, MaxPerUser: cfg.MaxSocketsPerUser}
		if svc.Auth != nil {
			hc.Sessions = svc.Auth.LiveSessions
		}
		if svc.Metrics != nil {
			hc.Observe = svc.Metrics.observeFanOut
		}
		s.hub = NewHub(svc.Events, hc)
		if svc.Metrics != nil {
			svc.Metrics.wsCount = s.hub.Clients
		}
	}
	s.router = s.routes()
	return s, nil
}

// ParseTrustedProxy reads one trusted proxy, a CIDR prefix or a single IP,
// and returns it as a prefix.
func ParseTrustedProxy(s string) (string, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return "", fmt.Errorf("trusted proxy %q: want an IP address or a CIDR prefix", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()).String(), nil
}

// routes builds the router. Each resource registers its routes from its own
// file through a registerXxxRoutes function; new resources add one line in
// the right group below.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	if s.Metrics != nil {
		r.Use(s.Metrics.instrument)
	}
	r.Use(middleware.RequestID)
	if len(s.TrustedProxies) > 0 {
		r.Use(middleware.ClientIPFromXFF(s.TrustedProxies...))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	r.Use(s.recoverer)
	r.Use(securityHeaders)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no page at %s.", r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.Error(w, r, dispatch.Errorf(codeMethodNotAllowed, "%s is not allowed here.", r.Method))
	})

	// Public: health checks and the static assets the login page needs.
	s.registerHealthRoutes(r)
	s.registerOpenAPIRoutes(r)
	s.registerStaticRoutes(r)
	s.registerServiceWorkerRoutes(r)

	// Open311: other systems, no session; api_key where the spec asks.
	r.Group(func(r chi.Router) {
		r.Use(s.limitBody, middleware.Timeout(s.RequestTimeout))
		s.registerOpen311Routes(r)
	})

	// Everything else knows the session and refuses cross-site unsafe
	// requests.
	r.Group(func(r chi.Router) {
		r.Use(s.limitBody, s.loadSession, s.checkOrigin)

		// WebSocket routes: no Timeout, a connection lives for hours.
		r.Group(func(r chi.Router) {
			r.Use(s.requireLogin)
			s.registerLiveRoutes(r)
		})

		r.Group(func(r chi.Router) {
			r.Use(middleware.Timeout(s.RequestTimeout))
			s.registerLoginRoutes(r)
			// Public: volunteer sign-up and certificate verification.
			s.registerSignupRoutes(r)
			s.registerVerifyRoutes(r)
			s.registerTwoFactorRoutes(r)

			// Logged in only; unsafe methods need the CSRF token. Each
			// handler then checks its action with dispatch.Require.
			r.Group(func(r chi.Router) {
				r.Use(s.requireLogin, s.checkCSRFToken)
				s.registerAuthRoutes(r)
				s.registerSecurityRoutes(r)
				s.registerConsentRoutes(r)
				s.registerAuditRoutes(r)
				s.registerRequestRoutes(r)
				s.registerGeocodeRoutes(r)
				s.registerExecuteRoutes(r)
				s.registerAlertRoutes(r)
				s.registerCampaignRoutes(r)
				s.registerPlanRoutes(r)
				s.registerRegistryRoutes(r)
				s.registerReportRoutes(r)
				s.registerBulkRoutes(r)
				s.registerHQRoutes(r)
				s.registerPageRoutes(r)
				s.registerRequestPageRoutes(r)
				s.registerDispatchRoutes(r)
				s.registerTeamRoutes(r)
				s.registerAPIKeyRoutes(r)
				s.registerIntegrationsRoutes(r)
				s.registerTelegramRoutes(r)
				s.registerWebhookRoutes(r)
				s.registerApplicationRoutes(r)
				s.registerAttendanceRoutes(r)
				s.registerCertificateRoutes(r)
			})
		})
	})
	return r
}

// Handler returns the root handler, for httptest and custom servers.
func (s *Server) Handler() http.Handler { return s.router }

// ListenAndServe listens on s.Addr and serves until ctx is cancelled, then
// shuts down gracefully. Use Listen and Serve to learn the address first.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Listen opens the listener on s.Addr; ":0" picks a free port, which the
// listener's Addr reports.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", cmp.Or(s.Addr, ":8080"))
	if err != nil {
		return nil, fmt.Errorf("listen addr=%s: %w", s.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx is cancelled, then stops accepting, lets
// requests in flight finish for up to shutdownTimeout and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.hub != nil {
		go s.hub.Run(ctx)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	// Shutdown does not track websockets: the hub closes each with 1001
	// (going away) and the pages reconnect elsewhere with since.
	if s.hub != nil {
		select {
		case <-s.hub.done:
		case <-shutCtx.Done():
		}
	}
	return nil
}

// registerHealthRoutes adds the liveness and readiness checks. Both are
// public and never touch the session.
func (s *Server) registerHealthRoutes(r chi.Router) {
	r.Get("/healthz", s.handleHealthz)
	r.Get("/readyz", s.handleReadyz)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.Logger.Warn("not ready", "err", err)
			w.Header().Set("Retry-After", outageRetryAfter)
			writeProblem(w, r, problem{
				Type: problemType(codeUnavailable), Title: "Service unavailable",
				Status: http.StatusServiceUnavailable, Detail: "The database is not reachable.",
				Instance: r.URL.Path, Code: codeUnavailable,
			})
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ready")
}

// securityHeaders forbids framing, sniffing and inline scripts. Pages load
// only their own scripts and styles; map tiles may come from any https host.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https:; "+
			"script-src 'self'; style-src 'self'; connect-src 'self'; "+
			"frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

// limitBody refuses bodies over MaxBodyBytes: at once when Content-Length
// says so, otherwise when a handler reads past the limit (decodeJSON and
// parseForm turn that into ETOOLARGE).
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.MaxBodyBytes
		if isUpload(r) {
			limit = s.MaxUploadBytes
		}
		if r.ContentLength > limit {
			s.Error(w, r, tooLarge(limit))
			return
		}
		// PostgreSQL text cannot hold NUL: refuse it in the address.
		if strings.Contains(r.URL.RawQuery, "%00") || strings.ContainsRune(r.URL.Path, 0) {
			s.Error(w, r, dispatch.Errorf(codeMalformed, "The address must not contain NUL characters (%%00)."))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

func tooLarge(limit int64) error {
	return dispatch.Errorf(dispatch.ETOOLARGE, "The request body is larger than %d bytes.", limit)
}

// recoverer turns a panic into a 500 problem, logs the stack once and keeps
// the server running. http.ErrAbortHandler is re-panicked as net/http
// expects.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Error(w, r, &dispatch.Error{Code: dispatch.EINTERNAL, Message: "panic", Err: fmt.Errorf("panic: %v\n%s", v, stack())})
		}()
		next.ServeHTTP(w, r)
	})
}
