package postgres

import (
	"slices"
	"sync"
	"testing"
	"time"
)

func TestStore_AddRate(t *testing.T) {
	t.Run("concurrent adders on two nodes see distinct totals", func(t *testing.T) {
		nodes := openNodes(t)
		end := time.Now().Add(time.Minute)
		const perNode = 40
		totals := make([]int64, 2*perNode)
		var wg sync.WaitGroup
		for i := range totals {
			wg.Go(func() {
				n, err := nodes[i%2].AddRate(t.Context(), "did:plc:rate", end, 1)
				if err != nil {
					t.Error(err)
				}
				totals[i] = n
			})
		}
		wg.Wait()
		slices.Sort(totals)
		for i, n := range totals {
			if n != int64(i+1) {
				t.Fatalf("totals %v, want 1..%d each once", totals, len(totals))
			}
		}
	})
	t.Run("keys and windows count apart", func(t *testing.T) {
		s := openTemp(t)
		end := time.Now().Add(time.Minute).Truncate(time.Millisecond)
		for _, c := range []struct {
			key  string
			end  time.Time
			add  int64
			want int64
		}{
			{"ip:1", end, 5, 5},
			{"ip:1", end, 3, 8},
			{"ip:2", end, 1, 1},
			{"ip:1", end.Add(time.Minute), 2, 2},
			{"ip:1", end, 0, 8},
		} {
			got, err := s.AddRate(t.Context(), c.key, c.end, c.add)
			if err != nil || got != c.want {
				t.Fatalf("AddRate(%s, +%d) = %d, %v; want %d", c.key, c.add, got, err, c.want)
			}
		}
		if _, err := s.AddRate(t.Context(), "", end, 1); err == nil {
			t.Error("AddRate without a key succeeded")
		}
	})
	t.Run("trim drops ended windows only", func(t *testing.T) {
		s := openTemp(t)
		now := time.Now()
		for _, end := range []time.Time{now.Add(-time.Hour), now.Add(-time.Minute), now.Add(time.Minute)} {
			if _, err := s.AddRate(t.Context(), "k", end, 1); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.TrimRates(t.Context(), now)
		if err != nil || n != 2 {
			t.Fatalf("trimmed %d (%v), want 2", n, err)
		}
		if got, _ := s.AddRate(t.Context(), "k", now.Add(time.Minute), 0); got != 1 {
			t.Fatalf("the current window holds %d after trimming, want 1", got)
		}
	})
}
