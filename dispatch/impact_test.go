package dispatch

import (
	"testing"
	"time"
)

func TestRouteImpactOf(t *testing.T) {
	at := func(hhmm string) *time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", "2026-12-07 "+hhmm, cityZone)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	shiftEnd, err := ShiftEndOn("2026-12-07", "18:00")
	if err != nil {
		t.Fatal(err)
	}
	if !shiftEnd.Equal(*at("18:00")) {
		t.Fatalf("ShiftEndOn=%v", shiftEnd)
	}
	for _, tc := range []struct {
		name   string
		stops  []ImpactStop
		end    string
		over   int
		missed []int64
	}{
		{"InTime", []ImpactStop{{1, at("10:00"), 30, at("12:00")}, {2, at("11:00"), 30, nil}}, "11:30", 0, nil},
		{"OverShift", []ImpactStop{{1, at("17:40"), 45, nil}}, "18:25", 25, nil},
		{"MissedWindow", []ImpactStop{{1, at("13:05"), 30, at("13:00")}, {2, at("14:00"), 30, at("15:00")}}, "14:30", 0, []int64{1}},
		{"NoETA", []ImpactStop{{1, nil, 30, at("09:00")}}, "", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im := RouteImpactOf(5, 1, shiftEnd, tc.stops)
			if tc.end == "" {
				if im.EndsAt != nil {
					t.Errorf("EndsAt=%v, want none", im.EndsAt)
				}
			} else if im.EndsAt == nil || !im.EndsAt.Equal(*at(tc.end)) {
				t.Errorf("EndsAt=%v, want %s", im.EndsAt, tc.end)
			}
			if im.OverShiftMin != tc.over {
				t.Errorf("OverShiftMin=%d, want %d", im.OverShiftMin, tc.over)
			}
			if len(im.MissedWindows) != len(tc.missed) || (len(tc.missed) > 0 && im.MissedWindows[0] != tc.missed[0]) {
				t.Errorf("MissedWindows=%v, want %v", im.MissedWindows, tc.missed)
			}
		})
	}
}
