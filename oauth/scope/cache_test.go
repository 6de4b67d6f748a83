package scope

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// flakyResolver counts lookups, fails while down, and can hold lookups
// until released.
type flakyResolver struct {
	calls atomic.Int32
	down  atomic.Bool
	hold  chan struct{} // when non-nil, lookups wait for it to close
	title atomic.Value  // the title of the next set served
}

func (f *flakyResolver) ResolvePermissionSet(_ context.Context, nsid syntax.NSID) (*PermissionSet, error) {
	f.calls.Add(1)
	if f.hold != nil {
		<-f.hold
	}
	if f.down.Load() {
		return nil, rhizome.E("resolve permission set", rhizome.Unavailable, "publisher down")
	}
	ps := &PermissionSet{NSID: nsid}
	if t, ok := f.title.Load().(string); ok {
		ps.Title = t
	}
	return ps, nil
}

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestCache(r SetResolver, max int) (*Cache, *clock) {
	clk := &clock{now: time.Unix(1_700_000_000, 0)}
	return NewCache(r, CacheConfig{Stale: time.Hour, Expire: 24 * time.Hour, MaxEntries: max, Now: clk.Now}), clk
}

func TestCache_Lifetimes(t *testing.T) {
	ctx := context.Background()
	const id = syntax.NSID("app.example.auth")
	f := &flakyResolver{}
	f.title.Store("v1")
	c, clk := newTestCache(f, 10)

	get := func(step string) (*PermissionSet, error) {
		t.Helper()
		ps, err := c.ResolvePermissionSet(ctx, id)
		t.Logf("%s: calls=%d err=%v", step, f.calls.Load(), err)
		return ps, err
	}
	if ps, err := get("first"); err != nil || ps.Title != "v1" || f.calls.Load() != 1 {
		t.Fatalf("first lookup: %v %v", ps, err)
	}
	clk.Add(59 * time.Minute)
	if ps, _ := get("fresh"); ps.Title != "v1" || f.calls.Load() != 1 {
		t.Errorf("a fresh entry was resolved again")
	}
	f.title.Store("v2")
	clk.Add(2 * time.Minute)
	if ps, _ := get("stale"); ps.Title != "v2" || f.calls.Load() != 2 {
		t.Errorf("a stale entry was not refreshed")
	}
	f.down.Store(true)
	clk.Add(2 * time.Hour)
	if ps, err := get("stale, publisher down"); err != nil || ps.Title != "v2" || f.calls.Load() != 3 {
		t.Errorf("stale fallback: %v %v", ps, err)
	}
	clk.Add(23 * time.Hour)
	if _, err := get("expired, publisher down"); !rhizome.Is(err, rhizome.Unavailable) {
		t.Errorf("an expired entry was served: %v", err)
	}
	f.down.Store(false)
	c.Forget("APP.example.auth")
	before := f.calls.Load()
	if _, err := get("after Forget"); err != nil || f.calls.Load() != before+1 {
		t.Errorf("Forget did not force a lookup")
	}
}

func TestCache_FailuresNotCached(t *testing.T) {
	f := &flakyResolver{}
	f.down.Store(true)
	c, _ := newTestCache(f, 10)
	for range 2 {
		if _, err := c.ResolvePermissionSet(context.Background(), "app.example.auth"); err == nil {
			t.Fatal("lookup succeeded while down")
		}
	}
	if f.calls.Load() != 2 {
		t.Errorf("calls = %d, want 2 (failures are not cached)", f.calls.Load())
	}
}

func TestCache_SharesConcurrentLookups(t *testing.T) {
	f := &flakyResolver{hold: make(chan struct{})}
	c, _ := newTestCache(f, 10)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := c.ResolvePermissionSet(context.Background(), "app.example.auth")
			errs <- err
		})
	}
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the others join the lookup in progress
	close(f.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("20 concurrent lookups made %d resolutions, want 1", n)
	}
}

func TestCache_CallerCancelled(t *testing.T) {
	f := &flakyResolver{hold: make(chan struct{})}
	c, _ := newTestCache(f, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.ResolvePermissionSet(ctx, "app.example.auth")
		done <- err
	}()
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled lookup: %v", err)
	}
	close(f.hold) // the resolution finishes and is kept for the next caller
	for range 100 {
		if _, err := c.ResolvePermissionSet(context.Background(), "app.example.auth"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.calls.Load(); n != 1 {
		t.Errorf("resolutions = %d, want 1", n)
	}
}

func TestCache_EvictsOldest(t *testing.T) {
	f := &flakyResolver{}
	c, clk := newTestCache(f, 2)
	ctx := context.Background()
	for _, id := range []syntax.NSID{"app.example.a", "app.example.b", "app.example.c"} {
		if _, err := c.ResolvePermissionSet(ctx, id); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
	}
	c.mu.Lock()
	_, hasA := c.entries["app.example.a"]
	n := len(c.entries)
	c.mu.Unlock()
	if hasA || n != 2 {
		t.Errorf("entries = %d, oldest kept = %v", n, hasA)
	}
}
