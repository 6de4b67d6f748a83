package mst

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

// nodeSet returns the CIDs of every node of the tree rooted at root in bs.
func nodeSet(t *testing.T, bs rhizome.BlockReader, root cid.CID) map[cid.CID]bool {
	t.Helper()
	set := map[cid.CID]bool{}
	err := Load(bs, root).WalkNodes(context.Background(), func(b rhizome.Block, _ []cid.CID) error {
		set[b.CID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// For random trees and random batches of creates, updates and deletes,
// Dropped names exactly the old nodes the new tree no longer holds, and a
// store that deletes them still holds the whole new tree.
func TestTree_Dropped(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(21, 22))
	for s := 0; s < 300; s++ {
		bs := mem.NewBlocks()
		ma, keys := randomMap(rng, rng.IntN(800))
		a := stored(t, bs, ma, keys)
		before := nodeSet(t, bs, a.Root())
		b := a.Snapshot()
		randomOps(t, rng, b, ma, keys)
		dropped, err := b.Dropped(ctx, a)
		if err != nil {
			t.Fatalf("set %d: %v", s, err)
		}
		storeAll(t, bs, b)
		after := nodeSet(t, bs, b.Root())
		want := map[cid.CID]bool{}
		for c := range before {
			if !after[c] {
				want[c] = true
			}
		}
		got := map[cid.CID]bool{}
		for _, c := range dropped {
			if got[c] {
				t.Fatalf("set %d: %s dropped twice", s, c)
			}
			got[c] = true
			if !want[c] {
				t.Fatalf("set %d: dropped %s, which the new tree still holds or the old never had", s, c)
			}
			bs.Delete(c)
		}
		if len(got) != len(want) {
			t.Fatalf("set %d: dropped %d nodes, want %d", s, len(got), len(want))
		}
		if n := len(nodeSet(t, bs, b.Root())); n != len(after) { // the new tree loads whole from the pruned store
			t.Fatalf("set %d: %d nodes after pruning, want %d", s, n, len(after))
		}
	}
}

func TestTree_DroppedNothingChanged(t *testing.T) {
	bs := mem.NewBlocks()
	ma, keys := randomMap(rand.New(rand.NewPCG(1, 2)), 300)
	a := stored(t, bs, ma, keys)
	b := a.Snapshot()
	mustPut(t, b, keys[0], ma[keys[0]]) // same value: no change
	if d, err := b.Dropped(context.Background(), a); err != nil || len(d) != 0 {
		t.Fatalf("dropped %v, %v", d, err)
	}
}
