package xrpc

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/rhizome-pds/rhizome"
)

// memCounter is a RateCounter in memory, shared by the limiters of a test
// as a database is by nodes.
type memCounter struct {
	mu    sync.Mutex
	n     map[string]int64
	calls atomic.Int64
	fail  atomic.Bool
}

func newMemCounter() *memCounter { return &memCounter{n: map[string]int64{}} }

func (c *memCounter) AddRate(_ context.Context, key string, end time.Time, n int64) (int64, error) {
	c.calls.Add(1)
	if c.fail.Load() {
		return 0, errors.New("counter down")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key + "@" + end.String()
	c.n[k] += n
	return c.n[k], nil
}

func (c *memCounter) TrimRates(context.Context, time.Time) (int, error) { return 0, nil }

// clock is a settable time for limiters.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }
func newClock(t time.Time) *clock        { c := &clock{}; c.t.Store(t.UnixNano()); return c }
func nodes(c RateCounter, n int, clk *clock) []*limiter {
	out := make([]*limiter, n)
	for i := range out {
		out[i] = newLimiter(RateLimits{Writes: 1, WritesBurst: 30, PerIP: 10, PerIPBurst: 320, Shared: c})
		out[i].shared.now = clk.now
	}
	return out
}

// admitted runs n calls of fn spread over the nodes, from several
// goroutines, and counts the admitted ones; every refusal must be a
// RateLimitExceeded.
func admitted(t *testing.T, ls []*limiter, n int, fn func(*limiter) error) int {
	t.Helper()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := fn(ls[i%len(ls)])
			switch {
			case err == nil:
				ok.Add(1)
			case rhizome.NameOf(err) != "RateLimitExceeded":
				t.Errorf("refused with %v, want RateLimitExceeded", err)
			}
		})
	}
	wg.Wait()
	return int(ok.Load())
}

func TestSharedLimiter_Allow(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(l *limiter) error { return l.allowWrite("did:plc:writer") }
	t.Run("a small limit holds exactly across three nodes", func(t *testing.T) {
		ls := nodes(newMemCounter(), 3, newClock(start))
		if got := admitted(t, ls, 45, write); got != 30 {
			t.Fatalf("admitted %d of 45 writes, want the limit of 30", got)
		}
	})
	t.Run("a new window admits again", func(t *testing.T) {
		clk := newClock(start)
		ls := nodes(newMemCounter(), 2, clk)
		admitted(t, ls, 40, write)
		clk.advance(30 * time.Second)
		if got := admitted(t, ls, 40, write); got != 30 {
			t.Fatalf("admitted %d in the next window, want 30", got)
		}
	})
	t.Run("a large limit is leased in chunks", func(t *testing.T) {
		c := newMemCounter()
		ls := nodes(c, 2, newClock(start))
		ip := func(l *limiter) error { return l.allowIP("127.0.0.1") }
		got := admitted(t, ls, 400, ip)
		if got > 320 || got < 320-2*20 {
			t.Fatalf("admitted %d of 400, want at most 320 and at least 280", got)
		}
		if n := c.calls.Load(); n > 60 {
			t.Fatalf("%d counter calls for 400 requests, want chunks of 20", n)
		}
	})
	t.Run("a failing counter admits", func(t *testing.T) {
		c := newMemCounter()
		c.fail.Store(true)
		ls := nodes(c, 2, newClock(start))
		if got := admitted(t, ls, 50, write); got != 50 {
			t.Fatalf("admitted %d of 50 with the counter down, want all", got)
		}
	})
	t.Run("separate accounts count apart", func(t *testing.T) {
		ls := nodes(newMemCounter(), 2, newClock(start))
		admitted(t, ls, 40, write)
		if got := admitted(t, ls, 10, func(l *limiter) error { return l.allowWrite("did:plc:other") }); got != 10 {
			t.Fatalf("another account got %d of 10", got)
		}
	})
}

func TestWindowOf(t *testing.T) {
	for _, c := range []struct {
		r      rate.Limit
		burst  int
		limit  int64
		window time.Duration
	}{
		{100, 500, 500, 5 * time.Second},
		{50, 1000, 1000, 20 * time.Second},
		{1000, 10, 10, time.Second},
		{0.1, 400, 400, 4000 * time.Second},
	} {
		limit, window := windowOf(c.r, c.burst)
		if limit != c.limit || window != c.window {
			t.Errorf("windowOf(%v, %d) = %d, %v; want %d, %v", c.r, c.burst, limit, window, c.limit, c.window)
		}
	}
}
