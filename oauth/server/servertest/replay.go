package servertest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

// RunReplay checks a dpop.ReplayCache: a key is fresh once until it
// expires, then fresh again, and of concurrent callers remembering one key
// exactly one is told it is fresh.
func RunReplay(t *testing.T, open func(t *testing.T) dpop.ReplayCache) {
	t.Run("fresh once", func(t *testing.T) {
		c, exp := open(t), now().Add(time.Minute)
		wantFresh(t, c, "key-1", exp, true)
		wantFresh(t, c, "key-1", exp, false)
		wantFresh(t, c, "key-1", exp.Add(time.Hour), false)
		wantFresh(t, c, "key-2", exp, true)
		wantFresh(t, c, "key-2", exp, false)
	})
	t.Run("fresh again after expiry", func(t *testing.T) {
		c, exp := open(t), now().Add(time.Second)
		wantFresh(t, c, "key-1", exp, true)
		wantFresh(t, c, "key-2", now().Add(time.Minute), true)
		again, err := c.Remember(t.Context(), "key-1", exp)
		must(t, err)
		if now().After(exp) {
			t.Fatalf("the machine took over a second for three calls: the test cannot tell expiry from replay")
		}
		if again {
			t.Fatalf("remember key-1 again before its expiry: fresh true, want false")
		}
		time.Sleep(time.Until(exp) + 20*time.Millisecond)
		wantFresh(t, c, "key-1", now().Add(time.Minute), true)
		wantFresh(t, c, "key-1", now().Add(time.Minute), false)
		wantFresh(t, c, "key-2", now().Add(time.Minute), false)
	})
	t.Run("one of concurrent callers is fresh", func(t *testing.T) {
		c, exp := open(t), now().Add(time.Minute)
		for k := range 5 {
			key := fmt.Sprintf("raced-%d", k)
			var fresh atomic.Int32
			race(t, func(int) error {
				ok, err := c.Remember(t.Context(), key, exp)
				if err != nil {
					return fmt.Errorf("remember %s: %w", key, err)
				}
				if ok {
					fresh.Add(1)
				}
				return nil
			})
			if fresh.Load() != 1 {
				t.Fatalf("%d of %d callers were told %s is fresh, want 1", fresh.Load(), racers, key)
			}
		}
	})
}

// wantFresh remembers key until exp and checks the answer.
func wantFresh(t *testing.T, c dpop.ReplayCache, key string, exp time.Time, want bool) {
	t.Helper()
	fresh, err := c.Remember(t.Context(), key, exp)
	must(t, err)
	if fresh != want {
		t.Fatalf("remember %s: fresh %v, want %v", key, fresh, want)
	}
}
