package pds

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
)

func TestPDS_SweepRepo(t *testing.T) {
	p := newTestPod(t)
	did := p.account(t, "alice").Account.DID
	for i := range 30 {
		if _, _, err := p.CreateRecord(ctx, did, Write{Collection: "app.bsky.feed.post", Value: post(fmt.Sprint("post ", i))}, ValidateAuto, nil); err != nil {
			t.Fatal(err)
		}
	}
	// What a database from before block collection holds: a deleted
	// record's block and an old tree node, stored under the current head.
	var junk []rhizome.Block
	for _, v := range []any{post("deleted long ago"), map[string]any{"e": []any{}, "l": nil}} {
		b, err := data.MarshalCBOR(v)
		if err != nil {
			t.Fatal(err)
		}
		junk = append(junk, rhizome.Block{CID: cid.Sum(cid.DagCBOR, b), Data: b})
	}
	h, err := p.store.Head(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.store.ApplyCommit(ctx, store.Commit{Prev: h.Commit, Head: h, Blocks: junk}); err != nil {
		t.Fatal(err)
	}
	exported := func() map[cid.CID][]byte {
		var buf bytes.Buffer
		if err := p.GetRepo(ctx, did, "", &buf); err != nil {
			t.Fatal(err)
		}
		return carBlocks(t, buf.Bytes())
	}
	if _, ok := exported()[junk[0].CID]; !ok {
		t.Fatal("the setup failed: the export does not hold the stray block")
	}

	n, err := p.SweepRepo(ctx, did)
	if err != nil || n != len(junk) {
		t.Fatalf("SweepRepo = %d, %v; want %d blocks", n, err, len(junk))
	}
	got := exported()
	for _, b := range junk {
		if _, ok := got[b.CID]; ok {
			t.Fatalf("block %s is still exported after the sweep", b.CID)
		}
	}
	if n := verifyRepo(t, p, did); n != 30 {
		t.Fatalf("the swept repository holds %d records, want 30", n)
	}
	if after, err := p.store.Head(ctx, did); err != nil || after != h {
		t.Fatalf("head after the sweep %v, %v; want it unchanged: %v", after, err, h)
	}
	if n, err := p.SweepRepo(ctx, did); err != nil || n != 0 {
		t.Fatalf("second sweep = %d, %v; want 0", n, err)
	}
	t.Run("a missing repository is NotFound", func(t *testing.T) {
		_, err := p.SweepRepo(ctx, "did:plc:nobodyhere2345678abcdefgh")
		if rhizome.KindOf(err) != rhizome.NotFound {
			t.Fatalf("err %v, want NotFound", err)
		}
	})
}
