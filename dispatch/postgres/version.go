package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

// Optimistic concurrency in the store: versions are raised by the triggers
// of migrations/0015_versions.sql; the store compares them with what the
// client read (dispatch.CheckVersion, dispatch.RequireVersion) while it
// holds the row's lock, and a stale write returns EPRECONDITION with the
// current row in Detail["current"], so the client can show what changed.

// versioned names a table with a version column, what its rows are called
// in messages, and how to read a row as the actor may see it.
type versioned struct {
	table, what string
	current     func(ctx context.Context, tx pgx.Tx, actor *dispatch.User, id int64) (any, error)
}

var (
	versionedOrganisation = versioned{"organisations", "Organisation", currentOrganisation}
	versionedVolunteer    = versioned{"volunteers", "Volunteer", currentVolunteer}
	versionedTeam         = versioned{"teams", "Team", currentTeam}
	versionedCare         = versioned{"care_addresses", "Care address", currentCare}
	versionedUser         = versioned{"users", "User", currentUser}
	versionedRequest      = versioned{"requests", "Request", currentRequest}
	versionedStop         = versioned{"stops", "Stop", currentStop}
)

// lockVersion locks row id of t for update and checks that the version the
// client edited is still the current one with dispatch.RequireVersion: an
// update without a version (EPRECONDITIONREQUIRED) or based on an old one
// (EPRECONDITION, with the current row) changes nothing.
func lockVersion(ctx context.Context, tx pgx.Tx, actor *dispatch.User, t versioned, id int64, expect dispatch.Version) error {
	var cur dispatch.Version
	// t.table is one of the constants above, never input.
	if err := tx.QueryRow(ctx, `SELECT version FROM `+t.table+` WHERE id = $1 FOR UPDATE`, id).Scan(&cur); err != nil {
		return translate(err, fmt.Sprintf("%s %d", t.what, id))
	}
	return withCurrent(ctx, tx, actor, t, id, dispatch.RequireVersion(t.what, id, expect, cur))
}

// withCurrent adds the current row of t to an EPRECONDITION error; other
// errors pass unchanged.
func withCurrent(ctx context.Context, tx pgx.Tx, actor *dispatch.User, t versioned, id int64, err error) error {
	var e *dispatch.Error
	if !errors.As(err, &e) || e.Code != dispatch.EPRECONDITION {
		return err
	}
	row, cerr := t.current(ctx, tx, actor, id)
	if cerr != nil {
		return fmt.Errorf("read current %s id=%d: %w", t.table, id, cerr)
	}
	detail := map[string]any{"current": row}
	for k, v := range e.Detail {
		detail[k] = v
	}
	e.Detail = detail
	return e
}

func currentOrganisation(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	var o dispatch.Organisation
	err := tx.QueryRow(ctx, `SELECT id, version, name, kind, phone FROM organisations WHERE id = $1`, id).
		Scan(&o.ID, &o.Version, &o.Name, &o.Kind, &o.Phone)
	return &o, err
}

func currentVolunteer(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	var v dispatch.Volunteer
	err := tx.QueryRow(ctx, `SELECT id, version, full_name, birth_year, languages, phone, organisation_id, active FROM volunteers WHERE id = $1`, id).
		Scan(&v.ID, &v.Version, &v.FullName, &v.BirthYear, &v.Languages, &v.Phone, &v.OrganisationID, &v.Active)
	return &v, err
}

func currentTeam(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	return scanTeam(tx.QueryRow(ctx, `SELECT `+teamColumns+` FROM teams t WHERE t.id = $1`, id))
}

// currentCare reads a care address as the actor may see it: redacted
// without ActViewPersonal, otherwise in full and audited as a read.
func currentCare(ctx context.Context, tx pgx.Tx, actor *dispatch.User, id int64) (any, error) {
	c, err := scanCare(tx.QueryRow(ctx, `SELECT `+careColumns+` FROM care_addresses c WHERE c.id = $1`, id))
	if err != nil {
		return nil, err
	}
	if !actor.Can(dispatch.ActViewPersonal) {
		r := c.Redacted()
		return &r, nil
	}
	return c, audit(ctx, tx, actor, dispatch.AuditRead, id, "care address viewed after a conflicting edit")
}

func currentUser(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	return scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
}

func currentRequest(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	return scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests r WHERE r.id = $1`, id))
}

func currentStop(ctx context.Context, tx pgx.Tx, _ *dispatch.User, id int64) (any, error) {
	var s dispatch.Stop
	err := execScanStop(tx.QueryRow(ctx, `SELECT `+execStopColumns+` FROM stops s JOIN requests r ON r.id = s.request_id WHERE s.id = $1`, id), &s)
	return &s, err
}
