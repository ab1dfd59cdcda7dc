package web

import (
	"strings"

	"github.com/qamqor/qamqor/dispatch"
	"sync"
	"time"
)

// Login throttling: a password guesser gets a few tries per account and per
// address, then 429 until the window passes. Counters live in memory, per
// server instance; that is enough to make guessing impractical.
const (
	loginWindow         = 15 * time.Minute
	loginFailsPerUser   = 10
	loginFailsPerClient = 30
	// maxLimiterKeys bounds memory under a flood of random usernames; when
	// full, the oldest windows are dropped first.
	maxLimiterKeys = 100000
)

// codeTooMany is the problem code of a throttled request (HTTP 429).
const codeTooMany = dispatch.ETOOMANY

type failWindow struct {
	start time.Time
	fails int
}

// loginLimiter counts failed logins per username and per client address.
type loginLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	keys map[string]*failWindow
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{now: time.Now, keys: map[string]*failWindow{}}
}

func userKey(username string) string { return "u:" + strings.ToLower(strings.TrimSpace(username)) }
func ipKey(ip string) string         { return "ip:" + ip }

// blocked reports how long the caller must wait, 0 when it may try.
func (l *loginLimiter) blocked(username, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	check := func(key string, limit int) {
		w := l.keys[key]
		if w == nil || now.Sub(w.start) >= loginWindow {
			return
		}
		if w.fails >= limit {
			wait = max(wait, w.start.Add(loginWindow).Sub(now))
		}
	}
	check(userKey(username), loginFailsPerUser)
	if ip != "" {
		check(ipKey(ip), loginFailsPerClient)
	}
	return wait
}

// fail records a failed attempt.
func (l *loginLimiter) fail(username, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) >= maxLimiterKeys {
		for k, w := range l.keys {
			if now.Sub(w.start) >= loginWindow || len(l.keys) >= maxLimiterKeys {
				delete(l.keys, k)
			}
			if len(l.keys) < maxLimiterKeys/2 {
				break
			}
		}
	}
	keys := []string{userKey(username)}
	if ip != "" {
		keys = append(keys, ipKey(ip))
	}
	for _, k := range keys {
		w := l.keys[k]
		if w == nil || now.Sub(w.start) >= loginWindow {
			w = &failWindow{start: now}
			l.keys[k] = w
		}
		w.fails++
	}
}

// succeed forgets the username's failures.
func (l *loginLimiter) succeed(username string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.keys, userKey(username))
}
