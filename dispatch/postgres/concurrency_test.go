package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/qamqor/qamqor/dispatch"
	"github.com/qamqor/qamqor/dispatch/postgres"
	"github.com/qamqor/qamqor/dispatch/postgres/pgtest"
)

// mustDraftRoutes creates one draft route of day per team, each with n
// pending stops of new snow requests, and returns the route ids.
func mustDraftRoutes(tb testing.TB, db *postgres.DB, actor *dispatch.User, day string, teams []int64, n int) []int64 {
	tb.Helper()
	ctx := context.Background()
	var ids []int64
	for ti, team := range teams {
		var rid int64
		if err := db.Pool().QueryRow(ctx, `INSERT INTO routes (team_id, day) VALUES ($1, $2::date) RETURNING id`, team, day).Scan(&rid); err != nil {
			tb.Fatal(err)
		}
		for i := 0; i < n; i++ {
			r := mustRequest(tb, db, actor, dispatch.SnowClearing, orb.Point{71.40 + 0.01*float64(i), 51.10 + 0.02*float64(ti)}, dispatch.Normal)
			if _, err := db.Pool().Exec(ctx, `INSERT INTO stops (route_id, request_id, seq) VALUES ($1, $2, $3)`, rid, r.ID, i+1); err != nil {
				tb.Fatal(err)
			}
			if _, err := db.Pool().Exec(ctx, `UPDATE requests SET status = 'planned' WHERE id = $1`, r.ID); err != nil {
				tb.Fatal(err)
			}
		}
		ids = append(ids, rid)
	}
	return ids
}

// stopsOn returns the ids of the pending stops of a route in order.
func stopsOn(tb testing.TB, db *postgres.DB, routeID int64) []int64 {
	tb.Helper()
	rt, err := db.FindRouteByID(context.Background(), routeID)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for _, s := range rt.Stops {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestMoveStopsOppositeDirections: two dispatchers move stops between the
// same two routes in opposite directions at the same moment. Each move
// locks both routes; taken in the order "my stop's route, then the target"
// the two transactions wait for each other and PostgreSQL kills one with a
// deadlock (a 500 for that dispatcher). In the lock order (routes by id,
// then the stop) they queue: every move succeeds and none needs a retry.
func TestMoveStopsOppositeDirections(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	a := mustTeam(t, db, org, teamSpec{name: "A", base: orb.Point{71.43, 51.10}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	b := mustTeam(t, db, org, teamSpec{name: "B", base: orb.Point{71.43, 51.12}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	const perRoute, rounds = 12, 12
	routes := mustDraftRoutes(t, db, disp, "2026-12-01", []int64{a, b}, perRoute)
	fromA, fromB := stopsOn(t, db, routes[0]), stopsOn(t, db, routes[1])

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	move := func(stops []int64, to int64, start <-chan struct{}, i int) {
		defer wg.Done()
		<-start
		if _, err := db.MoveStop(ctx, disp, stops[i], to, 1, dispatch.StopEdit{}); err != nil {
			mu.Lock()
			errs = append(errs, fmt.Errorf("move stop %d to route %d: %w", stops[i], to, err))
			mu.Unlock()
		}
	}
	for i := 0; i < rounds; i++ {
		start := make(chan struct{})
		wg.Add(2)
		go move(fromA, routes[1], start, i)
		go move(fromB, routes[0], start, i)
		close(start)
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent opposite moves failed:\n%v", err)
	}
	if n := db.Retries(); n != 0 {
		t.Errorf("Retries=%d, want 0: the lock order should make these moves deadlock-free, not merely retried", n)
	}
	onA, onB := stopsOn(t, db, routes[0]), stopsOn(t, db, routes[1])
	if len(onA)+len(onB) != 2*perRoute {
		t.Fatalf("stops on the routes=%d+%d, want %d", len(onA), len(onB), 2*perRoute)
	}
	var onTwo int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM (SELECT request_id FROM stops WHERE status <> 'removed'
		GROUP BY request_id HAVING count(*) > 1) d`).Scan(&onTwo); err != nil || onTwo != 0 {
		t.Fatalf("requests on two stops=%d err=%v, want 0", onTwo, err)
	}
}

// TestStaleStopEdits: stop edits based on an old version of the stop are
// refused with the current stop and change nothing.
func TestStaleStopEdits(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	a := mustTeam(t, db, org, teamSpec{name: "A", base: orb.Point{71.43, 51.10}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	b := mustTeam(t, db, org, teamSpec{name: "B", base: orb.Point{71.43, 51.12}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	routes := mustDraftRoutes(t, db, disp, "2026-12-01", []int64{a, b}, 3)
	rt, err := db.FindRouteByID(ctx, routes[0])
	if err != nil {
		t.Fatal(err)
	}
	first, second := rt.Stops[0], rt.Stops[1]
	if first.Version != 1 {
		t.Fatalf("new stop Version=%d, want 1", first.Version)
	}
	tag := dispatch.RouteETag(rt)

	// Dispatcher 1 locks the first stop, based on version 1.
	if _, err := db.SetStopLocked(ctx, disp, first.ID, true, dispatch.StopEdit{Expect: first.Version}); err != nil {
		t.Fatal(err)
	}
	// Dispatcher 2 read the same version and moves it away: refused.
	_, err = db.MoveStop(ctx, disp, first.ID, routes[1], 1, dispatch.StopEdit{Expect: first.Version})
	var de *dispatch.Error
	if !errors.As(err, &de) || de.Code != dispatch.EPRECONDITION {
		t.Fatalf("stale move err=%v, want %s", err, dispatch.EPRECONDITION)
	}
	cur, ok := de.Detail["current"].(*dispatch.Stop)
	if !ok || cur.ID != first.ID || !cur.Locked || cur.Version != 2 {
		t.Fatalf("current=%+v, want stop %d locked at version 2", de.Detail["current"], first.ID)
	}
	if got := stopsOn(t, db, routes[0]); len(got) != 3 || got[0] != first.ID {
		t.Fatalf("route after refused move=%v, want the first stop still first", got)
	}
	// With the new version the move goes through.
	if _, err := db.MoveStop(ctx, disp, first.ID, routes[1], 1, dispatch.StopEdit{Expect: cur.Version}); err != nil {
		t.Fatal(err)
	}
	rt2, _ := db.FindRouteByID(ctx, routes[0])
	if dispatch.RouteETag(rt2) == tag {
		t.Error("route ETag unchanged after a stop moved out")
	}
	// Stops that only shift position keep their version; the moved one's
	// rises even when it moves within its own route.
	if rt2.Stops[0].ID != second.ID || rt2.Stops[0].Version != second.Version {
		t.Errorf("shifted stop=%+v, want stop %d at version %d", rt2.Stops[0], second.ID, second.Version)
	}
	v := rt2.Stops[0].Version
	if _, err := db.MoveStop(ctx, disp, second.ID, routes[0], 2, dispatch.StopEdit{Expect: v}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.MoveStop(ctx, disp, second.ID, routes[0], 1, dispatch.StopEdit{Expect: v}); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
		t.Fatalf("second reorder on the old version code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
	}
	// Removing with a stale version changes nothing.
	if _, err := db.RemoveStop(ctx, disp, second.ID, dispatch.StopEdit{Expect: v}); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
		t.Fatalf("stale remove code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
	}
	// A request status change with a stale version is refused too.
	req, err := db.FindRequestByID(ctx, cur.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SetRequestStatus(ctx, disp, req.ID, dispatch.StatusCancelled, req.Version-1); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
		t.Fatalf("stale status change code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
	}
}

// TestVersionsIgnoreBackgroundChanges: ETAs, route geometry and team
// positions change every few seconds while teams are out; they must not
// make a dispatcher's or admin's open form stale.
func TestVersionsIgnoreBackgroundChanges(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	a := mustTeam(t, db, org, teamSpec{name: "A", base: orb.Point{71.43, 51.10}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	routes := mustDraftRoutes(t, db, disp, "2026-12-01", []int64{a}, 3)
	before, _ := db.FindRouteByID(ctx, routes[0])
	team, _ := db.FindTeamByID(ctx, a)
	sched := dispatch.Scheduling{Travel: dispatch.HaversineTravel{}, Now: time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC), Location: time.UTC}
	if err := db.RecomputeRoute(ctx, routes[0], sched); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, `UPDATE teams SET last_position = base, last_position_at = now() WHERE id = $1`, a); err != nil {
		t.Fatal(err)
	}
	after, _ := db.FindRouteByID(ctx, routes[0])
	if after.Stops[0].ETA == nil {
		t.Fatal("RecomputeRoute set no ETA")
	}
	if dispatch.RouteETag(after) != dispatch.RouteETag(before) {
		t.Errorf("route ETag %s -> %s after an ETA recomputation, want unchanged", dispatch.RouteETag(before), dispatch.RouteETag(after))
	}
	team2, _ := db.FindTeamByID(ctx, a)
	if team2.Version != team.Version {
		t.Errorf("team Version %d -> %d after a position report, want unchanged", team.Version, team2.Version)
	}
}

// TestRegistrySaveVersions: saving a registry row needs the version it was
// read at; a save based on an old version is refused with the current row
// and changes nothing.
func TestRegistrySaveVersions(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	admin := mustUser(t, db, "admin", dispatch.RoleAdmin)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)

	t.Run("Organisation", func(t *testing.T) {
		o := &dispatch.Organisation{Name: "Jas Otan", Kind: "volunteer_org"}
		if err := db.SaveOrganisation(ctx, admin, o); err != nil || o.Version != 1 {
			t.Fatalf("create Version=%d err=%v, want 1", o.Version, err)
		}
		first := *o
		o.Phone = "+7 701 000 00 01"
		if err := db.SaveOrganisation(ctx, admin, o); err != nil || o.Version != 2 {
			t.Fatalf("update Version=%d err=%v, want 2", o.Version, err)
		}
		first.Name = "Jas Otan Astana"
		err := db.SaveOrganisation(ctx, admin, &first)
		var de *dispatch.Error
		if !errors.As(err, &de) || de.Code != dispatch.EPRECONDITION {
			t.Fatalf("stale save err=%v, want %s", err, dispatch.EPRECONDITION)
		}
		if cur, ok := de.Detail["current"].(*dispatch.Organisation); !ok || cur.Phone != o.Phone || cur.Version != 2 {
			t.Fatalf("current=%+v, want the saved phone at version 2", de.Detail["current"])
		}
		blind := &dispatch.Organisation{ID: o.ID, Name: "Blind", Kind: "ngo"}
		if err := db.SaveOrganisation(ctx, admin, blind); dispatch.ErrorCode(err) != dispatch.EPRECONDITIONREQUIRED {
			t.Fatalf("save without version code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITIONREQUIRED)
		}
		list, _, _ := db.FindOrganisations(ctx, dispatch.Page{Q: "Jas"})
		if len(list) != 1 || list[0].Name != "Jas Otan" || list[0].Phone != o.Phone {
			t.Fatalf("after refused saves: %+v, want the first update only", list)
		}
		// If-Match: * overwrites deliberately.
		first.Version = dispatch.AnyVersion
		if err := db.SaveOrganisation(ctx, admin, &first); err != nil || first.Version != 3 {
			t.Fatalf("overwrite Version=%d err=%v, want 3", first.Version, err)
		}
	})

	t.Run("CareAddress", func(t *testing.T) {
		c := mustCare(t, db, disp, "Ахметова Сауле Каримовна", "+7 701 111 22 33", orb.Point{71.43, 51.13})
		read, err := db.FindCareAddressByID(ctx, disp, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		mine, theirs := *read, *read
		mine.AccessNotes = "code 1234"
		if err := db.SaveCareAddress(ctx, disp, &mine); err != nil {
			t.Fatal(err)
		}
		theirs.Phone = "+7 701 999 99 99"
		if err := db.SaveCareAddress(ctx, admin, &theirs); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
			t.Fatalf("second save on the same version code=%q, want %s (it would erase the access notes)", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
		}
		now, _ := db.FindCareAddressByID(ctx, disp, c.ID)
		if now.AccessNotes != "code 1234" || now.Phone != c.Phone {
			t.Fatalf("after the refused save: notes=%q phone=%q, want the first save only", now.AccessNotes, now.Phone)
		}
		// The care address's last team changes as teams visit: not an edit.
		if _, err := db.Pool().Exec(ctx, `UPDATE care_addresses SET last_team_id = NULL, updated_at = now() WHERE id = $1`, c.ID); err != nil {
			t.Fatal(err)
		}
		again, _ := db.FindCareAddressByID(ctx, disp, c.ID)
		if again.Version != now.Version {
			t.Errorf("Version %d -> %d after a background change, want unchanged", now.Version, again.Version)
		}
	})

	t.Run("TeamMembers", func(t *testing.T) {
		org := mustOrg(t, db)
		v1 := &dispatch.Volunteer{FullName: "Aruzhan", BirthYear: 1995, OrganisationID: org, Active: true}
		v2 := &dispatch.Volunteer{FullName: "Dias", BirthYear: 1996, OrganisationID: org, Active: true}
		for _, v := range []*dispatch.Volunteer{v1, v2} {
			if err := db.SaveVolunteer(ctx, admin, v); err != nil {
				t.Fatal(err)
			}
		}
		tm := &dispatch.Team{Name: "Members", OrganisationID: org, Base: orb.Point{71.43, 51.13}, Active: true, MemberIDs: []int64{v1.ID}}
		if err := db.SaveTeam(ctx, admin, tm); err != nil {
			t.Fatal(err)
		}
		stale := *tm
		tm.MemberIDs = []int64{v1.ID, v2.ID}
		if err := db.SaveTeam(ctx, admin, tm); err != nil {
			t.Fatal(err)
		}
		if tm.Version == stale.Version {
			t.Fatalf("Version stayed %d when only the members changed", tm.Version)
		}
		if err := db.SaveTeam(ctx, admin, &stale); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
			t.Fatalf("save on the version before the member change code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
		}
		got, _ := db.FindTeamByID(ctx, tm.ID)
		if len(got.MemberIDs) != 2 {
			t.Fatalf("members=%v, want both (the stale save must not drop Dias)", got.MemberIDs)
		}
	})

	t.Run("User", func(t *testing.T) {
		u := mustUser(t, db, "operator", dispatch.RoleHotline)
		a, b := *u, *u
		a.FullName = "Operator One"
		if err := db.SaveUser(ctx, admin, &a, ""); err != nil {
			t.Fatal(err)
		}
		b.Active = false
		if err := db.SaveUser(ctx, admin, &b, ""); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
			t.Fatalf("stale user save code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
		}
	})
}

// TestCreateCareAddressValidates: the store applies the care address rules
// itself, so no caller (hotline, import, registry) can store a pensioner
// outside the city or with an unknown language.
func TestCreateCareAddressValidates(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	for name, c := range map[string]*dispatch.CareAddress{
		"OutsideAstana": {FullName: "Almaty Person", AddressText: "Abay 1", Location: orb.Point{76.9, 43.2}},
		"Language":      {FullName: "Person", AddressText: "Kenesary 40", Location: orb.Point{71.43, 51.13}, PreferredLanguage: "de"},
		"NoName":        {AddressText: "Kenesary 40", Location: orb.Point{71.43, 51.13}},
	} {
		if err := db.CreateCareAddress(ctx, disp, c); dispatch.ErrorCode(err) != dispatch.EINVALID {
			t.Errorf("%s: code=%q, want %s", name, dispatch.ErrorCode(err), dispatch.EINVALID)
		}
	}
	var n int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM care_addresses`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("care addresses stored=%d err=%v, want 0", n, err)
	}
}

// TestPublishReviewedDraft: publishing with the ETag of the draft the
// dispatcher reviewed refuses a draft that changed since, publishing none.
func TestPublishReviewedDraft(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	org := mustOrg(t, db)
	a := mustTeam(t, db, org, teamSpec{name: "A", base: orb.Point{71.43, 51.10}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	b := mustTeam(t, db, org, teamSpec{name: "B", base: orb.Point{71.43, 51.12}, members: []int{1990}, skills: []string{"shovels"}, langs: []string{"ru"}})
	routes := mustDraftRoutes(t, db, disp, "2026-12-01", []int64{a, b}, 3)
	ra, _ := db.FindRouteByID(ctx, routes[0])
	rb, _ := db.FindRouteByID(ctx, routes[1])
	reviewed := map[int64]string{ra.ID: dispatch.RouteETag(ra), rb.ID: dispatch.RouteETag(rb)}
	// Another dispatcher reorders route B after the review.
	if _, err := db.MoveStop(ctx, disp, rb.Stops[2].ID, rb.ID, 1, dispatch.StopEdit{}); err != nil {
		t.Fatal(err)
	}
	_, err := db.PublishRoutes(ctx, disp, []int64{ra.ID, rb.ID}, reviewed)
	var de *dispatch.Error
	if !errors.As(err, &de) || de.Code != dispatch.EPRECONDITION {
		t.Fatalf("publish of a changed draft err=%v, want %s", err, dispatch.EPRECONDITION)
	}
	if cur, ok := de.Detail["current"].(*dispatch.Route); !ok || cur.ID != rb.ID || dispatch.RouteETag(cur) == reviewed[rb.ID] {
		t.Fatalf("current=%+v, want route %d as it is now", de.Detail["current"], rb.ID)
	}
	if got, _ := db.FindRouteByID(ctx, ra.ID); got.Status != dispatch.RouteDraft {
		t.Fatalf("route A status=%s, want still draft (nothing published)", got.Status)
	}
	rb, _ = db.FindRouteByID(ctx, rb.ID)
	reviewed[rb.ID] = dispatch.RouteETag(rb)
	if _, err := db.PublishRoutes(ctx, disp, []int64{ra.ID, rb.ID}, reviewed); err != nil {
		t.Fatalf("publish after a second look: %v", err)
	}
}

// TestVisitRuleIfMatch: a visit rule set on an old version of the care
// address is refused; without a version it applies.
func TestVisitRuleIfMatch(t *testing.T) {
	ctx := context.Background()
	db := pgtest.MustOpen(t)
	disp := mustUser(t, db, "disp", dispatch.RoleDispatcher)
	c := mustCare(t, db, disp, "Ахметова Сауле Каримовна", "+7 701 111 22 33", orb.Point{71.43, 51.13})
	read, _ := db.FindCareAddressByID(ctx, disp, c.ID)
	edited := *read
	edited.AccessNotes = "code 1234"
	if err := db.SaveCareAddress(ctx, disp, &edited); err != nil {
		t.Fatal(err)
	}
	stale := dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 2, Expect: read.Version}
	if err := db.SetVisitRule(ctx, disp, c.ID, stale); dispatch.ErrorCode(err) != dispatch.EPRECONDITION {
		t.Fatalf("stale visit rule code=%q, want %s", dispatch.ErrorCode(err), dispatch.EPRECONDITION)
	}
	current := dispatch.VisitRuleInput{Rule: dispatch.VisitWeekly, Day: 2, Expect: edited.Version}
	if err := db.SetVisitRule(ctx, disp, c.ID, current); err != nil {
		t.Fatalf("visit rule on the current version: %v", err)
	}
	after, _ := db.FindCareAddressByID(ctx, disp, c.ID)
	if after.Version == edited.Version {
		t.Errorf("Version stayed %d after the visit rule changed", after.Version)
	}
}
