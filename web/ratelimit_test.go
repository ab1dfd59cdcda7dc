package web

import (
	"net/http"
	"testing"
	"time"
)

func TestLoginThrottled(t *testing.T) {
	ts := MustServer(t, Config{})
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ts.logins.now = func() time.Time { return now }
	login := func(user, pass string) *http.Response {
		w := ts.do(t, call{Method: "POST", Path: "/api/login", Body: `{"username":"` + user + `","password":"` + pass + `"}`})
		return w.Result()
	}
	for i := 0; i < loginFailsPerUser; i++ {
		if res := login("hot", "guess"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("try %d: Code=%d, want 401", i+1, res.StatusCode)
		}
	}
	// Even the right password is refused now, with a Retry-After.
	res := login("HOT", "secret")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures Code=%d Retry-After=%q, want 429 with Retry-After", loginFailsPerUser, res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Another account from the same address is not locked out by it.
	if res := login("disp", "secret"); res.StatusCode != http.StatusOK {
		t.Fatalf("other user Code=%d, want 200", res.StatusCode)
	}
	// After the window the account may log in again, which clears it.
	now = now.Add(loginWindow)
	if res := login("hot", "secret"); res.StatusCode != http.StatusOK {
		t.Fatalf("after the window Code=%d, want 200", res.StatusCode)
	}
	// Guessing across many accounts from one address is capped too.
	for i := 0; i < loginFailsPerClient; i++ {
		login("user"+string(rune('a'+i%26))+string(rune('a'+i/26)), "guess")
	}
	if res := login("admin", "secret"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures from one address Code=%d, want 429", loginFailsPerClient, res.StatusCode)
	}
}
