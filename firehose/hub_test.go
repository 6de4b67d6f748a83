package firehose

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/store/sqlite"
	"github.com/rhizome-pds/rhizome/syntax"
)

type harness struct {
	st  *sqlite.Store
	hub *Hub
	ctx context.Context
}

// newHarness runs a hub over a real SQLite event log.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if opts.Poll == 0 {
		opts.Poll = 20 * time.Millisecond
	}
	h := &harness{st: st, hub: NewHub(st, opts), ctx: ctx}
	go h.hub.Run(ctx)
	return h
}

// append appends n events and wakes the hub.
func (h *harness) append(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		body, _ := data.MarshalCBOR(map[string]any{"did": "did:plc:abc", "n": int64(i)})
		if _, err := h.st.AppendEvent(h.ctx, store.Event{DID: "did:plc:abc", Type: "identity", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	h.hub.Notify()
}

// seqs reads frames from sub until it has n events (info frames are
// reported by name) or the deadline passes.
func seqs(t *testing.T, sub *Subscription, n int) []any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []any
	for len(out) < n {
		fs, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", out, err)
		}
		for _, f := range fs {
			h, b := split(t, f)
			if h["t"] == "#info" {
				out = append(out, b["name"])
			} else {
				out = append(out, b["seq"])
			}
		}
	}
	return out
}

func ints(from, to int64) []any {
	var out []any
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestHub_Subscribe(t *testing.T) {
	h := newHarness(t, Options{})
	h.append(t, 5)
	cur := func(n int64) *int64 { return &n }
	t.Run("cursor 0 replays everything, then follows", func(t *testing.T) {
		sub, err := h.hub.Subscribe(h.ctx, cur(0))
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(t, sub, 5); fmt.Sprint(got) != fmt.Sprint(ints(1, 5)) {
			t.Fatalf("got %v", got)
		}
		h.append(t, 2)
		if got := seqs(t, sub, 2); fmt.Sprint(got) != fmt.Sprint(ints(6, 7)) {
			t.Fatalf("live: got %v", got)
		}
	})
	t.Run("no cursor starts at the live head", func(t *testing.T) {
		sub, err := h.hub.Subscribe(h.ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		h.append(t, 1)
		if got := seqs(t, sub, 1); fmt.Sprint(got) != "[8]" {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("a cursor in the middle resumes after it", func(t *testing.T) {
		sub, err := h.hub.Subscribe(h.ctx, cur(3))
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(t, sub, 5); fmt.Sprint(got) != fmt.Sprint(ints(4, 8)) {
			t.Fatalf("got %v", got)
		}
	})
	t.Run("a future cursor is refused", func(t *testing.T) {
		_, err := h.hub.Subscribe(h.ctx, cur(99))
		var se *StreamError
		if !errors.As(err, &se) || se.Name != "FutureCursor" {
			t.Fatalf("got %v", err)
		}
	})
}

func TestHub_OutdatedCursor(t *testing.T) {
	h := newHarness(t, Options{})
	h.append(t, 3)
	if _, err := h.st.TrimEvents(h.ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	h.append(t, 2)
	zero := int64(0)
	sub, err := h.hub.Subscribe(h.ctx, &zero)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(t, sub, 3); fmt.Sprint(got) != "[OutdatedCursor 4 5]" {
		t.Fatalf("got %v", got)
	}
}

func TestHub_ConsumerTooSlow(t *testing.T) {
	h := newHarness(t, Options{RingEvents: 10, Batch: 4})
	slow, err := h.hub.Subscribe(h.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.append(t, 2)
	seqs(t, slow, 2) // slow is live now
	h.append(t, 30)
	waitFor(t, "the hub to load the burst", func() bool { last, _ := h.hub.head(h.ctx); return last == 32 })
	_, err = slow.Next(h.ctx)
	var se *StreamError
	if !errors.As(err, &se) || se.Name != "ConsumerTooSlow" {
		t.Fatalf("slow subscriber: %v", err)
	}
	t.Run("a replaying subscriber is not too slow", func(t *testing.T) {
		zero := int64(0)
		sub, err := h.hub.Subscribe(h.ctx, &zero)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(t, sub, 32); fmt.Sprint(got) != fmt.Sprint(ints(1, 32)) {
			t.Fatalf("got %v", got)
		}
	})
}

func TestHub_PicksUpEventsWithoutNotify(t *testing.T) {
	h := newHarness(t, Options{Poll: 10 * time.Millisecond})
	sub, err := h.hub.Subscribe(h.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := data.MarshalCBOR(map[string]any{"did": "did:plc:abc"})
	if _, err := h.st.AppendEvent(h.ctx, store.Event{DID: "did:plc:abc", Type: "identity", Body: body}); err != nil {
		t.Fatal(err)
	}
	if got := seqs(t, sub, 1); fmt.Sprint(got) != "[1]" {
		t.Fatalf("got %v", got)
	}
}

func TestHub_DeletedAccountLeavesTheRing(t *testing.T) {
	h := newHarness(t, Options{})
	h.append(t, 3) // did:plc:abc, seqs 1-3
	for _, e := range []struct {
		did, typ string
		body     map[string]any
	}{
		{"did:plc:bbb", "identity", map[string]any{"did": "did:plc:bbb"}},
		{"did:plc:abc", "account", map[string]any{"did": "did:plc:abc", "active": false, "status": "deleted"}},
		{"did:plc:bbb", "identity", map[string]any{"did": "did:plc:bbb"}},
	} {
		body, _ := data.MarshalCBOR(e.body)
		if _, err := h.st.AppendEvent(h.ctx, store.Event{DID: syntax.DID(e.did), Type: e.typ, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	h.hub.Notify()
	waitFor(t, "the hub to load every event", func() bool { last, _ := h.hub.head(h.ctx); return last == 6 })
	zero := int64(0)
	sub, err := h.hub.Subscribe(h.ctx, &zero)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqs(t, sub, 3); fmt.Sprint(got) != "[4 5 6]" {
		t.Fatalf("replay from the ring after the deletion: %v, want [4 5 6]", got)
	}
}

// ringSpan is how many frames the ring holds and the seq it holds them after.
func ringSpan(h *Hub) (int, int64) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.ring) - h.start, h.from
}

func TestHub_TrimsWhatEverySubscriberHad(t *testing.T) {
	h := newHarness(t, Options{RingEvents: 100, TailEvents: 10, Batch: 8})
	h.append(t, 40)
	waitFor(t, "the hub to load 40 events", func() bool { last, _ := h.hub.head(h.ctx); return last == 40 })
	if n, from := ringSpan(h.hub); n != 10 || from != 30 {
		t.Fatalf("with no subscriber the ring holds %d frames after %d, want the tail: 10 after 30", n, from)
	}

	lagging, err := h.hub.Subscribe(h.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.append(t, 5)
	if got := seqs(t, lagging, 5); fmt.Sprint(got) != fmt.Sprint(ints(41, 45)) {
		t.Fatalf("lagging subscriber got %v", got)
	}
	h.append(t, 30) // lagging reads none of them
	waitFor(t, "the hub to load 75 events", func() bool { last, _ := h.hub.head(h.ctx); return last == 75 })
	if n, from := ringSpan(h.hub); from > 45 || n < 30 {
		t.Fatalf("the ring holds %d frames after %d: it dropped frames a subscriber at 45 still needs", n, from)
	}
	if got := seqs(t, lagging, 30); fmt.Sprint(got) != fmt.Sprint(ints(46, 75)) {
		t.Fatalf("lagging subscriber got %v", got)
	}

	t.Run("a subscriber that left holds nothing", func(t *testing.T) {
		lagging.Close()
		h.append(t, 1)
		waitFor(t, "the ring to shrink to the tail", func() bool { n, _ := ringSpan(h.hub); return n == 10 })
	})
	t.Run("events past the tail replay from the store", func(t *testing.T) {
		cursor := int64(20)
		sub, err := h.hub.Subscribe(h.ctx, &cursor)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		if got := seqs(t, sub, 56); fmt.Sprint(got) != fmt.Sprint(ints(21, 76)) {
			t.Fatalf("got %v", got)
		}
	})
}
