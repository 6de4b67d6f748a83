package postgres

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestStore_TakeTurn(t *testing.T) {
	t.Run("one node at a time per repository, in turn", func(t *testing.T) {
		nodes := openNodes(t)
		release, err := nodes[0].TakeTurn(t.Context(), "did:plc:turns")
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan time.Time, 1)
		go func() {
			r, err := nodes[1].TakeTurn(context.Background(), "did:plc:turns")
			if err != nil {
				t.Error(err)
			} else {
				defer r()
			}
			got <- time.Now()
		}()
		other, err := nodes[1].TakeTurn(t.Context(), "did:plc:other")
		if err != nil {
			t.Fatalf("another repository's turn: %v", err)
		}
		other()
		select {
		case <-got:
			t.Fatal("the second node took a turn the first holds")
		case <-time.After(300 * time.Millisecond):
		}
		released := time.Now()
		release()
		select {
		case at := <-got:
			t.Logf("the turn passed %v after its release", at.Sub(released))
		case <-time.After(5 * time.Second):
			t.Fatal("the waiting node did not get the turn after its release")
		}
	})
	t.Run("a wait that times out leaves the turn free", func(t *testing.T) {
		nodes := openNodes(t)
		release, err := nodes[0].TakeTurn(t.Context(), "did:plc:timeout")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		if _, err := nodes[1].TakeTurn(ctx, "did:plc:timeout"); err == nil {
			t.Fatal("took a held turn")
		}
		release()
		ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		r, err := nodes[1].TakeTurn(ctx, "did:plc:timeout")
		if err != nil {
			t.Fatalf("the turn after a timed-out wait and a release: %v", err)
		}
		r()
	})
	t.Run("many writers all get their turn", func(t *testing.T) {
		nodes := openNodes(t)
		var mu sync.Mutex
		holders, most := 0, 0
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				r, err := nodes[i%2].TakeTurn(t.Context(), "did:plc:many")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				holders++
				most = max(most, holders)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				holders--
				mu.Unlock()
				r()
			})
		}
		wg.Wait()
		if most != 1 {
			t.Fatalf("%d writers held the turn at once", most)
		}
	})
}
