package pds

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// newNodes assembles n PDSs sharing one store, blob store, keyring and
// identities, as the nodes of one pod do; each has its own locks and
// caches.
func newNodes(t *testing.T, n int) []*PDS {
	t.Helper()
	d := testDeps(t)
	out := make([]*PDS, n)
	for i := range out {
		var err error
		out[i], err = New(Config{PublicURL: "http://127.0.0.1:1"}, d)
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// noteColl is a collection without a schema, whose record keys are free.
const noteColl = "com.example.note"

func note(text string) map[string]any { return map[string]any{"$type": noteColl, "text": text} }

func TestPDS_WritesFromSeveralNodes(t *testing.T) {
	t.Run("every write lands on one linear history", concurrentNodeWrites)
	t.Run("swapCommit races: one wins, the rest InvalidSwap", swapCommitRace)
}

func concurrentNodeWrites(t *testing.T) {
	nodes := newNodes(t, 3)
	ctx := context.Background()
	s, err := nodes[0].CreateAccount(ctx, NewAccount{Handle: "alice.test", Email: "a@example.com", Password: "password-a"})
	if err != nil {
		t.Fatal(err)
	}
	did := s.Account.DID
	const perNode = 25
	var mu sync.Mutex
	written := map[string]cid.CID{}
	var wg sync.WaitGroup
	for n, node := range nodes {
		for w := range 2 {
			wg.Go(func() {
				for i := range perNode / 2 {
					rkey := syntax.RecordKey(fmt.Sprintf("n%dw%di%02d", n, w, i))
					res, _, err := node.CreateRecord(ctx, did, Write{Collection: noteColl, RKey: rkey,
						Value: note(string(rkey))}, ValidateAuto, nil)
					if err != nil {
						t.Errorf("node %d: %v", n, err)
						return
					}
					mu.Lock()
					written[string(rkey)] = res.CID
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	checkRepo(t, nodes[1], did, written)
}

// checkRepo opens the repository at its head through node, verifies it
// and checks that it holds exactly the records written.
func checkRepo(t *testing.T, node *PDS, did syntax.DID, written map[string]cid.CID) {
	t.Helper()
	ctx := context.Background()
	h, err := node.store.Head(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	r, err := repo.Open(ctx, node.store.RepoBlocks(did), h.Commit)
	if err != nil {
		t.Fatal(err)
	}
	if _, n, err := r.Verify(ctx); err != nil || n != len(written) {
		t.Fatalf("repository holds %d records (%v), want %d", n, err, len(written))
	}
	for rkey, c := range written {
		got, _, err := r.Get(ctx, noteColl, syntax.RecordKey(rkey))
		if err != nil || got != c {
			t.Fatalf("record %s: %s (%v), want %s", rkey, got, err, c)
		}
	}
}

func swapCommitRace(t *testing.T) {
	nodes := newNodes(t, 2)
	ctx := context.Background()
	s, err := nodes[0].CreateAccount(ctx, NewAccount{Handle: "bob.test", Email: "b@example.com", Password: "password-b"})
	if err != nil {
		t.Fatal(err)
	}
	did := s.Account.DID
	for round := range 5 {
		h, err := nodes[0].store.Head(ctx, did)
		if err != nil {
			t.Fatal(err)
		}
		errs := make([]error, 6)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Go(func() {
				w := Write{Action: repo.Create, Collection: noteColl,
					RKey: syntax.RecordKey(fmt.Sprintf("r%dw%d", round, i)), Value: note("race")}
				_, _, errs[i] = nodes[i%2].ApplyWrites(ctx, did, []Write{w}, ValidateAuto, &h.Commit)
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !rhizome.Is(err, rhizome.Conflict) || rhizome.NameOf(err) != "InvalidSwap":
				t.Fatalf("round %d writer %d: %v, want InvalidSwap", round, i, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d writers won the same swapCommit", round, won)
		}
	}
}
