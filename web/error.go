package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"io"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/locale"
)

// Codes the web layer adds to the dispatch ones. They never leave this
// package except as the "code" member of a problem.
const (
	// codeMalformed: the body or a parameter cannot be parsed at all
	// (broken JSON, unknown field, wrong type). Semantically invalid but
	// well-formed input is dispatch.EINVALID.
	codeMalformed        = "malformed"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMethodNotAllowed = "method_not_allowed"
	codeUnavailable      = "unavailable"
)

// status is the one table from error code to HTTP status and problem title.
//
// Input errors are split in two: 400 Bad Request (codeMalformed) when the
// request cannot be parsed — malformed JSON, unknown fields, wrong JSON
// types, non-numeric query numbers — and 422 Unprocessable Content
// (dispatch.EINVALID) when it parses but a value is refused: unknown kind,
// window ending before it starts, a point outside the service area.
var status = map[string]struct {
	Status int
	Title  string
}{
	codeMalformed:          {http.StatusBadRequest, "Malformed request"},
	dispatch.EINVALID:      {http.StatusUnprocessableEntity, "Invalid input"},
	dispatch.EUNAUTHORIZED: {http.StatusUnauthorized, "Login required"},
	dispatch.EFORBIDDEN:    {http.StatusForbidden, "Forbidden"},
	dispatch.ENOTFOUND:     {http.StatusNotFound, "Not found"},
	codeMethodNotAllowed:   {http.StatusMethodNotAllowed, "Method not allowed"},
	dispatch.ECONFLICT:     {http.StatusConflict, "Conflict"},
	// Optimistic concurrency: see version.go.
	dispatch.EPRECONDITION:         {http.StatusPreconditionFailed, "Changed by someone else"},
	dispatch.EPRECONDITIONREQUIRED: {http.StatusPreconditionRequired, "Version required"},
	dispatch.ETOOLARGE:             {http.StatusRequestEntityTooLarge, "Request too large"},
	codeUnsupportedMedia:           {http.StatusUnsupportedMediaType, "Unsupported media type"},
	dispatch.EINTERNAL:             {http.StatusInternalServerError, "Internal error"},
	codeUnavailable:                {http.StatusServiceUnavailable, "Service unavailable"},
	codeTooMany:                    {http.StatusTooManyRequests, "Too many attempts"},
}

// problem is an RFC 9457 problem detail. Code and Field are our extension
// members; Extra holds further members from dispatch.Error.Detail (for
// example duplicate_id and duplicate_url).
type problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      string         `json:"code"`
	Field     string         `json:"field,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Extra     map[string]any `json:"-"`
}

// MarshalJSON flattens Extra into the top level; the standard members win.
func (p problem) MarshalJSON() ([]byte, error) {
	type plain problem
	b, err := json.Marshal(plain(p))
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range p.Extra {
		if _, taken := m[k]; !taken {
			m[k] = v
		}
	}
	return json.Marshal(m)
}

// problemType is the problem's type URI. It is a stable identifier, not a
// page: clients switch on it (or on code).
func problemType(code string) string { return "urn:qamqor:problem:" + code }

// Error writes err as a problem (or, for pages, an HTML error page) with the
// status the code table gives, and logs it: internal errors at Error level
// with the full chain, the rest at Info with the user-safe message. It is
// the only place handler errors are logged.
// outageRetryAfter is the Retry-After (seconds) of a 503 while the
// database cannot be reached: the pool reconnects on the next request.
const outageRetryAfter = "5"

func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := dispatch.ErrorCode(err)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		code, err = dispatch.ETOOLARGE, tooLarge(maxErr.Limit)
	}
	if code == dispatch.EINTERNAL && s.Unavailable != nil && s.Unavailable(err) {
		// An outage, not a bug: the client should try again shortly.
		s.Logger.Warn("database unreachable", "method", r.Method, "path", r.URL.Path, "err", err)
		code = codeUnavailable
		err = dispatch.Errorf(codeUnavailable, "The database cannot be reached right now; try again in a few seconds.").Wrap(err)
		w.Header().Set("Retry-After", outageRetryAfter)
	}
	st, ok := status[code]
	if !ok {
		code, st = dispatch.EINTERNAL, status[dispatch.EINTERNAL]
	}
	p := problem{
		Type:      problemType(code),
		Title:     st.Title,
		Status:    st.Status,
		Instance:  r.URL.Path,
		Code:      code,
		RequestID: middleware.GetReqID(r.Context()),
	}
	user := userFrom(r.Context())
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", st.Status, "code", code, "request_id", p.RequestID}
	if user != nil {
		attrs = append(attrs, "user_id", user.ID)
	}
	lang := langOf(r)
	p.Title = locale.Sprintf(lang, st.Title)
	if code == dispatch.EINTERNAL && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away (a closed tab, a search superseded by the
		// next keystroke): nobody reads the answer and nothing failed on
		// our side, so it is no 500 and no ERROR line. 499 is nginx's
		// "client closed request", for the log only.
		s.Logger.Info("request cancelled by the client", append(attrs[:4:4], "status", 499, "request_id", p.RequestID)...)
		return
	}
	if code == dispatch.EINTERNAL {
		p.Detail = locale.Sprintf(lang, "Internal error. Quote request id %s when reporting it.", p.RequestID)
		s.Logger.Error("request failed", append(attrs, "err", err)...)
	} else {
		var de *dispatch.Error
		if errors.As(err, &de) {
			format, args := de.Localized()
			p.Detail = locale.Sprintf(lang, format, args...)
			p.Field, p.Extra = de.Field, de.Detail
		} else {
			p.Detail = dispatch.ErrorMessage(err)
		}
		if cur, ok := p.Extra["current"]; ok {
			extra := make(map[string]any, len(p.Extra))
			for k, v := range p.Extra {
				extra[k] = v
			}
			delete(extra, "current")
			if rep, etag, ok := s.currentJSON(cur); ok {
				extra["current"] = rep
				setETag(w, etag)
			}
			p.Extra = extra
		}
		// The log keeps the English text, whatever the user reads.
		s.Logger.Info("request refused", append(attrs, "detail", dispatch.ErrorMessage(err))...)
	}
	w.Header().Set("Content-Language", lang)
	if code == dispatch.EUNAUTHORIZED && wantsHTML(r) {
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return
	}
	if wantsHTML(r) {
		s.renderError(w, r, p)
		return
	}
	writeProblem(w, r, p)
}

func writeProblem(w http.ResponseWriter, r *http.Request, p problem) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Cookie realm="qamqor"`)
	}
	w.WriteHeader(p.Status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(p)
}

// wantsHTML reports whether errors for r should be pages rather than
// problem JSON. JSON lives under /api/ and WebSocket upgrades get JSON too;
// everything else is a page, unless the client asks for JSON and not HTML.
func wantsHTML(r *http.Request) bool {
	p := r.URL.Path
	if strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" ||
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/html") || !strings.Contains(accept, "json")
}

func stack() []byte { return debug.Stack() }

// requireJSON returns codeUnsupportedMedia unless the body is declared JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return dispatch.Errorf(codeUnsupportedMedia, "Send the body as application/json.")
	}
	return nil
}

// decodeJSON reads exactly one JSON value from the body into v. It refuses
// other content types (415), unknown fields, wrong types, trailing data and
// broken syntax (400 naming the field where possible) and bodies over the
// limit (413).
func decodeJSON(r *http.Request, v any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return dispatch.Errorf(codeMalformed, "The request body could not be read.").Wrap(err)
	}
	// PostgreSQL text cannot hold NUL; refuse it here with a clear 400
	// rather than fail deep in a query.
	if bytes.Contains(body, []byte(`\u0000`)) {
		return dispatch.Errorf(codeMalformed, "Text must not contain NUL characters (\\u0000).")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return dispatch.Errorf(codeMalformed, "The body must hold exactly one JSON value.")
	}
	return nil
}

// jsonError explains a decoding failure in user terms.
func jsonError(err error) error {
	var (
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		maxErr   *http.MaxBytesError
		timeErr  *time.ParseError
		malformd = func(field, format string, args ...any) error {
			e := dispatch.Errorf(codeMalformed, format, args...).Wrap(err)
			e.Field = field
			return e
		}
	)
	switch {
	case errors.As(err, &maxErr):
		return err
	case errors.Is(err, io.EOF):
		return malformd("", "The body is empty; send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformd("", "The JSON body ends too early.")
	case errors.As(err, &syntax):
		return malformd("", "The body is not valid JSON (at byte %d).", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return malformd("", "The body must be a JSON object.")
		}
		return malformd(field, "Field %q must be %s, not %s.", field, dispatch.Thing(jsonTypeName(typ.Type.Kind().String())), dispatch.Thing("JSON "+typ.Value))
	case errors.As(err, &timeErr):
		return malformd("", "A time must be RFC 3339, e.g. 2025-01-31T14:00:00+05:00.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformd(field, "Unknown field %q.", field)
	}
	return malformd("", "The body cannot be read as JSON.")
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "ptr":
		return "a value"
	}
	return "a " + kind
}
