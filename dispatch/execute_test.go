package dispatch

import (
	"testing"
	"time"
)

func TestRequireTeamWork(t *testing.T) {
	team := int64(3)
	other := int64(4)
	for _, tc := range []struct {
		name string
		u    *User
		want string
	}{
		{"Lead", &User{Role: RoleTeamLead, TeamID: &team, Active: true}, ""},
		{"OtherLead", &User{Role: RoleTeamLead, TeamID: &other, Active: true}, EFORBIDDEN},
		{"Dispatcher", &User{Role: RoleDispatcher, Active: true}, ""},
		{"Hotline", &User{Role: RoleHotline, Active: true}, EFORBIDDEN},
		{"InactiveLead", &User{Role: RoleTeamLead, TeamID: &team}, EFORBIDDEN},
		{"Anonymous", nil, EUNAUTHORIZED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ErrorCode(RequireTeamWork(tc.u, team)); got != tc.want {
				t.Fatalf("ErrorCode=%q, want %q", got, tc.want)
			}
		})
	}
}

func TestStopConflict(t *testing.T) {
	for _, tc := range []struct {
		cur, next StopStatus
		want      string
	}{
		{StopPending, StopDone, ""},
		{StopArrived, StopNotHome, ""},
		{StopDone, StopDone, "Stop 12 is already done."},
		{StopDone, StopArrived, "Stop 12 is already done; it cannot become arrived."},
		{StopRemoved, StopDone, "Stop 12 was removed from the route."},
	} {
		t.Run(string(tc.cur)+"To"+string(tc.next), func(t *testing.T) {
			err := StopConflict(12, tc.cur, tc.next)
			if got := ErrorMessage(err); got != tc.want {
				t.Fatalf("message=%q, want %q", got, tc.want)
			}
		})
	}
}

func TestActiveStop(t *testing.T) {
	stops := []Stop{{Status: StopDone}, {Status: StopPending}, {Status: StopPending}}
	if got := ActiveStop(RouteInProgress, stops); got != 1 {
		t.Fatalf("ActiveStop=%d, want 1", got)
	}
	if got := ActiveStop(RoutePublished, stops); got != -1 {
		t.Fatalf("ActiveStop on published=%d, want -1", got)
	}
	stops[2].Status = StopArrived
	if got := ActiveStop(RouteInProgress, stops); got != 2 {
		t.Fatalf("ActiveStop with arrived=%d, want 2", got)
	}
}

func TestCampaignPriority(t *testing.T) {
	for _, tc := range []struct {
		kind     CampaignKind
		cm       float64
		immobile bool
		want     Priority
	}{
		{CampaignSnowfall, 12, false, Normal},
		{CampaignSnowfall, 9.9, true, High},
		{CampaignSnowfall, 10, true, Urgent},
		{CampaignFood, 0, true, High},
	} {
		if got := CampaignPriority(tc.kind, tc.cm, tc.immobile); got != tc.want {
			t.Errorf("CampaignPriority(%s, %v, %v)=%s, want %s", tc.kind, tc.cm, tc.immobile, got, tc.want)
		}
	}
}

func TestVisitRuleDue(t *testing.T) {
	sunday := time.Date(2026, 1, 18, 0, 0, 0, 0, time.UTC)
	if ISOWeekday(sunday) != 7 || !VisitWeekly.Due(7, sunday) || VisitWeekly.Due(1, sunday) {
		t.Fatalf("weekly on Sunday: ISOWeekday=%d", ISOWeekday(sunday))
	}
	if !VisitMonthly.Due(18, sunday) || VisitMonthly.Due(17, sunday) || VisitNone.Due(18, sunday) {
		t.Fatal("monthly on the 18th")
	}
	for _, in := range []VisitRuleInput{{Rule: "daily", Day: 1}, {Rule: VisitWeekly, Day: 0}, {Rule: VisitMonthly, Day: 29}, {Rule: "none", Day: 3}} {
		if err := in.Normalize(); ErrorCode(err) != EINVALID {
			t.Errorf("Normalize(%+v)=%v, want EINVALID", in, err)
		}
	}
}
