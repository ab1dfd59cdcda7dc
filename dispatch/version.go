package dispatch

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
)

// Optimistic concurrency. Every editable row (organisations, volunteers,
// teams, users, care addresses, requests, routes, stops) carries a Version
// that the database raises by one whenever a column someone edits changes
// (migrations/0015_versions.sql). A writer states the version it read; the
// store applies the write only if the row still has it, and otherwise
// returns EPRECONDITION with the current version, so no edit is lost without
// its author being told. The web layer carries versions as ETag/If-Match.

// Version is a row's edit counter; it starts at 1. The zero Version means
// "no precondition" where a precondition is optional (stop moves, locks,
// request status changes) and is refused where one is required (updates of
// whole registry rows).
type Version int64

// AnyVersion is a deliberate overwrite (If-Match: *): it passes every check.
const AnyVersion Version = -1

// Extra error codes of optimistic concurrency, mapped to 412 and 428.
const (
	// EPRECONDITION: the row changed since the client read it.
	EPRECONDITION = "precondition_failed"
	// EPRECONDITIONREQUIRED: an update that replaces a whole row came
	// without the version it was based on.
	EPRECONDITIONREQUIRED = "precondition_required"
)

// Stale returns the EPRECONDITION error for a write based on an old version
// of what (e.g. "Care address") id; Detail carries current_version.
func Stale(what string, id int64, current Version) *Error {
	return Errorf(EPRECONDITION, "%s %d was changed by someone else (now version %d). Reload it to see the change, or save again to overwrite it.",
		Thing(what), id, current).WithDetail(map[string]any{"current_version": current})
}

// CheckVersion returns Stale when the expected version is set and differs
// from the current one; expect 0 passes (no precondition).
func CheckVersion(what string, id int64, expect, current Version) error {
	if expect != 0 && expect != AnyVersion && expect != current {
		return Stale(what, id, current)
	}
	return nil
}

// RequireVersion is CheckVersion for writes that replace a whole row: the
// expected version is mandatory, so a client can never overwrite blindly.
func RequireVersion(what string, id int64, expect, current Version) error {
	if expect == 0 {
		e := Errorf(EPRECONDITIONREQUIRED, "%s %d can only be saved with the version you edited: send If-Match with the ETag you read (now %s).",
			Thing(what), id, ETag(current))
		e.Field = "If-Match"
		return e
	}
	return CheckVersion(what, id, expect, current)
}

// ETag is the entity tag of a row at version v: the version in quotes.
func ETag(v Version) string { return `"` + strconv.FormatInt(int64(v), 10) + `"` }

// RouteETag is the entity tag of a route with its stops: the route's own
// version plus a digest of each listed stop's id, version, place and status,
// so moving, reordering, locking or marking any of its stops changes it
// without writing to the route row.
func RouteETag(r *Route) string {
	// By stop id, so the order the stops were read in does not matter
	// (their places are in the digest through seq).
	stops := slices.Clone(r.Stops)
	slices.SortFunc(stops, func(a, b Stop) int { return cmp.Compare(a.ID, b.ID) })
	h := fnv.New64a()
	for _, s := range stops {
		fmt.Fprintf(h, "%d:%d:%d:%s;", s.ID, s.Version, s.Seq, s.Status)
	}
	return fmt.Sprintf(`"%d.%x"`, r.Version, h.Sum64())
}

// ParseIfMatch reads an If-Match header value holding one ETag as issued by
// ETag. It returns 0 for an empty header and AnyVersion for "*". A weak tag
// W/"3" is read as "3" (a proxy may weaken our tags).
func ParseIfMatch(h string) (Version, error) {
	h = strings.TrimSpace(h)
	switch h {
	case "":
		return 0, nil
	case "*":
		return AnyVersion, nil
	}
	h = strings.TrimPrefix(h, "W/")
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || v <= 0 || !strings.HasPrefix(h, `"`) || !strings.HasSuffix(h, `"`) {
		return 0, Invalid("If-Match", "If-Match must be one ETag as this server sent it, e.g. \"3\".")
	}
	return Version(v), nil
}
