package demo

import (
	"reflect"
	"testing"
	"time"
)

func mustGenerate(t *testing.T, seed int64) *Set {
	t.Helper()
	houses, _, _, districts, err := Gazetteer()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Generate(seed, 2026, houses, districts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerate(t *testing.T) {
	s := mustGenerate(t, DefaultSeed)
	if len(s.Organisations) != 12 || s.Organisations[0].Name != HeadquartersName {
		t.Errorf("organisations=%d, first %q", len(s.Organisations), s.Organisations[0].Name)
	}
	if len(s.Teams) != NumTeams || len(s.Volunteers) != NumVolunteers || len(s.CareAddresses) != NumCareAddresses {
		t.Errorf("teams=%d volunteers=%d care=%d", len(s.Teams), len(s.Volunteers), len(s.CareAddresses))
	}
	now := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	minorOnly, inTeam := 0, map[int]bool{}
	for i, tm := range s.Teams {
		if n := len(tm.Members); n < 5 || n > 12 {
			t.Errorf("team %d: %d members, want 5..12", i, n)
		}
		adults := 0
		for _, m := range tm.Members {
			if inTeam[m] {
				t.Errorf("volunteer %d in two teams", m)
			}
			inTeam[m] = true
			if !s.Volunteers[m].Minor(now) {
				adults++
			}
		}
		if adults == 0 {
			minorOnly++
		} else if s.Volunteers[tm.Lead].Minor(now) {
			t.Errorf("team %d: minor lead with adults in the team", i)
		}
		if tm.HasVehicle && (tm.CapacityPackages < 20 || tm.CapacityPackages > 60) ||
			!tm.HasVehicle && (tm.CapacityPackages < 4 || tm.CapacityPackages > 10) {
			t.Errorf("team %d: vehicle=%v capacity=%d", i, tm.HasVehicle, tm.CapacityPackages)
		}
	}
	if minorOnly < 1 || minorOnly > 2 {
		t.Errorf("minors-only teams=%d, want 1..2", minorOnly)
	}
	// youth organisations average 15–16 years
	sum, n := 0, 0
	for _, v := range s.Volunteers {
		if orgs[v.Org].youth {
			sum += 2026 - v.BirthYear
			n++
		}
	}
	if avg := float64(sum) / float64(n); avg < 15 || avg > 16.5 {
		t.Errorf("youth average age=%.1f, want 15..16.5", avg)
	}
	immobile, phones, addrs := 0, map[string]bool{}, map[string]bool{}
	for _, c := range s.CareAddresses {
		if c.Immobile {
			immobile++
		}
		if phones[c.Phone] || addrs[c.AddressText] {
			t.Errorf("duplicate phone or address %q %q", c.Phone, c.AddressText)
		}
		phones[c.Phone], addrs[c.AddressText] = true, true
		if len(c.Needs) == 0 || c.FullName == "" {
			t.Errorf("care address %+v: no needs or name", c)
		}
	}
	if immobile < 25 || immobile > 70 {
		t.Errorf("immobile=%d, want about 15%%", immobile)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := mustGenerate(t, 7), mustGenerate(t, 7)
	if !reflect.DeepEqual(a, b) {
		t.Error("two sets from the same seed differ")
	}
	if c := mustGenerate(t, 8); reflect.DeepEqual(a.CareAddresses, c.CareAddresses) {
		t.Error("two seeds give the same care addresses")
	}
}
