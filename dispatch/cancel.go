package dispatch

// Cancellation and withdrawal: what happens to stops when their request is
// cancelled, and to requests when their stop leaves a route.

// WithdrawnStopNote is the note a stop gets when its request is cancelled
// while the stop is on a route; the team's phone drops the stop.
const WithdrawnStopNote = "request cancelled"

// WithdrawOnCancel reports whether a stop in status s leaves its route when
// its request is cancelled: a visit still ahead (pending) does; one the team
// has reached or finished stays as it was. (An arrived stop's request is in
// progress and cannot be cancelled; see requestTransitions.)
func WithdrawOnCancel(s StopStatus) bool { return s == StopPending }

// RequestAfterStopRemoved is the status a request takes when its pending stop
// leaves a route (a route finished early, a stop removed by a dispatcher) and
// whether it changes: an open request goes back to new for another plan; a
// cancelled or done one stays as it is, so a route whose request was
// cancelled can always be finished.
func RequestAfterStopRemoved(cur RequestStatus) (RequestStatus, bool) {
	if cur == StatusCancelled || cur == StatusDone {
		return cur, false
	}
	return StatusNew, cur != StatusNew
}
