package web

import (
	"context"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
)

// A live connection belongs to the session that opened it and lives no
// longer than the session's grant: logout ends it at once on the instance
// that logged out, and every instance re-checks the sessions of its
// connections every SessionCheck, so a logout elsewhere, a deactivation, a
// role or a team change ends them there too. Sessions also cap how many
// connections they may hold.

// CloseSessionEnded closes a connection whose session ended or whose user
// lost the rights it was opened with; the page should go to the login.
const CloseSessionEnded = 4001

// Defaults of the session limits of HubConfig.
const (
	DefaultSessionCheck  = 500 * time.Millisecond
	DefaultMaxPerSession = 4
	DefaultMaxPerUser    = 12
	DefaultReplayTimeout = 10 * time.Second
	DefaultMaxReplays    = 2
)

// owner is who opened a connection: the session token and the user as the
// session granted it.
type owner struct {
	token string
	user  dispatch.User
}

// conns is every connection of the hub, from upgrade to close, whether
// catching up or live, with counts per session and per user. Run owns the
// live set; this one has its own lock because admission and revocation
// happen outside Run.
type conns struct {
	mu       sync.Mutex
	all      map[*client]struct{}
	perToken map[string]int
	perUser  map[int64]int
}

// admit reserves a connection for o, or refuses with 429 when the session
// or the user already holds their limit. release gives the slot back.
func (h *Hub) admit(o *owner) error {
	if o == nil {
		return nil
	}
	h.conns.mu.Lock()
	defer h.conns.mu.Unlock()
	if h.cfg.MaxPerSession > 0 && h.conns.perToken[o.token] >= h.cfg.MaxPerSession {
		return dispatch.Errorf(codeTooMany, "Too many live connections for this login; close other tabs.")
	}
	if h.cfg.MaxPerUser > 0 && h.conns.perUser[o.user.ID] >= h.cfg.MaxPerUser {
		return dispatch.Errorf(codeTooMany, "Too many live connections for this user; close other tabs or devices.")
	}
	h.conns.perToken[o.token]++
	h.conns.perUser[o.user.ID]++
	return nil
}

func (h *Hub) release(o *owner) {
	if o == nil {
		return
	}
	h.conns.mu.Lock()
	defer h.conns.mu.Unlock()
	if h.conns.perToken[o.token]--; h.conns.perToken[o.token] <= 0 {
		delete(h.conns.perToken, o.token)
	}
	if h.conns.perUser[o.user.ID]--; h.conns.perUser[o.user.ID] <= 0 {
		delete(h.conns.perUser, o.user.ID)
	}
}

func (h *Hub) track(c *client) {
	h.conns.mu.Lock()
	h.conns.all[c] = struct{}{}
	h.conns.mu.Unlock()
}

func (h *Hub) untrack(c *client) {
	h.conns.mu.Lock()
	delete(h.conns.all, c)
	h.conns.mu.Unlock()
}

// endWhere closes every connection match selects with CloseSessionEnded and
// returns how many it closed.
func (h *Hub) endWhere(match func(*client) bool) int {
	h.conns.mu.Lock()
	var ended []*client
	for c := range h.conns.all {
		if c.owner != nil && match(c) {
			ended = append(ended, c)
		}
	}
	h.conns.mu.Unlock()
	for _, c := range ended {
		c.end(CloseSessionEnded, "session ended, log in again")
	}
	return len(ended)
}

// end closes the connection from outside its goroutines: WriteControl and
// Close are the two gorilla methods safe to call concurrently with the
// writer. The reader then fails, unregisters and the writer stops.
func (c *client) end(code int, text string) {
	c.endOnce.Do(func() {
		c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
		c.conn.Close()
	})
}

// EndSession closes the connections opened by the session token at once.
func (h *Hub) EndSession(token string) int {
	return h.endWhere(func(c *client) bool { return c.owner.token == token })
}

// Recheck asks the hub to check its sessions now instead of at the next
// SessionCheck tick (after a change to users). It never blocks.
func (h *Hub) Recheck() {
	select {
	case h.recheck <- struct{}{}:
	default:
	}
}

// watchSessions re-checks the sessions of all connections every
// SessionCheck and on Recheck until ctx ends. One query covers every
// session. When the check fails (database away) connections stay: the
// next check decides.
func (h *Hub) watchSessions(ctx context.Context) {
	t := time.NewTicker(h.cfg.SessionCheck)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-h.recheck:
		}
		h.checkSessions(ctx)
	}
}

func (h *Hub) checkSessions(ctx context.Context) {
	h.conns.mu.Lock()
	seen := map[string]bool{}
	var tokens []string
	for c := range h.conns.all {
		if c.owner != nil && !seen[c.owner.token] {
			seen[c.owner.token] = true
			tokens = append(tokens, c.owner.token)
		}
	}
	h.conns.mu.Unlock()
	if len(tokens) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	live, err := h.cfg.Sessions(ctx, tokens)
	if err != nil {
		if ctx.Err() == nil {
			h.log.Warn("live hub: check sessions", "err", err)
		}
		return
	}
	// Only sockets whose token was checked: one opened while the query
	// ran is not in live and must wait for the next check.
	h.endWhere(func(c *client) bool { return seen[c.owner.token] && !c.owner.user.SameGrant(live[c.owner.token]) })
}
