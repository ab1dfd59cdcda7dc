package postgres_test

import (
	"context"
	"testing"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestPurgeApplications checks the sign-up applications' retention: a
// rejected application is deleted once its decision is older than the
// retention; an approved one keeps no copy of the applicant's data (the
// volunteer row is the record) and keeps the guardian's name and phone only
// while the volunteer is an active minor; pending and recent ones stay.
func TestPurgeApplications(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	org := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('A', 'volunteer_org') RETURNING id`)
	vol := func(name string, year int) int64 {
		return mustExecID(t, db, `INSERT INTO volunteers (full_name, birth_year, organisation_id, active) VALUES ($1, $2, $3, true) RETURNING id`, name, year, org)
	}
	app := func(status, birth string, volunteer *int64, decidedDaysAgo int, guardian bool) int64 {
		gName, gPhone := "", ""
		if guardian {
			gName, gPhone = "Aigul Serik", "+7 701 000 0000"
		}
		return mustExecID(t, db, `INSERT INTO volunteer_applications (organisation_id, full_name, birth_date, phone, motivation,
				guardian_name, guardian_phone, guardian_consent, status, volunteer_id, decided_at, decision_note, created_at)
			VALUES ($1, 'Dana Serik', $2::date, '+7 701 234 5678', 'I like helping', $3, $4, $5, $6, $7,
				CASE WHEN $6 = 'pending' THEN NULL ELSE now() - make_interval(days => $8) END, 'note', now() - make_interval(days => $8 + 1))
			RETURNING id`, org, birth, gName, gPhone, guardian, status, volunteer, decidedDaysAgo)
	}
	oldRejected := app("rejected", "2011-03-01", nil, 100, true)
	newRejected := app("rejected", "2011-03-01", nil, 10, true)
	oldPending := app("pending", "2011-03-01", nil, 400, true)
	adultV, minorV, grownV, recentV := vol("Erlan", 1990), vol("Dana", 2012), vol("Aruzhan", 2007), vol("Bolat", 2011)
	adult := app("approved", "1990-05-05", &adultV, 100, false)
	minor := app("approved", "2012-06-01", &minorV, 100, true)
	grown := app("approved", "2007-01-01", &grownV, 100, true) // a minor when approved, 18 now
	recent := app("approved", "2011-03-01", &recentV, 10, true)

	res, err := db.PurgeExpired(ctx, dispatch.Retention{Applications: 30 * dispatch.Day})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applications != 4 {
		t.Errorf("purged %+v, want 4 applications (1 deleted, 3 redacted)", res)
	}
	type row struct {
		name, phone, motivation, note, gName, gPhone string
		consent                                      bool
		status                                       string
		volunteer                                    *int64
	}
	get := func(id int64) (row, bool) {
		var r row
		err := db.Pool().QueryRow(ctx, `SELECT full_name, phone, motivation, decision_note, guardian_name, guardian_phone, guardian_consent, status, volunteer_id
			FROM volunteer_applications WHERE id = $1`, id).Scan(&r.name, &r.phone, &r.motivation, &r.note, &r.gName, &r.gPhone, &r.consent, &r.status, &r.volunteer)
		if err != nil {
			return r, false
		}
		return r, true
	}
	if _, ok := get(oldRejected); ok {
		t.Errorf("a rejection older than the retention is kept")
	}
	for _, id := range []int64{newRejected, oldPending, recent} {
		r, ok := get(id)
		if !ok || r.name == "" || r.phone == "" || r.gName == "" || r.gPhone == "" {
			t.Errorf("application %d: %+v (found %v), want untouched", id, r, ok)
		}
	}
	for _, id := range []int64{adult, minor, grown} {
		r, ok := get(id)
		if !ok {
			t.Fatalf("approved application %d deleted, want kept as the record of approval", id)
		}
		if r.name != "" || r.phone != "" || r.motivation != "" || r.note != "" {
			t.Errorf("approved application %d keeps the applicant's data %+v past the retention", id, r)
		}
		if r.status != "approved" || r.volunteer == nil {
			t.Errorf("approved application %d lost its decision: %+v", id, r)
		}
	}
	if r, _ := get(minor); r.gName == "" || r.gPhone == "" || !r.consent {
		t.Errorf("the guardian of an active minor volunteer was forgotten: %+v", r)
	}
	if r, _ := get(grown); r.gName != "" || r.gPhone != "" || !r.consent {
		t.Errorf("the guardian of a now adult volunteer is kept: %+v, want name and phone blank, the consent kept", r)
	}
	// The minor leaves: the guardian's contact goes at the next purge.
	mustExecSQL(t, db, `UPDATE volunteers SET active = false WHERE id = $1`, minorV)
	if res, err := db.PurgeExpired(ctx, dispatch.Retention{Applications: 30 * dispatch.Day}); err != nil || res.Applications != 1 {
		t.Errorf("second purge %+v (%v), want the departed minor's guardian only", res, err)
	}
	if r, _ := get(minor); r.gName != "" || r.gPhone != "" {
		t.Errorf("the guardian of an inactive volunteer is kept: %+v", r)
	}
	if res, err := db.PurgeExpired(ctx, dispatch.Retention{Applications: 30 * dispatch.Day}); err != nil || res.Applications != 0 {
		t.Errorf("third purge %+v (%v), want nothing left to do", res, err)
	}
	// Zero retention keeps applications.
	if res, err := db.PurgeExpired(ctx, dispatch.Retention{}); err != nil || res.Applications != 0 {
		t.Errorf("purge with no retention %+v (%v)", res, err)
	}
}
