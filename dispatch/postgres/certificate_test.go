package postgres_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// hoursFixture is two organisations, a volunteer (v) on two teams of org A
// whose routes overlap, run past the daily cap, cross midnight, include an
// unconfirmed route and one before the range, and a volunteer (w) who left
// a route early.
type hoursFixture struct {
	db                *postgres.DB
	orgA, orgB        int64
	teamA1, teamA2    int64
	v, w              int64
	coordA, coordB    *dispatch.User
	rows              []fixtureRow // every attendance row inserted
	doneStops         []fixtureStop
	finishedUnconfirm int64
}

type fixtureRow struct {
	route     int64
	volunteer int64
	in, out   time.Time
	confirmed bool
}

type fixtureStop struct {
	route  int64
	doneAt time.Time
}

func newHoursFixture(t *testing.T) *hoursFixture {
	t.Helper()
	db := pgtest.MustOpen(t)
	f := &hoursFixture{db: db}
	f.orgA = mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Jas Qanat', 'volunteer_org') RETURNING id`)
	f.orgB = mustExecID(t, db, `INSERT INTO organisations (name, kind) VALUES ('Other Org', 'ngo') RETURNING id`)
	f.teamA1 = mustExecTeam(t, db, f.orgA, "A1", 10)
	f.teamA2 = mustExecTeam(t, db, f.orgA, "A2", 10)
	f.v = mustExecVolunteer(t, db, f.orgA, f.teamA1, "Айгерім Сапарова")
	mustExecSQL(t, db, `INSERT INTO team_members (team_id, volunteer_id) VALUES ($1, $2)`, f.teamA2, f.v)
	f.w = mustExecVolunteer(t, db, f.orgA, f.teamA1, "Бауыржан Ахметов")
	f.coordA = &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('coord-a', 'x', 'coordinator', $1) RETURNING id`, f.orgA),
		Role: dispatch.RoleCoordinator, OrganisationID: &f.orgA, Active: true}
	f.coordB = &dispatch.User{ID: mustExecID(t, db, `INSERT INTO users (username, password_hash, role, organisation_id) VALUES ('coord-b', 'x', 'coordinator', $1) RETURNING id`, f.orgB),
		Role: dispatch.RoleCoordinator, OrganisationID: &f.orgB, Active: true}

	route := func(team int64, day string, start, finish time.Time, confirmed bool) int64 {
		var conf *time.Time
		if confirmed {
			conf = &finish
		}
		return mustExecID(t, db, `INSERT INTO routes (team_id, day, status, started_at, finished_at, attendance_confirmed_at)
			VALUES ($1, $2, 'finished', $3, $4, $5) RETURNING id`, team, day, start, finish, conf)
	}
	attend := func(rt, vol int64, in, out time.Time, confirmed bool) {
		mustExecSQL(t, db, `INSERT INTO route_members (route_id, volunteer_id) VALUES ($1, $2)`, rt, vol)
		mustExecSQL(t, db, `INSERT INTO attendance (route_id, volunteer_id, check_in, check_out) VALUES ($1, $2, $3, $4)`, rt, vol, in, out)
		f.rows = append(f.rows, fixtureRow{rt, vol, in, out, confirmed})
	}
	stop := func(rt int64, doneAt time.Time, status string) {
		req := mustReportRequest(t, db, dispatch.FoodDelivery, dispatch.StatusDone, doneAt.Add(-24*time.Hour), nil, nil)
		mustExecSQL(t, db, `INSERT INTO stops (route_id, request_id, seq, status, done_at) VALUES ($1, $2, 1, $3, $4)`, rt, req, status, doneAt)
		if status == "done" {
			f.doneStops = append(f.doneStops, fixtureStop{rt, doneAt})
		}
	}

	// 12th: two overlapping routes (09-13 on A1, 12-15 on A2).
	r1 := route(f.teamA1, "2026-01-12", at("2026-01-12", "09:00"), at("2026-01-12", "13:00"), true)
	attend(r1, f.v, at("2026-01-12", "09:00"), at("2026-01-12", "13:00"), true)
	attend(r1, f.w, at("2026-01-12", "09:00"), at("2026-01-12", "11:00"), true) // left early
	stop(r1, at("2026-01-12", "10:00"), "done")
	stop(r1, at("2026-01-12", "12:00"), "done")
	stop(r1, at("2026-01-12", "12:30"), "not_home")
	r2 := route(f.teamA2, "2026-01-12", at("2026-01-12", "12:00"), at("2026-01-12", "15:00"), true)
	attend(r2, f.v, at("2026-01-12", "12:00"), at("2026-01-12", "15:00"), true)
	stop(r2, at("2026-01-12", "14:00"), "done")
	// 13th: a 13-hour route, over the daily cap.
	r3 := route(f.teamA1, "2026-01-13", at("2026-01-13", "07:00"), at("2026-01-13", "20:00"), true)
	attend(r3, f.v, at("2026-01-13", "07:00"), at("2026-01-13", "20:00"), true)
	stop(r3, at("2026-01-13", "19:00"), "done")
	// 14th-15th: across midnight.
	r4 := route(f.teamA2, "2026-01-14", at("2026-01-14", "22:00"), at("2026-01-15", "02:00"), true)
	attend(r4, f.v, at("2026-01-14", "22:00"), at("2026-01-15", "02:00"), true)
	// 15th: finished but not confirmed: does not count.
	r5 := route(f.teamA1, "2026-01-15", at("2026-01-15", "10:00"), at("2026-01-15", "12:00"), false)
	attend(r5, f.v, at("2026-01-15", "10:00"), at("2026-01-15", "12:00"), false)
	stop(r5, at("2026-01-15", "11:00"), "done")
	f.finishedUnconfirm = r5
	// 11th: before the range.
	r6 := route(f.teamA1, "2026-01-11", at("2026-01-11", "10:00"), at("2026-01-11", "12:00"), true)
	attend(r6, f.v, at("2026-01-11", "10:00"), at("2026-01-11", "12:00"), true)
	stop(r6, at("2026-01-11", "11:00"), "done")
	return f
}

// independentHours recomputes a volunteer's figures minute by minute from
// the fixture rows, without the code under test: a minute counts when any
// confirmed interval covers it; each Astana day is capped at 600 minutes.
func (f *hoursFixture) independentHours(vol int64, from, to string) (seconds int64, visits int) {
	start := at(from, "00:00")
	end := at(to, "00:00").AddDate(0, 0, 1)
	perDay := map[string]int64{}
	for m := start; m.Before(end); m = m.Add(time.Minute) {
		for _, r := range f.rows {
			if r.volunteer == vol && r.confirmed && !m.Before(r.in) && m.Before(r.out) {
				perDay[m.In(astana).Format(time.DateOnly)]++
				break
			}
		}
	}
	for _, n := range perDay {
		seconds += min(n, 600) * 60
	}
	for _, s := range f.doneStops {
		if s.doneAt.Before(start) || !s.doneAt.Before(end) {
			continue
		}
		for _, r := range f.rows {
			if r.volunteer == vol && r.route == s.route && r.confirmed && !s.doneAt.Before(r.in) && !s.doneAt.After(r.out) {
				visits++
				break
			}
		}
	}
	return seconds, visits
}

func TestCertificateFiguresMatchAttendance(t *testing.T) {
	ctx := context.Background()
	f := newHoursFixture(t)
	f.db.Now = func() time.Time { return at("2026-01-20", "12:00") }
	for _, tc := range []struct {
		name string
		vol  int64
	}{{"OverlapCapMidnight", f.v}, {"LeftEarly", f.w}} {
		t.Run(tc.name, func(t *testing.T) {
			in := dispatch.CertificateInput{VolunteerID: tc.vol, From: "2026-01-12", To: "2026-01-15", Language: "kk"}
			rng, err := in.Normalize(f.db.Now())
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.db.IssueCertificate(ctx, f.coordA, in, rng)
			if err != nil {
				t.Fatal(err)
			}
			wantSec, wantVisits := f.independentHours(tc.vol, "2026-01-12", "2026-01-15")
			if c.Seconds != wantSec {
				t.Errorf("Seconds=%d (%s h), want %d (%s h)", c.Seconds, c.Hours(), wantSec, dispatch.FormatHours(wantSec))
			}
			if c.Visits != wantVisits {
				t.Errorf("Visits=%d, want %d", c.Visits, wantVisits)
			}
			pub, err := f.db.PublicKey(ctx, c.KeyID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.db.FindCertificate(ctx, c.Code)
			if err != nil {
				t.Fatal(err)
			}
			if st := got.Status(pub); st != dispatch.CertificateValid {
				t.Errorf("Status=%s, want valid", st)
			}
		})
	}
	// The fixture's expected figures, spelled out for v: 6 h on the 12th
	// (09-15, overlap counted once), 10 h on the 13th (13 h capped), 2 h
	// on the 14th and 2 h on the 15th (across midnight); the unconfirmed
	// route and the 11th do not count. Visits: 10:00, 12:00, 14:00, 19:00.
	if sec, visits := f.independentHours(f.v, "2026-01-12", "2026-01-15"); sec != 20*3600 || visits != 4 {
		t.Errorf("fixture: independent figures %d s, %d visits; want 72000 s, 4 visits", sec, visits)
	}
}

func TestCertificateTamperAndRevoke(t *testing.T) {
	ctx := context.Background()
	f := newHoursFixture(t)
	f.db.Now = func() time.Time { return at("2026-01-20", "12:00") }
	in := dispatch.CertificateInput{VolunteerID: f.v, From: "2026-01-12", To: "2026-01-15"}
	rng, err := in.Normalize(f.db.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OtherOrganisationForbidden", func(t *testing.T) {
		_, err := f.db.IssueCertificate(ctx, f.coordB, in, rng)
		if dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
			t.Fatalf("err=%v, want forbidden", err)
		}
	})
	c, err := f.db.IssueCertificate(ctx, f.coordA, in, rng)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := f.db.PublicKey(ctx, c.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Tampered", func(t *testing.T) {
		for _, q := range []string{
			`UPDATE certificates SET seconds = seconds + 3600 WHERE code = $1`,
			`UPDATE certificates SET seconds = seconds - 3600, visits = visits + 1 WHERE code = $1`,
			`UPDATE certificates SET volunteer_name = 'Someone Else' WHERE code = $1`,
		} {
			mustExecSQL(t, f.db, q, c.Code)
			got, err := f.db.FindCertificate(ctx, c.Code)
			if err != nil {
				t.Fatal(err)
			}
			if st := got.Status(pub); st != dispatch.CertificateTampered {
				t.Errorf("after %q Status=%s, want invalid", q, st)
			}
		}
	})
	c2, err := f.db.IssueCertificate(ctx, f.coordA, in, rng)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Code == c.Code {
		t.Fatal("two certificates share a code")
	}
	t.Run("RevokeOtherOrg", func(t *testing.T) {
		if _, err := f.db.RevokeCertificate(ctx, f.coordB, c2.Code, dispatch.RevokeInput{Reason: "x"}); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
			t.Fatalf("err=%v, want forbidden", err)
		}
	})
	t.Run("Revoke", func(t *testing.T) {
		if _, err := f.db.RevokeCertificate(ctx, f.coordA, c2.Code, dispatch.RevokeInput{Reason: "issued twice"}); err != nil {
			t.Fatal(err)
		}
		got, err := f.db.FindCertificate(ctx, c2.Code)
		if err != nil {
			t.Fatal(err)
		}
		if st := got.Status(pub); st != dispatch.CertificateRevoked {
			t.Errorf("Status=%s, want revoked", st)
		}
		if _, err := f.db.RevokeCertificate(ctx, f.coordA, c2.Code, dispatch.RevokeInput{Reason: "again"}); dispatch.ErrorCode(err) != dispatch.ECONFLICT {
			t.Errorf("second revoke err=%v, want conflict", err)
		}
	})
	t.Run("ListScoped", func(t *testing.T) {
		list, total, err := f.db.FindCertificates(ctx, f.coordB, dispatch.Page{})
		if err != nil || total != 0 || len(list) != 0 {
			t.Errorf("coordinator B sees %d certificates (total %d, err %v), want none", len(list), total, err)
		}
		list, total, err = f.db.FindCertificates(ctx, f.coordA, dispatch.Page{})
		if err != nil || total != 2 || len(list) != 2 {
			t.Errorf("coordinator A sees %d (total %d, err %v), want 2", len(list), total, err)
		}
	})
}

func TestSigningKeyFromSeed(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	id1, pub1, err := db.CurrentPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id2, pub2, err := db.CurrentPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 || !pub1.Equal(pub2) {
		t.Errorf("generated key changed between calls: %d vs %d", id1, id2)
	}
	db.SigningSeed = make([]byte, 32)
	db.SigningSeed[0] = 7
	id3, pub3, err := db.CurrentPublicKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if id3 == id1 || pub3.Equal(pub1) {
		t.Errorf("configured seed did not replace the generated key")
	}
}

func TestExportHours(t *testing.T) {
	ctx := context.Background()
	f := newHoursFixture(t)
	admin := &dispatch.User{ID: 1, Role: dispatch.RoleAdmin, Active: true}
	rng := mustRange(t, "2026-01-12", "2026-01-15")
	tab, err := f.db.Export(ctx, admin, dispatch.ExportHours, dispatch.ExportFilter{Range: &rng})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tab.Columns, ","); got != "volunteer_id,volunteer,organisation_id,organisation,from,to,routes,visits,seconds,hours" {
		t.Fatalf("columns %s", got)
	}
	want := map[int64]bool{f.v: true, f.w: true}
	for _, row := range tab.Rows {
		id, _ := strconv.ParseInt(row[0], 10, 64)
		if !want[id] {
			t.Errorf("unexpected row %q", row)
			continue
		}
		delete(want, id)
		sec, visits := f.independentHours(id, "2026-01-12", "2026-01-15")
		if row[8] != strconv.FormatInt(sec, 10) || row[7] != strconv.Itoa(visits) || row[9] != dispatch.FormatHours(sec) {
			t.Errorf("row %q, want seconds %d visits %d", row, sec, visits)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing volunteers %v", want)
	}
	all, err := f.db.Export(ctx, admin, dispatch.ExportHours, dispatch.ExportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range all.Rows {
		if row[4] != "2026-01-11" || row[5] != "2026-01-15" {
			t.Errorf("all-time export covers %s..%s, want the attendance's days 2026-01-11..2026-01-15", row[4], row[5])
		}
	}
}
