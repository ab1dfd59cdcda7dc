package web

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/web/locale"
)

// Open311 GeoReport v2 under /open311/v2/ (https://wiki.open311.org/GeoReport_v2).
// Every endpoint answers JSON or XML by its extension (.json, .xml), and
// every error is the spec's list of {code, description} with the HTTP
// status in code. It has no session: reads are public, POST requests needs
// an api_key. What a request shows is dispatch.PublicRequest: no personal
// data.

// open311Changeset is when the interface below last changed; discovery
// reports it so clients can tell.
const open311Changeset = "2026-12-06T00:00:00Z"

// open311PublicRate is how many requests a minute a client without an
// api_key may make from one address.
const open311PublicRate = 120

// registerOpen311Routes adds the Open311 endpoints. They sit outside the
// session group: no cookie, no CSRF, no Origin check (servers call them).
func (s *Server) registerOpen311Routes(r chi.Router) {
	r.Route("/open311/v2", func(r chi.Router) {
		r.Get("/discovery.{format}", s.handleOpen311Discovery)
		r.Get("/services.{format}", s.handleOpen311Services)
		r.Get("/services/{code}.{format}", s.handleOpen311Service)
		r.Get("/requests.{format}", s.handleOpen311Requests)
		r.Post("/requests.{format}", s.handleOpen311Create)
		r.Get("/requests/{id}.{format}", s.handleOpen311Request)
	})
}

// open311Error is one entry of the spec's error list.
type open311Error struct {
	XMLName     xml.Name `json:"-" xml:"error"`
	Code        int      `json:"code" xml:"code"`
	Description string   `json:"description" xml:"description"`
}

type open311Errors struct {
	XMLName xml.Name       `xml:"errors"`
	Errors  []open311Error `xml:"error"`
}

// open311Status maps dispatch codes to the statuses the spec uses: a bad
// parameter is 400, a bad key 403, an unknown id or service 404.
var open311Status = map[string]int{
	codeMalformed:          http.StatusBadRequest,
	dispatch.EINVALID:      http.StatusBadRequest,
	dispatch.EUNAUTHORIZED: http.StatusForbidden,
	dispatch.EFORBIDDEN:    http.StatusForbidden,
	dispatch.ENOTFOUND:     http.StatusNotFound,
	dispatch.ECONFLICT:     http.StatusConflict,
	dispatch.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	codeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	codeTooMany:            http.StatusTooManyRequests,
	codeUnavailable:        http.StatusServiceUnavailable,
	codeMethodNotAllowed:   http.StatusMethodNotAllowed,
}

// open311Fail writes err in the spec's error form, in the format asked
// for (JSON unless the path ends in .xml), and logs it like Error does.
func (s *Server) open311Fail(w http.ResponseWriter, r *http.Request, err error) {
	code := dispatch.ErrorCode(err)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		code, err = dispatch.ETOOLARGE, tooLarge(maxErr.Limit)
	}
	st, ok := open311Status[code]
	lang := open311Lang(r)
	desc := dispatch.ErrorMessage(err)
	var de *dispatch.Error
	if errors.As(err, &de) && code != dispatch.EINTERNAL {
		format, args := de.Localized()
		desc = locale.Sprintf(lang, format, args...)
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "code", code, "request_id", middleware.GetReqID(r.Context())}
	if !ok {
		st = http.StatusInternalServerError
		desc = locale.Sprintf(lang, "Internal error. Quote request id %s when reporting it.", middleware.GetReqID(r.Context()))
		s.Logger.Error("open311 request failed", append(attrs, "status", st, "err", err)...)
	} else {
		if de != nil && de.Field != "" && !strings.Contains(desc, de.Field) {
			desc = de.Field + ": " + desc
		}
		s.Logger.Info("open311 request refused", append(attrs, "status", st, "detail", desc)...)
	}
	if wait, ok := retryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(wait))
	}
	errs := []open311Error{{Code: st, Description: desc}}
	s.open311Write(w, r, st, errs, open311Errors{Errors: errs})
}

// retryAfter is the whole seconds a throttled client should wait.
func retryAfter(err error) (int, bool) {
	var de *dispatch.Error
	if errors.As(err, &de) && de.Detail != nil {
		if v, ok := de.Detail["retry_after"].(int); ok {
			return v, true
		}
	}
	return 0, false
}

// open311Format is "json" or "xml" from the path; anything else is
// ENOTFOUND, as no such document exists.
func open311Format(r *http.Request) (string, error) {
	switch f := chi.URLParam(r, "format"); f {
	case "json", "xml":
		return f, nil
	default:
		return "", dispatch.Errorf(dispatch.ENOTFOUND, "Format %q is not served: use .json or .xml.", f)
	}
}

// open311Write encodes j as JSON or x as XML, by the path's extension.
func (s *Server) open311Write(w http.ResponseWriter, r *http.Request, status int, j, x any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if f, _ := open311Format(r); f == "xml" {
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.WriteHeader(status)
		w.Write([]byte(xml.Header))
		enc := xml.NewEncoder(w)
		enc.Encode(x)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(j)
}

// open311Lang is the language the client asks for in Accept-Language,
// English when it names none we speak (as for the rest of the API).
func open311Lang(r *http.Request) string {
	if l, ok := locale.Negotiate(r.Header.Get("Accept-Language")); ok {
		return l
	}
	return locale.EN
}

// open311Begin checks the format and the public rate limit; false means
// the error is written.
func (s *Server) open311Begin(w http.ResponseWriter, r *http.Request) bool {
	if _, err := open311Format(r); err != nil {
		s.open311Fail(w, r, err)
		return false
	}
	w.Header().Set("Content-Language", open311Lang(r))
	w.Header().Add("Vary", "Accept-Language")
	if key := r.URL.Query().Get("api_key"); key != "" && r.Method == http.MethodGet {
		if _, err := s.open311Key(r, key); err != nil {
			s.open311Fail(w, r, err)
			return false
		}
		return true
	}
	if r.Method == http.MethodGet {
		if err := s.open311Limits.take("ip:"+middleware.GetClientIP(r.Context()), open311PublicRate); err != nil {
			s.open311Fail(w, r, err)
			return false
		}
	}
	return true
}

// open311Key finds a live key and takes one request from its rate.
func (s *Server) open311Key(r *http.Request, secret string) (*dispatch.APIKey, error) {
	if s.APIKeys == nil {
		return nil, unavailable("The Open311 intake")
	}
	k, err := s.APIKeys.FindAPIKey(r.Context(), secret)
	if err != nil {
		return nil, err
	}
	if err := s.open311Limits.take("key:"+strconv.FormatInt(k.ID, 10), k.RatePerMinute); err != nil {
		return nil, err
	}
	return k, nil
}

// discovery is the spec's discovery document.
type open311Discovery struct {
	XMLName    xml.Name          `json:"-" xml:"discovery"`
	Changeset  string            `json:"changeset" xml:"changeset"`
	Contact    string            `json:"contact" xml:"contact"`
	KeyService string            `json:"key_service" xml:"key_service"`
	Endpoints  []open311Endpoint `json:"endpoints" xml:"endpoints>endpoint"`
}

type open311Endpoint struct {
	Specification string   `json:"specification" xml:"specification"`
	URL           string   `json:"url" xml:"url"`
	Changeset     string   `json:"changeset" xml:"changeset"`
	Type          string   `json:"type" xml:"type"`
	Formats       []string `json:"formats" xml:"formats>format"`
}

func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || s.Secure {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) handleOpen311Discovery(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	d := open311Discovery{
		Changeset:  open311Changeset,
		Contact:    "Qamqor volunteer headquarters, Astana (hotline 109)",
		KeyService: "API keys are issued by the headquarters' administrators (qamqor apikey create).",
		Endpoints: []open311Endpoint{{
			Specification: "http://wiki.open311.org/GeoReport_v2",
			URL:           s.baseURL(r) + "/open311/v2",
			Changeset:     open311Changeset,
			Type:          "production",
			Formats:       []string{"text/xml", "application/json"},
		}},
	}
	s.open311Write(w, r, http.StatusOK, d, d)
}

// open311ServiceJSON is one entry of services.json.
type open311ServiceJSON struct {
	XMLName     xml.Name `json:"-" xml:"service"`
	ServiceCode string   `json:"service_code" xml:"service_code"`
	ServiceName string   `json:"service_name" xml:"service_name"`
	Description string   `json:"description" xml:"description"`
	Metadata    bool     `json:"metadata" xml:"metadata"`
	Type        string   `json:"type" xml:"type"`
	Keywords    string   `json:"keywords" xml:"keywords"`
	Group       string   `json:"group" xml:"group"`
}

type open311ServicesXML struct {
	XMLName  xml.Name             `xml:"services"`
	Services []open311ServiceJSON `xml:"service"`
}

func (s *Server) handleOpen311Services(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	lang := open311Lang(r)
	out := make([]open311ServiceJSON, 0, len(dispatch.Open311Services))
	for _, svc := range dispatch.Open311Services {
		out = append(out, open311ServiceJSON{
			ServiceCode: string(svc.Code), ServiceName: svc.Name.In(lang), Description: svc.Description.In(lang),
			Metadata: len(svc.Attributes) > 0, Type: "realtime", Keywords: svc.Keywords, Group: svc.Group.In(lang),
		})
	}
	s.open311Write(w, r, http.StatusOK, out, open311ServicesXML{Services: out})
}

// open311Definition is a service definition (services/{code}.json).
type open311Definition struct {
	XMLName     xml.Name           `json:"-" xml:"service_definition"`
	ServiceCode string             `json:"service_code" xml:"service_code"`
	Attributes  []open311Attribute `json:"attributes" xml:"attributes>attribute"`
}

type open311Attribute struct {
	Variable            bool           `json:"variable" xml:"variable"`
	Code                string         `json:"code" xml:"code"`
	Datatype            string         `json:"datatype" xml:"datatype"`
	Required            bool           `json:"required" xml:"required"`
	DatatypeDescription *string        `json:"datatype_description" xml:"datatype_description"`
	Order               int            `json:"order" xml:"order"`
	Description         string         `json:"description" xml:"description"`
	Values              []open311Value `json:"values,omitempty" xml:"values>value,omitempty"`
}

type open311Value struct {
	Key  string `json:"key" xml:"key"`
	Name string `json:"name" xml:"name"`
}

func (s *Server) handleOpen311Service(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	svc, err := dispatch.FindOpen311Service(chi.URLParam(r, "code"))
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	lang := open311Lang(r)
	d := open311Definition{ServiceCode: string(svc.Code), Attributes: []open311Attribute{}}
	for _, a := range svc.Attributes {
		oa := open311Attribute{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required,
			Order: a.Order, Description: a.Description.In(lang)}
		if a.Datatype == "number" {
			dd := "whole number from " + strconv.Itoa(a.Min) + " to " + strconv.Itoa(a.Max)
			oa.DatatypeDescription = &dd
		}
		for _, v := range a.Values {
			oa.Values = append(oa.Values, open311Value{Key: v.Key, Name: v.Name.In(lang)})
		}
		d.Attributes = append(d.Attributes, oa)
	}
	s.open311Write(w, r, http.StatusOK, d, d)
}

// open311Request is a request as the public sees it (GET requests.json).
// Every field comes from dispatch.PublicRequest; description, address_id,
// zipcode and media_url are always null: free text and media may hold
// personal data, and a house has no public id.
type open311Request struct {
	XMLName           xml.Name `json:"-" xml:"request"`
	ServiceRequestID  string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       *string  `json:"description" xml:"description"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice" xml:"service_notice"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  *string  `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	AddressID         *string  `json:"address_id" xml:"address_id"`
	Zipcode           *string  `json:"zipcode" xml:"zipcode"`
	Lat               float64  `json:"lat" xml:"lat"`
	Long              float64  `json:"long" xml:"long"`
	MediaURL          *string  `json:"media_url" xml:"media_url"`
}

type open311RequestsXML struct {
	XMLName  xml.Name `xml:"service_requests"`
	Requests any      `xml:"request"`
}

func open311Time(t time.Time) string { return dispatch.CityTime(t).Format(time.RFC3339) }

func newOpen311Request(p *dispatch.PublicRequest, lang string) open311Request {
	svc, _ := dispatch.FindOpen311Service(string(p.Kind))
	name := string(p.Kind)
	if svc != nil {
		name = svc.Name.In(lang)
	}
	out := open311Request{
		ServiceRequestID: strconv.FormatInt(p.ID, 10), Status: dispatch.Open311Status(p.Status),
		StatusNotes: dispatch.StatusNote(p.Status, lang), ServiceName: name, ServiceCode: string(p.Kind),
		AgencyResponsible: "Qamqor", RequestedDatetime: open311Time(p.CreatedAt), UpdatedDatetime: open311Time(p.UpdatedAt),
		Address: p.Street, Lat: p.Location.Lat(), Long: p.Location.Lon(),
	}
	if p.ExpectedAt != nil && out.Status == "open" {
		e := open311Time(*p.ExpectedAt)
		out.ExpectedDatetime = &e
	}
	return out
}

// handleOpen311Requests serves GET requests.json with the spec's filters:
// service_request_id (comma-separated, overrides the others),
// service_code, start_date, end_date (W3C times), status (open, closed or
// both). Without dates it lists the last 90 days; at most 1,000 requests.
func (s *Server) handleOpen311Requests(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	q := r.URL.Query()
	f := dispatch.PublicRequestFilter{Limit: dispatch.Open311MaxResults}
	if ids := listParam(q, "service_request_id"); len(ids) > 0 {
		for _, v := range ids {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				s.open311Fail(w, r, dispatch.Invalid("service_request_id", "service_request_id must be whole numbers, not %q.", v))
				return
			}
			f.IDs = append(f.IDs, id)
		}
	} else {
		for _, v := range listParam(q, "service_code") {
			if _, err := dispatch.FindOpen311Service(v); err != nil {
				s.open311Fail(w, r, dispatch.Invalid("service_code", "Unknown service_code %q.", v))
				return
			}
			f.Kinds = append(f.Kinds, dispatch.RequestKind(v))
		}
		for _, v := range listParam(q, "status") {
			sts, err := dispatch.Open311StatusesFor(v)
			if err != nil {
				s.open311Fail(w, r, err)
				return
			}
			f.Statuses = append(f.Statuses, sts...)
		}
		for _, p := range []struct {
			name string
			dst  **time.Time
		}{{"start_date", &f.From}, {"end_date", &f.To}} {
			if v := q.Get(p.name); v != "" {
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					s.open311Fail(w, r, dispatch.Invalid(p.name, "%s must be a W3C time such as 2026-01-12T09:00:00+05:00.", p.name))
					return
				}
				*p.dst = &t
			}
		}
		if f.From != nil && f.To != nil && !f.To.After(*f.From) {
			s.open311Fail(w, r, dispatch.Invalid("end_date", "end_date must be after start_date."))
			return
		}
		if f.From == nil {
			end := time.Now()
			if f.To != nil {
				end = *f.To
			}
			from := end.AddDate(0, 0, -dispatch.Open311DefaultDays)
			f.From = &from
		}
	}
	s.serveOpen311Requests(w, r, f, false)
}

func (s *Server) serveOpen311Requests(w http.ResponseWriter, r *http.Request, f dispatch.PublicRequestFilter, one bool) {
	if s.APIKeys == nil {
		s.open311Fail(w, r, unavailable("The Open311 interface"))
		return
	}
	ps, err := s.APIKeys.FindPublicRequests(r.Context(), f)
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	if one && len(ps) == 0 {
		s.open311Fail(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no service request %d.", f.IDs[0]))
		return
	}
	lang := open311Lang(r)
	out := make([]open311Request, len(ps))
	for i, p := range ps {
		out[i] = newOpen311Request(p, lang)
	}
	s.open311Write(w, r, http.StatusOK, out, open311RequestsXML{Requests: out})
}

func (s *Server) handleOpen311Request(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.open311Fail(w, r, dispatch.Errorf(dispatch.ENOTFOUND, "There is no service request %q.", chi.URLParam(r, "id")))
		return
	}
	s.serveOpen311Requests(w, r, dispatch.PublicRequestFilter{IDs: []int64{id}, Limit: 1}, true)
}

// open311Created is the answer to POST requests.json.
type open311Created struct {
	XMLName          xml.Name `json:"-" xml:"request"`
	ServiceRequestID string   `json:"service_request_id" xml:"service_request_id"`
	ServiceNotice    string   `json:"service_notice" xml:"service_notice"`
	AccountID        *string  `json:"account_id" xml:"account_id"`
}

// handleOpen311Create serves POST requests.json: a form (urlencoded or
// multipart) with api_key and the spec's fields. It goes through the
// hotline's intake: RequestInput.Normalize and RequestStore.CreateRequest,
// so validation, duplicate detection and idempotency (Idempotency-Key,
// scoped to the key) are the same. 201 for a new request, 200 for a retry
// with the same Idempotency-Key; a duplicate is 409 naming the open
// request.
func (s *Server) handleOpen311Create(w http.ResponseWriter, r *http.Request) {
	if !s.open311Begin(w, r) {
		return
	}
	if err := parseOpen311Form(r); err != nil {
		s.open311Fail(w, r, err)
		return
	}
	key, err := s.open311Key(r, r.PostForm.Get("api_key"))
	if r.PostForm.Get("api_key") == "" {
		err = dispatch.Errorf(dispatch.EFORBIDDEN, "api_key is required to create a request.")
	}
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	in, err := open311InputFrom(r)
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	if err := s.open311Locate(r, &in); err != nil {
		s.open311Fail(w, r, err)
		return
	}
	req, err := in.RequestInput(key.ID)
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	if k := idempotencyKey(r); k != "" {
		req.IdempotencyKey = "open311:" + strconv.FormatInt(key.ID, 10) + ":" + k
	}
	if err := req.Normalize(s.Area); err != nil {
		s.open311Fail(w, r, err)
		return
	}
	created, isNew, err := s.Requests.CreateRequest(r.Context(), nil, req)
	if err != nil {
		s.open311Fail(w, r, err)
		return
	}
	st := http.StatusOK
	if isNew {
		st = http.StatusCreated
	}
	var account *string
	if v := r.PostForm.Get("account_id"); v != "" {
		account = &v
	}
	out := []open311Created{{ServiceRequestID: strconv.FormatInt(created.ID, 10), AccountID: account,
		ServiceNotice: dispatch.StatusNote(created.Status, open311Lang(r))}}
	s.open311Write(w, r, st, out, open311RequestsXML{Requests: out})
}

// parseOpen311Form parses a urlencoded or multipart body into r.PostForm.
func parseOpen311Form(r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch mt {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(1 << 20)
	default:
		return dispatch.Errorf(codeUnsupportedMedia, "Send the request as application/x-www-form-urlencoded or multipart/form-data, as GeoReport v2 defines.")
	}
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return err
		}
		return dispatch.Errorf(codeMalformed, "The form cannot be read.").Wrap(err)
	}
	for k, vs := range r.PostForm {
		for _, v := range vs {
			if strings.ContainsRune(v, 0) || strings.ContainsRune(k, 0) {
				return dispatch.Errorf(codeMalformed, "The form must not contain NUL characters.")
			}
		}
	}
	return nil
}

// open311InputFrom reads the spec's fields from the parsed form.
func open311InputFrom(r *http.Request) (dispatch.Open311Input, error) {
	f := r.PostForm
	in := dispatch.Open311Input{
		ServiceCode: f.Get("service_code"), AddressString: strings.TrimSpace(f.Get("address_string")),
		AddressID: f.Get("address_id"), Description: f.Get("description"), FirstName: f.Get("first_name"),
		LastName: f.Get("last_name"), Phone: f.Get("phone"), Email: f.Get("email"), DeviceID: f.Get("device_id"),
		AccountID: f.Get("account_id"), MediaURL: f.Get("media_url"), Attributes: map[string]string{},
	}
	if in.ServiceCode == "" {
		return in, dispatch.Invalid("service_code", "service_code is required.")
	}
	lat, long := f.Get("lat"), f.Get("long")
	if (lat == "") != (long == "") {
		return in, dispatch.Invalid("lat", "Give both lat and long.")
	}
	if lat != "" {
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(long, 64)
		if err1 != nil || err2 != nil || math.IsNaN(la) || math.IsNaN(lo) || math.IsInf(la, 0) || math.IsInf(lo, 0) {
			return in, dispatch.Invalid("lat", "lat and long must be decimal degrees.")
		}
		in.Lat, in.Long = &la, &lo
	}
	for k, vs := range f {
		code, ok := strings.CutPrefix(k, "attribute[")
		if !ok {
			continue
		}
		code, ok = strings.CutSuffix(code, "]")
		if !ok || code == "" || len(vs) == 0 {
			return in, dispatch.Invalid(k, "Attributes are sent as attribute[CODE]=VALUE.")
		}
		in.Attributes[code] = vs[0]
	}
	return in, nil
}

// open311Locate fills what the report lacks of its location: the point
// from address_string through the geocoder, or an address for a bare
// point from reverse geocoding (the hotline needs both).
func (s *Server) open311Locate(r *http.Request, in *dispatch.Open311Input) error {
	if s.Geocoder == nil {
		return nil
	}
	switch {
	case in.Lat == nil && in.AddressString != "":
		cs, err := s.Geocoder.Geocode(r.Context(), nil, in.AddressString, 1)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return dispatch.Invalid("address_string", "The address %q was not found in Astana; send lat and long.", in.AddressString)
		}
		in.Lat, in.Long = &cs[0].Lat, &cs[0].Lon
	case in.Lat != nil && in.AddressString == "":
		if !s.Area.Contains([2]float64{*in.Long, *in.Lat}) {
			return nil // Normalize explains
		}
		c, err := s.Geocoder.Reverse(r.Context(), nil, [2]float64{*in.Long, *in.Lat}, s.SnapLimitM)
		if err == nil {
			in.AddressString = c.Label
		} else if dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			return err
		} else {
			in.AddressString = strconv.FormatFloat(*in.Lat, 'f', 5, 64) + ", " + strconv.FormatFloat(*in.Long, 'f', 5, 64)
		}
	}
	return nil
}

// rateLimiter is a token bucket per key: rate tokens a minute, bursts up
// to rate. It lives in memory, per server instance.
type rateLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter() *rateLimiter {
	return &rateLimiter{now: time.Now, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket, or returns a too-many error with
// retry_after in Detail.
func (l *rateLimiter) take(key string, perMinute int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) >= maxLimiterKeys {
		for k, b := range l.buckets {
			if now.Sub(b.at) > time.Minute {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(perMinute), at: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(float64(perMinute), b.tokens+now.Sub(b.at).Minutes()*float64(perMinute))
	b.at = now
	if b.tokens < 1 {
		wait := int(math.Ceil((1 - b.tokens) / float64(perMinute) * 60))
		return dispatch.Errorf(codeTooMany, "Too many requests: this client may make %d a minute.", perMinute).
			WithDetail(map[string]any{"retry_after": max(wait, 1)})
	}
	b.tokens--
	return nil
}
