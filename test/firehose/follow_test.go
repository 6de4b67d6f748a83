package firehose

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// follower reads a stream in the background and hands each event to fn
// under its lock.
type follower struct {
	s    *stream
	fn   func(*event) error
	done chan struct{}

	mu       sync.Mutex
	n        int // events handled
	err      error
	stopping bool
}

// follow starts reading s.
func follow(ctx context.Context, s *stream, fn func(*event) error) *follower {
	f := &follower{s: s, fn: fn, done: make(chan struct{})}
	go f.run(ctx)
	return f
}

func (f *follower) run(ctx context.Context) {
	defer close(f.done)
	for {
		e, err := f.s.next(ctx)
		f.mu.Lock()
		if err == nil {
			f.n++
			err = f.fn(e)
		}
		if err != nil {
			if !f.stopping {
				f.err = err
			}
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
	}
}

// wait polls cond (under the follower's lock) until it holds; it fails the
// test if the stream ends or fails first or if timeout passes.
func (f *follower) wait(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		f.mu.Lock()
		ok, err, n := cond(), f.err, f.n
		f.mu.Unlock()
		switch {
		case ok:
			return
		case err != nil:
			t.Fatalf("waiting for %s: the stream failed after %d events: %v", what, n, err)
		case time.Now().After(deadline):
			t.Fatalf("waiting for %s: not within %v (%d events read)", what, timeout, n)
		}
		select {
		case <-f.done:
			f.mu.Lock()
			ok, err = cond(), f.err
			f.mu.Unlock()
			if !ok {
				t.Fatalf("waiting for %s: the stream ended after %d events (%v)", what, n, err)
			}
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// stop closes the stream and returns the error that ended it earlier, if any.
func (f *follower) stop() error {
	f.mu.Lock()
	f.stopping = true
	f.mu.Unlock()
	f.s.close()
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("the stream reader did not stop")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// ended waits for the stream to end by itself and returns its error.
func (f *follower) ended(timeout time.Duration) error {
	select {
	case <-f.done:
	case <-time.After(timeout):
		return fmt.Errorf("the stream did not end within %v", timeout)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// collector follows a stream, checking and keeping every event.
type collector struct {
	f   *follower
	chk *checker
	evs []*event // guarded by f's lock
}

// newCollector subscribes with cursor ("" for none) and starts
// collecting; the checker expects the stream to start at cursor.
func newCollector(t testing.TB, ctx context.Context, p *pod, cursor string) *collector {
	t.Helper()
	s, _, err := subscribe(ctx, p.Addr, cursor)
	if err != nil {
		t.Fatal(err)
	}
	var after int64 = -1
	if cursor != "" {
		fmt.Sscan(cursor, &after)
	}
	col := &collector{chk: newChecker(newDirectory(p), after)}
	col.f = follow(ctx, s, func(e *event) error {
		if col.chk.last < 0 { // no cursor: the stream starts anywhere
			col.chk.last = e.seq - 1
		}
		if err := col.chk.check(ctx, e); err != nil {
			return err
		}
		col.evs = append(col.evs, e)
		return nil
	})
	return col
}

// take waits until the collector holds more than from events and
// returns the first n after from (failing if they do not come in time).
func (col *collector) take(t testing.TB, from, n int) []*event {
	t.Helper()
	var out []*event
	col.f.wait(t, 30*time.Second, fmt.Sprintf("events %d to %d", from+1, from+n), func() bool {
		if len(col.evs) < from+n {
			return false
		}
		out = append(out, col.evs[from:from+n]...)
		return true
	})
	return out
}

// count returns the number of events collected so far.
func (col *collector) count() int {
	col.f.mu.Lock()
	defer col.f.mu.Unlock()
	return len(col.evs)
}
