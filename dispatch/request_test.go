package dispatch_test

import (
	"testing"
	"time"

	"github.com/qamqor/qamqor/dispatch"
)

func TestRequestStatusTransitions(t *testing.T) {
	all := []dispatch.RequestStatus{
		dispatch.StatusNew, dispatch.StatusPlanned, dispatch.StatusAssigned, dispatch.StatusInProgress,
		dispatch.StatusDone, dispatch.StatusFailed, dispatch.StatusCancelled,
	}
	// legal is the full transition table a dispatcher relies on; every other
	// pair must be refused.
	legal := map[[2]dispatch.RequestStatus]bool{
		{"new", "planned"}: true, {"new", "assigned"}: true, {"new", "cancelled"}: true,
		{"planned", "new"}: true, {"planned", "assigned"}: true, {"planned", "cancelled"}: true,
		{"assigned", "new"}: true, {"assigned", "planned"}: true, {"assigned", "in_progress"}: true,
		{"assigned", "done"}: true, {"assigned", "failed"}: true, {"assigned", "cancelled"}: true,
		{"in_progress", "done"}: true, {"in_progress", "failed"}: true,
		{"failed", "new"}: true, {"failed", "cancelled"}: true,
	}
	for _, from := range all {
		for _, to := range all {
			want := legal[[2]dispatch.RequestStatus{from, to}]
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				if got := from.CanTransition(to); got != want {
					t.Fatalf("CanTransition=%v, want %v", got, want)
				}
				err := from.Transition(to)
				if want && err != nil {
					t.Fatalf("Transition err=%v, want nil", err)
				}
				if !want && dispatch.ErrorCode(err) != dispatch.ECONFLICT {
					t.Fatalf("Transition code=%q, want %q", dispatch.ErrorCode(err), dispatch.ECONFLICT)
				}
			})
		}
	}
	if err := dispatch.StatusNew.Transition("bogus"); dispatch.ErrorCode(err) != dispatch.EINVALID {
		t.Fatalf("unknown status code=%q, want invalid", dispatch.ErrorCode(err))
	}
}

func f64(v float64) *float64 { return &v }

func TestRequestInputNormalize(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	t1 := t0.Add(-time.Hour)
	id := int64(7)
	neg := int64(-1)
	base := func() dispatch.RequestInput {
		return dispatch.RequestInput{Kind: dispatch.SnowClearing, AddressText: "Кенесары 40", Lat: f64(51.17), Lon: f64(71.43)}
	}
	tests := []struct {
		name  string
		edit  func(*dispatch.RequestInput)
		field string // "" means valid
	}{
		{"OK", func(*dispatch.RequestInput) {}, ""},
		{"OKCareAddressOnly", func(in *dispatch.RequestInput) { in.AddressText, in.Lat, in.Lon, in.CareAddressID = "", nil, nil, &id }, ""},
		{"MissingKind", func(in *dispatch.RequestInput) { in.Kind = "" }, "kind"},
		{"UnknownKind", func(in *dispatch.RequestInput) { in.Kind = "plumbing" }, "kind"},
		{"UnknownPriority", func(in *dispatch.RequestInput) { in.Priority = "asap" }, "priority"},
		{"UnknownSource", func(in *dispatch.RequestInput) { in.Source = "fax" }, "source"},
		{"MissingAddress", func(in *dispatch.RequestInput) { in.AddressText = "" }, "address"},
		{"MissingLocation", func(in *dispatch.RequestInput) { in.Lat, in.Lon = nil, nil }, "lat"},
		{"HalfLocation", func(in *dispatch.RequestInput) { in.Lon = nil }, "lat"},
		{"OutsideArea", func(in *dispatch.RequestInput) { in.Lat, in.Lon = f64(43.24), f64(76.89) }, "lat"},
		{"OutOfRange", func(in *dispatch.RequestInput) { in.Lat = f64(123) }, "lat"},
		{"WindowEndsBeforeStart", func(in *dispatch.RequestInput) { in.WindowStart, in.WindowEnd = &t0, &t1 }, "window_end"},
		{"HalfWindow", func(in *dispatch.RequestInput) { in.WindowStart = &t0 }, "window_end"},
		{"ServiceTooLong", func(in *dispatch.RequestInput) { in.ServiceMinutes = 1000 }, "service_minutes"},
		{"NegativePackages", func(in *dispatch.RequestInput) { in.Packages = -1 }, "packages"},
		{"BadCareAddress", func(in *dispatch.RequestInput) { in.CareAddressID = &neg }, "care_address_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base()
			tt.edit(&in)
			err := in.Normalize(dispatch.AstanaArea)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("err=%v, want nil", err)
				}
				if in.Priority != dispatch.Normal || in.Source != dispatch.SourceHotline || in.ServiceMinutes != 30 {
					t.Fatalf("defaults=%v/%v/%v, want normal/hotline/30", in.Priority, in.Source, in.ServiceMinutes)
				}
				return
			}
			var e *dispatch.Error
			if dispatch.ErrorCode(err) != dispatch.EINVALID {
				t.Fatalf("code=%q, want invalid (err=%v)", dispatch.ErrorCode(err), err)
			}
			e = err.(*dispatch.Error)
			if e.Field != tt.field {
				t.Fatalf("Field=%q, want %q", e.Field, tt.field)
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	team := int64(1)
	tests := []struct {
		role dispatch.Role
		act  dispatch.Action
		want bool
	}{
		{dispatch.RoleHotline, dispatch.ActCreateRequest, true},
		{dispatch.RoleHotline, dispatch.ActChangeRequests, false},
		{dispatch.RoleHotline, dispatch.ActPlan, false},
		{dispatch.RoleDispatcher, dispatch.ActPlan, true},
		{dispatch.RoleDispatcher, dispatch.ActManageUsers, false},
		{dispatch.RoleTeamLead, dispatch.ActViewPersonal, false},
		{dispatch.RoleTeamLead, dispatch.ActReportProgress, true},
		{dispatch.RoleTeamLead, dispatch.ActCreateRequest, false},
		{dispatch.RoleAdmin, dispatch.ActManageUsers, true},
		{dispatch.RoleAdmin, dispatch.ActPlan, false},
	}
	for _, tt := range tests {
		u := &dispatch.User{ID: 1, Role: tt.role, Active: true, TeamID: &team}
		if got := u.Can(tt.act); got != tt.want {
			t.Errorf("%s Can(%s)=%v, want %v", tt.role, tt.act, got, tt.want)
		}
	}
	inactive := &dispatch.User{Role: dispatch.RoleAdmin}
	if inactive.Can(dispatch.ActManageUsers) {
		t.Error("inactive user Can=true, want false")
	}
	if dispatch.ErrorCode(dispatch.Require(nil, dispatch.ActSearch)) != dispatch.EUNAUTHORIZED {
		t.Error("Require(nil) want unauthorized")
	}
}

func TestVolunteerMinor(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		year int
		want bool
	}{{2010, true}, {2009, true}, {2008, false}, {1990, false}} {
		if got := (dispatch.Volunteer{BirthYear: tt.year}).Minor(now); got != tt.want {
			t.Errorf("born %d Minor=%v, want %v", tt.year, got, tt.want)
		}
	}
}

func TestNormalizeSkill(t *testing.T) {
	for in, want := range map[string]string{"Shovel": "shovels", " лопаты ": "shovels", "Күрек": "shovels", "машина": "car", "First  Aid": "first_aid", "sled": "sled"} {
		if got := dispatch.NormalizeSkill(in); got != want {
			t.Errorf("NormalizeSkill(%q)=%q, want %q", in, got, want)
		}
	}
}
