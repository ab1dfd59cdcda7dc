package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver records deliveries; fail makes its first n answers 500.
type hookReceiver struct {
	mu   sync.Mutex
	got  []hookDelivery
	fail int
}

type hookDelivery struct {
	Header http.Header
	Body   []byte
	At     time.Time
	Status int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	st := http.StatusNoContent
	if h.fail > 0 {
		h.fail--
		st = http.StatusInternalServerError
	}
	h.got = append(h.got, hookDelivery{Header: r.Header.Clone(), Body: b, At: time.Now(), Status: st})
	w.WriteHeader(st)
}

func (h *hookReceiver) deliveries() []hookDelivery {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookDelivery(nil), h.got...)
}

// verifyStandardWebhook checks a delivery as a receiver would, written
// from the Standard Webhooks specification (not with Qamqor's code):
// HMAC-SHA256 keyed with the base64-decoded secret after "whsec_", over
// "webhook-id.webhook-timestamp.body", base64, prefixed "v1,"; the
// header may hold several space-separated signatures.
func verifyStandardWebhook(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body)))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range strings.Fields(h.Get("webhook-signature")) {
		if v, ok := strings.CutPrefix(s, "v1,"); ok && hmac.Equal([]byte(v), []byte(want)) {
			return true
		}
	}
	return false
}

// TestWebhooks registers an untrusted and a trusted subscription, files a
// hotline request for a registered pensioner, and checks: both deliveries
// verify with the Standard Webhooks scheme, the untrusted one holds no
// personal data, a failed delivery is retried with the same webhook-id
// and both attempts are in the delivery log.
func TestWebhooks(t *testing.T) {
	st := newStack(t)
	ctx := context.Background()
	plain, trusted := &hookReceiver{fail: 1}, &hookReceiver{}
	ps, ts := httptest.NewServer(plain), httptest.NewServer(trusted)
	defer ps.Close()
	defer ts.Close()
	srv := startServe(t, st.bin, st.env)
	admin := login(t, srv.url, "admin", "admin-demo")
	type hook struct {
		ID     int64  `json:"id"`
		Secret string `json:"secret"`
	}
	var h1, h2 hook
	admin.do("POST", "/api/webhooks", map[string]any{"url": ps.URL + "/hook", "events": []string{"request.created", "request.status_changed"}},
		nil, http.StatusCreated, &h1)
	admin.do("POST", "/api/webhooks", map[string]any{"url": ts.URL + "/hook", "events": []string{"request.created"}, "trusted": true},
		nil, http.StatusCreated, &h2)
	if !strings.HasPrefix(h1.Secret, "whsec_") || h1.Secret == h2.Secret {
		t.Fatalf("secrets %q %q, want distinct whsec_ secrets", h1.Secret, h2.Secret)
	}
	list := admin.do("GET", "/api/webhooks", nil, nil, http.StatusOK, nil)
	if strings.Contains(string(list), "whsec_") {
		t.Errorf("the list shows secrets: %s", list)
	}
	admin.do("POST", "/api/webhooks", map[string]any{"url": "ftp://x", "events": []string{"request.created"}}, nil, http.StatusUnprocessableEntity, nil)

	var care struct {
		ID                int64
		Name, Phone, Addr string
	}
	if err := st.db.Pool().QueryRow(ctx, `SELECT id, full_name, phone, address_text FROM care_addresses WHERE active AND phone <> '' ORDER BY id LIMIT 1`).
		Scan(&care.ID, &care.Name, &care.Phone, &care.Addr); err != nil {
		t.Fatal(err)
	}
	hot := login(t, srv.url, "hotline", "hotline-demo")
	var req struct {
		ID int64 `json:"id"`
	}
	notes := "Call " + care.Name + " at " + care.Phone
	hot.do("POST", "/api/requests", map[string]any{"kind": "food_delivery", "care_address_id": care.ID, "notes": notes, "force": true},
		nil, http.StatusCreated, &req)

	wait := func(r *hookReceiver, n int, what string) []hookDelivery {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for {
			ds := r.deliveries()
			if len(ds) >= n {
				return ds
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d deliveries after 40 s, want %d", what, len(ds), n)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// The untrusted receiver fails the first attempt; the retry comes
	// about 5 s later with the same id.
	ds := wait(plain, 2, "untrusted")
	if ds[0].Header.Get("webhook-id") != ds[1].Header.Get("webhook-id") || ds[0].Header.Get("webhook-id") == "" {
		t.Errorf("retry webhook-id %q, first %q: want the same", ds[1].Header.Get("webhook-id"), ds[0].Header.Get("webhook-id"))
	}
	if gap := ds[1].At.Sub(ds[0].At); gap < 4*time.Second {
		t.Errorf("retry after %v, want the 5 s back-off", gap)
	}
	for i, d := range ds {
		if !verifyStandardWebhook(h1.Secret, d.Header, d.Body) {
			t.Errorf("untrusted delivery %d does not verify: headers %v", i, d.Header)
		}
		if verifyStandardWebhook(h2.Secret, d.Header, d.Body) {
			t.Errorf("delivery %d verifies with another subscription's secret", i)
		}
		ts, _ := strconv.ParseInt(d.Header.Get("webhook-timestamp"), 10, 64)
		if age := time.Since(time.Unix(ts, 0)); age < -time.Minute || age > time.Minute {
			t.Errorf("webhook-timestamp %d is %v off", ts, age)
		}
	}
	var body struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(ds[1].Body, &body); err != nil || body.Type != "request.created" {
		t.Fatalf("body %s: want type request.created", ds[1].Body)
	}
	low := strings.ToLower(string(ds[1].Body))
	for what, secret := range map[string]string{"name": care.Name, "phone": care.Phone, "address": care.Addr, "notes": "call "} {
		if secret != "" && strings.Contains(low, strings.ToLower(secret)) {
			t.Errorf("untrusted delivery shows the %s: %s", what, ds[1].Body)
		}
	}
	for _, k := range []string{"notes", "care_address_id", "address"} {
		if _, ok := body.Data[k]; ok {
			t.Errorf("untrusted data has %q: %v", k, body.Data)
		}
	}
	if body.Data["street"] == "" || body.Data["kind"] != "food_delivery" {
		t.Errorf("untrusted data %v, want the kind and the street", body.Data)
	}

	td := wait(trusted, 1, "trusted")
	if !verifyStandardWebhook(h2.Secret, td[0].Header, td[0].Body) {
		t.Errorf("trusted delivery does not verify")
	}
	if !strings.Contains(string(td[0].Body), care.Phone) {
		t.Errorf("trusted delivery lacks the notes: %s", td[0].Body)
	}
	var audited int
	st.db.Pool().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE care_address_id = $1 AND detail LIKE 'sent to trusted webhook%'`, care.ID).Scan(&audited)
	if audited != 1 {
		t.Errorf("trusted delivery audited %d times, want 1", audited)
	}

	// The delivery log of the untrusted subscription: one delivery, two
	// attempts, delivered.
	var log []struct {
		MsgID       string     `json:"msg_id"`
		Attempts    int        `json:"attempts"`
		LastStatus  *int       `json:"last_status"`
		DeliveredAt *time.Time `json:"delivered_at"`
	}
	admin.do("GET", "/api/webhooks/"+strconv.FormatInt(h1.ID, 10)+"/deliveries", nil, nil, http.StatusOK, &log)
	if len(log) != 1 || log[0].Attempts != 2 || log[0].DeliveredAt == nil || log[0].LastStatus == nil || *log[0].LastStatus != 204 {
		t.Errorf("delivery log %+v, want one delivery, 2 attempts, delivered with 204", log)
	}
	var attempts int
	st.db.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1`, h1.ID).Scan(&attempts)
	if attempts != 2 {
		t.Errorf("attempts logged %d, want 2", attempts)
	}

	// A status change reaches the subscription of that type only.
	disp := login(t, srv.url, "dispatcher", "dispatcher-demo")
	disp.do("POST", "/api/requests/"+strconv.FormatInt(req.ID, 10)+"/status", map[string]string{"status": "cancelled"}, nil, http.StatusOK, nil)
	ds = wait(plain, 3, "status change")
	if !strings.Contains(string(ds[2].Body), `"type":"request.status_changed"`) || !verifyStandardWebhook(h1.Secret, ds[2].Header, ds[2].Body) {
		t.Errorf("status change delivery %s", ds[2].Body)
	}
	time.Sleep(2 * time.Second)
	if n := len(trusted.deliveries()); n != 1 {
		t.Errorf("the trusted subscription (request.created only) got %d deliveries, want 1", n)
	}
}
