package postgres

import (
	"bytes"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
)

func TestStore_RecordMissingBlock(t *testing.T) {
	s := openTemp(t)
	r := &benchRepo{did: "did:plc:missingblock"}
	c := r.next(t, 1)
	c.Blocks = c.Blocks[:1] // only the commit block: the record block is absent
	if _, err := s.ApplyCommit(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	_, err := s.Record(t.Context(), r.did, benchColl, c.Ops[0].RKey)
	if !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("record without its block: %v, want a Corrupt error", err)
	}
	_, err = s.ListRecords(t.Context(), r.did, benchColl, store.Page{})
	if !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("listing a record without its block: %v, want a Corrupt error", err)
	}
}

// TestStore_ApplyCommitLarge applies an import larger than one insert
// chunk, with a block repeated, and reads every block back.
func TestStore_ApplyCommitLarge(t *testing.T) {
	s := openTemp(t)
	r := &benchRepo{did: "did:plc:largeimport"}
	if _, err := s.ApplyCommit(t.Context(), r.next(t, 1)); err != nil {
		t.Fatal(err)
	}
	c := r.next(t, maxChunkBlocks+500)
	c.Replace = true
	c.Blocks = append(c.Blocks, c.Blocks[7])
	if _, err := s.ApplyCommit(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	cids := make([]cid.CID, len(c.Blocks))
	for i, b := range c.Blocks {
		cids[i] = b.CID
	}
	got, err := s.RepoBlocks(r.did).GetBlocks(t.Context(), cids)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range c.Blocks {
		if !bytes.Equal(got[i], b.Data) {
			t.Fatalf("block %d of %d: got %d bytes, want %d", i, len(c.Blocks), len(got[i]), len(b.Data))
		}
	}
	n := 0
	err = s.BlocksSince(t.Context(), r.did, "", func(rhizome.Block) error { n++; return nil })
	if err != nil || n != len(c.Blocks)-1 {
		t.Fatalf("BlocksSince saw %d blocks (%v), want %d", n, err, len(c.Blocks)-1)
	}
	again := r.next(t, 1)
	again.Replace, again.Blocks = true, append(again.Blocks, c.Blocks...)
	if _, err := s.ApplyCommit(t.Context(), again); err != nil {
		t.Fatalf("replace with the blocks it drops: %v", err)
	}
	if got, err := s.RepoBlocks(r.did).GetBlocks(t.Context(), cids); err != nil || !bytes.Equal(got[3], c.Blocks[3].Data) {
		t.Fatalf("blocks after the second replace: %v", err)
	}
}
