package mst

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	imst "github.com/bluesky-social/indigo/atproto/repo/mst"
	gocid "github.com/ipfs/go-cid"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

var collections = []string{"app.bsky.feed.post", "app.bsky.feed.like", "app.bsky.graph.follow", "com.example.x"}

// randomKeys returns n distinct repository paths.
func randomKeys(rng *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	keys := make([]string, 0, n)
	for len(keys) < n {
		k := fmt.Sprintf("%s/%s", collections[rng.IntN(len(collections))], randomRkey(rng))
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	return keys
}

const rkeyChars = "234567abcdefghijklmnopqrstuvwxyz"

func randomRkey(rng *rand.Rand) string {
	b := make([]byte, 3+rng.IntN(11))
	for i := range b {
		b[i] = rkeyChars[rng.IntN(len(rkeyChars))]
	}
	return string(b)
}

func randomCID(rng *rand.Rand) cid.CID {
	var d [32]byte
	for i := range d {
		d[i] = byte(rng.UintN(256))
	}
	return cid.FromDigest(cid.DagCBOR, d)
}

// indigoRoot computes the root CID of m with indigo's independent MST.
func indigoRoot(t testing.TB, m map[string]cid.CID) cid.CID {
	t.Helper()
	tree := imst.NewEmptyTree()
	for k, v := range m {
		gc, err := gocid.Cast(v.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tree.Insert([]byte(k), gc); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := tree.RootCID()
	if err != nil {
		t.Fatal(err)
	}
	c, err := cid.FromBytes(rc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func buildTree(t testing.TB, m map[string]cid.CID, order []string) *Tree {
	t.Helper()
	tree := New(mem.NewBlocks())
	for _, k := range order {
		if _, err := tree.Put(context.Background(), k, m[k]); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func TestTree_MatchesIndigo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sets := 1000
	if testing.Short() {
		sets = 100
	}
	for s := 0; s < sets; s++ {
		n := rng.IntN(200)
		if s%50 == 0 {
			n = rng.IntN(10001)
		}
		keys := randomKeys(rng, n)
		m := make(map[string]cid.CID, n)
		for _, k := range keys {
			m[k] = randomCID(rng)
		}
		want := indigoRoot(t, m)
		got := buildTree(t, m, keys).Root()
		if got != want {
			t.Fatalf("set %d (%d keys): root %s, indigo %s", s, n, got, want)
		}
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		if got2 := buildTree(t, m, keys).Root(); got2 != want {
			t.Fatalf("set %d: root depends on insertion order: %s vs %s", s, got2, want)
		}
	}
}

func TestBuild_MatchesIndigo(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for s := 0; s < 200; s++ {
		n := rng.IntN(300)
		if s%40 == 0 {
			n = rng.IntN(10001)
		}
		keys := randomKeys(rng, n)
		m := make(map[string]cid.CID, n)
		var entries []Entry
		for _, k := range keys {
			m[k] = randomCID(rng)
			entries = append(entries, Entry{k, m[k]})
		}
		tree, err := Build(mem.NewBlocks(), entries)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tree.Root(), indigoRoot(t, m); got != want {
			t.Fatalf("set %d (%d keys): Build root %s, indigo %s", s, n, got, want)
		}
		// The built tree works as a normal one afterwards.
		if len(keys) > 0 {
			if v, ok, err := tree.Get(context.Background(), keys[0]); err != nil || !ok || v != m[keys[0]] {
				t.Fatalf("Get after Build: %v %v", ok, err)
			}
		}
	}
	dup := []Entry{{"a.b/c", randomCID(rng)}, {"a.b/c", randomCID(rng)}}
	if _, err := Build(mem.NewBlocks(), dup); err == nil {
		t.Fatal("duplicate keys accepted")
	}
}
