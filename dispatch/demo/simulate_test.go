package demo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

type fakeField struct {
	mu    sync.Mutex
	calls []string
	pos   map[int64]int
}

func (f *fakeField) add(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }
func (f *fakeField) StartRoute(ctx context.Context, r SimRoute) error {
	f.add(fmt.Sprintf("start %d", r.ID))
	return nil
}
func (f *fakeField) Position(ctx context.Context, team int64, lat, lon float64) error {
	f.mu.Lock()
	f.pos[team]++
	f.mu.Unlock()
	return nil
}
func (f *fakeField) StopStatus(ctx context.Context, id int64, status, note string) error {
	f.add(fmt.Sprintf("%s %d", status, id))
	return nil
}
func (f *fakeField) FinishRoute(ctx context.Context, id int64) error {
	f.add(fmt.Sprintf("finish %d", id))
	return nil
}
func (f *fakeField) Urgent(ctx context.Context, lat, lon float64) (int64, error) {
	f.add("urgent")
	return 99, nil
}

func TestSimulate(t *testing.T) {
	routes := []SimRoute{
		{ID: 1, TeamID: 10, Path: [][2]float64{{51.10, 71.40}, {51.11, 71.41}, {51.12, 71.42}, {51.13, 71.43}},
			Stops: []SimStop{{ID: 11, Lat: 51.11, Lon: 71.41, ServiceMinutes: 30}, {ID: 12, Lat: 51.12, Lon: 71.42, ServiceMinutes: 30, Care: true}, {ID: 13, Lat: 51.13, Lon: 71.43, ServiceMinutes: 30, Care: true}}},
		{ID: 2, TeamID: 20, Stops: []SimStop{{ID: 21, Lat: 51.15, Lon: 71.45, ServiceMinutes: 20}}},
	}
	f := &fakeField{pos: map[int64]int{}}
	var slept time.Duration
	st, err := Simulate(context.Background(), f, routes, SimConfig{Speed: 60, Seed: 1,
		Sleep: func(ctx context.Context, d time.Duration) error { slept += d; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	index := map[string]int{}
	for i, c := range f.calls {
		index[c] = i
	}
	for _, pair := range [][2]string{{"start 1", "arrived 11"}, {"arrived 11", "done 11"}, {"done 11", "arrived 12"}, {"arrived 13", "finish 1"}, {"start 2", "finish 2"}} {
		a, okA := index[pair[0]]
		b, okB := index[pair[1]]
		if !okA || !okB || a > b {
			t.Errorf("%q at %d (%v) should come before %q at %d (%v); calls %v", pair[0], a, okA, pair[1], b, okB, f.calls)
		}
	}
	if st.NotHome < 1 {
		t.Errorf("no visit found nobody home; calls %v", f.calls)
	}
	if _, ok := index["not_home 11"]; ok {
		t.Error("stop 11 is no registered pensioner, it cannot be not home")
	}
	if st.UrgentID != 99 || index["urgent"] == 0 {
		t.Errorf("no urgent request mid-day: %+v", st)
	}
	if f.pos[10] < 5 || f.pos[20] < 2 {
		t.Errorf("positions %v: teams must report along the way", f.pos)
	}
	if st.Finished != 2 || st.Done+st.NotHome != 4 {
		t.Errorf("stats %+v", st)
	}
	// Simulated time runs Speed times faster than real time.
	if want := time.Duration(float64(st.SimulatedDay) / 60); slept < want*9/10 || slept > want*11/10+time.Second {
		t.Errorf("slept %v for a simulated day of %v at speed 60", slept, st.SimulatedDay)
	}
}
