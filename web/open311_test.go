package web

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/mock"
)

const open311Form = "api_key=qk_good&service_code=snow_clearing&lat=51.1282&long=71.4304&address_string=Kenesary+40"

func init() {
	for k, v := range map[string]routeExpect{
		"GET /open311/v2/discovery.{format}":       {Path: "/open311/v2/discovery.json", Public: true},
		"GET /open311/v2/services.{format}":        {Path: "/open311/v2/services.xml", Public: true},
		"GET /open311/v2/services/{code}.{format}": {Path: "/open311/v2/services/food_delivery.json", Public: true},
		"GET /open311/v2/requests.{format}":        {Path: "/open311/v2/requests.json?status=open", Public: true},
		"POST /open311/v2/requests.{format}":       {Path: "/open311/v2/requests.json", Public: true, Body: open311Form, ContentType: "application/x-www-form-urlencoded"},
		"GET /open311/v2/requests/{id}.{format}":   {Path: "/open311/v2/requests/5.json", Public: true},
		"GET /api/api-keys":                        {Roles: admins},
		"GET /integrations":                        {Roles: admins, Page: true},
		"GET /api/telegram/link":                   {Roles: everyone},
		"POST /api/telegram/link":                  {Roles: everyone},
		"DELETE /api/telegram/link":                {Roles: everyone},
		"GET /api/webhooks":                        {Roles: admins},
		"POST /api/webhooks":                       {Roles: admins, Body: `{"url":"https://example.org/hook","events":["request.created"]}`},
		"POST /api/webhooks/{id}/active":           {Path: "/api/webhooks/2/active", Roles: admins, Body: `{"active":false}`},
		"GET /api/webhooks/{id}/deliveries":        {Path: "/api/webhooks/2/deliveries", Roles: admins},
		"POST /api/api-keys":                       {Roles: admins, Body: `{"organisation_id":1,"name":"109 portal"}`},
		"POST /api/api-keys/{id}/revoke":           {Path: "/api/api-keys/3/revoke", Roles: admins},
	} {
		routeTable[k] = v
	}
}

var testKey = &dispatch.APIKey{ID: 3, OrganisationID: 1, OrganisationName: "109", Name: "portal", Prefix: "qk_abcdef", RatePerMinute: 1000}

// setOpen311Mocks wires an APIKeyStore knowing one key, "qk_good".
func setOpen311Mocks(s *Server) *mock.APIKeyStore {
	m := &mock.APIKeyStore{
		FindAPIKeyFn: func(ctx context.Context, secret string) (*dispatch.APIKey, error) {
			if secret == "qk_good" {
				return testKey, nil
			}
			return nil, dispatch.Errorf(dispatch.EFORBIDDEN, "Invalid api_key.")
		},
		CreateAPIKeyFn: func(ctx context.Context, in dispatch.APIKeyInput) (*dispatch.APIKey, string, error) {
			if err := in.Normalize(); err != nil {
				return nil, "", err
			}
			return testKey, "qk_new", nil
		},
		FindAPIKeysFn: func(ctx context.Context) ([]*dispatch.APIKey, error) { return []*dispatch.APIKey{testKey}, nil },
		RevokeAPIKeyFn: func(ctx context.Context, id int64) (*dispatch.APIKey, error) {
			now := time.Now()
			k := *testKey
			k.RevokedAt = &now
			return &k, nil
		},
		FindPublicRequestsFn: func(ctx context.Context, f dispatch.PublicRequestFilter) ([]*dispatch.PublicRequest, error) {
			now := time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
			return []*dispatch.PublicRequest{{ID: 5, Kind: dispatch.SnowClearing, Status: dispatch.StatusDone,
				Street: "улица Кенесары", Location: dispatch.CoarsenPoint(testPoint), CreatedAt: now, UpdatedAt: now}}, nil
		},
	}
	s.APIKeys = m
	s.Telegram = &mock.TelegramStore{
		StartTelegramLinkFn: func(ctx context.Context, actor *dispatch.User, lang string) (string, time.Time, error) {
			return "ABCD2345", time.Now().Add(dispatch.LinkCodeTTL), nil
		},
		FindTelegramLinkFn: func(ctx context.Context, actor *dispatch.User) (*dispatch.TelegramLink, error) {
			return &dispatch.TelegramLink{UserID: actor.ID}, nil
		},
		UnlinkTelegramFn: func(ctx context.Context, actor *dispatch.User) error { return nil },
	}
	hook := func(actor *dispatch.User) error { return dispatch.Require(actor, dispatch.ActManageIntegrations) }
	s.Webhooks = &mock.WebhookStore{
		CreateWebhookFn: func(ctx context.Context, actor *dispatch.User, in dispatch.WebhookInput) (*dispatch.Webhook, error) {
			if err := hook(actor); err != nil {
				return nil, err
			}
			if err := in.Normalize(); err != nil {
				return nil, err
			}
			return &dispatch.Webhook{ID: 2, URL: in.URL, Events: in.Events, Active: true, Secret: "whsec_c2VjcmV0"}, nil
		},
		FindWebhooksFn: func(ctx context.Context, actor *dispatch.User) ([]*dispatch.Webhook, error) {
			return []*dispatch.Webhook{{ID: 2, URL: "https://example.org/hook", Events: []string{"request.created"}, Active: true}}, hook(actor)
		},
		SetWebhookActiveFn: func(ctx context.Context, actor *dispatch.User, id int64, active bool) (*dispatch.Webhook, error) {
			return &dispatch.Webhook{ID: id, Active: active}, hook(actor)
		},
		FindWebhookDeliveriesFn: func(ctx context.Context, actor *dispatch.User, id int64, limit int) ([]*dispatch.WebhookDelivery, error) {
			return nil, hook(actor)
		},
	}
	return m
}

// open311Errs decodes the spec's error form and checks its one entry.
func open311Errs(t *testing.T, w interface {
	Result() *http.Response
}, body string, wantStatus int) string {
	t.Helper()
	res := w.Result()
	if res.StatusCode != wantStatus {
		t.Fatalf("status=%d, want %d; body %s", res.StatusCode, wantStatus, body)
	}
	var errs []struct {
		Code        *int    `json:"code"`
		Description *string `json:"description"`
	}
	if err := json.Unmarshal([]byte(body), &errs); err != nil {
		t.Fatalf("error body is not the spec's JSON list: %v: %s", err, body)
	}
	if len(errs) != 1 || errs[0].Code == nil || errs[0].Description == nil {
		t.Fatalf("errors=%s, want one {code, description}", body)
	}
	if *errs[0].Code != wantStatus {
		t.Errorf("code=%d, want the HTTP status %d", *errs[0].Code, wantStatus)
	}
	if *errs[0].Description == "" {
		t.Errorf("empty description")
	}
	return *errs[0].Description
}

func TestOpen311Errors(t *testing.T) {
	ts := MustServer(t, Config{})
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name       string
		c          call
		wantStatus int
		wantIn     string
	}{
		{"BadKey", call{Method: "POST", Path: "/open311/v2/requests.json", Body: strings.Replace(open311Form, "qk_good", "qk_bad", 1), ContentType: form}, 403, "api_key"},
		{"NoKey", call{Method: "POST", Path: "/open311/v2/requests.json", Body: "service_code=snow_clearing&lat=51.1&long=71.4", ContentType: form}, 403, "api_key"},
		{"BadKeyOnRead", call{Method: "GET", Path: "/open311/v2/requests.json?api_key=nope"}, 403, "api_key"},
		{"NoServiceCode", call{Method: "POST", Path: "/open311/v2/requests.json", Body: "api_key=qk_good&lat=51.1282&long=71.4304", ContentType: form}, 400, "service_code"},
		{"UnknownServiceCode", call{Method: "POST", Path: "/open311/v2/requests.json", Body: strings.Replace(open311Form, "snow_clearing", "potholes", 1), ContentType: form}, 400, "service_code"},
		{"NoLocation", call{Method: "POST", Path: "/open311/v2/requests.json", Body: "api_key=qk_good&service_code=snow_clearing", ContentType: form}, 400, "lat"},
		{"OutsideArea", call{Method: "POST", Path: "/open311/v2/requests.json", Body: "api_key=qk_good&service_code=snow_clearing&lat=43.2&long=76.9&address_string=Almaty", ContentType: form}, 400, "outside"},
		{"BadAttribute", call{Method: "POST", Path: "/open311/v2/requests.json", Body: open311Form + "&attribute[immobile]=maybe", ContentType: form}, 400, "immobile"},
		{"UnknownAttribute", call{Method: "POST", Path: "/open311/v2/requests.json", Body: open311Form + "&attribute[colour]=red", ContentType: form}, 400, "colour"},
		{"JSONBody", call{Method: "POST", Path: "/open311/v2/requests.json", Body: `{"api_key":"qk_good"}`}, 415, "form"},
		{"UnknownService", call{Method: "GET", Path: "/open311/v2/services/potholes.json"}, 404, "potholes"},
		{"UnknownFormat", call{Method: "GET", Path: "/open311/v2/services.yaml"}, 404, "yaml"},
		{"BadID", call{Method: "GET", Path: "/open311/v2/requests/abc.json"}, 404, "abc"},
		{"BadStatus", call{Method: "GET", Path: "/open311/v2/requests.json?status=pending"}, 400, "status"},
		{"BadDate", call{Method: "GET", Path: "/open311/v2/requests.json?start_date=yesterday"}, 400, "start_date"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := ts.do(t, tc.c)
			desc := open311Errs(t, w, w.Body.String(), tc.wantStatus)
			if !strings.Contains(desc, tc.wantIn) {
				t.Errorf("description=%q, want it to mention %q", desc, tc.wantIn)
			}
		})
	}
	t.Run("XML", func(t *testing.T) {
		w := ts.do(t, call{Method: "POST", Path: "/open311/v2/requests.xml", Body: "api_key=qk_bad&service_code=other", ContentType: form})
		if w.Code != 403 {
			t.Fatalf("Code=%d, want 403", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
			t.Errorf("Content-Type=%q, want text/xml", ct)
		}
		var doc struct {
			XMLName xml.Name `xml:"errors"`
			Errors  []struct {
				Code        int    `xml:"code"`
				Description string `xml:"description"`
			} `xml:"error"`
		}
		if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
			t.Fatalf("not <errors><error>: %v: %s", err, w.Body)
		}
		if len(doc.Errors) != 1 || doc.Errors[0].Code != 403 || doc.Errors[0].Description == "" {
			t.Errorf("errors=%+v, want one 403 with a description", doc.Errors)
		}
	})
}

func TestOpen311RateLimit(t *testing.T) {
	ts := MustServer(t, Config{})
	slow := *testKey
	slow.RatePerMinute = 2
	ts.APIKeys.(*mock.APIKeyStore).FindAPIKeyFn = func(ctx context.Context, secret string) (*dispatch.APIKey, error) { return &slow, nil }
	for i := 0; i < 2; i++ {
		if w := ts.do(t, call{Method: "GET", Path: "/open311/v2/requests.json?api_key=k"}); w.Code != 200 {
			t.Fatalf("request %d: Code=%d, want 200", i, w.Code)
		}
	}
	w := ts.do(t, call{Method: "GET", Path: "/open311/v2/requests.json?api_key=k"})
	open311Errs(t, w, w.Body.String(), http.StatusTooManyRequests)
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After=%q, want the seconds to wait", ra)
	}
	// Another key is not held back by this one.
	other := *testKey
	other.ID = 99
	ts.APIKeys.(*mock.APIKeyStore).FindAPIKeyFn = func(ctx context.Context, secret string) (*dispatch.APIKey, error) { return &other, nil }
	if w := ts.do(t, call{Method: "GET", Path: "/open311/v2/requests.json?api_key=k2"}); w.Code != 200 {
		t.Errorf("other key: Code=%d, want 200", w.Code)
	}
}

func TestOpen311ServiceNames(t *testing.T) {
	ts := MustServer(t, Config{})
	for lang, want := range map[string]string{"kk": "Қар тазалау", "ru-RU,ru;q=0.9": "Уборка снега", "en-GB, ru;q=0.5": "Snow clearing", "de, ru;q=0.3": "Уборка снега", "": "Snow clearing"} {
		w := ts.do(t, call{Method: "GET", Path: "/open311/v2/services.json", Header: map[string]string{"Accept-Language": lang}})
		var svcs []map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &svcs); err != nil {
			t.Fatal(err)
		}
		if len(svcs) != 3 || svcs[0]["service_code"] != "snow_clearing" || svcs[0]["service_name"] != want {
			t.Errorf("Accept-Language %q: services=%v, want snow_clearing named %q first of 3", lang, svcs, want)
		}
	}
}

func TestOpen311CreateUsesHotlineIntake(t *testing.T) {
	ts := MustServer(t, Config{})
	var got dispatch.RequestInput
	ts.Requests.CreateRequestFn = func(ctx context.Context, actor *dispatch.User, in dispatch.RequestInput) (*dispatch.Request, bool, error) {
		got = in
		return sampleRequest(41), true, nil
	}
	body := "api_key=qk_good&service_code=food_delivery&lat=51.1282&long=71.4304&address_string=Kenesary+40" +
		"&description=Two+packages&first_name=Aigul&last_name=S&phone=%2B77010000000&attribute[immobile]=yes&attribute[packages]=2"
	w := ts.do(t, call{Method: "POST", Path: "/open311/v2/requests.json", Body: body, ContentType: "application/x-www-form-urlencoded",
		Header: map[string]string{"Idempotency-Key": "abc-1"}})
	if w.Code != http.StatusCreated {
		t.Fatalf("Code=%d, want 201; body %s", w.Code, w.Body)
	}
	var out []map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out) != 1 || out[0]["service_request_id"] != "41" {
		t.Fatalf("answer=%s, want [{service_request_id: \"41\"}]", w.Body)
	}
	if got.Source != dispatch.SourceAPI || got.Kind != dispatch.FoodDelivery || got.Packages != 2 || got.Priority != dispatch.High {
		t.Errorf("input=%+v, want source api, food_delivery, 2 packages, high priority", got)
	}
	if got.APIKeyID == nil || *got.APIKeyID != testKey.ID {
		t.Errorf("APIKeyID=%v, want %d", got.APIKeyID, testKey.ID)
	}
	if got.IdempotencyKey != "open311:3:abc-1" {
		t.Errorf("IdempotencyKey=%q, want it scoped to the key", got.IdempotencyKey)
	}
	if !strings.Contains(got.Notes, "Two packages") || !strings.Contains(got.Notes, "Aigul S") || !strings.Contains(got.Notes, "+77010000000") {
		t.Errorf("Notes=%q, want the description and the contact for the dispatcher", got.Notes)
	}
	if got.ServiceMinutes == 0 {
		t.Errorf("ServiceMinutes=0: Normalize (the hotline's validation) did not run")
	}
}

func TestAPIKeyCreateShowsSecretOnce(t *testing.T) {
	ts := MustServer(t, Config{})
	w := ts.do(t, call{Method: "POST", Path: "/api/api-keys", Role: dispatch.RoleAdmin, Body: `{"organisation_id":1,"name":"109 portal","rate_per_minute":30}`})
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"secret":"qk_new"`) {
		t.Fatalf("Code=%d body %s, want 201 with the secret", w.Code, w.Body)
	}
	w = ts.do(t, call{Method: "GET", Path: "/api/api-keys", Role: dispatch.RoleAdmin})
	if strings.Contains(w.Body.String(), "secret") || strings.Contains(w.Body.String(), "hash") {
		t.Errorf("list shows a secret: %s", w.Body)
	}
	w = ts.do(t, call{Method: "POST", Path: "/api/api-keys", Role: dispatch.RoleAdmin, Body: `{"organisation_id":1,"name":""}`})
	if w.Code != http.StatusUnprocessableEntity {
		t.Errorf("no name: Code=%d, want 422", w.Code)
	}
}

// TestOpen311Conformance walks every GeoReport v2 endpoint in JSON and XML
// and checks the members the spec gives each document, by name.
func TestOpen311Conformance(t *testing.T) {
	ts := MustServer(t, Config{})
	form := "application/x-www-form-urlencoded"
	type doc struct {
		path, method, body string
		status             int
		// jsonList: the JSON is a list of objects with these members;
		// jsonObj: an object with these members.
		jsonList, jsonObj []string
		// xmlRoot and xmlItem name the XML root and the element of each item.
		xmlRoot, xmlItem string
	}
	reqFields := []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
		"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
		"address", "address_id", "zipcode", "lat", "long", "media_url"}
	for _, d := range []doc{
		{path: "/open311/v2/discovery", method: "GET", status: 200, jsonObj: []string{"changeset", "contact", "key_service", "endpoints"}, xmlRoot: "discovery", xmlItem: "endpoints"},
		{path: "/open311/v2/services", method: "GET", status: 200, jsonList: []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}, xmlRoot: "services", xmlItem: "service"},
		{path: "/open311/v2/services/snow_clearing", method: "GET", status: 200, jsonObj: []string{"service_code", "attributes"}, xmlRoot: "service_definition", xmlItem: "attributes"},
		{path: "/open311/v2/requests", method: "GET", status: 200, jsonList: reqFields, xmlRoot: "service_requests", xmlItem: "request"},
		{path: "/open311/v2/requests/5", method: "GET", status: 200, jsonList: reqFields, xmlRoot: "service_requests", xmlItem: "request"},
		{path: "/open311/v2/requests", method: "POST", body: open311Form, status: 201, jsonList: []string{"service_request_id", "service_notice", "account_id"}, xmlRoot: "service_requests", xmlItem: "request"},
	} {
		for _, f := range []string{"json", "xml"} {
			t.Run(d.method+" "+d.path+"."+f, func(t *testing.T) {
				c := call{Method: d.method, Path: d.path + "." + f, Body: d.body}
				if d.body != "" {
					c.ContentType = form
				}
				w := ts.do(t, c)
				if w.Code != d.status {
					t.Fatalf("Code=%d, want %d; body %s", w.Code, d.status, w.Body)
				}
				if f == "xml" {
					if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
						t.Errorf("Content-Type=%q, want text/xml", ct)
					}
					var root struct {
						XMLName xml.Name
						Items   []struct{ XMLName xml.Name } `xml:",any"`
					}
					if err := xml.Unmarshal(w.Body.Bytes(), &root); err != nil {
						t.Fatalf("bad XML: %v: %s", err, w.Body)
					}
					if root.XMLName.Local != d.xmlRoot {
						t.Errorf("root <%s>, want <%s>", root.XMLName.Local, d.xmlRoot)
					}
					found := false
					for _, it := range root.Items {
						found = found || it.XMLName.Local == d.xmlItem
					}
					if !found {
						t.Errorf("no <%s> in <%s>: %s", d.xmlItem, d.xmlRoot, w.Body)
					}
					return
				}
				var objs []map[string]any
				if d.jsonObj != nil {
					var o map[string]any
					if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
						t.Fatalf("want a JSON object: %v: %s", err, w.Body)
					}
					objs = []map[string]any{o}
				} else if err := json.Unmarshal(w.Body.Bytes(), &objs); err != nil || len(objs) == 0 {
					t.Fatalf("want a non-empty JSON list: %v: %s", err, w.Body)
				}
				want := d.jsonObj
				if want == nil {
					want = d.jsonList
				}
				for _, o := range objs {
					for _, m := range want {
						if _, ok := o[m]; !ok {
							t.Errorf("member %q missing: %v", m, o)
						}
					}
					if len(o) != len(want) {
						t.Errorf("%d members, want exactly %v: %v", len(o), want, o)
					}
				}
			})
		}
	}
	t.Run("ServiceDefinitionAttributes", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/open311/v2/services/food_delivery.json"})
		var d struct {
			Attributes []map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil || len(d.Attributes) != 2 {
			t.Fatalf("want 2 attributes: %v %s", err, w.Body)
		}
		for _, a := range d.Attributes {
			for _, m := range []string{"variable", "code", "datatype", "required", "datatype_description", "order", "description"} {
				if _, ok := a[m]; !ok {
					t.Errorf("attribute lacks %q: %v", m, a)
				}
			}
			if a["datatype"] == "singlevaluelist" {
				vs, _ := a["values"].([]any)
				if len(vs) != 2 {
					t.Errorf("list attribute %v: want values yes/no", a)
				}
			}
		}
	})
	t.Run("Discovery", func(t *testing.T) {
		w := ts.do(t, call{Method: "GET", Path: "/open311/v2/discovery.json"})
		var d struct {
			Endpoints []struct {
				Specification string   `json:"specification"`
				URL           string   `json:"url"`
				Type          string   `json:"type"`
				Formats       []string `json:"formats"`
			} `json:"endpoints"`
		}
		json.Unmarshal(w.Body.Bytes(), &d)
		if len(d.Endpoints) != 1 || d.Endpoints[0].Specification != "http://wiki.open311.org/GeoReport_v2" ||
			!strings.HasSuffix(d.Endpoints[0].URL, "/open311/v2") || len(d.Endpoints[0].Formats) != 2 {
			t.Errorf("discovery endpoints=%+v", d.Endpoints)
		}
	})
}
