package dispatch

import "context"

// EventSource reads committed events in id order. It is what the live hub
// delivers from: LISTEN/NOTIFY only wakes the hub, and the events themselves
// are always read back from the table, so nothing uncommitted is ever sent.
type EventSource interface {
	// EventsSince returns up to limit committed events with id > since, in
	// id order. It returns an empty slice, never ENOTFOUND, when there are
	// none.
	EventsSince(ctx context.Context, since int64, limit int) ([]Event, error)
	// LastEventID returns the id of the newest committed event, 0 when
	// there is none.
	LastEventID(ctx context.Context) (int64, error)
}

// GapSettler is implemented by event sources that can tell when a hole in
// the event ids is final. Ids come from a sequence: a transaction may take
// id 10, a later one id 11, and 11 may commit first, so seeing 11 without 10
// does not yet mean 10 is lost. 10 is lost for good once every transaction
// that was running when the hole was seen has ended (it rolled back).
type GapSettler interface {
	// WriteMark returns a mark of the transactions running now.
	WriteMark(ctx context.Context) (uint64, error)
	// Settled reports whether every transaction that was running when mark
	// was taken has ended.
	Settled(ctx context.Context, mark uint64) (bool, error)
}
