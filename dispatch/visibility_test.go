package dispatch

import (
	"strings"
	"testing"
)

// TestVisibleStopFields checks every stop field for every role in every
// situation a stop can be seen in, against the table the README states.
func TestVisibleStopFields(t *testing.T) {
	const today, yesterday, tomorrow = "2026-12-06", "2026-12-05", "2026-12-07"
	team := int64(1)
	users := map[Role]*User{
		RoleAdmin:      {ID: 1, Role: RoleAdmin, Active: true},
		RoleDispatcher: {ID: 2, Role: RoleDispatcher, Active: true},
		RoleHotline:    {ID: 3, Role: RoleHotline, Active: true},
		RoleTeamLead:   {ID: 4, Role: RoleTeamLead, TeamID: &team, Active: true},
	}
	everything := "address name phone preferred_language entrance floor flat access_notes immobile notes"
	scopes := []struct {
		name  string
		scope StopScope
		lead  string // the fields a team lead sees
	}{
		{"TodayRunningActive", StopScope{RouteInProgress, today, today, true}, "address first_name phone preferred_language entrance floor flat access_notes immobile notes"},
		{"TodayRunningOther", StopScope{RouteInProgress, today, today, false}, "address first_name preferred_language entrance floor flat access_notes immobile notes"},
		{"TodayPublished", StopScope{RoutePublished, today, today, false}, "address first_name preferred_language"},
		{"TodayFinished", StopScope{RouteFinished, today, today, false}, "address first_name preferred_language"},
		{"PastDayRunning", StopScope{RouteInProgress, yesterday, today, true}, "address"},
		{"PastDayFinished", StopScope{RouteFinished, yesterday, today, false}, "address"},
		{"Tomorrow", StopScope{RoutePublished, tomorrow, today, false}, "address"},
	}
	for _, sc := range scopes {
		for _, role := range Roles {
			u := users[role]
			if u == nil {
				u = &User{ID: 9, Role: role, Active: true}
			}
			want := "address"
			switch {
			case u.Can(ActViewPersonal):
				want = everything
			case role == RoleTeamLead:
				want = sc.lead
			}
			got := VisibleStopFields(u, sc.scope)
			wantSet := map[string]bool{}
			for _, f := range strings.Fields(want) {
				wantSet[f] = true
			}
			for _, f := range AllStopFields {
				if got[f] != wantSet[string(f)] {
					t.Errorf("%s/%s: field %s visible=%v, want %v", sc.name, role, f, got[f], wantSet[string(f)])
				}
			}
		}
	}
	if got := VisibleStopFields(&User{Role: RoleDispatcher, Active: false}, scopes[0].scope); len(got) != 0 {
		t.Errorf("inactive user sees %v, want nothing", got)
	}
	if got := VisibleStopFields(nil, scopes[0].scope); len(got) != 0 {
		t.Errorf("no user sees %v, want nothing", got)
	}
}

// TestMinimiseTeamStop: the cleared stop carries exactly the visible fields.
func TestMinimiseTeamStop(t *testing.T) {
	full := func() TeamStop {
		return TeamStop{Notes: "key under the mat", Visit: &StopVisit{CareAddressID: 5, Name: "x", Phone: "+7 700 000 00 00",
			Entrance: "2", Floor: "5", Flat: "41", AccessNotes: "code 1234", Immobile: true, Language: "kk"}}
	}
	ts := full()
	MinimiseTeamStop(&ts, "Ахметова Гульнар Сериковна", map[StopField]bool{FieldAddress: true, FieldFirstName: true, FieldLanguage: true})
	if v := ts.Visit; v == nil || v.Name != "Гульнар" || v.Phone != "" || v.Entrance != "" || v.Floor != "" || v.Flat != "" ||
		v.AccessNotes != "" || v.Immobile || v.Language != "kk" || ts.Notes != "" {
		t.Errorf("published route: %+v notes=%q, want first name and language only", ts.Visit, ts.Notes)
	}
	ts = full()
	MinimiseTeamStop(&ts, "Ахметова Гульнар Сериковна", map[StopField]bool{FieldAddress: true})
	if ts.Visit != nil || ts.Notes != "" {
		t.Errorf("past day: visit=%+v notes=%q, want address only", ts.Visit, ts.Notes)
	}
	ts = full()
	MinimiseTeamStop(&ts, "Ахметова Гульнар Сериковна", VisibleStopFields(&User{Role: RoleDispatcher, Active: true}, StopScope{}))
	if v := ts.Visit; v == nil || v.Name != "Ахметова Гульнар Сериковна" || v.Flat != "41" || !v.Immobile || ts.Notes == "" {
		t.Errorf("dispatcher: %+v, want everything", ts.Visit)
	}
}
