package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// hqFixture builds January 2026 by hand: organisation Alpha's team does
// two finished routes (2 h with two volunteers, 1 h with two, one shared)
// with five visits over two districts; Beta's team one 30-minute route from
// 23:40 on 31 January (Astana) with a food delivery to an unregistered
// address, plus a visit after midnight. Attendance is the whole route for
// everyone, confirmed.
func hqFixture(t *testing.T, db *postgres.DB) (d1, d2 int64) {
	t.Helper()
	ctx := context.Background()
	mustLoadGazetteer(t, db)
	one := func(q string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Pool().QueryRow(ctx, q, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return id
	}
	d1 = one(`SELECT id FROM districts ORDER BY id LIMIT 1`)
	d2 = one(`SELECT id FROM districts ORDER BY id OFFSET 1 LIMIT 1`)
	orgA := one(`INSERT INTO organisations (name, kind) VALUES ('Alpha', 'volunteer_org') RETURNING id`)
	orgB := one(`INSERT INTO organisations (name, kind) VALUES ('Beta', 'ngo') RETURNING id`)
	vol := func(name string, org int64) int64 {
		return one(`INSERT INTO volunteers (full_name, birth_year, organisation_id) VALUES ($1, 2000, $2) RETURNING id`, name, org)
	}
	a1, a2, a3, b1 := vol("a1", orgA), vol("a2", orgA), vol("a3", orgA), vol("b1", orgB)
	ta := one(`INSERT INTO teams (name, organisation_id, base) VALUES ('TA', $1, 'SRID=4326;POINT(71.43 51.16)') RETURNING id`, orgA)
	tb := one(`INSERT INTO teams (name, organisation_id, base) VALUES ('TB', $1, 'SRID=4326;POINT(71.43 51.16)') RETURNING id`, orgB)
	care := func(d int64) int64 {
		return one(`INSERT INTO care_addresses (full_name, address_text, location, district_id) VALUES ('x', 'x', 'SRID=4326;POINT(71.43 51.16)', $1) RETURNING id`, d)
	}
	c1, c2, c3 := care(d1), care(d1), care(d2)
	route := func(team int64, day, start, end string, members ...int64) int64 {
		id := one(`INSERT INTO routes (team_id, day, status, started_at, finished_at, attendance_confirmed_at)
			VALUES ($1, $2, 'finished', $3, $4, $4) RETURNING id`, team, day, start, end)
		for _, m := range members {
			if _, err := db.Pool().Exec(ctx, `INSERT INTO route_members (route_id, volunteer_id) VALUES ($1, $2)`, id, m); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Pool().Exec(ctx, `INSERT INTO attendance (route_id, volunteer_id, check_in, check_out) VALUES ($1, $2, $3, $4)`, id, m, start, end); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	seq := 0
	visit := func(routeID int64, kind string, careID *int64, d int64, packages int, status, doneAt string) {
		seq++
		req := one(`INSERT INTO requests (kind, care_address_id, address_text, location, district_id, source, priority, service_minutes, packages, status)
			VALUES ($1, $2, 'x', 'SRID=4326;POINT(71.43 51.16)', $3, 'hotline', 'normal', 15, $4, 'done') RETURNING id`, kind, careID, d, packages)
		var done any
		if status == "done" {
			done = doneAt
		}
		if _, err := db.Pool().Exec(ctx, `INSERT INTO stops (route_id, request_id, seq, status, done_at) VALUES ($1, $2, $3, $4, $5)`,
			routeID, req, seq, status, done); err != nil {
			t.Fatal(err)
		}
	}
	// 10:00-12:00 Astana = 05:00-07:00Z
	r1 := route(ta, "2026-01-10", "2026-01-10T05:00:00Z", "2026-01-10T07:00:00Z", a1, a2)
	visit(r1, "snow_clearing", &c1, d1, 0, "done", "2026-01-10T05:30:00Z")
	visit(r1, "food_delivery", &c2, d1, 3, "done", "2026-01-10T06:00:00Z")
	visit(r1, "snow_clearing", &c3, d2, 0, "done", "2026-01-10T06:30:00Z")
	visit(r1, "snow_clearing", &c1, d1, 0, "not_home", "")
	r2 := route(ta, "2026-01-11", "2026-01-11T05:00:00Z", "2026-01-11T06:00:00Z", a2, a3)
	visit(r2, "snow_clearing", &c1, d1, 0, "done", "2026-01-11T05:20:00Z")
	r3 := route(tb, "2026-01-31", "2026-01-31T18:40:00Z", "2026-01-31T19:10:00Z", b1)
	visit(r3, "food_delivery", nil, d2, 0, "done", "2026-01-31T18:50:00Z") // 23:50 on the 31st in Astana
	visit(r3, "snow_clearing", &c3, d2, 0, "done", "2026-01-31T19:05:00Z") // 00:05 on 1 February in Astana
	return d1, d2
}

func TestHQReport(t *testing.T) {
	db := pgtest.MustOpen(t)
	d1, d2 := hqFixture(t, db)
	month, err := dispatch.ParseMonth("2026-01", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := db.HQReport(context.Background(), importAdmin, month)
	if err != nil {
		t.Fatal(err)
	}
	type fig struct {
		pens, snow, food, vols int
		hours                  string
	}
	figOf := func(r dispatch.HQRow) fig {
		return fig{r.Pensioners, r.SnowActions, r.FoodPackages, r.Volunteers, r.Hours}
	}
	// Hours: Alpha 2·2 h + 2·1 h = 6 h, split d1 4⅔ / d2 1⅓; Beta's b1 gets
	// the 20 minutes before midnight only (the rest is February's), d2.
	if got, want := figOf(rep.Total), (fig{4, 3, 4, 4, "6.3"}); got != want {
		t.Errorf("total=%+v, want %+v", got, want)
	}
	if len(rep.ByOrganisation) != 2 {
		t.Fatalf("by organisation=%+v", rep.ByOrganisation)
	}
	for _, c := range []struct {
		row  dispatch.HQRow
		name string
		want fig
	}{
		{rep.ByOrganisation[0], "Alpha", fig{3, 3, 3, 3, "6.0"}},
		{rep.ByOrganisation[1], "Beta", fig{1, 0, 1, 1, "0.3"}},
	} {
		if c.row.Organisation != c.name || figOf(c.row) != c.want || !c.row.AllDistricts {
			t.Errorf("organisation row=%+v, want %s %+v", c.row, c.name, c.want)
		}
	}
	byDistrict := map[int64]fig{}
	for _, r := range rep.ByDistrict {
		if r.DistrictID == nil || r.DistrictRU == "" {
			t.Fatalf("district row without a district: %+v", r)
		}
		byDistrict[*r.DistrictID] = figOf(r)
	}
	if byDistrict[d1] != (fig{2, 2, 3, 3, "4.7"}) || byDistrict[d2] != (fig{2, 1, 1, 3, "1.7"}) || len(byDistrict) != 2 {
		t.Errorf("by district=%+v, want d1 {2 2 3 3 4.7} d2 {2 1 1 3 1.7}", byDistrict)
	}
	if len(rep.Detail) != 3 {
		t.Fatalf("detail=%+v, want Alpha×2 and Beta×1", rep.Detail)
	}
	if got := figOf(rep.Detail[2]); rep.Detail[2].Organisation != "Beta" || got != (fig{1, 0, 1, 1, "0.3"}) {
		t.Errorf("Beta detail=%+v", rep.Detail[2])
	}
	if rep.HoursSource != "attendance" {
		t.Errorf("hours source=%q", rep.HoursSource)
	}
	hot := &dispatch.User{Username: "hot", Role: dispatch.RoleHotline, Active: true}
	if _, err := db.HQReport(context.Background(), hot, month); dispatch.ErrorCode(err) != dispatch.EFORBIDDEN {
		t.Errorf("hotline err=%v, want forbidden", err)
	}
}
