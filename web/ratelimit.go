package web

import (
	"math"
	"strings"
	"sync"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

// Login throttling that a guesser cannot turn against the real user.
// Failures are counted per account and source address together: after
// loginFreeFails wrong passwords that pair waits, twice as long after each
// further failure (backoff), up to loginMaxWait. A guess from elsewhere
// does not slow the real user down. Two wider counters catch the other
// patterns: one address trying many accounts (spraying) is slowed for
// every account, and one account guessed from many addresses is slowed
// only for addresses that have never logged in to it, so the user's usual
// place keeps working. A success clears its pair. The wait is checked
// before the password, so a throttled guesser learns nothing, and the
// state lives in memory per instance.
const (
	loginFreeFails       = 5
	loginBaseWait        = 2 * time.Second
	loginMaxWait         = 15 * time.Minute
	loginForget          = time.Hour // a quiet counter starts again
	loginFailsPerSource  = 50        // over all accounts, before backoff
	loginFailsPerAccount = 100       // from all unknown sources, before backoff
	// loginKnownFor is how long a successful login makes its source known
	// to the account.
	loginKnownFor = 30 * 24 * time.Hour
	// maxLimiterKeys bounds memory under a flood of random usernames; when
	// full, the stalest entries are dropped first.
	maxLimiterKeys = 100000
)

// codeTooMany is the problem code of a throttled request (HTTP 429).
const codeTooMany = dispatch.ETOOMANY

type failCount struct {
	last  time.Time // last failure, or for known sources the last success
	fails int
}

// loginLimiter counts failed logins; see the constants above.
type loginLimiter struct {
	mu   sync.Mutex
	now  func() time.Time
	keys map[string]*failCount
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{now: time.Now, keys: map[string]*failCount{}}
}

func normUser(username string) string { return strings.ToLower(strings.TrimSpace(username)) }
func pairKey(user, ip string) string  { return "p:" + normUser(user) + "\x00" + ip }
func knownKey(user, ip string) string { return "k:" + normUser(user) + "\x00" + ip }
func sourceKey(ip string) string      { return "s:" + ip }
func accountKey(user string) string   { return "a:" + normUser(user) }

// backoff is how long after its last failure a counter with fails
// failures blocks, free failures allowed first.
func backoff(fails, free int) time.Duration {
	if fails < free {
		return 0
	}
	n := fails - free
	if n > 20 {
		return loginMaxWait
	}
	return min(time.Duration(float64(loginBaseWait)*math.Pow(2, float64(n))), loginMaxWait)
}

// wait returns how long the counter at key still blocks.
func (l *loginLimiter) wait(key string, free int, now time.Time) time.Duration {
	c := l.keys[key]
	if c == nil || now.Sub(c.last) >= loginForget {
		return 0
	}
	return max(0, c.last.Add(backoff(c.fails, free)).Sub(now))
}

// blocked reports how long this account and source must wait, 0 when they
// may try.
func (l *loginLimiter) blocked(username, ip string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := max(l.wait(pairKey(username, ip), loginFreeFails, now), l.wait(sourceKey(ip), loginFailsPerSource, now))
	if k := l.keys[knownKey(username, ip)]; k == nil || now.Sub(k.last) >= loginKnownFor {
		w = max(w, l.wait(accountKey(username), loginFailsPerAccount, now))
	}
	return w
}

// fail records a wrong password.
func (l *loginLimiter) fail(username, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	for _, k := range []string{pairKey(username, ip), sourceKey(ip), accountKey(username)} {
		c := l.keys[k]
		if c == nil || now.Sub(c.last) >= loginForget {
			c = &failCount{}
			l.keys[k] = c
		}
		c.fails++
		c.last = now
	}
}

// succeed clears the pair's failures and makes the source known to the
// account.
func (l *loginLimiter) succeed(username, ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.prune(now)
	delete(l.keys, pairKey(username, ip))
	l.keys[knownKey(username, ip)] = &failCount{last: now}
}

// prune drops stale entries when the map is full, then any entries at all
// until it is half full.
func (l *loginLimiter) prune(now time.Time) {
	if len(l.keys) < maxLimiterKeys {
		return
	}
	for k, c := range l.keys {
		if now.Sub(c.last) >= loginForget && !strings.HasPrefix(k, "k:") {
			delete(l.keys, k)
		}
	}
	for k := range l.keys {
		if len(l.keys) < maxLimiterKeys/2 {
			break
		}
		delete(l.keys, k)
	}
}
