package mst

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

const interop = "../../shared/testdata/atproto-interop"

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(interop, path))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestHeight_Fixtures(t *testing.T) {
	var cases []struct {
		Key    string `json:"key"`
		Height int    `json:"height"`
	}
	readJSON(t, "mst/key_heights.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if got := Height(c.Key); got != c.Height {
			t.Errorf("Height(%q) = %d, want %d", c.Key, got, c.Height)
		}
	}
}

func TestCommonPrefix_Fixtures(t *testing.T) {
	var cases []struct {
		Left  string `json:"left"`
		Right string `json:"right"`
		Len   int    `json:"len"`
	}
	readJSON(t, "mst/common_prefix.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		if got := commonPrefix(c.Left, c.Right); got != c.Len {
			t.Errorf("commonPrefix(%q, %q) = %d, want %d", c.Left, c.Right, got, c.Len)
		}
	}
}

func TestValidKey_ExampleKeys(t *testing.T) {
	f, err := os.Open(filepath.Join(interop, "mst/example_keys.txt"))
	if err != nil {
		t.Fatalf("fixture missing: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	n := 0
	for s.Scan() {
		if k := s.Text(); k != "" {
			n++
			if !ValidKey(k) {
				t.Errorf("example key %q rejected", k)
			}
		}
	}
	if n == 0 {
		t.Fatal("no keys")
	}
	for _, bad := range []string{"", "a", "nocollection", "/rkey", "coll/", "a/b/c", "coll/with space", "coll/ü"} {
		if ValidKey(bad) {
			t.Errorf("ValidKey(%q) = true", bad)
		}
	}
}

type proofFixture struct {
	Comment    string   `json:"comment"`
	LeafValue  string   `json:"leafValue"`
	Keys       []string `json:"keys"`
	Adds       []string `json:"adds"`
	Dels       []string `json:"dels"`
	RootBefore string   `json:"rootBeforeCommit"`
	RootAfter  string   `json:"rootAfterCommit"`
	Blocks     []string `json:"blocksInProof"`
}

func TestInversionProof_CommitProofFixtures(t *testing.T) {
	var cases []proofFixture
	readJSON(t, "firehose/commit-proof-fixtures.json", &cases)
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for _, c := range cases {
		t.Run(c.Comment, func(t *testing.T) { checkProofFixture(t, c) })
	}
}

func checkProofFixture(t *testing.T, c proofFixture) {
	ctx := context.Background()
	leaf := cid.MustParse(c.LeafValue)
	bs := mem.NewBlocks()
	tree := New(bs)
	for _, k := range c.Keys {
		mustPut(t, tree, k, leaf)
	}
	if got := tree.Root(); got.String() != c.RootBefore {
		t.Fatalf("root before = %s, want %s", got, c.RootBefore)
	}
	prevData := tree.Root()
	var ops []Op
	for _, k := range c.Adds {
		mustPut(t, tree, k, leaf)
		ops = append(ops, Op{Key: k, New: leaf})
	}
	for _, k := range c.Dels {
		if _, err := tree.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
		ops = append(ops, Op{Key: k, Old: leaf})
	}
	after := tree.Root()
	if after.String() != c.RootAfter {
		t.Fatalf("root after = %s, want %s", after, c.RootAfter)
	}
	storeAll(t, bs, tree)
	got, err := InversionProof(ctx, bs, after, prevData, ops)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, b := range c.Blocks {
		want[b] = true
	}
	gotSet := map[string]bool{}
	for _, g := range got {
		gotSet[g.String()] = true
	}
	for b := range want {
		if !gotSet[b] {
			t.Errorf("proof lacks block %s", b)
		}
	}
	for b := range gotSet {
		if !want[b] {
			t.Errorf("proof has extra block %s", b)
		}
	}
}

func mustPut(t testing.TB, tree *Tree, k string, v cid.CID) {
	t.Helper()
	if _, err := tree.Put(context.Background(), k, v); err != nil {
		t.Fatal(err)
	}
}

// storeAll writes the tree's new nodes to bs.
func storeAll(t testing.TB, bs *mem.Blocks, tree *Tree) {
	t.Helper()
	if err := bs.PutBlocks(context.Background(), tree.NewBlocks()); err != nil {
		t.Fatal(err)
	}
}
