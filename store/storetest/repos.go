package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) repos(t *testing.T) {
	t.Run("Head", h.head)
	t.Run("ApplyCommit", h.commits)
	t.Run("Record", h.record)
	t.Run("ListRecords", h.listRecords)
	t.Run("Collections", h.collections)
	t.Run("ListRepos", h.listRepos)
	t.Run("RepoBlocks", h.repoBlocks)
	t.Run("BlocksSince", h.blocksSince)
}

func (h harness) head(t *testing.T) {
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		createAccount(t, s, 1)
		_, err := s.Head(t.Context(), testDID(2))
		wantNotFound(t, err)
	})
	h.test(t, "follows commits", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"))))
		got, err := s.Head(t.Context(), r.did)
		must(t, err)
		if got != r.head || got.DID != r.did || got.Rev != tid(2) {
			t.Fatalf("head %+v, want %+v", got, r.head)
		}
	})
}

func (h harness) record(t *testing.T) {
	h.test(t, "value and CID", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c := r.commit(t, put(posts, "3kabc", post("hello")))
		r.apply(t, s, c)
		got, err := s.Record(t.Context(), r.did, posts, "3kabc")
		must(t, err)
		want := c.Blocks[2]
		if got.Collection != posts || got.RKey != "3kabc" || got.CID != want.CID || !bytes.Equal(got.Value, want.Data) {
			t.Fatalf("got %+v, want CID %s value %q", got, want.CID, want.Data)
		}
	})
	h.test(t, "absent", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		r.apply(t, s, r.commit(t, put(posts, "a", post("a"))))
		createAccount(t, s, 2)
		for _, k := range []struct {
			did  syntax.DID
			coll syntax.NSID
			rkey syntax.RecordKey
		}{{r.did, posts, "b"}, {r.did, likes, "a"}, {testDID(2), posts, "a"}, {testDID(9), posts, "a"}} {
			_, err := s.Record(t.Context(), k.did, k.coll, k.rkey)
			wantNotFound(t, err)
		}
	})
}

// manyRecords commits records with keys k0…k(n-1) to coll, in a shuffled
// order, and returns the keys sorted.
func manyRecords(t *testing.T, s store.Store, r *fakeRepo, coll syntax.NSID, n int) []string {
	t.Helper()
	var recs []rec
	var keys []string
	for i := range n {
		k := fmt.Sprintf("k%02d", (i*7)%n)
		recs = append(recs, put(coll, k, post(string(r.did)+" "+k)))
		keys = append(keys, k)
	}
	r.apply(t, s, r.commit(t, recs...))
	slices.Sort(keys)
	return keys
}

func (h harness) listRecords(t *testing.T) {
	h.test(t, "pages forward and back", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		keys := manyRecords(t, s, r, posts, 10)
		manyRecords(t, s, r, likes, 3)
		other := createAccount(t, s, 2)
		manyRecords(t, s, other, posts, 4)
		list := func(p store.Page) []string {
			recs, err := s.ListRecords(t.Context(), r.did, posts, p)
			must(t, err)
			for _, rec := range recs {
				want, err := s.Record(t.Context(), r.did, posts, rec.RKey)
				must(t, err)
				if !sameRecord(rec, want) {
					t.Fatalf("listed %+v, read %+v", rec, want)
				}
			}
			return rkeys(recs)
		}
		wantStrings(t, list(store.Page{}), keys...)
		wantStrings(t, list(store.Page{Limit: 4}), keys[:4]...)
		wantStrings(t, list(store.Page{Limit: 4, Cursor: keys[3]}), keys[4:8]...)
		wantStrings(t, list(store.Page{Limit: 4, Cursor: keys[7]}), keys[8:]...)
		wantStrings(t, list(store.Page{Limit: 4, Cursor: keys[9]}))
		rev := slices.Clone(keys)
		slices.Reverse(rev)
		wantStrings(t, list(store.Page{Limit: 4, Reverse: true}), rev[:4]...)
		wantStrings(t, list(store.Page{Limit: 4, Reverse: true, Cursor: rev[3]}), rev[4:8]...)
		wantStrings(t, list(store.Page{Reverse: true, Cursor: rev[7]}), rev[8:]...)
		wantStrings(t, list(store.Page{Cursor: "k045"}), keys[5:]...)
	})
	h.test(t, "default limit", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		var recs []rec
		for i := range store.DefaultLimit + 5 {
			recs = append(recs, put(posts, fmt.Sprintf("r%03d", i), post(fmt.Sprint(i))))
		}
		r.apply(t, s, r.commit(t, recs...))
		got, err := s.ListRecords(t.Context(), r.did, posts, store.Page{Limit: -1})
		must(t, err)
		if len(got) != store.DefaultLimit {
			t.Fatalf("got %d records, want %d", len(got), store.DefaultLimit)
		}
	})
	h.test(t, "empty", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		got, err := s.ListRecords(t.Context(), r.did, posts, store.Page{})
		wantEmpty(t, "empty collection", got, err)
		got, err = s.ListRecords(t.Context(), testDID(9), posts, store.Page{})
		wantEmpty(t, "unknown repository", got, err)
	})
}

// wantStrings compares string lists.
func wantStrings(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func (h harness) collections(t *testing.T) {
	h.test(t, "distinct, ascending, emptied ones gone", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		manyRecords(t, s, r, posts, 3)
		manyRecords(t, s, r, profile, 1)
		manyRecords(t, s, r, likes, 2)
		other := createAccount(t, s, 2)
		manyRecords(t, s, other, "com.example.other", 1)
		got, err := s.Collections(t.Context(), r.did)
		must(t, err)
		wantNSIDs(t, got, profile, likes, posts)
		r.apply(t, s, r.commit(t, del(likes, "k00"), del(likes, "k01")))
		got, err = s.Collections(t.Context(), r.did)
		must(t, err)
		wantNSIDs(t, got, profile, posts)
	})
	h.test(t, "none", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		got, err := s.Collections(t.Context(), r.did)
		wantEmpty(t, "fresh repository", got, err)
	})
}

func wantNSIDs(t *testing.T, got []syntax.NSID, want ...syntax.NSID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func (h harness) listRepos(t *testing.T) {
	h.test(t, "pages with heads and status", func(t *testing.T, s store.Store) {
		var heads []store.Head
		for n := 1; n <= 3; n++ {
			r := createAccount(t, s, n)
			r.apply(t, s, r.commit(t, put(posts, "a", post("a"))))
			heads = append(heads, r.head)
		}
		st := store.Takendown
		must(t, s.UpdateAccount(t.Context(), testDID(2), store.AccountUpdate{Status: &st}))
		got, err := s.ListRepos(t.Context(), store.Page{})
		must(t, err)
		want := []store.RepoInfo{
			{Head: heads[0], Status: store.Active},
			{Head: heads[1], Status: store.Takendown},
			{Head: heads[2], Status: store.Active},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		got, err = s.ListRepos(t.Context(), store.Page{Limit: 1, Cursor: string(testDID(1))})
		must(t, err)
		if !slices.Equal(got, want[1:2]) {
			t.Fatalf("second page %+v, want %+v", got, want[1:2])
		}
		got, err = s.ListRepos(t.Context(), store.Page{Limit: 2, Reverse: true})
		must(t, err)
		if !slices.Equal(got, []store.RepoInfo{want[2], want[1]}) {
			t.Fatalf("reverse page %+v", got)
		}
	})
}

func (h harness) repoBlocks(t *testing.T) {
	h.test(t, "isolated by DID", func(t *testing.T, s store.Store) {
		a, b := createAccount(t, s, 1), createAccount(t, s, 2)
		ca := a.commit(t, put(posts, "a", post("only in a")))
		a.apply(t, s, ca)
		wantBlocks(t, s, a.did, ca.Blocks, true)
		wantBlocks(t, s, b.did, ca.Blocks, false)
		wantBlocks(t, s, testDID(9), ca.Blocks, false)
	})
	h.test(t, "same block in two repositories", func(t *testing.T, s store.Store) {
		a, b := createAccount(t, s, 1), createAccount(t, s, 2)
		ca := a.commit(t, put(posts, "a", post("shared")))
		cb := b.commit(t, put(posts, "b", post("shared")))
		a.apply(t, s, ca)
		b.apply(t, s, cb)
		must(t, s.DeleteAccount(t.Context(), a.did))
		wantBlocks(t, s, b.did, cb.Blocks, true)
	})
	h.test(t, "order, gaps, repeats and large batches", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		var recs []rec
		for i := range 150 {
			recs = append(recs, put(posts, fmt.Sprintf("r%03d", i), post(fmt.Sprint(i))))
		}
		c := r.commit(t, recs...)
		r.apply(t, s, c)
		missing := blobCID("not a block")
		ids := []cid.CID{c.Blocks[5].CID, missing, c.Blocks[3].CID, c.Blocks[5].CID}
		got, err := s.RepoBlocks(r.did).GetBlocks(t.Context(), ids)
		must(t, err)
		if len(got) != 4 || !bytes.Equal(got[0], c.Blocks[5].Data) || got[1] != nil ||
			!bytes.Equal(got[2], c.Blocks[3].Data) || !bytes.Equal(got[3], c.Blocks[5].Data) {
			t.Fatalf("GetBlocks returned %q", got)
		}
		wantBlocks(t, s, r.did, c.Blocks, true)
		got, err = s.RepoBlocks(r.did).GetBlocks(t.Context(), nil)
		must(t, err)
		if len(got) != 0 {
			t.Fatalf("GetBlocks of nothing returned %d entries", len(got))
		}
		_, err = rhizome.GetBlock(t.Context(), s.RepoBlocks(r.did), missing)
		wantNotFound(t, err)
	})
}

func (h harness) blocksSince(t *testing.T) {
	h.test(t, "filters and orders by rev", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		var commits []store.Commit
		for i := range 3 {
			c := r.commit(t, put(posts, fmt.Sprint(i), post(fmt.Sprint(i))))
			r.apply(t, s, c)
			commits = append(commits, c)
		}
		revOf := map[cid.CID]syntax.TID{}
		for _, c := range commits {
			for _, b := range c.Blocks {
				revOf[b.CID] = c.Head.Rev
			}
		}
		var got []cid.CID
		err := s.BlocksSince(t.Context(), r.did, commits[0].Head.Rev, func(b rhizome.Block) error {
			if revOf[b.CID] == "" || !b.CID.Matches(b.Data) {
				t.Fatalf("unexpected block %s", b.CID)
			}
			if len(got) > 0 && revOf[got[len(got)-1]] > revOf[b.CID] {
				t.Fatalf("block %s out of rev order", b.CID)
			}
			got = append(got, b.CID)
			return nil
		})
		must(t, err)
		want := append(cids(commits[1].Blocks), cids(commits[2].Blocks)...)
		wantSameCIDs(t, got, want)
		all := countSince(t, s, r.did, "")
		if all != 2+len(commits)*3 {
			t.Fatalf("%d blocks since the start, want %d", all, 2+len(commits)*3)
		}
		if n := countSince(t, s, r.did, r.head.Rev); n != 0 {
			t.Fatalf("%d blocks since the head", n)
		}
	})
	h.test(t, "block rewritten by a later commit", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c1 := r.commit(t, put(posts, "a", post("same")))
		r.apply(t, s, c1)
		r.apply(t, s, r.commit(t, del(posts, "a")))
		since := r.head.Rev
		r.apply(t, s, r.commit(t, put(posts, "a", post("same"))))
		var got []cid.CID
		must(t, s.BlocksSince(t.Context(), r.did, since, func(b rhizome.Block) error {
			got = append(got, b.CID)
			return nil
		}))
		if !slices.Contains(got, c1.Blocks[2].CID) {
			t.Fatalf("record block written again after %s is not reported", since)
		}
	})
	h.test(t, "stops on callback error", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		stop := errors.New("stop")
		n := 0
		err := s.BlocksSince(t.Context(), r.did, "", func(rhizome.Block) error { n++; return stop })
		if err == nil || n != 1 {
			t.Fatalf("err %v after %d calls, want the callback's error after 1", err, n)
		}
	})
	h.test(t, "unknown repository", func(t *testing.T, s store.Store) {
		err := s.BlocksSince(t.Context(), testDID(9), "", func(rhizome.Block) error { return nil })
		wantNotFound(t, err)
	})
}

// countSince counts the blocks BlocksSince reports.
func countSince(t *testing.T, s store.Store, did syntax.DID, since syntax.TID) int {
	t.Helper()
	n := 0
	must(t, s.BlocksSince(t.Context(), did, since, func(rhizome.Block) error { n++; return nil }))
	return n
}

// wantSameCIDs compares CID sets.
func wantSameCIDs(t *testing.T, got, want []cid.CID) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, cid.Compare)
	slices.SortFunc(w, cid.Compare)
	if !slices.Equal(g, w) {
		t.Fatalf("got CIDs %v, want %v", got, want)
	}
}
