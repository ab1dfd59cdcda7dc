package dispatch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention and erasure (Kazakhstan's Law on Personal Data and its
// Protection; GDPR-style practice). Personal data is kept no longer than
// it serves: team positions, the free-text notes of closed requests,
// stops and alerts, the audit trail and the events table each have a
// retention, after which a periodic purge removes them. On request a
// pensioner's data is erased everywhere at once: the care address keeps
// only what anonymous counts need (district, needs, the rounded area), and
// every copy (requests, stops, alerts, field updates, event payloads,
// imported rows, outboxes) is redacted irreversibly.

// Retention is how long each kind of data is kept; 0 keeps it forever.
type Retention struct {
	Positions    time.Duration `json:"positions"`     // team positions
	RequestNotes time.Duration `json:"request_notes"` // notes of closed requests, stops, alerts (after closing)
	Audit        time.Duration `json:"audit"`         // audit trail rows
	Events       time.Duration `json:"events"`        // events (live feed history, payloads)
	// Applications: volunteer sign-ups, counted from the decision. A
	// rejected application is deleted; an approved one loses its copy of the
	// applicant's data (the volunteer row is the record) and the guardian's
	// name and phone once the volunteer is 18 or no longer active (the
	// consent flag stays as the record that consent was given).
	Applications time.Duration `json:"applications"`
}

// DefaultRetention: positions 30 days, notes 90 days after closing, events
// 180 days, the audit trail 3 years, sign-up applications 30 days after
// the decision.
func DefaultRetention() Retention {
	return Retention{Positions: 30 * Day, RequestNotes: 90 * Day, Audit: 3 * 365 * Day, Events: 180 * Day, Applications: 30 * Day}
}

// Day is 24 hours, for retention settings.
const Day = 24 * time.Hour

// ParseRetention reads a retention such as "30d", "720h" or "0" (keep).
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 {
			return 0, fmt.Errorf("retention %q: want a whole number of days like 30d", s)
		}
		return time.Duration(d) * Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("retention %q: want e.g. 30d, 720h or 0 (keep)", s)
	}
	return d, nil
}

// PurgeResult counts what a purge removed or blanked.
type PurgeResult struct {
	Positions int64 `json:"positions"`
	Notes     int64 `json:"notes"`
	Audit     int64 `json:"audit"`
	Events    int64 `json:"events"`
	// Applications deleted (rejected) or redacted (approved).
	Applications int64 `json:"applications"`
}

// ErasureReport counts what an erasure redacted.
type ErasureReport struct {
	CareAddressID int64            `json:"care_address_id"`
	Rows          map[string]int64 `json:"rows"` // table -> rows redacted
}

// ErasedName replaces an erased person's name.
const ErasedName = "[erased]"

// PrivacyStore purges and erases.
type PrivacyStore interface {
	// PurgeExpired removes what r says is past its retention.
	PurgeExpired(ctx context.Context, r Retention) (PurgeResult, error)
	// EraseCareAddress irreversibly redacts a pensioner everywhere;
	// EFORBIDDEN unless the actor may erase (nil actor: the command line),
	// ENOTFOUND. Erasing twice is harmless.
	EraseCareAddress(ctx context.Context, actor *User, id int64) (*ErasureReport, error)
}
