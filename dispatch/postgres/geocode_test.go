package postgres_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/demo"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
	"github.com/qamqor/qamqor/geo"
)

var (
	gazOnce      sync.Once
	gazEntries   []geo.GazetteerEntry
	gazDistricts []geo.District
	gazErr       error
)

// mustLoadGazetteer loads the embedded Astana gazetteer and districts into db.
func mustLoadGazetteer(tb testing.TB, db *postgres.DB) {
	tb.Helper()
	gazOnce.Do(func() {
		var h, s, c []geo.GazetteerEntry
		h, s, c, gazDistricts, gazErr = demo.Gazetteer()
		gazEntries = append(append(h, s...), c...)
	})
	if gazErr != nil {
		tb.Fatal(gazErr)
	}
	ctx := context.Background()
	if _, err := db.LoadGazetteer(ctx, gazEntries); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.LoadDistricts(ctx, gazDistricts); err != nil {
		tb.Fatal(err)
	}
}

// geoFixture is a DB with the gazetteer, one pensioner and two users.
type geoFixture struct {
	db      *postgres.DB
	hotline *dispatch.User
	lead    *dispatch.User
	careID  int64
}

// kenesary40 is "Кенесары көшесі,40" in addresses_sample.csv.
var kenesary40 = orb.Point{71.4330376, 51.1655497}

func mustGeoFixture(t *testing.T) geoFixture {
	t.Helper()
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	f := geoFixture{db: db}
	var orgID, teamID int64
	if err := db.Pool().QueryRow(ctx, `INSERT INTO organisations (name, kind) VALUES ('Test HQ', 'headquarters') RETURNING id`).Scan(&orgID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool().QueryRow(ctx, `INSERT INTO teams (name, organisation_id, base) VALUES ('T1', $1, 'SRID=4326;POINT(71.43 51.16)') RETURNING id`, orgID).Scan(&teamID); err != nil {
		t.Fatal(err)
	}
	f.hotline = &dispatch.User{Username: "hot", Role: dispatch.RoleHotline}
	if err := db.CreateUser(ctx, f.hotline, "hotline-test"); err != nil {
		t.Fatal(err)
	}
	f.lead = &dispatch.User{Username: "lead", Role: dispatch.RoleTeamLead, TeamID: &teamID}
	if err := db.CreateUser(ctx, f.lead, "lead-test-pw"); err != nil {
		t.Fatal(err)
	}
	// A pensioner registered at Кенесары 49, near but not at house 40.
	err := db.Pool().QueryRow(ctx, `INSERT INTO care_addresses (full_name, phone, address_text, location, consent)
		VALUES ('Жұмабекова Сәуле Қайратқызы', '+7 700 000 12 34', 'Кенесары көшесі, 49',
			'SRID=4326;POINT(71.4325268891721 51.166851101842546)', true) RETURNING id`).Scan(&f.careID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func auditCount(t *testing.T, db *postgres.DB, userID int64) int {
	t.Helper()
	var n int
	err := db.Pool().QueryRow(context.Background(),
		`SELECT count(*) FROM audit_log WHERE user_id = $1 AND action = 'read'`, userID).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGeocode(t *testing.T) {
	f := mustGeoFixture(t)
	ctx := context.Background()

	t.Run("Houses", func(t *testing.T) {
		for _, q := range []string{"Кенесары 40", "улица Кенесары, 40", "ул. Кенесары д. 40", "Кенесары көшесі 40", "Kenesary 40", "kenesary street 40", "кенесары 40"} {
			cs, err := f.db.Geocode(ctx, f.lead, q, 5)
			if err != nil {
				t.Fatalf("Geocode(%q): %v", q, err)
			}
			if len(cs) == 0 {
				t.Fatalf("Geocode(%q): no candidates", q)
			}
			top := cs[0]
			if top.Kind != "house" || top.Label != "Кенесары көшесі, 40" || top.Score != 1 {
				t.Errorf("Geocode(%q)[0]=%+v, want house Кенесары көшесі, 40", q, top)
			}
			if d := geoDist(top.Point(), kenesary40); d > 1 {
				t.Errorf("Geocode(%q)[0] is %.0f m from the house", q, d)
			}
		}
	})

	// Issue 11: "Абая 10" first offered "Абая переулок", a lane with no
	// house 10, above the house Абай даңғылы, 10.
	t.Run("NumberBeatsStreet", func(t *testing.T) {
		for _, q := range []string{"Абая 10", "абай 10"} {
			cs, err := f.db.Geocode(ctx, f.hotline, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 || cs[0].Kind != "house" || cs[0].Label != "Абай даңғылы, 10" {
				t.Errorf("Geocode(%q)=%+v, want the house Абай даңғылы, 10 first", q, cs)
			}
		}
	})

	t.Run("Street", func(t *testing.T) {
		for _, q := range []string{"Кенесары", "улица Кенесары", "Kenesary"} {
			cs, err := f.db.Geocode(ctx, f.lead, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 || cs[0].Kind != "street" || cs[0].Label != "Кенесары көшесі" {
				t.Errorf("Geocode(%q)=%+v, want street Кенесары көшесі first", q, cs)
			}
		}
	})

	t.Run("Avenue", func(t *testing.T) {
		for _, q := range []string{"проспект Туран", "пр. Туран", "Тұран даңғылы", "Turan avenue"} {
			cs, err := f.db.Geocode(ctx, f.lead, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 || cs[0].Kind != "street" || geo.LatinKey(cs[0].Label) != "turan" {
				t.Errorf("Geocode(%q)=%+v, want the street Туран first", q, cs)
			}
		}
	})

	t.Run("Typo", func(t *testing.T) {
		cs, err := f.db.Geocode(ctx, f.lead, "Кенесори 40", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 || cs[0].Label != "Кенесары көшесі, 40" {
			t.Errorf("Geocode(typo)=%+v, want Кенесары көшесі, 40 first", cs)
		}
	})

	t.Run("PhoneHotline", func(t *testing.T) {
		before := auditCount(t, f.db, f.hotline.ID)
		formats := []string{"+7 700 000 12 34", "87000001234", "7000001234", "+7 (700) 000-12-34", "0001234"}
		for i, q := range formats {
			cs, err := f.db.Geocode(ctx, f.hotline, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 || cs[0].CareAddressID == nil || *cs[0].CareAddressID != f.careID {
				t.Fatalf("Geocode(%q)=%+v, want the care address first", q, cs)
			}
			c := cs[0]
			if c.Kind != "care_address" || c.Name != "Жұмабекова Сәуле Қайратқызы" || c.Phone != "+7 700 000 12 34" || c.Score != 1 {
				t.Errorf("Geocode(%q)[0]=%+v, want name and phone", q, c)
			}
			if got := auditCount(t, f.db, f.hotline.ID); got != before+i+1 {
				t.Errorf("audit rows=%d, want %d", got, before+i+1)
			}
		}
	})

	t.Run("NameHotline", func(t *testing.T) {
		cs, err := f.db.Geocode(ctx, f.hotline, "Жұмабекова", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 || cs[0].CareAddressID == nil || cs[0].Name == "" {
			t.Errorf("Geocode(name)=%+v, want the care address with its name", cs)
		}
	})

	t.Run("AddressFindsCareFirst", func(t *testing.T) {
		cs, err := f.db.Geocode(ctx, f.hotline, "Кенесары 49", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) < 2 || cs[0].CareAddressID == nil || cs[1].Label != "Кенесары көшесі, 49" {
			t.Errorf("Geocode(Кенесары 49)=%+v, want the care address, then the house", cs)
		}
	})

	t.Run("TeamLeadSeesNoPersonalData", func(t *testing.T) {
		before := auditCount(t, f.db, f.lead.ID)
		for _, q := range []string{"+7 700 000 12 34", "Жұмабекова"} {
			cs, err := f.db.Geocode(ctx, f.lead, q, 5)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.CareAddressID != nil {
					t.Errorf("Geocode(%q) by team lead found care address %+v by personal data", q, c)
				}
			}
		}
		cs, err := f.db.Geocode(ctx, f.lead, "Кенесары 49", 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 || cs[0].CareAddressID == nil {
			t.Fatalf("Geocode(Кенесары 49) by team lead=%+v, want the care address by address", cs)
		}
		if cs[0].Name != "" || cs[0].Phone != "" {
			t.Errorf("team lead sees Name=%q Phone=%q, want none", cs[0].Name, cs[0].Phone)
		}
		if got := auditCount(t, f.db, f.lead.ID); got != before {
			t.Errorf("audit rows for team lead=%d, want %d", got, before)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		long := make([]rune, postgres.MaxQueryLen+1)
		for i := range long {
			long[i] = 'а'
		}
		for _, q := range []string{"", "   ", string(long)} {
			_, err := f.db.Geocode(ctx, f.hotline, q, 5)
			var e *dispatch.Error
			if !errors.As(err, &e) || e.Code != dispatch.EINVALID || e.Field != "q" {
				t.Errorf("Geocode(len %d) err=%v, want EINVALID on q", len(q), err)
			}
		}
	})
}

func TestReverse(t *testing.T) {
	f := mustGeoFixture(t)
	ctx := context.Background()

	t.Run("House", func(t *testing.T) {
		// 5 m or so east of Кенесары 40
		c, err := f.db.Reverse(ctx, f.lead, orb.Point{kenesary40.Lon() + 0.00007, kenesary40.Lat()}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != "house" || c.Label != "Кенесары көшесі, 40" || c.DistanceM == nil || *c.DistanceM > 10 {
			t.Errorf("Reverse=%+v, want Кенесары көшесі, 40 within 10 m", c)
		}
	})

	t.Run("CareAddress", func(t *testing.T) {
		before := auditCount(t, f.db, f.hotline.ID)
		c, err := f.db.Reverse(ctx, f.hotline, orb.Point{71.43253, 51.16685}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if c.CareAddressID == nil || *c.CareAddressID != f.careID || c.Name == "" {
			t.Errorf("Reverse=%+v, want the care address with name", c)
		}
		if got := auditCount(t, f.db, f.hotline.ID); got != before+1 {
			t.Errorf("audit rows=%d, want %d", got, before+1)
		}
		c, err = f.db.Reverse(ctx, f.lead, orb.Point{71.43253, 51.16685}, 50)
		if err != nil {
			t.Fatal(err)
		}
		if c.CareAddressID == nil || c.Name != "" || c.Phone != "" {
			t.Errorf("Reverse by lead=%+v, want the care address without personal data", c)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		// the steppe south of the city
		_, err := f.db.Reverse(ctx, f.hotline, orb.Point{71.30, 50.97}, 200)
		if dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
			t.Errorf("Reverse err=%v, want ENOTFOUND", err)
		}
	})
}

func TestDistricts(t *testing.T) {
	db := pgtest.MustOpen(t)
	mustLoadGazetteer(t, db)
	ctx := context.Background()
	mustLoadGazetteer(t, db) // twice: adds nothing
	ds, err := db.Districts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 6 {
		t.Fatalf("len(Districts)=%d, want 6", len(ds))
	}
	for _, d := range ds {
		if d.NameKK == "" || len(d.Geometry) == 0 || len(d.GeoJSON) == 0 || d.GeoJSON[0] != '{' {
			t.Errorf("district %+v: missing name_kk or geometry", d.NameRU)
		}
	}
	id, err := db.DistrictAt(ctx, kenesary40)
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := db.Pool().QueryRow(ctx, `SELECT name_ru FROM districts WHERE id = $1`, *id).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Сарыарка" && name != "Байконур" && name != "Алматы" {
		t.Errorf("DistrictAt(Кенесары 40)=%s, want a right-bank district", name)
	}
	if _, err := db.DistrictAt(ctx, orb.Point{70.0, 50.0}); dispatch.ErrorCode(err) != dispatch.ENOTFOUND {
		t.Errorf("DistrictAt(far away) err=%v, want ENOTFOUND", err)
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM gazetteer`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(gazEntries) {
		t.Errorf("gazetteer rows=%d, want %d (each entry once)", n, len(gazEntries))
	}
}

// geoDist is the distance in metres between two points.
func geoDist(a, b orb.Point) float64 { return orbgeo.Distance(a, b) }
