package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// loginStep is what POST /api/login and its second steps answer.
type loginStep struct {
	SecondFactor  string   `json:"second_factor"`
	CSRFToken     string   `json:"csrf_token"`
	Secret        string   `json:"secret"`
	OTPAuthURL    string   `json:"otpauth_url"`
	QR            string   `json:"qr"`
	RecoveryCodes []string `json:"recovery_codes"`
}

// newBrowser is a client with a cookie jar and no session yet.
func anonClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
}

// TestTwoFactor: an admin requires TOTP for dispatchers; the dispatcher's
// next login enrols (QR and secret, then a code) and gets recovery codes;
// later logins need a fresh code (a replayed one fails) or a recovery code,
// each usable once. Other roles are unaffected.
func TestTwoFactor(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: needs PostGIS and builds the binary")
	}
	st := newStack(t)
	a := startInstance(t, st.bin, st.env)
	admin := login(t, a.url, "admin", "admin-demo")

	admin.do("PUT", "/api/security/settings", map[string]any{"require_2fa": []string{"hotline"}}, nil, http.StatusUnprocessableEntity, nil)
	login(t, a.url, "dispatcher", "dispatcher-demo").do("PUT", "/api/security/settings", map[string]any{"require_2fa": []string{"dispatcher"}}, nil, http.StatusForbidden, nil)
	admin.do("PUT", "/api/security/settings", map[string]any{"require_2fa": []string{"dispatcher"}}, nil, http.StatusOK, nil)

	// Enrolment on the next login.
	b := anonClient(t, a.url)
	var step loginStep
	b.do("POST", "/api/login", map[string]string{"username": "dispatcher", "password": "dispatcher-demo"}, nil, http.StatusOK, &step)
	if step.SecondFactor != "enrol" || step.CSRFToken != "" {
		t.Fatalf("login step=%+v, want enrol and no session", step)
	}
	b.do("GET", "/api/me", nil, nil, http.StatusUnauthorized, nil)
	var enrol loginStep
	b.do("GET", "/api/login/enrol", nil, nil, http.StatusOK, &enrol)
	if enrol.Secret == "" || !strings.HasPrefix(enrol.OTPAuthURL, "otpauth://totp/") || !strings.HasPrefix(enrol.QR, "data:image/png;base64,") {
		t.Fatalf("enrolment=%+v, want secret, otpauth URL and QR image", enrol)
	}
	b.do("POST", "/api/login/enrol", map[string]string{"code": "000000"}, nil, http.StatusUnauthorized, nil)
	code, _ := totp.GenerateCode(enrol.Secret, time.Now())
	var done loginStep
	b.do("POST", "/api/login/enrol", map[string]string{"code": code}, nil, http.StatusOK, &done)
	if len(done.RecoveryCodes) != 10 || done.CSRFToken == "" {
		t.Fatalf("after enrolment=%+v, want a session and 10 recovery codes", done)
	}
	b.csrf = done.CSRFToken
	b.do("GET", "/api/me", nil, nil, http.StatusOK, nil)
	var stored string
	if err := st.db.Pool().QueryRow(t.Context(), `SELECT string_agg(encode(code_hash, 'hex'), ',') FROM recovery_codes`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	for _, rc := range done.RecoveryCodes {
		if strings.Contains(stored, rc) || strings.Contains(stored, strings.ReplaceAll(rc, "-", "")) {
			t.Fatal("recovery codes are stored in clear")
		}
	}

	// A later login needs a code; the one used at enrolment is spent.
	second := func() *client {
		c := anonClient(t, a.url)
		var s loginStep
		c.do("POST", "/api/login", map[string]string{"username": "dispatcher", "password": "dispatcher-demo"}, nil, http.StatusOK, &s)
		if s.SecondFactor != "totp" {
			t.Fatalf("login step=%+v, want totp", s)
		}
		return c
	}
	c := second()
	c.do("POST", "/api/login/totp", map[string]string{"code": code}, nil, http.StatusUnauthorized, nil)
	next, _ := totp.GenerateCode(enrol.Secret, time.Now().Add(30*time.Second))
	var me loginStep
	c.do("POST", "/api/login/totp", map[string]string{"code": next}, nil, http.StatusOK, &me)
	if me.CSRFToken == "" {
		t.Fatalf("after the code=%+v, want a session", me)
	}
	// A recovery code works once.
	c = second()
	c.do("POST", "/api/login/totp", map[string]string{"code": done.RecoveryCodes[0]}, nil, http.StatusOK, nil)
	c = second()
	body := c.do("POST", "/api/login/totp", map[string]string{"code": done.RecoveryCodes[0]}, nil, http.StatusUnauthorized, nil)
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	// Guessing is limited per login.
	c = second()
	for i := 0; i < 5; i++ {
		c.do("POST", "/api/login/totp", map[string]string{"code": "12345" + string(rune('0'+i))}, nil, http.StatusUnauthorized, nil)
	}
	right, _ := totp.GenerateCode(enrol.Secret, time.Now().Add(60*time.Second))
	c.do("POST", "/api/login/totp", map[string]string{"code": right}, nil, http.StatusUnauthorized, nil)

	// Hotline operators are not asked.
	login(t, a.url, "hotline", "hotline-demo").do("GET", "/api/me", nil, nil, http.StatusOK, nil)

	// The page flow: the form asks for the code after the password.
	page := anonClient(t, a.url)
	req, _ := http.NewRequest("POST", a.url+"/login", strings.NewReader("username=dispatcher&password=dispatcher-demo&next=%2Fdispatch"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := page.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	html := readAll(resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(html, `action="/login/totp"`) {
		t.Fatalf("login form with 2FA: status %d, want the code form; body %s", resp.StatusCode, html)
	}
}

func readAll(resp *http.Response) string {
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}
