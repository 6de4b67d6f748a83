package bench

import (
	"testing"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
)

// TestFixturesAgree checks that the two implementations are benchmarked on
// the same data: the MST both build from a key set has one root, and the
// repository CAR Rhizome writes is one indigo loads and verifies, with the
// same commit and record count.
func TestFixturesAgree(t *testing.T) {
	f := getMSTFixture(t, sizes[0].n)
	ours, theirs := f.oursTree(t), f.indigoTree(t)
	if string(ours.root.Bytes()) != theirs.root.KeyString() {
		t.Fatalf("roots differ: %s vs %s", ours.root, theirs.root)
	}
	entries := make([]mst.Entry, len(f.keys))
	for i, k := range f.keys {
		entries[i] = mst.Entry{Key: k, Val: f.vals[i]}
	}
	built, err := mst.Build(mem.NewBlocks(), entries)
	if err != nil {
		t.Fatal(err)
	}
	if built.Root() != ours.root {
		t.Fatalf("mst.Build root %s, want %s", built.Root(), ours.root)
	}
	if len(f.extra) == 0 || len(f.keys) != f.n {
		t.Fatalf("fixture has %d keys and %d extra", len(f.keys), len(f.extra))
	}

	rf := getRepoFixture(t, 2000)
	_, r := rf.ours(t)
	commit, _, n := rf.indigo(t)
	if n != rf.n {
		t.Fatalf("indigo found %d records, want %d", n, rf.n)
	}
	head, _ := r.Head()
	if commit.Rev != string(head.Rev) || string(commit.Data.Bytes()) != string(head.Data.Bytes()) {
		t.Fatalf("indigo read commit rev %s data %s; rhizome has %s %s", commit.Rev, commit.Data, head.Rev, head.Data)
	}
}
