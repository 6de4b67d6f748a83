package sqlite

import (
	"testing"

	"github.com/rhizome-pds/rhizome"
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
