package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"github.com/qamqor/qamqor/dispatch"
)

// hubReadyWait bounds how long a connection waits for a hub that is still
// reading its first cursor (the database was unreachable at start).
const hubReadyWait = 5 * time.Second

// upgrader checks no Origin itself: handleWS has already refused other
// origins with a problem response, before upgrading. Write buffers come
// from a pool only for the duration of a write (most writes are prepared
// frames that need none), so an idle connection holds no write buffer.
var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

// registerLiveRoutes adds GET /ws. It goes in a group without Timeout: a
// WebSocket lives for hours.
func (s *Server) registerLiveRoutes(r chi.Router) {
	r.Get("/ws", s.handleWS)
}

// handleWS upgrades to a live event stream:
//
//	GET /ws?topic=dispatch|team:<id>&since=<last event id>
//
// The session cookie authenticates it and the Origin must be ours.
// Dispatchers (dispatch.ActViewDispatchMap) may subscribe to "dispatch",
// which carries every event, and to any team; a team lead only to their own
// "team:<id>". Without topic, team leads get their team and everyone else
// "dispatch". Every text message holds one or more JSON documents, one per
// line: events (dispatch.Event) and control messages {"type":"hello",
// "last_id":N} (first) and {"type":"reset","last_id":N} (missed too much
// since `since`: reload, then events after N follow).
func (s *Server) handleWS(w http.ResponseWriter, r *http.Request) {
	if s.hub == nil {
		s.Error(w, r, dispatch.Errorf(codeUnavailable, "Live updates are not available."))
		return
	}
	if err := s.sameOrigin(r); err != nil {
		s.Error(w, r, err)
		return
	}
	topic, teamID, err := liveTopic(userFrom(r.Context()), r.URL.Query().Get("topic"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	since := int64(-1)
	if v := r.URL.Query().Get("since"); v != "" {
		if since, err = strconv.ParseInt(v, 10, 64); err != nil || since < 0 {
			s.Error(w, r, dispatch.Invalid("since", "since must be an event id (a whole number, 0 or more)."))
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), hubReadyWait)
	defer cancel()
	select {
	case <-s.hub.ready:
	case <-ctx.Done():
		s.Error(w, r, dispatch.Errorf(codeUnavailable, "Live updates are starting; try again shortly."))
		return
	}
	sess := sessionFrom(r.Context())
	o := &owner{token: sess.Token, user: *sess.User}
	if err := s.hub.admit(o); err != nil {
		s.Error(w, r, err)
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.hub.release(o)
		return // Upgrade has replied with 400
	}
	s.hub.serve(context.WithoutCancel(r.Context()), conn, o, topic, teamID, since)
}

// liveTopic checks that u may subscribe to topic (empty: the default for
// the role) and returns it with its team id (0 for dispatch).
func liveTopic(u *dispatch.User, topic string) (string, int64, error) {
	if u == nil {
		return "", 0, dispatch.Errorf(dispatch.EUNAUTHORIZED, "Please log in.")
	}
	if topic == "" {
		topic = TopicDispatch
		if u.Role == dispatch.RoleTeamLead && u.TeamID != nil {
			topic = teamTopic(*u.TeamID)
		}
	}
	if topic == TopicDispatch {
		return topic, 0, dispatch.Require(u, dispatch.ActViewDispatchMap)
	}
	idText, ok := strings.CutPrefix(topic, topicTeamPrefix)
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 {
		return "", 0, dispatch.Invalid("topic", "topic must be %q or %q followed by a team id.", TopicDispatch, topicTeamPrefix)
	}
	if err := dispatch.RequireTeamView(u, id); err != nil {
		return "", 0, err
	}
	return teamTopic(id), id, nil
}

// Hub returns the live hub, nil without Services.Events. Serve runs it;
// cmd/qamqor passes its Wake to postgres.DB.Listen, and tests that use
// Handler run it themselves.
func (s *Server) Hub() *Hub { return s.hub }
