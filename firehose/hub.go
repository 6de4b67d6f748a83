package firehose

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Options tune a Hub. Zero values take the defaults.
type Options struct {
	// RingEvents and RingBytes bound the ring of recent frames shared by
	// all subscribers (defaults 20,000 events and 64 MiB). A subscriber
	// that falls further behind than the ring holds is too slow.
	RingEvents int
	RingBytes  int
	// TailEvents and TailBytes bound the frames the ring keeps that every
	// subscriber has already had (defaults 1,000 events and 4 MiB): the
	// ring holds what subscribers still need, plus this tail for those
	// that reconnect; older events are replayed from the store.
	TailEvents int
	TailBytes  int
	// Poll is how often the hub looks for events without a Notify, which
	// catches events appended by another process (default 1s).
	Poll time.Duration
	// Batch is how many events one store read returns (default 500).
	Batch  int
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.RingEvents <= 0 {
		o.RingEvents = 20000
	}
	if o.RingBytes <= 0 {
		o.RingBytes = 64 << 20
	}
	if o.TailEvents <= 0 {
		o.TailEvents = 1000
	}
	if o.TailBytes <= 0 {
		o.TailBytes = 4 << 20
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// frame is one encoded event.
type frame struct {
	seq     int64
	did     syntax.DID
	data    []byte
	deletes bool // the #account event of the DID's deletion
}

// Hub loads new events from the store into the ring and wakes
// subscribers. Run must be running for subscribers to see live events.
type Hub struct {
	src  store.Events
	opts Options
	wake chan struct{}

	mu       sync.RWMutex
	ring     []frame // live frames are ring[start:]
	start    int
	bytes    int
	from     int64 // the ring holds every event with seq > from
	last     int64 // the highest seq loaded
	subs     map[*Subscription]struct{}
	changed  chan struct{}
	ready    chan struct{} // closed once Run has read the head
	started  bool
	readyErr error
}

// NewHub returns a hub over the event log src.
func NewHub(src store.Events, opts Options) *Hub {
	return &Hub{src: src, opts: opts.withDefaults(), wake: make(chan struct{}, 1),
		changed: make(chan struct{}), ready: make(chan struct{}), subs: map[*Subscription]struct{}{}}
}

// Notify tells the hub that events were appended; it never blocks.
func (h *Hub) Notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run follows the event log until ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	last, err := h.src.LastSeq(ctx)
	h.mu.Lock()
	h.from, h.last, h.readyErr, h.started = last, last, err, true
	h.mu.Unlock()
	close(h.ready)
	if err != nil {
		return err
	}
	t := time.NewTicker(h.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-h.wake:
		case <-t.C:
		}
		if err := h.load(ctx); err != nil && ctx.Err() == nil {
			h.opts.Logger.Warn("firehose: reading events", "err", err)
		}
	}
}

// load appends every event after h.last to the ring.
func (h *Hub) load(ctx context.Context) error {
	for {
		h.mu.RLock()
		after := h.last
		h.mu.RUnlock()
		evs, err := h.src.EventsAfter(ctx, after, h.opts.Batch)
		if err != nil || len(evs) == 0 {
			return err
		}
		fs, err := frames(evs)
		if err != nil {
			return err
		}
		h.publish(fs)
		if len(evs) < h.opts.Batch {
			return nil
		}
	}
}

// publish appends frames to the ring, trims it and wakes subscribers.
func (h *Hub) publish(fs []frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range fs {
		h.ring = append(h.ring, f)
		h.bytes += len(f.data)
	}
	h.last = fs[len(fs)-1].seq
	for _, f := range fs {
		if f.deletes {
			h.forget(f.did, f.seq)
		}
	}
	h.trim()
	if h.start > len(h.ring)/2 { // compact, amortised: readers keep their own sub-slices
		h.ring = append(make([]frame, 0, 2*(len(h.ring)-h.start)), h.ring[h.start:]...)
		h.start = 0
	}
	close(h.changed)
	h.changed = make(chan struct{})
}

// trim drops the oldest frames past the ring's bounds, and those every
// subscriber has had past the tail's.
func (h *Hub) trim() {
	had := h.last // every subscriber has had the events up to had
	for sub := range h.subs {
		had = min(had, sub.pos.Load())
	}
	for n := len(h.ring) - h.start; n > 1; n-- {
		oldest := h.ring[h.start]
		over := n > h.opts.RingEvents || h.bytes > h.opts.RingBytes
		pastTail := oldest.seq <= had && (n > h.opts.TailEvents || h.bytes > h.opts.TailBytes)
		if !over && !pastTail {
			break
		}
		h.bytes -= len(oldest.data)
		h.from = oldest.seq
		h.start++
	}
}

// join and leave track the subscriptions whose position trim honours.
func (h *Hub) join(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
}

func (h *Hub) leave(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
}

// frames encodes events.
func frames(evs []store.Event) ([]frame, error) {
	out := make([]frame, len(evs))
	for i, e := range evs {
		b, err := Frame(e)
		if err != nil {
			return nil, err
		}
		out[i] = frame{seq: e.Seq, did: e.DID, data: b, deletes: deletesAccount(e)}
	}
	return out, nil
}

// deletesAccount reports whether e is the #account event of a deletion,
// after which the account's earlier events are no longer served (the
// store deletes them in the same transaction).
func deletesAccount(e store.Event) bool {
	if e.Type != "account" {
		return false
	}
	v, err := data.UnmarshalCBOR(e.Body)
	m, ok := v.(map[string]any)
	return err == nil && ok && m["status"] == "deleted"
}

// forget drops did's frames older than seq from the ring, into a new
// slice: readers keep the sub-slices they were given.
func (h *Hub) forget(did syntax.DID, seq int64) {
	kept := make([]frame, 0, len(h.ring)-h.start)
	h.bytes = 0
	for _, f := range h.ring[h.start:] {
		if f.did != did || f.seq >= seq {
			kept = append(kept, f)
			h.bytes += len(f.data)
		}
	}
	h.ring, h.start = kept, 0
}

// fromRing returns up to max frames after seq from the ring. ok is false
// when the ring no longer holds the event after seq. ch is closed when
// newer events arrive.
func (h *Hub) fromRing(after int64, max int) (fs []frame, ok bool, ch <-chan struct{}) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if after < h.from {
		return nil, false, h.changed
	}
	live := h.ring[h.start:]
	i := sort.Search(len(live), func(i int) bool { return live[i].seq > after })
	j := min(len(live), i+max)
	return live[i:j:j], true, h.changed
}

// head waits until Run has started and returns the last loaded seq.
func (h *Hub) head(ctx context.Context) (int64, error) {
	select {
	case <-h.ready:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.last, h.readyErr
}
