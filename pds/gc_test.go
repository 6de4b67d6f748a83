package pds

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
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

// exportedBlocks counts the blocks of did's current repository.
func exportedBlocks(t *testing.T, p *testPod, did syntax.DID) int {
	t.Helper()
	var buf bytes.Buffer
	if err := p.GetRepo(ctx, did, "", &buf); err != nil {
		t.Fatal(err)
	}
	n := 0
	if _, err := car.ReadAll(&buf, func(cid.CID, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// Commits delete the blocks they make obsolete: after many single-record
// writes the store holds the current repository and nothing more, except
// the blocks of deleted or replaced records.
func TestPDS_CommitsDropObsoleteBlocks(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	var rkeys []syntax.RecordKey
	for i := range 300 {
		res, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("post ", i))}, ValidateAuto, nil)
		if err != nil {
			t.Fatal(err)
		}
		rkeys = append(rkeys, res.URI.RecordKey())
	}
	if s, e := storedBlocks(t, p, did), exportedBlocks(t, p, did); s != e {
		t.Fatalf("after 300 creates the store holds %d blocks, the repository %d", s, e)
	}
	for _, rk := range rkeys[:50] {
		if _, err := p.DeleteRecord(ctx, did, Write{Collection: "app.bsky.feed.post", RKey: rk}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s, e := storedBlocks(t, p, did), exportedBlocks(t, p, did); s != e+50 {
		t.Fatalf("after 50 deletes the store holds %d blocks, want the repository's %d + 50 record blocks", s, e)
	}
	if n := verifyRepo(t, p, did); n != 250 {
		t.Fatalf("repository holds %d records, want 250", n)
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
