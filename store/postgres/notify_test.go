package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/store"
)

// listener runs Listen on s and counts its wake-ups and errors.
type listener struct {
	mu     sync.Mutex
	wakes  int
	errs   []error
	woken  chan struct{}
	cancel context.CancelFunc
	done   chan error
}

func listen(t *testing.T, s *Store) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{woken: make(chan struct{}, 100), cancel: cancel, done: make(chan error, 1)}
	go func() {
		l.done <- s.Listen(ctx, l.wake, func(err error) {
			l.mu.Lock()
			l.errs = append(l.errs, err)
			l.mu.Unlock()
		})
	}()
	t.Cleanup(l.stop)
	l.expect(t, "the wake-up on connecting", 10*time.Second)
	return l
}

func (l *listener) wake() {
	l.mu.Lock()
	l.wakes++
	l.mu.Unlock()
	select {
	case l.woken <- struct{}{}:
	default:
	}
}

func (l *listener) stop() {
	l.cancel()
	<-l.done
}

// expect waits for a wake-up and returns how long it took.
func (l *listener) expect(t *testing.T, what string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-l.woken:
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("no wake-up for %s within %v", what, within)
		return 0
	}
}

// quiet fails the test if a wake-up comes within d.
func (l *listener) quiet(t *testing.T, what string, d time.Duration) {
	t.Helper()
	select {
	case <-l.woken:
		t.Fatalf("woken by %s", what)
	case <-time.After(d):
	}
}

func TestStore_Listen(t *testing.T) {
	t.Run("events from another node wake the listener", func(t *testing.T) {
		nodes := openNodes(t)
		l := listen(t, nodes[1])
		r := &benchRepo{did: "did:plc:listener0000000000001"}
		for i := range 3 {
			if _, err := nodes[0].ApplyCommit(t.Context(), r.next(t, 1)); err != nil {
				t.Fatal(err)
			}
			if d := l.expect(t, "a commit", 2*time.Second); d > 500*time.Millisecond {
				t.Errorf("commit %d: woken after %v", i, d)
			}
		}
		if _, err := nodes[0].AppendEvent(t.Context(), store.Event{DID: r.did, Type: "identity", Body: []byte{0xa0}}); err != nil {
			t.Fatal(err)
		}
		l.expect(t, "AppendEvent", 2*time.Second)
	})
	t.Run("writes without events and other schemas stay quiet", func(t *testing.T) {
		nodes := openNodes(t)
		other := openTemp(t)
		l := listen(t, nodes[1])
		c := (&benchRepo{did: "did:plc:listener0000000000002"}).next(t, 1)
		c.Event = nil
		if _, err := nodes[0].ApplyCommit(t.Context(), c); err != nil {
			t.Fatal(err)
		}
		if _, err := other.AppendEvent(t.Context(), store.Event{DID: "did:plc:x", Type: "identity", Body: []byte{0xa0}}); err != nil {
			t.Fatal(err)
		}
		l.quiet(t, "a commit without an event or another schema's event", 300*time.Millisecond)
	})
	t.Run("reconnects after the connection is killed", reconnectingListener)
}

func reconnectingListener(t *testing.T) {
	nodes := openNodes(t)
	l := listen(t, nodes[1])
	var killed int
	err := nodes[0].queryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = $1`, []any{`LISTEN "` + nodes[1].channel + `"`}, &killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listening connections (%v), want 1", killed, err)
	}
	l.expect(t, "the wake-up on reconnecting", 10*time.Second)
	l.mu.Lock()
	nerrs := len(l.errs)
	l.mu.Unlock()
	if nerrs == 0 {
		t.Error("the lost connection was not reported")
	}
	r := &benchRepo{did: "did:plc:listener0000000000003"}
	if _, err := nodes[0].ApplyCommit(t.Context(), r.next(t, 1)); err != nil {
		t.Fatal(err)
	}
	l.expect(t, "a commit after reconnecting", 2*time.Second)
}

func TestStore_ListenWithoutNotify(t *testing.T) {
	s := openTemp(t)
	s.notify = false
	if err := s.Listen(t.Context(), func() {}, nil); err == nil {
		t.Fatal("Listen on a store without LISTEN/NOTIFY returned no error")
	}
}
