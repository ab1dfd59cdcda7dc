package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// campaignFixture has two districts (west and east of 71.44) with care
// addresses in each, a dispatcher and one team carrying 8 packages.
type campaignFixture struct {
	db           *postgres.DB
	dispatcher   *dispatch.User
	west, east   int64
	westA, westB *dispatch.CareAddress // westB is immobile
	eastA        *dispatch.CareAddress
	foodOnly     *dispatch.CareAddress
	inactive     *dispatch.CareAddress
	now          time.Time
}

func mustCareWith(tb testing.TB, db *postgres.DB, actor *dispatch.User, name string, pt orb.Point, needs []string, immobile, active bool) *dispatch.CareAddress {
	tb.Helper()
	c := &dispatch.CareAddress{FullName: name, Phone: "+7 701 111 22 33", AddressText: "проспект Абая, 10", Location: pt,
		PreferredLanguage: "ru", Needs: needs, Immobile: immobile, Consent: true, Active: active}
	if err := db.CreateCareAddress(context.Background(), actor, c); err != nil {
		tb.Fatalf("CreateCareAddress: %v", err)
	}
	return c
}

func newCampaignFixture(tb testing.TB) *campaignFixture {
	tb.Helper()
	db := pgtest.MustOpen(tb)
	f := &campaignFixture{db: db, now: time.Date(2026, 1, 12, 8, 0, 0, 0, time.FixedZone("Asia/Astana", 5*3600))}
	db.Now = func() time.Time { return f.now }
	f.west = mustExecID(tb, db, `INSERT INTO districts (name_ru, name_kk, geom)
		VALUES ('West', 'Батыс', ST_Multi(ST_MakeEnvelope(71.30, 51.05, 71.44, 51.25, 4326))) RETURNING id`)
	f.east = mustExecID(tb, db, `INSERT INTO districts (name_ru, name_kk, geom)
		VALUES ('East', 'Шығыс', ST_Multi(ST_MakeEnvelope(71.44, 51.05, 71.60, 51.25, 4326))) RETURNING id`)
	org := mustExecID(tb, db, `INSERT INTO organisations (name, kind) VALUES ('HQ', 'headquarters') RETURNING id`)
	mustExecTeam(tb, db, org, "Team A", 8)
	f.dispatcher = mustUser(tb, db, "dispatcher", dispatch.RoleDispatcher)
	snow := []string{dispatch.NeedSnow}
	f.westA = mustCareWith(tb, db, f.dispatcher, "Иванова Мария", orb.Point{71.40, 51.15}, snow, false, true)
	f.westB = mustCareWith(tb, db, f.dispatcher, "Сейтова Бибигуль", orb.Point{71.41, 51.16}, []string{dispatch.NeedSnow, dispatch.NeedFood}, true, true)
	f.eastA = mustCareWith(tb, db, f.dispatcher, "Ким Ольга", orb.Point{71.50, 51.15}, snow, false, true)
	f.foodOnly = mustCareWith(tb, db, f.dispatcher, "Омаров Касым", orb.Point{71.51, 51.16}, []string{dispatch.NeedFood}, false, true)
	f.inactive = mustCareWith(tb, db, f.dispatcher, "Петров Иван", orb.Point{71.42, 51.17}, snow, true, false)
	return f
}

func (f *campaignFixture) requests(tb testing.TB, kind dispatch.RequestKind) map[int64]*dispatch.Request {
	tb.Helper()
	rs, _, err := f.db.FindRequests(context.Background(), dispatch.RequestFilter{Kinds: []dispatch.RequestKind{kind}})
	if err != nil {
		tb.Fatal(err)
	}
	m := map[int64]*dispatch.Request{}
	for _, r := range rs {
		m[*r.CareAddressID] = r
	}
	return m
}

func TestSnowfallCampaign(t *testing.T) {
	ctx := context.Background()

	t.Run("OnceWithPriorities", func(t *testing.T) {
		f := newCampaignFixture(t)
		in := dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12", SnowfallCM: f64(12), IdempotencyKey: "snow-1"}
		c, created, err := f.db.CreateCampaign(ctx, f.dispatcher, in)
		if err != nil || !created {
			t.Fatalf("CreateCampaign created=%v err=%v", created, err)
		}
		if c.Created != 3 || c.RequestsCreated != 3 || c.Title != "Snowfall 2026-01-12" {
			t.Fatalf("campaign=%+v, want 3 requests", c)
		}
		rs := f.requests(t, dispatch.SnowClearing)
		if len(rs) != 3 || rs[f.inactive.ID] != nil || rs[f.foodOnly.ID] != nil {
			t.Fatalf("requests for %v, want west A, west B, east A", rs)
		}
		if p := rs[f.westB.ID].Priority; p != dispatch.Urgent {
			t.Fatalf("immobile priority=%s after 12 cm, want urgent", p)
		}
		if p := rs[f.westA.ID].Priority; p != dispatch.Normal {
			t.Fatalf("priority=%s, want normal", p)
		}
		if r := rs[f.eastA.ID]; r.Source != dispatch.SourceCampaign || r.Status != dispatch.StatusNew || r.ServiceMinutes != 30 {
			t.Fatalf("request=%+v", r)
		}
		var due string
		var campaignID int64
		if err := f.db.Pool().QueryRow(ctx, `SELECT due_day::text, campaign_id FROM requests WHERE care_address_id = $1`, f.eastA.ID).Scan(&due, &campaignID); err != nil || due != "2026-01-12" || campaignID != c.ID {
			t.Fatalf("due_day=%s campaign=%d err=%v", due, campaignID, err)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1`, dispatch.EventRequestCreated); n != 3 {
			t.Fatalf("request.created events=%d, want 3", n)
		}
		if n := execCount(t, f.db, `SELECT count(*) FROM events WHERE type = $1`, dispatch.EventCampaignOpened); n != 1 {
			t.Fatalf("campaign.opened events=%d, want 1", n)
		}

		// Retried create with the same key: same campaign, nothing new.
		again, created, err := f.db.CreateCampaign(ctx, f.dispatcher, in)
		if err != nil || created || again.ID != c.ID {
			t.Fatalf("retry=%+v created=%v err=%v", again, created, err)
		}
		// Re-run: nothing new.
		run, err := f.db.RunCampaign(ctx, f.dispatcher, c.ID)
		if err != nil || run.Created != 0 || run.RequestsCreated != 3 {
			t.Fatalf("RunCampaign=%+v, %v", run, err)
		}
		// A second campaign skips addresses with an open snow request.
		second, _, err := f.db.CreateCampaign(ctx, f.dispatcher, dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-13", SnowfallCM: f64(3)})
		if err != nil || second.Created != 0 {
			t.Fatalf("second campaign=%+v, %v; want nothing new", second, err)
		}
		if n := countRows(t, f.db, "requests"); n != 3 {
			t.Fatalf("requests=%d, want 3", n)
		}
		// Once a request is done, the next snowfall covers the address again.
		f.db.Pool().Exec(ctx, `UPDATE requests SET status = 'done' WHERE care_address_id = $1`, f.westB.ID)
		run, err = f.db.RunCampaign(ctx, f.dispatcher, second.ID)
		if err != nil || run.Created != 1 {
			t.Fatalf("re-run after done=%+v, %v; want 1", run, err)
		}
		var p dispatch.Priority
		f.db.Pool().QueryRow(ctx, `SELECT priority FROM requests WHERE campaign_id = $1`, second.ID).Scan(&p)
		if p != dispatch.High {
			t.Fatalf("immobile priority=%s after 3 cm, want high", p)
		}
	})

	t.Run("Districts", func(t *testing.T) {
		f := newCampaignFixture(t)
		c, _, err := f.db.CreateCampaign(ctx, f.dispatcher, dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12", SnowfallCM: f64(5), DistrictIDs: []int64{f.east}})
		if err != nil || c.Created != 1 {
			t.Fatalf("campaign=%+v, %v; want 1 request", c, err)
		}
		if rs := f.requests(t, dispatch.SnowClearing); rs[f.eastA.ID] == nil || rs[f.eastA.ID].Priority != dispatch.Normal {
			t.Fatalf("requests=%v, want only east A", rs)
		}
	})

	t.Run("Validation", func(t *testing.T) {
		f := newCampaignFixture(t)
		for _, tc := range []struct {
			name, field string
			in          dispatch.CampaignInput
		}{
			{"NoKind", "kind", dispatch.CampaignInput{Day: "2026-01-12"}},
			{"BadDay", "day", dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "12.01.2026", SnowfallCM: f64(5)}},
			{"PastDay", "day", dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-11", SnowfallCM: f64(5)}},
			{"NoSnowfall", "snowfall_cm", dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12"}},
			{"NegativeSnowfall", "snowfall_cm", dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12", SnowfallCM: f64(-1)}},
			{"UnknownDistrict", "district_ids", dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12", SnowfallCM: f64(5), DistrictIDs: []int64{9999}}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.db.CreateCampaign(ctx, f.dispatcher, tc.in)
				var de *dispatch.Error
				if dispatch.ErrorCode(err) != dispatch.EINVALID || !asError(err, &de) || de.Field != tc.field {
					t.Fatalf("err=%v, want EINVALID on %s", err, tc.field)
				}
			})
		}
		if n := countRows(t, f.db, "campaigns") + countRows(t, f.db, "requests"); n != 0 {
			t.Fatalf("rows=%d, want none written", n)
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		f := newCampaignFixture(t)
		op := mustUser(t, f.db, "operator", dispatch.RoleHotline)
		_, _, err := f.db.CreateCampaign(ctx, op, dispatch.CampaignInput{Kind: dispatch.CampaignSnowfall, Day: "2026-01-12", SnowfallCM: f64(5)})
		execWantCode(t, err, dispatch.EFORBIDDEN)
	})
}

func TestFoodCampaign(t *testing.T) {
	ctx := context.Background()
	f := newCampaignFixture(t)

	for _, tc := range []struct {
		name string
		n    int
	}{{"Zero", 0}, {"OverCapacity", 9}} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			_, _, err := f.db.CreateCampaign(ctx, f.dispatcher, dispatch.CampaignInput{Kind: dispatch.CampaignFood, Day: "2026-01-14", PackagesPerAddress: tc.n})
			var de *dispatch.Error
			if dispatch.ErrorCode(err) != dispatch.EINVALID || !asError(err, &de) || de.Field != "packages_per_address" {
				t.Fatalf("err=%v, want EINVALID on packages_per_address", err)
			}
			if n := countRows(t, f.db, "campaigns"); n != 0 {
				t.Fatalf("campaigns=%d, want 0", n)
			}
		})
	}

	c, created, err := f.db.CreateCampaign(ctx, f.dispatcher, dispatch.CampaignInput{Kind: dispatch.CampaignFood, Day: "2026-01-14", PackagesPerAddress: 8})
	if err != nil || !created || c.Created != 2 {
		t.Fatalf("campaign=%+v created=%v err=%v; want 2 requests", c, created, err)
	}
	rs := f.requests(t, dispatch.FoodDelivery)
	if rs[f.westB.ID] == nil || rs[f.foodOnly.ID] == nil || rs[f.westB.ID].Packages != 8 || rs[f.westB.ID].Priority != dispatch.High {
		t.Fatalf("food requests=%v", rs)
	}
}

func TestRecurringVisits(t *testing.T) {
	ctx := context.Background()
	f := newCampaignFixture(t)
	// 2026-01-12 is a Monday.
	monday := time.Date(2026, 1, 12, 0, 0, 0, 0, time.UTC)
	set := func(c *dispatch.CareAddress, in dispatch.VisitRuleInput) {
		t.Helper()
		if err := f.db.SetVisitRule(ctx, f.dispatcher, c.ID, in); err != nil {
			t.Fatalf("SetVisitRule: %v", err)
		}
	}
	set(f.westA, dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 1})
	set(f.eastA, dispatch.VisitRuleInput{Rule: dispatch.VisitMonthly, Day: 12})
	set(f.foodOnly, dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 2})
	set(f.inactive, dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 1})

	if n := execCount(t, f.db, `SELECT count(*) FROM audit_log WHERE action = 'update' AND care_address_id = $1`, f.westA.ID); n != 1 {
		t.Fatalf("audit updates=%d, want 1", n)
	}

	t.Run("Validation", func(t *testing.T) {
		for _, in := range []dispatch.VisitRuleInput{{Rule: "daily", Day: 1}, {Rule: dispatch.VisitWeekly, Day: 8}, {Rule: dispatch.VisitMonthly, Day: 31}} {
			err := f.db.SetVisitRule(ctx, f.dispatcher, f.westB.ID, in)
			execWantCode(t, err, dispatch.EINVALID)
		}
		execWantCode(t, f.db.SetVisitRule(ctx, f.dispatcher, 99999, dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 1}), dispatch.ENOTFOUND)
		lead := mustExecLead(t, f.db, "lead", mustExecID(t, f.db, `SELECT id FROM teams LIMIT 1`))
		execWantCode(t, f.db.SetVisitRule(ctx, lead, f.westB.ID, dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 1}), dispatch.EFORBIDDEN)
	})

	n, err := f.db.CreateDueVisits(ctx, f.dispatcher, monday)
	if err != nil || n != 2 {
		t.Fatalf("CreateDueVisits=%d, %v; want 2 (weekly Monday, monthly 12th)", n, err)
	}
	rs := f.requests(t, dispatch.OtherKind)
	if r := rs[f.westA.ID]; r == nil || r.Source != dispatch.SourceRecurring || r.Notes != dispatch.RecurringVisitNotes {
		t.Fatalf("weekly visit=%+v", r)
	}
	if rs[f.eastA.ID] == nil || rs[f.foodOnly.ID] != nil || rs[f.inactive.ID] != nil {
		t.Fatalf("visits for %v", rs)
	}
	if n, err := f.db.CreateDueVisits(ctx, f.dispatcher, monday); err != nil || n != 0 {
		t.Fatalf("second run=%d, %v; want 0", n, err)
	}
	if n, err := f.db.CreateDueVisits(ctx, f.dispatcher, monday.AddDate(0, 0, 1)); err != nil || n != 1 {
		t.Fatalf("Tuesday=%d, %v; want 1", n, err)
	}
	set(f.westA, dispatch.VisitRuleInput{Rule: "none"})
	if n, err := f.db.CreateDueVisits(ctx, f.dispatcher, monday.AddDate(0, 0, 7)); err != nil || n != 0 {
		t.Fatalf("next Monday after clearing=%d, %v; want 0", n, err)
	}
}
