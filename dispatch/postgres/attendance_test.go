package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// TestAttendanceFlow runs a route from start to confirmation: the roster
// is checked in at the start, a volunteer leaves early, the finish checks
// out the rest, the lead cannot edit once confirmed and the figures count
// only from the confirmation on.
func TestAttendanceFlow(t *testing.T) {
	ctx := context.Background()
	f := newExecFixture(t)
	org := mustExecID(t, f.db, `SELECT organisation_id FROM teams WHERE id = $1`, f.teamID)
	other := mustExecID(t, f.db, `INSERT INTO organisations (name, kind) VALUES ('Other', 'ngo') RETURNING id`)
	coord := &dispatch.User{ID: mustExecID(t, f.db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('c', 'x', 'coordinator', $1) RETURNING id`, org),
		Role: dispatch.RoleCoordinator, OrganisationID: &org, Active: true}
	otherCoord := &dispatch.User{ID: mustExecID(t, f.db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('o', 'x', 'coordinator', $1) RETURNING id`, other),
		Role: dispatch.RoleCoordinator, OrganisationID: &other, Active: true}
	a, b := f.volunteers[0], f.volunteers[1]

	t0 := f.now
	if _, err := f.db.StartRoute(ctx, f.lead, f.routeID, dispatch.StartInput{PresentVolunteerIDs: []int64{a, b}, IdempotencyKey: "s1"}); err != nil {
		t.Fatal(err)
	}
	sheet, err := f.db.FindAttendance(ctx, f.lead, f.routeID)
	if err != nil {
		t.Fatal(err)
	}
	if len(sheet.Rows) != 2 || !sheet.Rows[0].CheckIn.Equal(t0) || sheet.Rows[0].CheckOut != nil {
		t.Fatalf("after start: %+v, want both checked in at %s", sheet.Rows, t0)
	}
	if _, err := f.db.FindAttendance(ctx, otherCoord, f.routeID); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("other organisation's coordinator sees the attendance: err=%v", err)
	}
	if _, err := f.db.FindAttendance(ctx, f.otherLead, f.routeID); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("another team's lead sees the attendance: err=%v", err)
	}

	// b leaves after 40 minutes.
	f.now = t0.Add(40 * time.Minute)
	out := f.now
	if _, err := f.db.SaveAttendance(ctx, f.lead, f.routeID, b, dispatch.AttendanceInput{CheckIn: &t0, CheckOut: &out}); err != nil {
		t.Fatal(err)
	}
	future := f.now.Add(time.Hour)
	if _, err := f.db.SaveAttendance(ctx, f.lead, f.routeID, b, dispatch.AttendanceInput{CheckIn: &t0, CheckOut: &future}); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("check-out in the future: err=%v, want invalid", err)
	}
	if _, err := f.db.SaveAttendance(ctx, f.lead, f.routeID, f.outsider, dispatch.AttendanceInput{CheckIn: &t0}); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("a volunteer of another team: err=%v, want invalid", err)
	}
	if _, err := f.db.ConfirmAttendance(ctx, coord, f.routeID); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("confirm before finish: err=%v, want conflict", err)
	}

	f.now = t0.Add(2 * time.Hour)
	if _, err := f.db.FinishRoute(ctx, f.lead, f.routeID, dispatch.FinishInput{Force: true, IdempotencyKey: "f1"}); err != nil {
		t.Fatal(err)
	}
	day := dispatch.LocalDate(t0)
	rng := mustRange(t, day, day)
	hours, err := f.db.HoursFor(ctx, rng, nil, a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hours {
		if h.Seconds != 0 {
			t.Errorf("volunteer %d has %d s before confirmation, want 0", h.VolunteerID, h.Seconds)
		}
	}
	if _, err := f.db.ConfirmAttendance(ctx, otherCoord, f.routeID); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("other organisation's coordinator confirms: err=%v, want forbidden", err)
	}
	if _, err := f.db.ConfirmAttendance(ctx, f.lead, f.routeID); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("the lead confirms: err=%v, want forbidden", err)
	}
	if _, err := f.db.ConfirmAttendance(ctx, coord, f.routeID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.SaveAttendance(ctx, f.lead, f.routeID, b, dispatch.AttendanceInput{CheckIn: &t0, CheckOut: &out}); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("edit after confirmation: err=%v, want conflict", err)
	}
	hours, err = f.db.HoursFor(ctx, rng, nil, a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]int64{a: 7200, b: 2400}
	for _, h := range hours {
		if h.Seconds != want[h.VolunteerID] {
			t.Errorf("volunteer %d: %d s, want %d", h.VolunteerID, h.Seconds, want[h.VolunteerID])
		}
	}
	if len(hours) != 2 {
		t.Errorf("hours for %d volunteers, want 2", len(hours))
	}
}

// TestApplications covers the sign-up rules in the store: a repeat stores
// nothing and answers the same, approval creates the volunteer in the
// applicant's organisation, and a coordinator sees and decides only their
// organisation's applications.
func TestApplications(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	hq := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('HQ', 'headquarters') RETURNING id`)
	orgA := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('A', 'volunteer_org') RETURNING id`)
	orgB := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('B', 'volunteer_org') RETURNING id`)
	coordA := &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('ca', 'x', 'coordinator', $1) RETURNING id`, orgA),
		Role: dispatch.RoleCoordinator, OrganisationID: &orgA, Active: true}
	coordB := &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('cb', 'x', 'coordinator', $1) RETURNING id`, orgB),
		Role: dispatch.RoleCoordinator, OrganisationID: &orgB, Active: true}

	orgs, err := db.SignupOrganisations(ctx)
	if err != nil || len(orgs) != 2 {
		t.Fatalf("SignupOrganisations=%+v err=%v, want A and B (not the headquarters)", orgs, err)
	}
	in := dispatch.ApplicationInput{OrganisationID: orgA, FullName: "Dana Serik", BirthDate: "2011-03-01", Phone: "+7 701 234 5678",
		GuardianName: "Aigul Serik", GuardianPhone: "+7 701 000 0000", GuardianConsent: true, Consent: true, Languages: []string{"kk"}}
	if err := in.Normalize(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		again := in
		if i == 1 {
			again.Phone = "+7 (701) 234-5678" // the same digits, typed differently
		}
		if err := db.SubmitApplication(ctx, again); err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	if n := countRows(t, db, "volunteer_applications"); n != 1 {
		t.Errorf("applications=%d after a repeat, want 1", n)
	}
	hqIn := in
	hqIn.OrganisationID = hq
	if err := db.SubmitApplication(ctx, hqIn); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("applying to the headquarters: err=%v, want invalid", err)
	}
	if n := countRows(t, db, "volunteers"); n != 0 {
		t.Fatalf("volunteers=%d before approval, want 0", n)
	}

	listB, err := db.FindApplications(ctx, coordB, dispatch.ApplicationFilter{})
	if err != nil || len(listB) != 0 {
		t.Errorf("coordinator B sees %d applications (err %v), want none", len(listB), err)
	}
	listA, err := db.FindApplications(ctx, coordA, dispatch.ApplicationFilter{Status: dispatch.ApplicationPending})
	if err != nil || len(listA) != 1 || !listA[0].Minor || listA[0].GuardianName != "Aigul Serik" {
		t.Fatalf("coordinator A sees %+v (err %v), want the minor's application with the guardian", listA, err)
	}
	id := listA[0].ID
	if _, err := db.DecideApplication(ctx, coordB, id, dispatch.DecisionInput{Approve: true}); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("coordinator B decides A's application: err=%v, want not found", err)
	}
	a, err := db.DecideApplication(ctx, coordA, id, dispatch.DecisionInput{Approve: true, Note: "welcome"})
	if err != nil {
		t.Fatal(err)
	}
	if a.VolunteerID == nil || a.Status != dispatch.ApplicationApproved {
		t.Fatalf("decided %+v, want approved with a volunteer", a)
	}
	var org int64
	var year int
	if err := db.Pool().QueryRow(ctx, `SELECT organisation_id, birth_year FROM volunteers WHERE id = $1`, *a.VolunteerID).Scan(&org, &year); err != nil {
		t.Fatal(err)
	}
	if org != orgA || year != 2011 {
		t.Errorf("volunteer org=%d birth_year=%d, want %d and 2011", org, year, orgA)
	}
	if _, err := db.DecideApplication(ctx, coordA, id, dispatch.DecisionInput{Approve: false}); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
		t.Errorf("deciding twice: err=%v, want conflict", err)
	}
	// After a decision the same person may apply again.
	if err := db.SubmitApplication(ctx, in); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, db, "volunteer_applications"); n != 2 {
		t.Errorf("applications=%d, want 2", n)
	}
}

// TestCoordinatorIsolation checks that a coordinator's registry reads and
// writes stay inside their organisation.
func TestCoordinatorIsolation(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	orgA := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('A', 'volunteer_org') RETURNING id`)
	orgB := mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('B', 'volunteer_org') RETURNING id`)
	teamA := mustExecTeam(t, db, orgA, "Team A", 5)
	teamB := mustExecTeam(t, db, orgB, "Team B", 5)
	va := mustExecVolunteer(t, db, orgA, teamA, "Aruzhan A")
	vb := mustExecVolunteer(t, db, orgB, teamB, "Bolat B")
	mustExecSQL(t, db, `UPDATE volunteers SET phone = '+77010000002' WHERE id = $1`, vb)
	coordA := &dispatch.User{ID: 1, Role: dispatch.RoleCoordinator, OrganisationID: &orgA, Active: true}

	scope := dispatch.OrgScope(coordA)
	vs, total, err := db.FindVolunteers(ctx, dispatch.Page{Org: scope})
	if err != nil || total != 1 || len(vs) != 1 || vs[0].ID != va {
		t.Errorf("volunteers seen: %d (total %d, err %v), want only %d", len(vs), total, err, va)
	}
	for _, v := range vs {
		if v.Phone == "+77010000002" {
			t.Error("coordinator A sees B's volunteer's phone")
		}
	}
	ts, total, err := db.FindTeamsPage(ctx, dispatch.Page{Org: scope})
	if err != nil || total != 1 || len(ts) != 1 || ts[0].ID != teamA {
		t.Errorf("teams seen: %d (total %d, err %v), want only %d", len(ts), total, err, teamA)
	}
	orgs, _, err := db.FindOrganisations(ctx, dispatch.Page{Org: scope})
	if err != nil || len(orgs) != 1 || orgs[0].ID != orgA {
		t.Errorf("organisations seen: %+v (err %v), want only A", orgs, err)
	}
	// Editing B's volunteer, even moving them to A, is not found; creating
	// a volunteer in B is forbidden.
	steal := &dispatch.Volunteer{ID: vb, FullName: "Bolat B", BirthYear: 2000, OrganisationID: orgA, Active: true, Version: dispatch.AnyVersion}
	if err := db.SaveVolunteer(ctx, coordA, steal); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("moving B's volunteer: err=%v, want not found", err)
	}
	if err := db.SaveVolunteer(ctx, coordA, &dispatch.Volunteer{FullName: "New", BirthYear: 2000, OrganisationID: orgB, Active: true}); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("creating in B: err=%v, want forbidden", err)
	}
	if err := db.SaveVolunteer(ctx, coordA, &dispatch.Volunteer{FullName: "New A", BirthYear: 2009, OrganisationID: orgA, Active: true}); err != nil {
		t.Errorf("creating in A: %v", err)
	}
	// A team of A may not take B's volunteer.
	tA, err := db.FindTeamByID(ctx, teamA)
	if err != nil {
		t.Fatal(err)
	}
	tA.MemberIDs = append(tA.MemberIDs, vb)
	if err := db.SaveTeam(ctx, coordA, tA); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Errorf("adding B's volunteer to A's team: err=%v, want invalid", err)
	}
	// Routes: only A's teams'.
	mustExecSQL(t, db, `INSERT INTO routes (team_id, day, status) VALUES ($1, '2026-01-12', 'published'), ($2, '2026-01-12', 'published'), ($1, '2026-01-12', 'draft')`, teamA, teamB)
	f, err := dispatch.ScopeRouteFilter(coordA, dispatch.RouteFilter{Day: "2026-01-12"})
	if err != nil {
		t.Fatal(err)
	}
	routes, err := db.FindRoutes(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) != 1 || routes[0].TeamID != teamA {
		t.Errorf("routes seen %d, want A's one published route", len(routes))
	}
}

func TestPendingAttendance(t *testing.T) {
	ctx := context.Background()
	f := newHoursFixture(t)
	f.db.Now = func() time.Time { return at("2026-01-20", "12:00") }
	for _, tc := range []struct {
		name string
		who  *dispatch.User
		want []int64
	}{
		{"OwnOrganisation", f.coordA, []int64{f.finishedUnconfirm}},
		{"OtherOrganisation", f.coordB, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sheets, err := f.db.PendingAttendance(ctx, tc.who)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for _, s := range sheets {
				got = append(got, s.RouteID)
			}
			if len(got) != len(tc.want) || (len(got) == 1 && got[0] != tc.want[0]) {
				t.Errorf("pending routes %v, want %v", got, tc.want)
			}
		})
	}
}
