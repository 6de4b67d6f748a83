package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// commits tests ApplyCommit; its subtests are flat under Repos/ApplyCommit.
func (h harness) commits(t *testing.T) {
	h.applyCommit(t)
	h.applyCommitStale(t)
	h.applyCommitConcurrent(t)
	h.applyCommitOps(t)
	h.applyCommitReplace(t)
	h.applyCommitDrop(t)
	h.applyCommitDropRecords(t)
}

// applyCommitDropRecords checks that a record block goes when the last
// record of the repository using it is updated or deleted, and stays while
// another record (or a record written by the same commit) uses it.
func (h harness) applyCommitDropRecords(t *testing.T) {
	h.test(t, "record blocks no record uses are dropped", func(t *testing.T, s store.Store) {
		r, other := createAccount(t, s, 1), createAccount(t, s, 2)
		c1 := r.commit(t, put(posts, "a", post("same")), put(posts, "b", post("same")),
			put(posts, "c", post("c")), put(posts, "d", post("d")))
		r.apply(t, s, c1)
		same, oldC, d := c1.Blocks[2], c1.Blocks[4], c1.Blocks[5]
		oc := other.commit(t, put(posts, "c", post("c")))
		other.apply(t, s, oc) // the other repository's copy of c's block stays
		c2 := r.commit(t, put(posts, "c", post("c2")), del(posts, "a"), del(posts, "d"))
		r.apply(t, s, c2)
		wantBlocks(t, s, r.did, []rhizome.Block{oldC, d}, false)
		wantBlocks(t, s, r.did, append([]rhizome.Block{same}, c2.Blocks[2]), true)
		wantBlocks(t, s, other.did, oc.Blocks[2:], true)
		got, err := s.Record(t.Context(), r.did, posts, "b")
		must(t, err)
		if !bytes.Equal(got.Value, same.Data) {
			t.Fatalf("record b %+v", got)
		}
		r.apply(t, s, r.commit(t, del(posts, "b")))
		wantBlocks(t, s, r.did, []rhizome.Block{same}, false)
	})
	h.test(t, "a block a record of the same commit takes over stays", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t, put(posts, "a", post("moved")), put(posts, "b", post("b")))
		r.apply(t, s, c1)
		c2 := r.commit(t, del(posts, "a"), put(posts, "z", post("moved")), put(posts, "b", post("b")))
		c2.Blocks = c2.Blocks[:2] // both record blocks are stored already
		r.apply(t, s, c2)
		wantBlocks(t, s, r.did, c1.Blocks[2:], true)
		for _, k := range []syntax.RecordKey{"z", "b"} {
			got, err := s.Record(t.Context(), r.did, posts, k)
			must(t, err)
			if len(got.Value) == 0 {
				t.Fatalf("record %s lost its block", k)
			}
		}
	})
}

// applyCommitDrop checks Commit.Drop: the named blocks of this repository
// go, in the same transaction as the commit, and nothing else does.
func (h harness) applyCommitDrop(t *testing.T) {
	h.test(t, "drop deletes the named blocks of this repository only", func(t *testing.T, s store.Store) {
		r, other := createAccount(t, s, 1), createAccount(t, s, 2)
		c1 := r.commit(t, put(posts, "a", post("a")))
		r.apply(t, s, c1)
		oc := other.commit(t)
		oc.Blocks = append(oc.Blocks, c1.Blocks[1]) // the other repository holds the same node
		other.apply(t, s, oc)
		c2 := r.commit(t, put(posts, "b", post("b")))
		c2.Drop = cids(c1.Blocks[:2]) // the old commit and root
		r.apply(t, s, c2)
		wantBlocks(t, s, r.did, c1.Blocks[:2], false)
		wantBlocks(t, s, r.did, c1.Blocks[2:], true) // the record block stays
		wantBlocks(t, s, r.did, c2.Blocks, true)
		wantBlocks(t, s, other.did, c1.Blocks[1:2], true)
	})
	h.test(t, "a block both dropped and stored stays", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t)
		r.apply(t, s, c1)
		c2 := r.commit(t)
		c2.Blocks = append(c2.Blocks, c1.Blocks[1])
		c2.Drop = cids(c1.Blocks)
		r.apply(t, s, c2)
		wantBlocks(t, s, r.did, c1.Blocks[:1], false)
		wantBlocks(t, s, r.did, c1.Blocks[1:], true)
	})
	h.test(t, "a commit that keeps its head drops blocks (a sweep)", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t, put(posts, "a", post("a")))
		r.apply(t, s, c1)
		stray := block(t, post("a record deleted before blocks were collected"))
		_, err := s.ApplyCommit(t.Context(), store.Commit{Prev: r.head.Commit, Head: r.head, Blocks: []rhizome.Block{stray}})
		must(t, err)
		wantBlocks(t, s, r.did, []rhizome.Block{stray}, true)
		_, err = s.ApplyCommit(t.Context(), store.Commit{Prev: r.head.Commit, Head: r.head, Drop: []cid.CID{stray.CID}})
		must(t, err)
		wantBlocks(t, s, r.did, []rhizome.Block{stray}, false)
		wantBlocks(t, s, r.did, c1.Blocks, true)
		got, err := s.Head(t.Context(), r.did)
		must(t, err)
		if got != r.head {
			t.Fatalf("head %+v after the sweep, want %+v", got, r.head)
		}
		if rec, err := s.Record(t.Context(), r.did, posts, "a"); err != nil || rec.CID != c1.Ops[0].CID {
			t.Fatalf("record after the sweep: %+v, %v", rec, err)
		}
	})
	h.test(t, "a refused commit drops nothing", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t, put(posts, "a", post("a")))
		r.apply(t, s, c1)
		stale := &fakeRepo{did: r.did, head: r.head, n: r.n, salt: "racer"}
		r.apply(t, s, r.commit(t))
		c := stale.commit(t)
		c.Drop = cids(c1.Blocks)
		_, err := s.ApplyCommit(t.Context(), c)
		wantKind(t, err, rhizome.Conflict)
		wantBlocks(t, s, r.did, c1.Blocks, true)
	})
}

func (h harness) applyCommit(t *testing.T) {
	h.test(t, "genesis of a new repository", func(t *testing.T, s store.Store) {
		r := &fakeRepo{did: testDID(1)}
		c := r.commit(t, put(posts, "a", post("a")))
		seq := r.apply(t, s, c)
		if seq != 0 {
			t.Fatalf("seq %d without an event", seq)
		}
		got, err := s.Head(t.Context(), r.did)
		must(t, err)
		if got != c.Head {
			t.Fatalf("head %+v, want %+v", got, c.Head)
		}
		wantBlocks(t, s, r.did, c.Blocks, true)
	})
	h.test(t, "genesis over an existing repository", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		before := stateOf(t, s, r.did)
		g := &fakeRepo{did: r.did, salt: "again"}
		_, err := s.ApplyCommit(t.Context(), withEvent(g.commit(t, put(posts, "a", post("a")))))
		wantKind(t, err, rhizome.Conflict)
		wantState(t, s, r.did, before)
	})
	h.test(t, "prev of a missing repository", func(t *testing.T, s store.Store) {
		a := createAccount(t, s, 1)
		r := &fakeRepo{did: testDID(2), head: a.head}
		_, err := s.ApplyCommit(t.Context(), r.commit(t))
		wantKind(t, err, rhizome.Conflict)
		_, err = s.Head(t.Context(), r.did)
		wantNotFound(t, err)
	})
	h.test(t, "events get consecutive seqs", func(t *testing.T, s store.Store) {
		a, b := createAccount(t, s, 1), createAccount(t, s, 2)
		s1 := a.apply(t, s, withEvent(a.commit(t, put(posts, "a", post("a")))))
		s2 := b.apply(t, s, withEvent(b.commit(t, put(posts, "b", post("b")))))
		s3 := a.apply(t, s, withEvent(a.commit(t, del(posts, "a"))))
		if s1 <= 0 || s2 != s1+1 || s3 != s2+1 {
			t.Fatalf("seqs %d %d %d", s1, s2, s3)
		}
		evs, err := s.EventsAfter(t.Context(), s1, 10)
		must(t, err)
		if len(evs) != 2 || evs[0].DID != b.did || evs[1].DID != a.did ||
			!bytes.Equal(evs[1].Body, []byte("event "+string(a.head.Rev))) || !evs[1].Time.Equal(t0) {
			t.Fatalf("events %+v", evs)
		}
	})
}

func (h harness) applyCommitStale(t *testing.T) {
	h.test(t, "stale prev writes nothing", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		r.apply(t, s, withEvent(r.commit(t, put(posts, "a", post("a")))))
		before := stateOf(t, s, r.did)
		stale := *r
		stale.head.Commit = testStaleHead(t, r)
		c := withEvent(stale.commit(t, put(posts, "a", post("changed")), put(posts, "b", post("b")), del(posts, "a")))
		_, err := s.ApplyCommit(t.Context(), c)
		wantKind(t, err, rhizome.Conflict)
		wantState(t, s, r.did, before)
		wantBlocks(t, s, r.did, c.Blocks, false)
	})
	h.test(t, "stale prev with replace writes nothing", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t, put(posts, "a", post("a")))
		r.apply(t, s, c1)
		before := stateOf(t, s, r.did)
		stale := *r
		stale.head.Commit = testStaleHead(t, r)
		c := stale.commit(t, put(posts, "z", post("z")))
		c.Replace = true
		_, err := s.ApplyCommit(t.Context(), c)
		wantKind(t, err, rhizome.Conflict)
		wantState(t, s, r.did, before)
		wantBlocks(t, s, r.did, c1.Blocks, true)
	})
}

// testStaleHead returns a CID that is not r's head.
func testStaleHead(t *testing.T, r *fakeRepo) cid.CID {
	t.Helper()
	return block(t, map[string]any{"stale": string(r.did)}).CID
}

func (h harness) applyCommitConcurrent(t *testing.T) {
	h.test(t, "racers from the same prev: one wins", racers)
	h.test(t, "concurrent chains on many repositories", chains)
}

// racers applies n commits from the same prev at once: exactly one wins.
func racers(t *testing.T, s store.Store) {
	r := createAccount(t, s, 1)
	before, err := s.LastSeq(t.Context())
	must(t, err)
	const n = 8
	commits := make([]store.Commit, n)
	for i := range commits {
		racer := *r
		racer.salt = fmt.Sprint("racer ", i)
		commits[i] = withEvent(racer.commit(t, put(posts, "k", post(racer.salt))))
	}
	errs := race(n, func(i int) error {
		_, err := s.ApplyCommit(t.Context(), commits[i])
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("racers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		default:
			wantKind(t, err, rhizome.Conflict)
		}
	}
	if winner < 0 {
		t.Fatal("no racer won")
	}
	head, err := s.Head(t.Context(), r.did)
	must(t, err)
	rec, err := s.Record(t.Context(), r.did, posts, "k")
	must(t, err)
	last, err := s.LastSeq(t.Context())
	must(t, err)
	if head != commits[winner].Head || rec.CID != commits[winner].Ops[0].CID || last != before+1 {
		t.Fatalf("head %+v, record %s, last seq %d after the race", head, rec.CID, last)
	}
	for i, c := range commits {
		if i != winner {
			wantBlocks(t, s, r.did, c.Blocks[2:], false)
		}
	}
}

// chains applies a chain of commits on each of several repositories from
// concurrent writers: all succeed, with gap-free seqs.
func chains(t *testing.T, s store.Store) {
	const repos, depth = 4, 15
	work := make([][]store.Commit, repos)
	for i := range work {
		r := createAccount(t, s, i+1)
		for j := range depth {
			c := withEvent(r.commit(t, put(posts, fmt.Sprint(j), post(fmt.Sprint(i, j)))))
			r.head = c.Head
			work[i] = append(work[i], c)
		}
	}
	var mu sync.Mutex
	var seqs []int64
	errs := race(repos, func(i int) error {
		for _, c := range work[i] {
			seq, err := s.ApplyCommit(t.Context(), c)
			if err != nil {
				return err
			}
			mu.Lock()
			seqs = append(seqs, seq)
			mu.Unlock()
		}
		return nil
	})
	for _, err := range errs {
		must(t, err)
	}
	wantGapFree(t, seqs)
	for i := range work {
		recs, err := s.ListRecords(t.Context(), testDID(i+1), posts, store.Page{})
		must(t, err)
		if len(recs) != depth {
			t.Fatalf("%s has %d records, want %d", testDID(i+1), len(recs), depth)
		}
	}
}

// race runs fn(0…n-1) in goroutines released together and returns their
// errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func (h harness) applyCommitOps(t *testing.T) {
	h.test(t, "record ops create, update, delete", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		r.apply(t, s, r.commit(t, put(posts, "a", post("a")), put(posts, "b", post("b"))))
		c := r.commit(t, put(posts, "a", post("a2")), del(posts, "b"), del(posts, "never"))
		r.apply(t, s, c)
		got, err := s.Record(t.Context(), r.did, posts, "a")
		must(t, err)
		if got.CID != c.Ops[0].CID || !bytes.Equal(got.Value, c.Blocks[2].Data) {
			t.Fatalf("updated record %+v", got)
		}
		_, err = s.Record(t.Context(), r.did, posts, "b")
		wantNotFound(t, err)
		recs, err := s.ListRecords(t.Context(), r.did, posts, store.Page{})
		must(t, err)
		wantStrings(t, rkeys(recs), "a")
	})
	h.test(t, "record op whose block is already stored", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		first := r.commit(t, put(posts, "a", post("same")))
		r.apply(t, s, first)
		c := r.commit(t, put(posts, "b", post("same")))
		c.Blocks = c.Blocks[:2] // the record block is not new
		r.apply(t, s, c)
		got, err := s.Record(t.Context(), r.did, posts, "b")
		must(t, err)
		if got.CID != first.Blocks[2].CID || !bytes.Equal(got.Value, first.Blocks[2].Data) {
			t.Fatalf("record %+v", got)
		}
	})
	h.test(t, "rejects commits it cannot file", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c := r.commit(t)
		c.Head.DID = ""
		_, err := s.ApplyCommit(t.Context(), c)
		if err == nil {
			t.Fatal("a commit without a DID was applied")
		}
	})
}

func (h harness) applyCommitReplace(t *testing.T) {
	h.test(t, "replace drops blocks, records and blob refs", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		gone := blobCID("referenced by the old repository")
		c1 := r.commit(t, put(posts, "a", post("a"), gone), put(likes, "l", post("l")))
		r.apply(t, s, c1)
		c2 := r.commit(t, put(posts, "z", post("z")))
		c2.Replace = true
		r.apply(t, s, c2)
		recs, err := s.ListRecords(t.Context(), r.did, posts, store.Page{})
		must(t, err)
		wantStrings(t, rkeys(recs), "z")
		colls, err := s.Collections(t.Context(), r.did)
		must(t, err)
		wantNSIDs(t, colls, posts)
		wantBlocks(t, s, r.did, c1.Blocks, false)
		wantBlocks(t, s, r.did, c2.Blocks, true)
		missing, err := s.ListMissingBlobs(t.Context(), r.did, store.Page{})
		wantEmpty(t, "missing blobs after replace", missing, err)
		if n := countSince(t, s, r.did, ""); n != len(c2.Blocks) {
			t.Fatalf("%d blocks after replace, want %d", n, len(c2.Blocks))
		}
	})
	h.test(t, "replace into a new repository", func(t *testing.T, s store.Store) {
		r := &fakeRepo{did: testDID(1)}
		c := r.commit(t, put(posts, "a", post("a")))
		c.Replace = true
		r.apply(t, s, c)
		_, err := s.Record(t.Context(), r.did, posts, "a")
		must(t, err)
	})
}
