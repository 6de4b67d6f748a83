package main

import (
	"bytes"
	"context"
	"fmt"

	"github.com/rhizome-pds/rhizome/store"
)

// copyEvents appends the source's event log to the target's, in order
// and byte for byte. The target numbers events itself: its log must be
// empty or hold a copy of the source's first events (its first and last
// events are compared with the source's at the same distance), and the
// rest follows. On a fresh target and a source log that was never
// trimmed the sequence numbers stay the same; otherwise they move by a
// constant, which is reported (relays then need to crawl again).
func (c *copier) copyEvents(ctx context.Context) error {
	first, ok, err := eventAfter(ctx, c.from, 0)
	if err != nil || !ok {
		return err
	}
	next, shift, err := c.eventsResume(ctx, first)
	if err != nil {
		return err
	}
	c.prog.update(true, func(n *copyCounts) { n.EventSeqShift = shift })
	for {
		evs, err := c.from.EventsAfter(ctx, next, 1000)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		for _, e := range evs {
			seq, err := c.to.AppendEvent(ctx, e)
			if err != nil {
				return fmt.Errorf("append event %d: %w", e.Seq, err)
			}
			if seq != e.Seq+shift {
				return differs("event %d became %d on the target, want %d: is something else writing to it?", e.Seq, seq, e.Seq+shift)
			}
			next = e.Seq
		}
		c.prog.update(false, func(n *copyCounts) { n.Events += int64(len(evs)) })
		if len(evs) < 1000 {
			return nil
		}
	}
}

// eventsResume finds where the copy of the log goes on: the source seq
// after which to append, and how target seqs relate to source ones.
func (c *copier) eventsResume(ctx context.Context, first store.Event) (next, shift int64, err error) {
	tfirst, ok, err := eventAfter(ctx, c.to, 0)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		last, err := c.to.LastSeq(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("read target last seq: %w", err)
		}
		return first.Seq - 1, last + 1 - first.Seq, nil
	}
	shift = tfirst.Seq - first.Seq
	if !sameEvent(first, tfirst) {
		return 0, 0, differs("the target's event log does not start with the source's first event")
	}
	tlast, err := c.to.LastSeq(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("read target last seq: %w", err)
	}
	if err := c.sameEventAt(ctx, tlast, shift); err != nil {
		return 0, 0, err
	}
	c.prog.update(false, func(n *copyCounts) { n.Skipped += tlast - tfirst.Seq + 1 })
	return tlast - shift, shift, nil
}

// sameEventAt checks that the target's event seq is the source's event
// seq-shift.
func (c *copier) sameEventAt(ctx context.Context, seq, shift int64) error {
	t, tok, err := eventAfter(ctx, c.to, seq-1)
	if err != nil {
		return err
	}
	s, sok, err := eventAfter(ctx, c.from, seq-shift-1)
	if err != nil {
		return err
	}
	if !tok || !sok || t.Seq != seq || s.Seq != seq-shift || !sameEvent(s, t) {
		return differs("the target's event %d is not the source's event %d", seq, seq-shift)
	}
	return nil
}

// eventAfter reads the first event after seq, if any.
func eventAfter(ctx context.Context, st store.Store, seq int64) (store.Event, bool, error) {
	evs, err := st.EventsAfter(ctx, seq, 1)
	if err != nil || len(evs) == 0 {
		if err != nil {
			err = fmt.Errorf("read events: %w", err)
		}
		return store.Event{}, false, err
	}
	return evs[0], true, nil
}

// sameEvent compares two events but for their seqs.
func sameEvent(a, b store.Event) bool {
	return a.DID == b.DID && a.Type == b.Type && a.Time.Equal(b.Time) && bytes.Equal(a.Body, b.Body)
}
