package dispatch

import "testing"

func TestPlanMayOverwrite(t *testing.T) {
	pending := &SnapshotStop{StopID: 1, RouteID: 10, Version: 1, Status: StopPending, RouteStatus: RouteDraft}
	with := func(f func(s *SnapshotStop)) *SnapshotStop {
		c := *pending
		f(&c)
		return &c
	}
	for _, c := range []struct {
		name        string
		before, now *SnapshotStop
		wins        bool
	}{
		{"Unchanged", pending, pending, false},
		{"NeverOnRoute", nil, nil, false},
		{"RemovedMeanwhile", pending, nil, false},
		{"PutOnRoute", nil, pending, true},
		{"Done", pending, with(func(s *SnapshotStop) { s.Status = StopDone }), true},
		{"Arrived", pending, with(func(s *SnapshotStop) { s.Status = StopArrived }), true},
		{"Moved", pending, with(func(s *SnapshotStop) { s.RouteID = 11 }), true},
		{"Locked", pending, with(func(s *SnapshotStop) { s.Locked = true }), true},
		{"Unlocked", with(func(s *SnapshotStop) { s.Locked = true }), pending, false},
		{"Published", pending, with(func(s *SnapshotStop) { s.RouteStatus = RoutePublished }), true},
		{"StartedLiveRoute", with(func(s *SnapshotStop) { s.RouteStatus = RoutePublished }), with(func(s *SnapshotStop) { s.RouteStatus = RouteInProgress }), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			reason := PlanMayOverwrite(c.before, c.now)
			if (reason != "") != c.wins {
				t.Fatalf("reason=%q, want current place wins=%v", reason, c.wins)
			}
		})
	}
}
