package web

import (
	"context"

	"github.com/qamqor/qamqor/dispatch"
)

// sessionKey is the context key of the request's session; unexported and
// typed so no other package can collide with it.
type sessionKey struct{}

// session is a logged-in browser as the handlers see it.
type session struct {
	Token string
	*dispatch.Session
}

func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom returns the request's session, or nil when anonymous.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// userFrom returns the logged-in user, or nil when anonymous.
func userFrom(ctx context.Context) *dispatch.User {
	if s := sessionFrom(ctx); s != nil {
		return s.User
	}
	return nil
}
