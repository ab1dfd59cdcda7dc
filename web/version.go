package web

import (
	"net/http"

	"github.com/qamqor/qamqor/dispatch"
)

// Optimistic concurrency over HTTP (see dispatch/version.go and
// /work/coord/versions.md). Every GET of an editable thing answers with an
// ETag (its version in quotes; a route's is its version plus a digest of
// its stops), and so does every successful write. Writes take If-Match:
//
//   - PUT of a registry row (care address, team, volunteer, organisation,
//     user) requires it: without it 428, with an old one 412;
//   - stop moves, locks and removals and request status changes check it
//     when sent (412 when old) and apply unconditionally without it, so
//     phones and scripts that never read a version keep working.
//
// A 412 is a problem with code "precondition_failed", current_version, the
// current representation in "current" and its ETag in the ETag header: the
// client shows "changed by someone else" and either reloads (takes
// current) or overwrites (sends the same edit again with the new ETag).
// If-Match: * overwrites whatever is there, deliberately.

// ifMatch reads the If-Match header: 0 when absent, dispatch.AnyVersion for
// "*", EINVALID when it is not one of our ETags.
func ifMatch(r *http.Request) (dispatch.Version, error) {
	return dispatch.ParseIfMatch(r.Header.Get("If-Match"))
}

// setETag sets the ETag header of a response.
func setETag(w http.ResponseWriter, etag string) {
	w.Header().Set("ETag", etag)
}

// writeVersioned writes v as JSON with the ETag of version.
func writeVersioned(w http.ResponseWriter, status int, v any, version dispatch.Version) {
	setETag(w, dispatch.ETag(version))
	writeJSON(w, status, v)
}

// currentJSON turns the current row a store attached to an EPRECONDITION
// error into its API representation and ETag; ok is false for anything
// else.
func (s *Server) currentJSON(row any) (rep any, etag string, ok bool) {
	switch v := row.(type) {
	case *dispatch.CareAddress:
		return newCareJSON(v), dispatch.ETag(v.Version), true
	case *dispatch.Team:
		return newTeamJSON(v), dispatch.ETag(v.Version), true
	case *dispatch.Volunteer:
		return volunteerJSON{Volunteer: v, Minor: v.Minor(s.now())}, dispatch.ETag(v.Version), true
	case *dispatch.Organisation:
		return v, dispatch.ETag(v.Version), true
	case *dispatch.User:
		return v, dispatch.ETag(v.Version), true
	case *dispatch.Request:
		return newRequestJSON(v), dispatch.ETag(v.Version), true
	case *dispatch.Stop:
		return v, dispatch.ETag(v.Version), true
	case *dispatch.Route:
		return newRouteJSON(v), dispatch.RouteETag(v), true
	}
	return nil, "", false
}
