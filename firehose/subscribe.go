package firehose

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
)

// StreamError is an error the stream reports to the subscriber in an
// error frame before closing: FutureCursor or ConsumerTooSlow.
type StreamError struct {
	Name    string
	Message string
}

func (e *StreamError) Error() string { return e.Name + ": " + e.Message }

// Frame encodes e as an error frame.
func (e *StreamError) Frame() []byte { return ErrorFrame(e.Name, e.Message) }

// Subscription is one subscriber's position in the stream.
type Subscription struct {
	h       *Hub
	after   int64        // the last seq delivered
	pos     atomic.Int64 // after, for the hub's trim
	live    bool         // has been served from the ring
	pending [][]byte
}

// Subscribe starts a subscription. With cursor nil it follows the live
// head; with a cursor it first replays the retained events after it. A
// cursor beyond the head is a FutureCursor StreamError; one older than the
// oldest retained event yields an OutdatedCursor #info frame, then the
// oldest retained events.
func (h *Hub) Subscribe(ctx context.Context, cursor *int64) (*Subscription, error) {
	head, err := h.head(ctx)
	if err != nil {
		return nil, err
	}
	s := &Subscription{h: h, after: head}
	if cursor == nil {
		s.pos.Store(head)
		h.join(s)
		return s, nil
	}
	if *cursor > head {
		if head, err = h.src.LastSeq(ctx); err != nil {
			return nil, err
		}
		if *cursor > head {
			return nil, &StreamError{"FutureCursor", fmt.Sprintf("cursor %d is beyond the last event %d", *cursor, head)}
		}
	}
	s.after = *cursor
	first, err := h.src.EventsAfter(ctx, 0, 1)
	if err != nil {
		return nil, err
	}
	oldest := head + 1
	if len(first) > 0 {
		oldest = first[0].Seq
	}
	if *cursor < oldest-1 {
		s.after = oldest - 1
		s.pending = append(s.pending, InfoFrame("OutdatedCursor",
			"cursor "+strconv.FormatInt(*cursor, 10)+" is older than the oldest retained event "+strconv.FormatInt(oldest, 10)))
	}
	s.pos.Store(s.after)
	h.join(s)
	return s, nil
}

// Close ends the subscription: the hub no longer keeps frames for it.
func (s *Subscription) Close() { s.h.leave(s) }

// Cursor returns the seq of the last event delivered.
func (s *Subscription) Cursor() int64 { return s.after }

// Next returns the next frames in order, waiting until there is at least
// one. A subscriber that had caught up with the live stream and then fell
// further behind than the ring holds gets a ConsumerTooSlow StreamError.
func (s *Subscription) Next(ctx context.Context) ([][]byte, error) {
	if len(s.pending) > 0 {
		out := s.pending
		s.pending = nil
		return out, nil
	}
	for {
		fs, ok, changed := s.h.fromRing(s.after, s.h.opts.Batch)
		if !ok {
			if s.live {
				return nil, &StreamError{"ConsumerTooSlow", "subscriber fell too far behind the stream"}
			}
			if out, err := s.fromStore(ctx); err != nil || len(out) > 0 {
				return out, err
			}
		} else if len(fs) > 0 {
			s.live = true
			return s.deliver(fs), nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// fromStore replays retained events the ring no longer holds.
func (s *Subscription) fromStore(ctx context.Context) ([][]byte, error) {
	evs, err := s.h.src.EventsAfter(ctx, s.after, s.h.opts.Batch)
	if err != nil {
		return nil, err
	}
	fs, err := frames(evs)
	if err != nil {
		return nil, err
	}
	return s.deliver(fs), nil
}

func (s *Subscription) deliver(fs []frame) [][]byte {
	out := make([][]byte, len(fs))
	for i, f := range fs {
		out[i] = f.data
	}
	if len(fs) > 0 {
		s.after = fs[len(fs)-1].seq
		s.pos.Store(s.after)
	}
	return out
}
