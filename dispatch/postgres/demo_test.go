package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/demo"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

func TestLoadDemo(t *testing.T) {
	db := pgtest.MustOpen(t)
	ctx := context.Background()
	mustLoadGazetteer(t, db)
	houses, _, _, districts, err := demo.Gazetteer()
	if err != nil {
		t.Fatal(err)
	}
	set, err := demo.Generate(demo.DefaultSeed, 2026, houses, districts)
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.LoadDemo(ctx, set, demo.Logins)
	if err != nil {
		t.Fatal(err)
	}
	want := postgres.DemoCounts{Organisations: 12, Volunteers: demo.NumVolunteers, Teams: demo.NumTeams,
		CareAddresses: demo.NumCareAddresses, Users: len(demo.Logins)}
	if n != want {
		t.Errorf("LoadDemo=%+v, want %+v", n, want)
	}
	counts := func() map[string]int {
		m := map[string]int{}
		for _, tbl := range []string{"districts", "organisations", "volunteers", "teams", "team_members", "care_addresses", "users", "gazetteer"} {
			m[tbl] = countRows(t, db, tbl)
		}
		return m
	}
	before := counts()
	for tbl, want := range map[string]int{"districts": 6, "organisations": 12, "volunteers": demo.NumVolunteers,
		"teams": demo.NumTeams, "care_addresses": demo.NumCareAddresses, "users": len(demo.Logins)} {
		if before[tbl] != want {
			t.Errorf("%s rows=%d, want %d", tbl, before[tbl], want)
		}
	}

	t.Run("CareAddressesInDistricts", func(t *testing.T) {
		var outside, noDistrict int
		err := db.Pool().QueryRow(ctx, `SELECT
				count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM districts d WHERE ST_Covers(d.geom, c.location::geometry))),
				count(*) FILTER (WHERE district_id IS NULL)
			FROM care_addresses c`).Scan(&outside, &noDistrict)
		if err != nil {
			t.Fatal(err)
		}
		if outside != 0 || noDistrict != 0 {
			t.Errorf("care addresses outside every district=%d, without district_id=%d, want 0", outside, noDistrict)
		}
		// spread: every district has some, none has more than half
		rows, err := db.Pool().Query(ctx, `SELECT d.name_ru, count(c.id) FROM districts d
			LEFT JOIN care_addresses c ON c.district_id = d.id GROUP BY d.name_ru`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var k int
			if err := rows.Scan(&name, &k); err != nil {
				t.Fatal(err)
			}
			t.Logf("district %s: %d care addresses", name, k)
			if k == 0 || k > demo.NumCareAddresses/2 {
				t.Errorf("district %s: %d care addresses", name, k)
			}
		}
	})

	t.Run("LeadLogin", func(t *testing.T) {
		u, err := db.Authenticate(ctx, "lead1", "lead-demo")
		if err != nil {
			t.Fatal(err)
		}
		var team string
		if err := db.Pool().QueryRow(ctx, `SELECT name FROM teams WHERE id = $1`, *u.TeamID).Scan(&team); err != nil {
			t.Fatal(err)
		}
		if u.Role != dispatch.RoleTeamLead || team != set.Teams[0].Name {
			t.Errorf("lead1: role=%s team=%q, want team_lead of %q", u.Role, team, set.Teams[0].Name)
		}
		for _, l := range demo.Logins {
			if _, err := db.Authenticate(ctx, l.Username, l.Password); err != nil {
				t.Errorf("Authenticate(%s): %v", l.Username, err)
			}
		}
	})

	t.Run("HotlineFindsDemoPensioner", func(t *testing.T) {
		hot, err := db.Authenticate(ctx, "hotline", "hotline-demo")
		if err != nil {
			t.Fatal(err)
		}
		c := set.CareAddresses[17]
		cs, err := db.Geocode(ctx, hot, c.Phone, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 || cs[0].Name != c.FullName || cs[0].Label != c.AddressText {
			t.Errorf("Geocode(%q)=%+v, want %s at %s", c.Phone, cs, c.FullName, c.AddressText)
		}
	})

	t.Run("Twice", func(t *testing.T) {
		n, err := db.LoadDemo(ctx, set, demo.Logins)
		if err != nil {
			t.Fatal(err)
		}
		if n != (postgres.DemoCounts{}) {
			t.Errorf("second LoadDemo=%+v, want nothing", n)
		}
		mustLoadGazetteer(t, db)
		after := counts()
		for tbl, k := range before {
			if after[tbl] != k {
				t.Errorf("%s rows=%d after the second load, want %d", tbl, after[tbl], k)
			}
		}
	})

	t.Run("History", func(t *testing.T) {
		now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
		h, err := db.LoadDemoHistory(ctx, demo.DefaultSeed, now)
		if err != nil {
			t.Fatal(err)
		}
		if h.Routes != 28*8 || h.Stops < 3*h.Routes || h.Attendance == 0 || h.Alerts == 0 {
			t.Errorf("history=%+v, want 224 routes with visits, attendance and some alerts", h)
		}
		again, err := db.LoadDemoHistory(ctx, demo.DefaultSeed, now)
		if err != nil || again != (postgres.HistoryCounts{}) {
			t.Errorf("second LoadDemoHistory=%+v err=%v, want nothing", again, err)
		}
		if n := countRows(t, db, "routes"); n != h.Routes {
			t.Errorf("routes=%d after loading twice, want %d", n, h.Routes)
		}
		// The coordinator's organisation has verified hours to certify.
		coord, err := db.Authenticate(ctx, "coord1", "coord-demo")
		if err != nil {
			t.Fatal(err)
		}
		if coord.Role != dispatch.RoleCoordinator || coord.OrganisationID == nil {
			t.Fatalf("coord1=%+v, want a coordinator with an organisation", coord)
		}
		rng := mustRange(t, "2026-11-08", "2026-12-05")
		rep, err := db.HoursReport(ctx, coord, rng)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Volunteers) == 0 {
			t.Fatal("the coordinator's organisation has no hours in the history")
		}
		db.Now = func() time.Time { return now }
		in := dispatch.CertificateInput{VolunteerID: rep.Volunteers[0].ID, From: "2026-11-08", To: "2026-12-05"}
		c, err := db.IssueCertificate(ctx, coord, in, rng)
		if err != nil {
			t.Fatal(err)
		}
		if c.Seconds != rep.Volunteers[0].Seconds || c.Seconds == 0 || c.Visits == 0 {
			t.Errorf("certificate %d s %d visits, report %d s; want equal and non-zero", c.Seconds, c.Visits, rep.Volunteers[0].Seconds)
		}
	})
}
