package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// Event is one entry of the pod's event log, from which the firehose is
// served. Body is the event's DRISL encoding without its sequence number,
// which the firehose adds.
type Event struct {
	Seq  int64
	DID  syntax.DID
	Type string // "commit", "identity", "account", "sync"
	Time time.Time
	Body []byte
}

// Events is the event log: sequence numbers are assigned by the store,
// strictly increasing and without gaps among committed events.
type Events interface {
	// AppendEvent appends e (its Seq is ignored) and returns its sequence.
	AppendEvent(ctx context.Context, e Event) (int64, error)
	// EventsAfter returns up to limit events with Seq > after, in order.
	EventsAfter(ctx context.Context, after int64, limit int) ([]Event, error)
	// LastSeq returns the highest sequence number, 0 if the log is empty.
	LastSeq(ctx context.Context) (int64, error)
	// TrimEvents deletes events older than cutoff and returns how many.
	TrimEvents(ctx context.Context, cutoff time.Time) (int, error)
}
