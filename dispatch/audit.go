package dispatch

import (
	"context"
	"time"
)

// The audit trail records who did or read what: every state change (each
// event writes a row, see migrations/0021_audit.sql) and every read of
// personal data (pensioners, and volunteers' phones and birth years). It is
// append-only; only the retention purge removes rows older than the
// configured retention.

// Origin is who a request acts for and where it came from; the web layer
// attaches it to the request context and the store writes it into every
// event and audit row of the request's transactions.
type Origin struct {
	ActorID int64  // 0 when not logged in (a login attempt)
	Source  string // the client's address
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin attached to ctx, if any.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	ID         int64     `json:"id"`
	At         time.Time `json:"at"`
	ActorID    *int64    `json:"actor_id,omitempty"`
	Actor      string    `json:"actor"` // username, "" for the system
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   *int64    `json:"object_id,omitempty"`
	Source     string    `json:"source"`
	Detail     string    `json:"detail"`
}

// AuditFilter narrows a search of the audit trail. Zero fields match all.
type AuditFilter struct {
	Actor      string // username
	Action     string // prefix, e.g. "read" or "request."
	ObjectType string
	ObjectID   int64
	From, To   time.Time // To exclusive
	Limit      int
	Offset     int
}

// MaxAuditPage is the most rows one search returns (CSV exports page).
const MaxAuditPage = 1000

// Normalize applies the default and maximum page size.
func (f *AuditFilter) Normalize() error {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	if f.Limit > MaxAuditPage {
		f.Limit = MaxAuditPage
	}
	if f.Offset < 0 {
		return Invalid("offset", "offset must be 0 or more.")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return Invalid("to", "to must be after from.")
	}
	return nil
}

// ActViewAudit is reading the audit trail (admins).
const ActViewAudit Action = "audit.view"

// AuditStore searches the audit trail.
type AuditStore interface {
	// FindAudit returns the matching rows, newest first, and their total;
	// EFORBIDDEN unless the actor may view the audit trail. The search
	// itself is audited.
	FindAudit(ctx context.Context, actor *User, f AuditFilter) ([]AuditEntry, int, error)
	// RecordReads audits that actor read the personal data of these
	// objects (one row each); detail names the fields, never their values.
	RecordReads(ctx context.Context, actor *User, objectType string, ids []int64, detail string) error
}

// ActErase is erasing a person's data (admins).
const ActErase Action = "privacy.erase"
