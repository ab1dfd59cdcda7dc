package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// open311Post files a report with form fields; it returns the status and body.
func open311Post(t *testing.T, base, format string, form url.Values, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/open311/v2/requests."+format, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

func open311Get(t *testing.T, base, path string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

var keyLine = regexp.MustCompile(`(?m)^(qk_\S+)$`)
var keyID = regexp.MustCompile(`API key (\d+) for`)

// createKey runs `qamqor apikey create` and returns the key's id and secret.
func createKey(t *testing.T, st *stack, org int64, name string, rate int) (int64, string) {
	t.Helper()
	out := runQamqor(t, st.bin, st.env, "apikey", "create", "--org", strconv.FormatInt(org, 10), "--name", name, "--rate", strconv.Itoa(rate))
	m, id := keyLine.FindStringSubmatch(out), keyID.FindStringSubmatch(out)
	if m == nil || id == nil {
		t.Fatalf("apikey create printed no key:\n%s", out)
	}
	n, _ := strconv.ParseInt(id[1], 10, 64)
	return n, m[1]
}

// TestOpen311EndToEnd: a report filed with a key shows on the dispatcher's
// map and in GET requests/{id}.json, open until the dispatcher marks it
// done, then closed; the same intake as the hotline refuses a duplicate and
// replays an idempotent retry; a bad or revoked key is 403 in the spec's
// error form.
func TestOpen311EndToEnd(t *testing.T) {
	st := newStack(t)
	srv := startInstance(t, st.bin, st.env)
	var org int64
	if err := st.db.Pool().QueryRow(context.Background(), `SELECT min(id) FROM organisations`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	kid, key := createKey(t, st, org, "109 portal", 1000)

	form := url.Values{"api_key": {key}, "service_code": {"snow_clearing"}, "lat": {"51.1605"}, "long": {"71.4704"},
		"description": {"Path to the entrance is blocked"}, "first_name": {"Dana"}, "phone": {"+77015550101"},
		"attribute[immobile]": {"yes"}}
	code, body := open311Post(t, srv.url, "json", form, map[string]string{"Idempotency-Key": "portal-1"})
	if code != http.StatusCreated {
		t.Fatalf("POST requests.json: %d %s, want 201", code, body)
	}
	var created []map[string]any
	if err := json.Unmarshal(body, &created); err != nil || len(created) != 1 {
		t.Fatalf("answer %s, want [{service_request_id}]", body)
	}
	sid, _ := created[0]["service_request_id"].(string)
	id, err := strconv.ParseInt(sid, 10, 64)
	if err != nil {
		t.Fatalf("service_request_id=%v, want a request id", created[0]["service_request_id"])
	}

	t.Run("Idempotent", func(t *testing.T) {
		code, body := open311Post(t, srv.url, "json", form, map[string]string{"Idempotency-Key": "portal-1"})
		if code != http.StatusOK || !strings.Contains(string(body), `"service_request_id":"`+sid+`"`) {
			t.Errorf("retry: %d %s, want 200 with the same id %s", code, body, sid)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		code, body := open311Post(t, srv.url, "json", form, nil)
		if code != http.StatusConflict || !strings.Contains(string(body), "#"+sid) {
			t.Errorf("duplicate: %d %s, want 409 naming #%s", code, body, sid)
		}
		assertSpecError(t, body, http.StatusConflict)
	})

	disp := login(t, srv.url, "dispatcher", "dispatcher-demo")
	var onMap []struct {
		ID       int64  `json:"id"`
		Source   string `json:"source"`
		Priority string `json:"priority"`
		Notes    string `json:"notes"`
	}
	disp.do("GET", "/api/requests?status=new&limit=500", nil, nil, http.StatusOK, &onMap)
	found := false
	for _, r := range onMap {
		if r.ID == id {
			found = true
			if r.Source != "api" || r.Priority != "high" || !strings.Contains(r.Notes, "Dana") {
				t.Errorf("dispatcher sees %+v, want source api, priority high, the contact in notes", r)
			}
		}
	}
	if !found {
		t.Fatalf("request %d is not among the dispatcher's new requests", id)
	}
	mapBody := disp.do("GET", "/api/map/requests", nil, nil, http.StatusOK, nil)
	if !strings.Contains(string(mapBody), fmt.Sprintf(`"id":%d`, id)) {
		t.Errorf("request %d is not on the dispatcher's map: %.300s", id, mapBody)
	}

	status := func() map[string]any {
		t.Helper()
		code, body := open311Get(t, srv.url, "/open311/v2/requests/"+sid+".json", map[string]string{"Accept-Language": "en"})
		var rs []map[string]any
		if code != http.StatusOK || json.Unmarshal(body, &rs) != nil || len(rs) != 1 {
			t.Fatalf("GET requests/%s.json: %d %s, want one request", sid, code, body)
		}
		return rs[0]
	}
	if r := status(); r["status"] != "open" || r["service_code"] != "snow_clearing" || r["status_notes"] == "" {
		t.Errorf("new request: %v, want status open with notes", r)
	}
	disp.do("POST", "/api/requests/"+sid+"/status", map[string]string{"status": "assigned"}, nil, http.StatusOK, nil)
	if r := status(); r["status"] != "open" {
		t.Errorf("assigned request: status=%v, want open", r["status"])
	}
	disp.do("POST", "/api/requests/"+sid+"/status", map[string]string{"status": "done"}, nil, http.StatusOK, nil)
	if r := status(); r["status"] != "closed" || r["status_notes"] != "Done." {
		t.Errorf("done request: %v, want status closed, status_notes Done.", r)
	}
	code, body = open311Get(t, srv.url, "/open311/v2/requests.json?status=closed&service_code=snow_clearing", nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"service_request_id":"`+sid+`"`) {
		t.Errorf("closed list: %d, want it to hold %s", code, sid)
	}
	code, body = open311Get(t, srv.url, "/open311/v2/requests.json?status=open&service_code=snow_clearing", nil)
	if code != http.StatusOK || strings.Contains(string(body), `"service_request_id":"`+sid+`"`) {
		t.Errorf("open list: %d, holds the closed request %s", code, sid)
	}

	t.Run("BadKey", func(t *testing.T) {
		f := url.Values{"api_key": {"qk_not-a-key"}, "service_code": {"other"}, "lat": {"51.13"}, "long": {"71.43"}, "description": {"x"}}
		code, body := open311Post(t, srv.url, "json", f, nil)
		if code != http.StatusForbidden {
			t.Fatalf("bad key: %d %s, want 403", code, body)
		}
		assertSpecError(t, body, http.StatusForbidden)
	})
	t.Run("Revoked", func(t *testing.T) {
		runQamqor(t, st.bin, st.env, "apikey", "revoke", strconv.FormatInt(kid, 10))
		f := url.Values{"api_key": {key}, "service_code": {"other"}, "lat": {"51.13"}, "long": {"71.43"}, "description": {"x"}}
		code, body := open311Post(t, srv.url, "xml", f, nil)
		if code != http.StatusForbidden || !strings.Contains(string(body), "<errors><error><code>403</code>") {
			t.Errorf("revoked key: %d %s, want 403 <errors><error><code>403</code>", code, body)
		}
	})
}

func assertSpecError(t *testing.T, body []byte, status int) {
	t.Helper()
	var errs []map[string]any
	if err := json.Unmarshal(body, &errs); err != nil || len(errs) != 1 {
		t.Fatalf("error %s, want the spec's [{code, description}]", body)
	}
	keys := sortedKeys(errs[0])
	if strings.Join(keys, ",") != "code,description" {
		t.Errorf("error members %v, want exactly code and description", keys)
	}
	if c, _ := errs[0]["code"].(float64); int(c) != status {
		t.Errorf("code=%v, want %d", errs[0]["code"], status)
	}
}

// open311Fields are the members GeoReport v2 gives a service request; the
// public API must show no other.
var open311Fields = []string{"address", "address_id", "agency_responsible", "description", "expected_datetime", "lat", "long",
	"media_url", "requested_datetime", "service_code", "service_name", "service_notice", "service_request_id", "status",
	"status_notes", "updated_datetime", "zipcode"}

// TestOpen311NoPersonalData files hotline requests for registered
// pensioners (name, phone, flat, house number, private notes) and checks
// every field of their Open311 view, in JSON and XML, one by one.
func TestOpen311NoPersonalData(t *testing.T) {
	st := newStack(t)
	srv := startInstance(t, st.bin, st.env)
	ctx := context.Background()
	type pensioner struct {
		careID                                    int64
		name, phone, address, flat, entrance, flr string
		lat, lon                                  float64
	}
	rows, err := st.db.Pool().Query(ctx, `SELECT id, full_name, phone, address_text, flat, entrance, floor,
		ST_Y(location::geometry), ST_X(location::geometry) FROM care_addresses WHERE active ORDER BY id LIMIT 5`)
	if err != nil {
		t.Fatal(err)
	}
	var ps []pensioner
	for rows.Next() {
		var p pensioner
		if err := rows.Scan(&p.careID, &p.name, &p.phone, &p.address, &p.flat, &p.entrance, &p.flr, &p.lat, &p.lon); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if len(ps) == 0 {
		t.Fatal("the demo set has no care addresses")
	}
	hot := login(t, srv.url, "hotline", "hotline-demo")
	ids := []string{}
	for i, p := range ps {
		if p.flat == "" {
			// Give the first ones a flat so the check has one to find.
			p.flat = fmt.Sprintf("%d", 17+i)
			if _, err := st.db.Pool().Exec(ctx, `UPDATE care_addresses SET flat = $2 WHERE id = $1`, p.careID, p.flat); err != nil {
				t.Fatal(err)
			}
			ps[i] = p
		}
		var r struct {
			ID int64 `json:"id"`
		}
		notes := fmt.Sprintf("%s, tel %s, flat %s, lives alone", p.name, p.phone, p.flat)
		hot.do("POST", "/api/requests", map[string]any{"kind": "food_delivery", "care_address_id": p.careID, "notes": notes, "force": true},
			nil, http.StatusCreated, &r)
		ids = append(ids, strconv.FormatInt(r.ID, 10))
	}
	houseNo := regexp.MustCompile(`\d+\S*`)
	check := func(t *testing.T, p pensioner, field, value string) {
		t.Helper()
		low := strings.ToLower(value)
		digits := func(s string) string { return regexp.MustCompile(`\D`).ReplaceAllString(s, "") }
		for what, secret := range map[string]string{"name": p.name, "phone": p.phone, "flat": "кв. " + p.flat} {
			if secret != "" && strings.Contains(low, strings.ToLower(secret)) {
				t.Errorf("field %s=%q shows the pensioner's %s", field, value, what)
			}
		}
		for _, part := range strings.Fields(p.name) {
			if len([]rune(part)) > 2 && strings.Contains(low, strings.ToLower(part)) {
				t.Errorf("field %s=%q shows part of the name %q", field, value, part)
			}
		}
		if d := digits(p.phone); len(d) >= 6 && strings.Contains(digits(value), d[len(d)-6:]) {
			t.Errorf("field %s=%q shows the phone", field, value)
		}
		if field == "address" {
			for _, h := range houseNo.FindAllString(p.address, -1) {
				if strings.Contains(value, h) {
					t.Errorf("address=%q shows the house number %q of %q", value, h, p.address)
				}
			}
			if strings.ContainsAny(value, "0123456789") {
				t.Errorf("address=%q holds a number; want the street only", value)
			}
		}
		if strings.Contains(low, "lives alone") || strings.Contains(low, "tel ") {
			t.Errorf("field %s=%q shows the hotline's notes", field, value)
		}
	}
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			code, body := open311Get(t, srv.url, "/open311/v2/requests."+format+"?service_request_id="+strings.Join(ids, ","), nil)
			if code != http.StatusOK {
				t.Fatalf("GET: %d %s", code, body)
			}
			got := decodeRequests(t, format, body)
			if len(got) != len(ps) {
				t.Fatalf("got %d requests, want %d", len(got), len(ps))
			}
			byID := map[string]map[string]string{}
			for _, r := range got {
				byID[r["service_request_id"]] = r
				for f := range r {
					if i := sort.SearchStrings(open311Fields, f); i == len(open311Fields) || open311Fields[i] != f {
						t.Errorf("field %q is not a GeoReport v2 field", f)
					}
				}
			}
			for i, p := range ps {
				r := byID[ids[i]]
				if r == nil {
					t.Fatalf("request %s missing", ids[i])
				}
				for f, v := range r {
					check(t, p, f, v)
				}
				if r["address"] == "" {
					t.Errorf("address is empty; want the street of %q", p.address)
				}
				lat, _ := strconv.ParseFloat(r["lat"], 64)
				lon, _ := strconv.ParseFloat(r["long"], 64)
				if lat == p.lat || lon == p.lon {
					t.Errorf("lat/long %v,%v is the exact house %v,%v", lat, lon, p.lat, p.lon)
				}
				if d := (lat-p.lat)*(lat-p.lat) + (lon-p.lon)*(lon-p.lon); d > 0.01*0.01 || lat == 0 {
					t.Errorf("lat/long %v,%v is not near the house %v,%v", lat, lon, p.lat, p.lon)
				}
				if r["description"] != "" || r["media_url"] != "" || r["address_id"] != "" || r["zipcode"] != "" {
					t.Errorf("free-text fields carry values: %v", r)
				}
			}
		})
	}
}

// decodeRequests reads requests.json or requests.xml into one string map
// per request (nulls and absent elements as "").
func decodeRequests(t *testing.T, format string, body []byte) []map[string]string {
	t.Helper()
	var out []map[string]string
	if format == "json" {
		var rs []map[string]any
		if err := json.Unmarshal(body, &rs); err != nil {
			t.Fatalf("decode: %v: %s", err, body)
		}
		for _, r := range rs {
			m := map[string]string{}
			for k, v := range r {
				switch v := v.(type) {
				case nil:
					m[k] = ""
				case string:
					m[k] = v
				default:
					m[k] = fmt.Sprint(v)
				}
			}
			out = append(out, m)
		}
		return out
	}
	var doc struct {
		Requests []struct {
			Fields []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"request"`
	}
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("decode xml: %v: %s", err, body)
	}
	for _, r := range doc.Requests {
		m := map[string]string{}
		for _, f := range r.Fields {
			m[f.XMLName.Local] = f.Value
		}
		out = append(out, m)
	}
	return out
}
