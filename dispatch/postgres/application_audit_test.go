package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestApplicationReadsAudited checks that listing sign-up applications (the
// applicants' and minors' guardians' names and phones) writes one audit row
// per application read, with the actor, the action, the object and the
// source address, and never the values themselves.
func TestApplicationReadsAudited(t *testing.T) {
	db := pgtest.MustOpen(t)
	orgA := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('A', 'volunteer_org') RETURNING id`)
	orgB := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('B', 'volunteer_org') RETURNING id`)
	coordA := &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('ca', 'x', 'coordinator', $1) RETURNING id`, orgA),
		Role: dispatch.RoleCoordinator, OrganisationID: &orgA, Active: true}
	coordB := &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('cb', 'x', 'coordinator', $1) RETURNING id`, orgB),
		Role: dispatch.RoleCoordinator, OrganisationID: &orgB, Active: true}
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	minor := dispatch.ApplicationInput{OrganisationID: orgA, FullName: "Dana Serik", BirthDate: "2011-03-01", Phone: "+7 701 234 5678",
		GuardianName: "Aigul Serik", GuardianPhone: "+7 701 000 0000", GuardianConsent: true, Consent: true}
	adult := dispatch.ApplicationInput{OrganisationID: orgA, FullName: "Erlan Ospan", BirthDate: "1990-05-05", Phone: "+7 702 111 2233", Consent: true}
	for _, in := range []dispatch.ApplicationInput{minor, adult} {
		if err := in.Normalize(now); err != nil {
			t.Fatal(err)
		}
		if err := db.SubmitApplication(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	ctx := dispatch.WithOrigin(context.Background(), dispatch.Origin{ActorID: coordA.ID, Source: "203.0.113.7"})
	if list, err := db.FindApplications(ctx, coordB, dispatch.ApplicationFilter{}); err != nil || len(list) != 0 {
		t.Fatalf("coordinator B: %d applications, err %v", len(list), err)
	}
	if n := execCount(t, db, `SELECT count(*) FROM audit_log WHERE object_type = 'application'`); n != 0 {
		t.Errorf("%d audit rows after reading nothing, want 0", n)
	}
	list, err := db.FindApplications(ctx, coordA, dispatch.ApplicationFilter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("coordinator A: %d applications, err %v", len(list), err)
	}
	rows, err := db.Pool().Query(ctx, `SELECT user_id, action, object_id, source, detail FROM audit_log WHERE object_type = 'application' ORDER BY object_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := map[int64]string{}
	for rows.Next() {
		var uid, obj int64
		var action, source, detail string
		if err := rows.Scan(&uid, &action, &obj, &source, &detail); err != nil {
			t.Fatal(err)
		}
		if uid != coordA.ID || action != "read" || source != "203.0.113.7" {
			t.Errorf("audit row user=%d action=%q source=%q, want %d read 203.0.113.7", uid, action, source, coordA.ID)
		}
		for _, v := range []string{"Dana", "Aigul", "Erlan", "701", "702"} {
			if strings.Contains(detail, v) {
				t.Errorf("audit detail %q holds the value %q", detail, v)
			}
		}
		seen[obj] = detail
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("audited applications %v, want both read", seen)
	}
	for _, a := range list {
		d, ok := seen[a.ID]
		if !ok {
			t.Errorf("application %d read but not audited", a.ID)
		}
		if hasGuardian := strings.Contains(d, "guardian"); hasGuardian != a.Minor {
			t.Errorf("application %d (minor %v) audited as %q: the guardian's data is named iff it was read", a.ID, a.Minor, d)
		}
	}
}
