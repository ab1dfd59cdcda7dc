package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// loginFrom posts a login from the TCP address ip, optionally through a
// proxy header.
func loginFrom(ts *testServer, ip, xff, user, pass string) *http.Response {
	req := httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = ip + ":40000"
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	w := httptest.NewRecorder()
	ts.Handler().ServeHTTP(w, req)
	return w.Result()
}

func TestLoginThrottled(t *testing.T) {
	ts := MustServer(t, Config{})
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ts.logins.now = func() time.Time { return now }
	const guesser, user = "203.0.113.7", "198.51.100.20"

	t.Run("PairBacksOff", func(t *testing.T) {
		for i := 0; i < loginFreeFails; i++ {
			if res := loginFrom(ts, guesser, "", "hot", "guess"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("try %d: Code=%d, want 401", i+1, res.StatusCode)
			}
		}
		// Even the right password is refused now, with a Retry-After.
		res := loginFrom(ts, guesser, "", "HOT", "secret")
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "2" {
			t.Fatalf("after %d failures Code=%d Retry-After=%q, want 429 with Retry-After 2", loginFreeFails, res.StatusCode, res.Header.Get("Retry-After"))
		}
		// The real user from elsewhere is not held up at all.
		if res := loginFrom(ts, user, "", "hot", "secret"); res.StatusCode != http.StatusOK {
			t.Fatalf("the user from another address: Code=%d, want 200", res.StatusCode)
		}
		// Backoff doubles with each further failure.
		for i, want := range []string{"4", "8", "16"} {
			now = now.Add(time.Hour / 60 * time.Duration(i+1)) // past the previous wait
			if res := loginFrom(ts, guesser, "", "hot", "guess"); res.StatusCode != http.StatusUnauthorized {
				t.Fatalf("after waiting: Code=%d, want 401", res.StatusCode)
			}
			if res := loginFrom(ts, guesser, "", "hot", "guess"); res.Header.Get("Retry-After") != want {
				t.Fatalf("failure %d: Retry-After=%q, want %s", loginFreeFails+i+1, res.Header.Get("Retry-After"), want)
			}
		}
		// Once the wait is over the right password works and clears it.
		now = now.Add(time.Minute)
		if res := loginFrom(ts, guesser, "", "hot", "secret"); res.StatusCode != http.StatusOK {
			t.Fatalf("after the wait Code=%d, want 200", res.StatusCode)
		}
		if res := loginFrom(ts, guesser, "", "hot", "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after a success the count restarts: Code=%d, want 401", res.StatusCode)
		}
	})

	t.Run("SprayingFromOneAddress", func(t *testing.T) {
		now = now.Add(2 * loginForget)
		for i := 0; i < loginFailsPerSource; i++ {
			loginFrom(ts, guesser, "", "user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "guess")
		}
		if res := loginFrom(ts, guesser, "", "admin", "secret"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after %d failures over many accounts Code=%d, want 429", loginFailsPerSource, res.StatusCode)
		}
		if res := loginFrom(ts, user, "", "admin", "secret"); res.StatusCode != http.StatusOK {
			t.Fatalf("another address: Code=%d, want 200", res.StatusCode)
		}
	})

	t.Run("DistributedGuessingSparesKnownSources", func(t *testing.T) {
		now = now.Add(2 * loginForget)
		if res := loginFrom(ts, user, "", "disp", "secret"); res.StatusCode != http.StatusOK { // the user's usual place
			t.Fatalf("Code=%d, want 200", res.StatusCode)
		}
		for i := 0; i < loginFailsPerAccount; i++ {
			loginFrom(ts, "10.9."+string(rune('0'+i/10))+"."+string(rune('0'+i%10)), "", "disp", "guess")
		}
		if res := loginFrom(ts, "10.10.0.1", "", "disp", "secret"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a new address during a distributed attack: Code=%d, want 429", res.StatusCode)
		}
		if res := loginFrom(ts, user, "", "disp", "secret"); res.StatusCode != http.StatusOK {
			t.Fatalf("the user's known address during the attack: Code=%d, want 200", res.StatusCode)
		}
	})
}

// TestTrustedProxies: X-Forwarded-For names the client only when the TCP
// peer is a configured proxy.
func TestTrustedProxies(t *testing.T) {
	guessFrom := func(ts *testServer, peer, xff string, n int) {
		for i := 0; i < n; i++ {
			loginFrom(ts, peer, xff, "hot", "guess")
		}
	}
	t.Run("BehindProxy", func(t *testing.T) {
		ts := MustServer(t, Config{TrustedProxies: []string{"127.0.0.1/32"}})
		guessFrom(ts, "127.0.0.1", "203.0.113.7", loginFreeFails)
		if res := loginFrom(ts, "127.0.0.1", "203.0.113.7", "hot", "secret"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("guesser: Code=%d, want 429", res.StatusCode)
		}
		if res := loginFrom(ts, "127.0.0.1", "198.51.100.20", "hot", "secret"); res.StatusCode != http.StatusOK {
			t.Fatalf("another client behind the same proxy: Code=%d, want 200", res.StatusCode)
		}
	})
	t.Run("SpoofedHeaderFromUntrustedPeer", func(t *testing.T) {
		ts := MustServer(t, Config{TrustedProxies: []string{"127.0.0.1/32"}})
		for i := 0; i < loginFreeFails; i++ {
			loginFrom(ts, "203.0.113.7", "192.0.2."+string(rune('1'+i)), "hot", "guess")
		}
		if res := loginFrom(ts, "203.0.113.7", "192.0.2.99", "hot", "secret"); res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a direct client rotating X-Forwarded-For: Code=%d, want 429", res.StatusCode)
		}
	})
}
