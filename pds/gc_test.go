package pds

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// storedBlocks counts the blocks the store holds for did.
func storedBlocks(t *testing.T, p *testPod, did syntax.DID) int {
	t.Helper()
	n := 0
	if err := p.store.BlocksSince(ctx, did, "", func(rhizome.Block) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// reachableBlocks counts the blocks did's head reaches (commit, MST nodes,
// records), walking the tree in the store.
func reachableBlocks(t *testing.T, p *testPod, did syntax.DID) int {
	t.Helper()
	h, err := p.store.Head(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := repo.WriteCAR(ctx, &buf, p.store.RepoBlocks(did), h.Commit); err != nil {
		t.Fatal(err)
	}
	seen := map[cid.CID]bool{} // a block two records share is written twice
	if _, err := car.ReadAll(&buf, func(c cid.CID, _ []byte) error { seen[c] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	return len(seen)
}

// Commits delete the blocks they make obsolete: after creates, updates
// and deletes the store holds the current repository and nothing more. A
// record block two records share stays until neither uses it.
func TestPDS_CommitsDropObsoleteBlocks(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	var rkeys []syntax.RecordKey
	for i := range 300 {
		res, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("post ", i%150))}, ValidateAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		rkeys = append(rkeys, res.URI.RecordKey())
	}
	wantExact := func(when string) {
		t.Helper()
		if s, r := storedBlocks(t, p, did), reachableBlocks(t, p, did); s != r {
			t.Fatalf("after %s the store holds %d blocks, the repository %d", when, s, r)
		}
	}
	wantExact("300 creates (150 contents, each twice)")
	for _, rk := range rkeys[:50] {
		if _, err := p.DeleteRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rk}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantExact("50 deletes of records whose twin stays")
	for _, rk := range rkeys[150:200] {
		if _, err := p.DeleteRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rk}, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantExact("50 deletes of their twins")
	for _, rk := range rkeys[200:250] {
		w := Write{Collection: "app.bsky.feed.post", RKey: rk, Value: post("updated " + string(rk))}
		if _, _, err := p.PutRecord(ctx, did, w, ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	wantExact("50 updates")
	if n := verifyRepo(t, p, did); n != 200 {
		t.Fatalf("repository holds %d records, want 200", n)
	}
}

// Reads that span several queries see one whole state while commits drop
// blocks under them.
func TestPDS_ReadsDuringCommits(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	first, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post("first")}, ValidateAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for i := range 200 {
			if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("p", i))}, ValidateAuto, nil); err != nil {
				t.Error(err)
				return
			}
		}
	})
	reads := 0
	for ; ; reads++ {
		select {
		case <-done:
			wg.Wait()
			if reads < 5 {
				t.Fatalf("only %d reads overlapped the writes", reads)
			}
			return
		default:
		}
		verifyRepo(t, p, did)
		var buf bytes.Buffer
		if err := p.GetRecordProof(ctx, did, "app.bsky.feed.post", first.URI.RecordKey(), &buf); err != nil {
			t.Fatalf("record proof during commits: %v", err)
		}
	}
}
