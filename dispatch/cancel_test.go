package dispatch

import "testing"

func TestRequestAfterStopRemoved(t *testing.T) {
	for _, c := range []struct {
		cur    RequestStatus
		want   RequestStatus
		change bool
	}{
		{StatusAssigned, StatusNew, true},
		{StatusPlanned, StatusNew, true},
		{StatusNew, StatusNew, false},
		{StatusCancelled, StatusCancelled, false},
		{StatusDone, StatusDone, false},
	} {
		got, change := RequestAfterStopRemoved(c.cur)
		if got != c.want || change != c.change {
			t.Errorf("RequestAfterStopRemoved(%s)=%s,%v, want %s,%v", c.cur, got, change, c.want, c.change)
		}
		if change && !c.cur.CanTransition(got) {
			t.Errorf("%s -> %s is not a legal request transition", c.cur, got)
		}
	}
}

func TestWithdrawOnCancel(t *testing.T) {
	for s, want := range map[StopStatus]bool{StopPending: true, StopArrived: false, StopDone: false, StopNotHome: false, StopRemoved: false} {
		if got := WithdrawOnCancel(s); got != want {
			t.Errorf("WithdrawOnCancel(%s)=%v, want %v", s, got, want)
		}
		if WithdrawOnCancel(s) && s.Transition(StopRemoved) != nil {
			t.Errorf("a %s stop cannot be removed", s)
		}
	}
}
