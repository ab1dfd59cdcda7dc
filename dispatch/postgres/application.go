package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/qamqor/qamqor/dispatch"
)

var (
	_ dispatch.ApplicationStore = (*DB)(nil)
	_ dispatch.SignupThrottle   = (*DB)(nil)
)

// SignupOrganisations implements dispatch.ApplicationStore: every
// organisation but the headquarters takes volunteers.
func (db *DB) SignupOrganisations(ctx context.Context) ([]dispatch.Organisation, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, kind FROM organisations WHERE kind <> 'headquarters' ORDER BY name, id`)
	if err != nil {
		return nil, fmt.Errorf("signup organisations: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (dispatch.Organisation, error) {
		var o dispatch.Organisation
		err := row.Scan(&o.ID, &o.Name, &o.Kind)
		return o, err
	})
}

// SubmitApplication implements dispatch.ApplicationStore. The partial
// unique index on pending applications makes a repeat a no-op.
func (db *DB) SubmitApplication(ctx context.Context, in dispatch.ApplicationInput) error {
	if in.Languages == nil {
		in.Languages = []string{}
	}
	var ok bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations WHERE id = $1 AND kind <> 'headquarters')`,
		in.OrganisationID).Scan(&ok); err != nil {
		return fmt.Errorf("check organisation: %w", err)
	}
	if !ok {
		return dispatch.Invalid("organisation_id", "Choose an organisation from the list.")
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO volunteer_applications (organisation_id, full_name, birth_date, phone, languages,
			motivation, guardian_name, guardian_phone, guardian_consent, created_at)
		VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (organisation_id, phone_digits) WHERE status = 'pending' DO NOTHING`,
		in.OrganisationID, in.FullName, in.BirthDate, in.Phone, in.Languages, in.Motivation,
		in.GuardianName, in.GuardianPhone, in.GuardianConsent, db.Now())
	return translate(err, "Application")
}

const applicationColumns = `a.id, a.organisation_id, a.full_name, a.birth_date, a.phone, a.languages, a.motivation,
	a.guardian_name, a.guardian_phone, a.guardian_consent, a.status, a.volunteer_id, a.decided_at, a.decision_note, a.created_at`

func scanApplication(row pgx.Row, now time.Time) (*dispatch.Application, error) {
	var a dispatch.Application
	var birth time.Time
	if err := row.Scan(&a.ID, &a.OrganisationID, &a.FullName, &birth, &a.Phone, &a.Languages, &a.Motivation,
		&a.GuardianName, &a.GuardianPhone, &a.GuardianConsent, &a.Status, &a.VolunteerID, &a.DecidedAt, &a.DecisionNote, &a.CreatedAt); err != nil {
		return nil, err
	}
	a.BirthDate = birth.Format(time.DateOnly)
	a.Minor = dispatch.AgeOn(birth, now) < dispatch.AdultAge
	return &a, nil
}

// FindApplications implements dispatch.ApplicationStore.
func (db *DB) FindApplications(ctx context.Context, actor *dispatch.User, f dispatch.ApplicationFilter) ([]*dispatch.Application, error) {
	if err := dispatch.Require(actor, dispatch.ActReviewApplications); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []*dispatch.Application
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+applicationColumns+` FROM volunteer_applications a
			WHERE ($1 = '' OR a.status = $1) AND ($2::bigint IS NULL OR a.organisation_id = $2)
			ORDER BY a.status = 'pending' DESC, a.created_at, a.id LIMIT $3`, string(f.Status), dispatch.OrgScope(actor), limit)
		if err != nil {
			return fmt.Errorf("find applications: %w", err)
		}
		now := db.Now()
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (*dispatch.Application, error) { return scanApplication(row, now) })
		if err != nil {
			return fmt.Errorf("find applications: %w", err)
		}
		return auditApplicationReads(ctx, tx, actor, out)
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []*dispatch.Application{}
	}
	return out, nil
}

// auditApplicationReads writes one "read" audit row per application shown
// to actor (source address from the request's origin), naming the fields
// read, never their values: the applicant's name, birth date and phone,
// and for a minor the guardian's name and phone.
func auditApplicationReads(ctx context.Context, tx pgx.Tx, actor *dispatch.User, apps []*dispatch.Application) error {
	if len(apps) == 0 {
		return nil
	}
	ids := make([]int64, len(apps))
	details := make([]string, len(apps))
	for i, a := range apps {
		ids[i] = a.ID
		details[i] = "application viewed: name, birth date, phone"
		if a.GuardianName != "" || a.GuardianPhone != "" {
			details[i] += ", guardian name, guardian phone"
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (user_id, action, object_type, object_id, detail)
		SELECT $1, 'read', 'application', r.id, r.detail FROM unnest($2::bigint[], $3::text[]) AS r(id, detail)`,
		actorID(actor), ids, details); err != nil {
		return fmt.Errorf("audit application reads n=%d: %w", len(apps), err)
	}
	return nil
}

// DecideApplication implements dispatch.ApplicationStore.
func (db *DB) DecideApplication(ctx context.Context, actor *dispatch.User, id int64, in dispatch.DecisionInput) (*dispatch.Application, error) {
	if err := dispatch.Require(actor, dispatch.ActReviewApplications); err != nil {
		return nil, err
	}
	if err := in.Normalize(); err != nil {
		return nil, err
	}
	var out *dispatch.Application
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		now := db.Now()
		a, err := scanApplication(tx.QueryRow(ctx, `SELECT `+applicationColumns+` FROM volunteer_applications a WHERE a.id = $1 FOR UPDATE`, id), now)
		if err != nil {
			return translate(err, "Application")
		}
		// Another organisation's application is "not found" for a
		// coordinator: its existence is not theirs to learn.
		if !dispatch.InOrgScope(actor, a.OrganisationID) {
			return dispatch.Errorf(dispatch.ENOTFOUND, "Application not found.")
		}
		if a.Status != dispatch.ApplicationPending {
			return dispatch.Errorf(dispatch.ECONFLICT, "Application %d is already %s.", id, a.Status)
		}
		status := dispatch.ApplicationRejected
		if in.Approve {
			status = dispatch.ApplicationApproved
			birth, _ := time.Parse(time.DateOnly, a.BirthDate)
			var vid int64
			if err := tx.QueryRow(ctx, `INSERT INTO volunteers (full_name, birth_year, languages, phone, organisation_id, active)
				VALUES ($1, $2, $3, $4, $5, true) RETURNING id`, a.FullName, birth.Year(), a.Languages, a.Phone, a.OrganisationID).Scan(&vid); err != nil {
				return translate(err, "Volunteer")
			}
			a.VolunteerID = &vid
		}
		if _, err := tx.Exec(ctx, `UPDATE volunteer_applications SET status = $2, volunteer_id = $3, decided_by = $4, decided_at = $5, decision_note = $6
			WHERE id = $1`, id, status, a.VolunteerID, actorID(actor), now, in.Note); err != nil {
			return fmt.Errorf("decide application id=%d: %w", id, err)
		}
		a.Status, a.DecidedAt, a.DecisionNote = status, &now, in.Note
		out = a
		_, err = appendEvent(ctx, tx, "application.decided", "application", id, nil,
			map[string]any{"id": id, "status": status, "organisation_id": a.OrganisationID, "volunteer_id": a.VolunteerID})
		return err
	})
	return out, err
}

// TakeSignup implements dispatch.SignupThrottle in PostgreSQL, so every
// server instance counts against the same limit: per posts per window for
// client (fixed windows starting at the first post). It returns 0 when the
// post may go ahead (and counts it), else how long until the window ends
// (the post is not counted). Counters of ended windows are deleted.
func (db *DB) TakeSignup(ctx context.Context, client string, now time.Time, per int, window time.Duration) (time.Duration, error) {
	var wait time.Duration
	err := db.inTx(ctx, func(tx pgx.Tx) error {
		wait = 0
		if _, err := tx.Exec(ctx, `DELETE FROM signup_throttle WHERE window_start <= $1`, now.Add(-window)); err != nil {
			return fmt.Errorf("signup throttle: %w", err)
		}
		var start time.Time
		err := tx.QueryRow(ctx, `INSERT INTO signup_throttle AS st (client, window_start, posts) VALUES ($1, $2, 1)
			ON CONFLICT (client) DO UPDATE SET posts = st.posts + 1 WHERE st.posts < $3
			RETURNING window_start`, client, now, per).Scan(&start)
		if err == nil {
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("signup throttle: %w", err)
		}
		if err := tx.QueryRow(ctx, `SELECT window_start FROM signup_throttle WHERE client = $1`, client).Scan(&start); err != nil {
			return fmt.Errorf("signup throttle: %w", err)
		}
		wait = start.Add(window).Sub(now)
		return nil
	})
	return wait, err
}
