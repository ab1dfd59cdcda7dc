package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
)

func TestRequestCreateProblems(t *testing.T) {
	big := `{"kind":"snow_clearing","notes":"` + strings.Repeat("x", 2<<20) + `"}`
	for _, tc := range []struct {
		name, body, contentType string
		status                  int
		code, field             string
	}{
		{"MalformedJSON", `{"kind":`, "", 400, codeMalformed, ""},
		{"NotJSON", `kind=snow_clearing`, "", 400, codeMalformed, ""},
		{"Empty", ``, "application/json", 415, codeUnsupportedMedia, ""},
		{"Array", `[1,2]`, "", 400, codeMalformed, ""},
		{"TwoValues", validRequestBody + `{}`, "", 400, codeMalformed, ""},
		{"UnknownField", `{"kind":"snow_clearing","colour":"red"}`, "", 400, codeMalformed, "colour"},
		{"WrongType", `{"kind":"snow_clearing","packages":"two"}`, "", 400, codeMalformed, "packages"},
		{"WrongTypeLat", `{"kind":"snow_clearing","lat":"51.1"}`, "", 400, codeMalformed, "lat"},
		{"BadTime", `{"kind":"snow_clearing","window_start":"tomorrow"}`, "", 400, codeMalformed, ""},
		{"UnknownKind", `{"kind":"plumbing","address":"x","lat":51.13,"lon":71.43}`, "", 422, dispatch.EINVALID, "kind"},
		{"MissingKind", `{"address":"x","lat":51.13,"lon":71.43}`, "", 422, dispatch.EINVALID, "kind"},
		{"WindowEndBeforeStart", `{"kind":"snow_clearing","address":"x","lat":51.13,"lon":71.43,` +
			`"window_start":"2025-01-20T12:00:00+05:00","window_end":"2025-01-20T10:00:00+05:00"}`, "", 422, dispatch.EINVALID, "window_end"},
		{"OutsideServiceArea", `{"kind":"snow_clearing","address":"Almaty","lat":43.238,"lon":76.945}`, "", 422, dispatch.EINVALID, "lat"},
		{"NoLocation", `{"kind":"snow_clearing","address":"x"}`, "", 422, dispatch.EINVALID, "lat"},
		{"TooLarge", big, "", 413, dispatch.ETOOLARGE, ""},
		{"WrongContentType", validRequestBody, "text/plain", 415, codeUnsupportedMedia, ""},
		{"FormContentType", validRequestBody, "application/x-www-form-urlencoded", 415, codeUnsupportedMedia, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := MustServer(t, Config{})
			ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
				t.Fatal("CreateRequest called for bad input")
				return nil, false, nil
			}
			c := call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: tc.body, ContentType: tc.contentType}
			if tc.body == "" {
				c.Header = map[string]string{"Content-Type": ""}
			}
			w := ts.do(t, c)
			if w.Code != tc.status {
				t.Fatalf("Code=%d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			p := problemOf(t, w)
			if p["code"] != tc.code {
				t.Errorf("code=%v, want %s", p["code"], tc.code)
			}
			if tc.field != "" && p["field"] != tc.field {
				t.Errorf("field=%v, want %s", p["field"], tc.field)
			}
			if p["type"] != problemType(tc.code) || p["instance"] != "/api/requests" || p["detail"] == "" {
				t.Errorf("problem=%v, want type %s, instance /api/requests and a detail", p, problemType(tc.code))
			}
		})
	}
}

// TestRequestCreateGarbage throws junk at the create endpoint: nothing may
// answer 5xx.
func TestRequestCreateGarbage(t *testing.T) {
	ts := MustServer(t, Config{})
	for _, body := range []string{
		`null`, `true`, `"x"`, `0`, `{}`, `{"kind":null}`, `{"kind":1}`, `{"kind":{}}`, `{"lat":1e999}`,
		`{"kind":"snow_clearing","address":"x","lat":NaN,"lon":71}`, `{"kind":"other","address":"x","lat":-1e308,"lon":1e308}`,
		`{"kind":"food_delivery","care_address_id":-5}`, `{"kind":"food_delivery","care_address_id":1.5}`,
		`{"kind":"food_delivery","care_address_id":99999999999999999999999}`, `{"kind":"other","service_minutes":-1,"address":"x","lat":51.13,"lon":71.43}`,
		`{"kind":"other","packages":1e10,"address":"x","lat":51.13,"lon":71.43}`, `{"kind":"other","window_start":"2025-01-01T00:00:00Z","address":"x","lat":51.13,"lon":71.43}`,
		"{\"kind\":\"other\",\"address\":\"\xff\xfe\",\"lat\":51.13,\"lon\":71.43}", `{"kind":"snow_clearing"`, `}{`, "\x00\x01\x02",
		`{"kind":"snow_clearing","kind":"plumbing"}`, `{"Kind":"SNOW_CLEARING"}`, `{"force":"yes"}`, strings.Repeat("[", 10000),
		`{"kind":"other","address":"` + strings.Repeat("д", 600) + `","lat":51.13,"lon":71.43}`,
	} {
		w := ts.do(t, call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: body})
		if w.Code >= 500 {
			t.Errorf("body %.60q: Code=%d, want < 500; %s", body, w.Code, w.Body)
			continue
		}
		if w.Code >= 400 {
			problemOf(t, w)
		}
	}
}

func TestRequestCreate(t *testing.T) {
	t.Run("Created", func(t *testing.T) {
		ts := MustServer(t, Config{})
		var got dispatch.RequestInput
		ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
			got = in
			if actor.ID != testUsers[dispatch.RoleHotline].ID {
				t.Errorf("actor=%d, want the hotline user", actor.ID)
			}
			return sampleRequest(31), true, nil
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: validRequestBody,
			Header: map[string]string{"Idempotency-Key": "k-1"}})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
		}
		if loc := w.Header().Get("Location"); loc != "/api/requests/31" {
			t.Errorf("Location=%q, want /api/requests/31", loc)
		}
		if got.IdempotencyKey != "k-1" || got.ServiceMinutes != 30 || got.Source != dispatch.SourceHotline || got.Priority != dispatch.Normal {
			t.Errorf("input=%+v, want normalized with key k-1", got)
		}
		var r map[string]any
		json.Unmarshal(w.Body.Bytes(), &r)
		if r["id"] != 31.0 || r["lat"] != testPoint.Lat() || r["lon"] != testPoint.Lon() || r["kind"] != "snow_clearing" || r["url"] != "/api/requests/31" {
			t.Errorf("body=%v, want id 31 with lat/lon", r)
		}
	})

	t.Run("IdempotentReplay", func(t *testing.T) {
		ts := MustServer(t, Config{})
		var mu sync.Mutex
		byKey := map[string]*dispatch.Request{}
		next := int64(100)
		ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			if r, ok := byKey[in.IdempotencyKey]; ok {
				return r, false, nil
			}
			next++
			r := sampleRequest(next)
			byKey[in.IdempotencyKey] = r
			return r, true, nil
		}
		c := call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: validRequestBody,
			Header: map[string]string{"Idempotency-Key": "3b1f0a8e-form-1"}}
		first := ts.do(t, c)
		second := ts.do(t, c)
		if first.Code != http.StatusCreated || second.Code != http.StatusOK {
			t.Fatalf("Codes=%d,%d, want 201,200", first.Code, second.Code)
		}
		if second.Header().Get("Location") != "" {
			t.Errorf("replay has Location %q, want none", second.Header().Get("Location"))
		}
		if first.Body.String() != second.Body.String() {
			t.Errorf("replay body=%s, want the same as %s", second.Body, first.Body)
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		ts := MustServer(t, Config{})
		ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
			if in.Force {
				return sampleRequest(9), true, nil
			}
			return nil, false, &dispatch.Error{Code: dispatch.ECONFLICT, Message: "An open snow clearing request is 12 m away.",
				Detail: map[string]any{"duplicate_id": int64(8)}}
		}
		w := ts.do(t, call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: validRequestBody})
		if w.Code != http.StatusConflict {
			t.Fatalf("Code=%d, want 409; body %s", w.Code, w.Body)
		}
		p := problemOf(t, w)
		if p["duplicate_id"] != 8.0 || p["duplicate_url"] != "/api/requests/8" || p["code"] != dispatch.ECONFLICT {
			t.Errorf("problem=%v, want duplicate_id 8 and duplicate_url /api/requests/8", p)
		}
		forced := strings.Replace(validRequestBody, "{", `{"force":true,`, 1)
		w = ts.do(t, call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleHotline, Body: forced})
		if w.Code != http.StatusCreated {
			t.Fatalf("forced Code=%d, want 201; body %s", w.Code, w.Body)
		}
	})

	t.Run("CareAddressWithoutLocation", func(t *testing.T) {
		ts := MustServer(t, Config{})
		w := ts.do(t, call{Method: "POST", Path: "/api/requests", Role: dispatch.RoleDispatcher, Body: `{"kind":"food_delivery","care_address_id":12}`})
		if w.Code != http.StatusCreated {
			t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
		}
	})
}

func TestRequestList(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ts := MustServer(t, Config{})
		var got dispatch.RequestFilter
		ts.Requests.FindRequestsFn = func(ctx context.Context, f dispatch.RequestFilter) ([]*dispatch.Request, int, error) {
			got = f
			return []*dispatch.Request{sampleRequest(1)}, 42, nil
		}
		w := ts.do(t, call{Method: "GET", Path: "/api/requests?status=new,planned&kind=snow_clearing&limit=10&offset=20", Role: dispatch.RoleDispatcher})
		if w.Code != http.StatusOK || w.Header().Get("X-Total-Count") != "42" {
			t.Fatalf("Code=%d X-Total-Count=%q, want 200 and 42", w.Code, w.Header().Get("X-Total-Count"))
		}
		if len(got.Statuses) != 2 || len(got.Kinds) != 1 || got.Limit != 10 || got.Offset != 20 {
			t.Errorf("filter=%+v, want 2 statuses, 1 kind, limit 10 offset 20", got)
		}
		var rs []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rs); err != nil || len(rs) != 1 || rs[0]["lat"] == nil {
			t.Errorf("body=%s, want one request with lat", w.Body)
		}
	})
	for _, tc := range []struct {
		query  string
		status int
		field  string
	}{
		{"limit=abc", 400, "limit"},
		{"limit=0", 422, "limit"},
		{"limit=100000", 422, "limit"},
		{"offset=-1", 422, "offset"},
		{"status=lost", 422, "status"},
		{"kind=plumbing", 422, "kind"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			ts := MustServer(t, Config{})
			w := ts.do(t, call{Method: "GET", Path: "/api/requests?" + tc.query, Role: dispatch.RoleDispatcher})
			if w.Code != tc.status {
				t.Fatalf("Code=%d, want %d", w.Code, tc.status)
			}
			if p := problemOf(t, w); p["field"] != tc.field {
				t.Errorf("field=%v, want %s", p["field"], tc.field)
			}
		})
	}
}

func TestRequestView(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Requests.FindRequestByIDFn = func(ctx context.Context, id int64) (*dispatch.Request, error) {
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "Request %d not found.", id)
	}
	for _, p := range []string{"/api/requests/404", "/api/requests/abc", "/api/requests/-1"} {
		w := ts.do(t, call{Method: "GET", Path: p, Role: dispatch.RoleHotline})
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: Code=%d, want 404", p, w.Code)
		}
	}
}

func TestRequestStatus(t *testing.T) {
	ts := MustServer(t, Config{})
	ts.Requests.SetRequestStatusFn = func(ctx context.Context, actor *dispatch.User, id int64, next dispatch.RequestStatus, expect dispatch.Version) (*dispatch.Request, error) {
		return nil, dispatch.StatusDone.Transition(next)
	}
	w := ts.do(t, call{Method: "POST", Path: "/api/requests/5/status", Role: dispatch.RoleDispatcher, Body: `{"status":"new"}`})
	if w.Code != http.StatusConflict {
		t.Fatalf("Code=%d, want 409; body %s", w.Code, w.Body)
	}
	problemOf(t, w)
	w = ts.do(t, call{Method: "POST", Path: "/api/requests/5/status", Role: dispatch.RoleDispatcher, Body: `{"status":"lost"}`})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown status: Code=%d, want 422", w.Code)
	}
	w = ts.do(t, call{Method: "POST", Path: "/api/requests/5/status", Role: dispatch.RoleHotline, Body: `{"status":"cancelled"}`})
	if w.Code != http.StatusForbidden {
		t.Fatalf("hotline: Code=%d, want 403", w.Code)
	}
}

func TestRequestDuplicates(t *testing.T) {
	ts := MustServer(t, Config{})
	var gotCare *int64
	var gotPt *orb.Point
	ts.Requests.FindDuplicatesFn = func(ctx context.Context, kind dispatch.RequestKind, careAddressID *int64, pt *orb.Point) ([]*dispatch.Request, error) {
		gotCare, gotPt = careAddressID, pt
		return []*dispatch.Request{sampleRequest(3)}, nil
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/requests/duplicates?kind=food_delivery&care_address_id=12", Role: dispatch.RoleHotline})
	if w.Code != http.StatusOK || gotCare == nil || *gotCare != 12 || gotPt != nil {
		t.Fatalf("Code=%d care=%v pt=%v, want 200 with care address 12", w.Code, gotCare, gotPt)
	}
	for _, tc := range []struct {
		q      string
		status int
	}{
		{"kind=other", 422},
		{"kind=plumbing&lat=51.1&lon=71.4", 422},
		{"kind=other&lat=51.1", 422},
		{"kind=other&lat=x&lon=71.4", 400},
		{"kind=other&care_address_id=x", 400},
		{"kind=other&lat=91&lon=71.4", 422},
	} {
		if w := ts.do(t, call{Method: "GET", Path: "/api/requests/duplicates?" + tc.q, Role: dispatch.RoleHotline}); w.Code != tc.status {
			t.Errorf("%s: Code=%d, want %d", tc.q, w.Code, tc.status)
		}
	}
}

func TestGeocode(t *testing.T) {
	ts := MustServer(t, Config{SnapLimitM: 250})
	var gotQ string
	var gotLimit int
	ts.Geocoder.GeocodeFn = func(ctx context.Context, actor *dispatch.User, q string, limit int) ([]dispatch.Candidate, error) {
		gotQ, gotLimit = q, limit
		id := int64(5)
		return []dispatch.Candidate{{Kind: "care_address", ID: 5, CareAddressID: &id, Label: "Kenesary 40, kv 5", Name: "Ахметова Сауле", Phone: "+77010000000"}}, nil
	}
	w := ts.do(t, call{Method: "GET", Path: "/api/geocode?q=%D0%9A%D0%B5%D0%BD%D0%B5%D1%81%D0%B0%D1%80%D1%8B&limit=5", Role: dispatch.RoleHotline})
	if w.Code != http.StatusOK || gotQ != "Кенесары" || gotLimit != 5 || !strings.Contains(w.Body.String(), `"care_address_id":5`) {
		t.Fatalf("Code=%d q=%q limit=%d body %s", w.Code, gotQ, gotLimit, w.Body)
	}
	var gotMax float64
	ts.Geocoder.ReverseFn = func(ctx context.Context, actor *dispatch.User, pt orb.Point, maxM float64) (*dispatch.Candidate, error) {
		gotMax = maxM
		return nil, dispatch.Errorf(dispatch.ENOTFOUND, "No address within %.0f m.", maxM)
	}
	w = ts.do(t, call{Method: "GET", Path: "/api/geocode/reverse?lat=51.1282&lon=71.4304", Role: dispatch.RoleDispatcher})
	if w.Code != http.StatusNotFound || gotMax != 250 {
		t.Fatalf("reverse Code=%d maxM=%v, want 404 and 250", w.Code, gotMax)
	}
	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/api/geocode", 422},
		{"/api/geocode?q=%20%20", 422},
		{"/api/geocode?q=" + strings.Repeat("a", 300), 422},
		{"/api/geocode?q=a&limit=x", 400},
		{"/api/geocode?q=a&limit=1000", 422},
		{"/api/geocode/reverse", 422},
		{"/api/geocode/reverse?lat=43.2&lon=76.9", 422},
		{"/api/geocode/reverse?lat=NaN&lon=71.4", 422},
	} {
		if w := ts.do(t, call{Method: "GET", Path: tc.path, Role: dispatch.RoleHotline}); w.Code != tc.status {
			t.Errorf("%s: Code=%d, want %d; %s", tc.path, w.Code, tc.status, w.Body)
		}
	}
}
