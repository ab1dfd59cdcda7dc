package dispatch

import (
	"testing"
	"time"

	"github.com/paulmach/orb"
)

func TestParseIfMatch(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		ok   bool
	}{
		{"", 0, true}, {`"3"`, 3, true}, {`W/"3"`, 3, true}, {" \"12\" ", 12, true}, {"*", AnyVersion, true},
		{"3", 0, false}, {`"0"`, 0, false}, {`"-1"`, 0, false}, {`"3.abc"`, 0, false}, {`"3", "4"`, 0, false},
	} {
		got, err := ParseIfMatch(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseIfMatch(%q)=%d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && ErrorCode(err) != EINVALID {
			t.Errorf("ParseIfMatch(%q) code=%q, want %s", tc.in, ErrorCode(err), EINVALID)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	if err := CheckVersion("Stop", 1, 0, 5); err != nil {
		t.Errorf("no precondition: %v", err)
	}
	if err := CheckVersion("Stop", 1, 5, 5); err != nil {
		t.Errorf("current version: %v", err)
	}
	if err := CheckVersion("Stop", 1, AnyVersion, 5); err != nil {
		t.Errorf("If-Match *: %v", err)
	}
	err := CheckVersion("Stop", 1, 4, 5)
	if e, ok := err.(*Error); !ok || e.Code != EPRECONDITION || e.Detail["current_version"] != Version(5) {
		t.Errorf("stale: %#v, want EPRECONDITION with current_version 5", err)
	}
	if code := ErrorCode(RequireVersion("Team", 1, 0, 5)); code != EPRECONDITIONREQUIRED {
		t.Errorf("RequireVersion without version code=%q, want %s", code, EPRECONDITIONREQUIRED)
	}
	if code := ErrorCode(RequireVersion("Team", 1, 4, 5)); code != EPRECONDITION {
		t.Errorf("RequireVersion stale code=%q, want %s", code, EPRECONDITION)
	}
}

func TestRouteETag(t *testing.T) {
	base := func() *Route {
		return &Route{ID: 1, Version: 2, Stops: []Stop{{ID: 10, Version: 1, Seq: 1, Status: StopPending}, {ID: 11, Version: 1, Seq: 2, Status: StopPending}}}
	}
	tag := RouteETag(base())
	if tag != RouteETag(base()) {
		t.Fatal("RouteETag is not stable")
	}
	changes := map[string]func(r *Route){
		"route version": func(r *Route) { r.Version++ },
		"stop version":  func(r *Route) { r.Stops[1].Version++ },
		"reorder":       func(r *Route) { r.Stops[0].Seq, r.Stops[1].Seq = 2, 1 },
		"stop gone":     func(r *Route) { r.Stops = r.Stops[:1] },
		"status":        func(r *Route) { r.Stops[0].Status = StopDone },
	}
	for name, change := range changes {
		r := base()
		change(r)
		if RouteETag(r) == tag {
			t.Errorf("%s: ETag unchanged", name)
		}
	}
	r := base()
	now := time.Now()
	r.Stops[0].ETA, r.DistanceM = &now, 99
	if RouteETag(r) != tag {
		t.Error("ETA or distance changed the ETag; they change on their own")
	}
}

func TestRouteVisibility(t *testing.T) {
	team := int64(7)
	disp := &User{ID: 1, Role: RoleDispatcher, Active: true}
	lead := &User{ID: 2, Role: RoleTeamLead, TeamID: &team, Active: true}
	lone := &User{ID: 3, Role: RoleTeamLead, Active: true}
	hotline := &User{ID: 4, Role: RoleHotline, Active: true}

	f, err := ScopeRouteFilter(disp, RouteFilter{Day: "2026-12-01", Statuses: []RouteStatus{RouteDraft}})
	if err != nil || f.TeamID != nil || len(f.Statuses) != 1 {
		t.Errorf("dispatcher filter=%+v err=%v, want unchanged", f, err)
	}
	f, err = ScopeRouteFilter(lead, RouteFilter{Statuses: []RouteStatus{RouteDraft}})
	if err != nil || f.TeamID == nil || *f.TeamID != team {
		t.Fatalf("lead filter=%+v err=%v, want own team", f, err)
	}
	for _, s := range f.Statuses {
		if s == RouteDraft {
			t.Errorf("lead filter lets drafts through: %v", f.Statuses)
		}
	}
	if _, err := ScopeRouteFilter(lone, RouteFilter{}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("lead without team code=%q, want forbidden", ErrorCode(err))
	}
	if _, err := ScopeRouteFilter(hotline, RouteFilter{}); ErrorCode(err) != EFORBIDDEN {
		t.Errorf("hotline code=%q, want forbidden", ErrorCode(err))
	}
	for _, tc := range []struct {
		u    *User
		r    Route
		want string
	}{
		{disp, Route{ID: 1, TeamID: 9, Status: RouteDraft}, ""},
		{lead, Route{ID: 1, TeamID: 7, Status: RoutePublished}, ""},
		{lead, Route{ID: 1, TeamID: 7, Status: RouteFinished}, ""},
		{lead, Route{ID: 1, TeamID: 7, Status: RouteDraft}, ENOTFOUND},
		{lead, Route{ID: 1, TeamID: 9, Status: RouteInProgress}, ENOTFOUND},
		{hotline, Route{ID: 1, TeamID: 7, Status: RoutePublished}, EFORBIDDEN},
		{nil, Route{ID: 1}, EUNAUTHORIZED},
	} {
		if got := ErrorCode(CanSeeRoute(tc.u, &tc.r)); got != tc.want {
			t.Errorf("CanSeeRoute(%v, %+v)=%q, want %q", tc.u, tc.r, got, tc.want)
		}
	}
}

func TestNewScheduleInput(t *testing.T) {
	shift := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	base, pos := orb.Point{71.40, 51.10}, orb.Point{71.45, 51.12}
	stops := []FactStop{
		{ID: 1, Status: StopDone, TimedStop: TimedStop{Location: orb.Point{71.41, 51.11}}},
		{ID: 2, Status: StopPending, TimedStop: TimedStop{Location: orb.Point{71.42, 51.11}}},
		{ID: 3, Status: StopPending, TimedStop: TimedStop{Location: orb.Point{71.43, 51.11}}},
	}
	early := shift.Add(-2 * time.Hour)
	draft := NewScheduleInput(RouteFacts{RouteID: 5, Status: RouteDraft, Base: base, Position: &pos, ShiftStart: shift, Stops: stops}, early)
	if draft.From != base || !draft.At.Equal(shift) {
		t.Errorf("draft sets off from %v at %v, want the base at the shift start", draft.From, draft.At)
	}
	late := shift.Add(2 * time.Hour)
	started := NewScheduleInput(RouteFacts{RouteID: 5, Status: RouteInProgress, Base: base, Position: &pos, ShiftStart: shift, Stops: stops, HasVehicle: true}, late)
	if started.From != pos || !started.At.Equal(late) || started.Mode != ByCar {
		t.Errorf("started route sets off from %v at %v mode %v, want the last position now by car", started.From, started.At, started.Mode)
	}
	if len(started.StopIDs) != 2 || started.StopIDs[0] != 2 || len(started.Done) != 1 || started.Done[0] != base {
		t.Errorf("StopIDs=%v Done=%v, want the pending stops 2,3 and the base drawn before", started.StopIDs, started.Done)
	}
	noPos := NewScheduleInput(RouteFacts{RouteID: 5, Status: RouteInProgress, Base: base, ShiftStart: shift, Stops: stops}, late)
	if noPos.From != stops[0].Location {
		t.Errorf("started route without a position sets off from %v, want the last visited stop", noPos.From)
	}
}
