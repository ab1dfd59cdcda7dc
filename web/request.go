package web

import (
	"encoding/json"
	"errors"

	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/locale"
)

// List limits for GET /api/requests.
const (
	defaultListLimit = 50
	maxListLimit     = 500
)

// registerRequestRoutes adds the hotline and dispatcher request API.
func (s *Server) registerRequestRoutes(r chi.Router) {
	r.Route("/api/requests", func(r chi.Router) {
		r.Get("/", s.handleRequestList)
		r.Post("/", s.handleRequestCreate)
		r.Get("/duplicates", s.handleRequestDuplicates)
		r.Get("/{id}", s.handleRequestView)
		r.Post("/{id}/status", s.handleRequestStatus)
	})
}

// requestJSON is a request as the API shows it: its wire form
// (dispatch.RequestView, with lat/lon) plus its own URL.
type requestJSON struct {
	dispatch.RequestView
	URL string `json:"url"`
}

func newRequestJSON(r *dispatch.Request) requestJSON {
	return requestJSON{RequestView: r.View(), URL: requestURL(r.ID)}
}

func newRequestsJSON(rs []*dispatch.Request) []requestJSON {
	out := make([]requestJSON, len(rs))
	for i, r := range rs {
		out[i] = newRequestJSON(r)
	}
	return out
}

// localised returns rs with the planner's stored English reasons in r's
// language.
func localised(req *http.Request, rs []requestJSON) []requestJSON {
	lang := langOf(req)
	for i := range rs {
		if rs[i].UnassignedReason != "" {
			rs[i].UnassignedReason = locale.Text(lang, rs[i].UnassignedReason)
		}
	}
	return rs
}

func requestURL(id int64) string { return "/api/requests/" + strconv.FormatInt(id, 10) }

// handleRequestCreate creates a request: 201 with Location when new, 200
// with the first request when the Idempotency-Key was seen before, 409 with
// duplicate_id and duplicate_url when an open duplicate exists (unless
// force).
func (s *Server) handleRequestCreate(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActCreateRequest)
	if !ok {
		return
	}
	in, ok := decodeBody[dispatch.RequestInput](s, w, r)
	if !ok {
		return
	}
	in.IdempotencyKey = idempotencyKey(r)
	if err := in.Normalize(s.Area); err != nil {
		s.Error(w, r, err)
		return
	}
	req, created, err := s.Requests.CreateRequest(r.Context(), actor, in)
	if err != nil {
		s.Error(w, r, withDuplicateURL(err))
		return
	}
	st := http.StatusOK
	if created {
		w.Header().Set("Location", requestURL(req.ID))
		st = http.StatusCreated
	}
	writeJSON(w, st, newRequestJSON(req))
}

// withDuplicateURL adds duplicate_url next to the store's duplicate_id so
// clients can link to the open request.
func withDuplicateURL(err error) error {
	var de *dispatch.Error
	if !errors.As(err, &de) || de.Detail == nil {
		return err
	}
	var id int64
	switch v := de.Detail["duplicate_id"].(type) {
	case int64:
		id = v
	case int:
		id = int64(v)
	case float64:
		id = int64(v)
	default:
		return err
	}
	cp := *de
	cp.Detail = make(map[string]any, len(de.Detail)+1)
	for k, v := range de.Detail {
		cp.Detail[k] = v
	}
	cp.Detail["duplicate_url"] = requestURL(id)
	return &cp
}

func (s *Server) handleRequestView(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActViewRequests); !ok {
		return
	}
	id, err := pathID(r, "id", "request")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	req, err := s.Requests.FindRequestByID(r.Context(), id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, http.StatusOK, newRequestJSON(req), req.Version)
}

// handleRequestList serves GET /api/requests?status=&kind=&limit=&offset=;
// status and kind may repeat or hold comma-separated lists. The total count
// is in X-Total-Count.
func (s *Server) handleRequestList(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActViewRequests); !ok {
		return
	}
	q := r.URL.Query()
	f := dispatch.RequestFilter{Limit: defaultListLimit}
	for _, v := range listParam(q, "status") {
		st := dispatch.RequestStatus(v)
		if !st.Valid() {
			s.Error(w, r, dispatch.Invalid("status", "Unknown status %q.", v))
			return
		}
		f.Statuses = append(f.Statuses, st)
	}
	for _, v := range listParam(q, "kind") {
		k := dispatch.RequestKind(v)
		if !k.Valid() {
			s.Error(w, r, dispatch.Invalid("kind", "Unknown kind %q: use snow_clearing, food_delivery or other.", v))
			return
		}
		f.Kinds = append(f.Kinds, k)
	}
	var err error
	if f.Limit, err = intParam(q, "limit", defaultListLimit, 1, maxListLimit); err != nil {
		s.Error(w, r, err)
		return
	}
	if f.Offset, err = intParam(q, "offset", 0, 0, 1<<31-1); err != nil {
		s.Error(w, r, err)
		return
	}
	rs, total, err := s.Requests.FindRequests(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	writeJSON(w, http.StatusOK, localised(r, newRequestsJSON(rs)))
}

// statusInput is the body of POST /api/requests/{id}/status.
type statusInput struct {
	Status dispatch.RequestStatus `json:"status"`
}

func (s *Server) handleRequestStatus(w http.ResponseWriter, r *http.Request) {
	actor, ok := s.actorFor(w, r, dispatch.ActChangeRequests)
	if !ok {
		return
	}
	id, err := pathID(r, "id", "request")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	expect, err := ifMatch(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	in, ok := decodeBody[statusInput](s, w, r)
	if !ok {
		return
	}
	if !in.Status.Valid() {
		s.Error(w, r, dispatch.Invalid("status", "Unknown status %q.", in.Status))
		return
	}
	req, err := s.Requests.SetRequestStatus(r.Context(), actor, id, in.Status, expect)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeVersioned(w, http.StatusOK, newRequestJSON(req), req.Version)
}

// handleRequestDuplicates lists open requests that a new one of kind at
// lat/lon (or for care_address_id) would duplicate, for the hotline's live
// warning.
func (s *Server) handleRequestDuplicates(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.actorFor(w, r, dispatch.ActCreateRequest); !ok {
		return
	}
	q := r.URL.Query()
	kind := dispatch.RequestKind(q.Get("kind"))
	if !kind.Valid() {
		s.Error(w, r, dispatch.Invalid("kind", "Unknown kind %q: use snow_clearing, food_delivery or other.", kind))
		return
	}
	var careID *int64
	if v := q.Get("care_address_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.Error(w, r, malformedParam("care_address_id", "a whole number"))
			return
		}
		careID = &id
	}
	pt, err := pointParam(q, false)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if careID == nil && pt == nil {
		s.Error(w, r, dispatch.Invalid("lat", "Give lat and lon, or care_address_id."))
		return
	}
	rs, err := s.Requests.FindDuplicates(r.Context(), kind, careID, pt)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, localised(r, newRequestsJSON(rs)))
}

// pathID parses a positive id from the URL; anything else is ENOTFOUND
// since no such resource can exist.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, dispatch.Errorf(dispatch.ENOTFOUND, "There is no %s %q.", dispatch.Thing(what), chi.URLParam(r, name))
	}
	return id, nil
}

// actorFor is the user of the request when they may do act; otherwise it
// writes the problem and returns false.
func (s *Server) actorFor(w http.ResponseWriter, r *http.Request, act dispatch.Action) (*dispatch.User, bool) {
	actor := userFrom(r.Context())
	if err := dispatch.Require(actor, act); err != nil {
		s.Error(w, r, err)
		return nil, false
	}
	return actor, true
}

// decodeBody decodes the JSON body (see decodeJSON) into a T; on failure it
// writes the problem and returns false.
func decodeBody[T any](s *Server, w http.ResponseWriter, r *http.Request) (T, bool) {
	var in T
	if err := decodeJSON(r, &in); err != nil {
		s.Error(w, r, err)
		return in, false
	}
	return in, true
}

// listParam returns the non-empty values of a repeated or comma-separated
// query parameter.
func listParam(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// intParam parses an optional integer parameter: 400 when not a number,
// 422 when outside [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, malformedParam(name, "a whole number")
	}
	if n < lo || n > hi {
		return 0, dispatch.Invalid(name, "%s must be between %d and %d.", name, lo, hi)
	}
	return n, nil
}

// pointParam parses lat and lon. With required false, both absent gives
// nil; one without the other is refused.
func pointParam(q url.Values, required bool) (*orb.Point, error) {
	ls, ns := q.Get("lat"), q.Get("lon")
	if ls == "" && ns == "" && !required {
		return nil, nil
	}
	if ls == "" || ns == "" {
		return nil, dispatch.Invalid("lat", "Give both lat and lon.")
	}
	lat, err := strconv.ParseFloat(ls, 64)
	if err != nil {
		return nil, malformedParam("lat", "a number")
	}
	lon, err := strconv.ParseFloat(ns, 64)
	if err != nil {
		return nil, malformedParam("lon", "a number")
	}
	// NaN fails every comparison, so test for in-range rather than out.
	if !(lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
		return nil, dispatch.Invalid("lat", "Coordinates are out of range.")
	}
	return &orb.Point{lon, lat}, nil
}

func malformedParam(name, want string) error {
	e := dispatch.Errorf(codeMalformed, "Parameter %s must be %s.", name, dispatch.Thing(want))
	e.Field = name
	return e
}

// writeJSON encodes v with status. Encoding errors are only possible for
// types we control, and the header is already out, so they are dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
