package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	imst "github.com/bluesky-social/indigo/atproto/repo/mst"
	gocid "github.com/ipfs/go-cid"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// sizes are the tree sizes of the MST benchmarks, smallest first.
var sizes = []struct {
	name string
	n    int
}{
	{"keys=10k", 10_000},
	{"keys=100k", 100_000},
	{"keys=1M", 1_000_000},
}

const collection = "app.bsky.feed.post"

// tidKeys returns n distinct repository paths "app.bsky.feed.post/<TID>"
// whose record keys are random 13-character TIDs, in random order.
func tidKeys(rng *rand.Rand, n int) []string {
	seen := make(map[string]struct{}, n)
	out := make([]string, 0, n)
	for len(out) < n {
		k := collection + "/" + string(syntax.NewTIDFromInteger(rng.Uint64()>>1))
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, k)
	}
	return out
}

// randomCID returns a dag-cbor CID with a random digest, standing in for a
// record's CID.
func randomCID(rng *rand.Rand) cid.CID {
	var d [32]byte
	for i := 0; i < len(d); i += 8 {
		v := rng.Uint64()
		for j := 0; j < 8; j++ {
			d[i+j] = byte(v >> (8 * j))
		}
	}
	return cid.FromDigest(cid.DagCBOR, d)
}

func toGoCID(tb testing.TB, c cid.CID) gocid.Cid {
	gc, err := gocid.Cast(c.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	return gc
}

// mstFixture is one key set, with the trees both implementations build
// from it. The keys and values are shared; each implementation's tree is
// built on first use and then kept for the life of the process, so the
// 1M-key trees are built once, not once per b.N.
type mstFixture struct {
	n int

	keys  []string // in the tree, in random order
	vals  []cid.CID
	extra []string // not in the tree: what the insert benchmarks add
	xvals []cid.CID

	// The same, as indigo takes them.
	ikeys, iextra [][]byte
	ivals, ixvals []gocid.Cid

	oursOnce sync.Once
	ours     oursTree

	indigoOnce sync.Once
	indigo     indigoTree
}

// oursTree is a Rhizome MST stored in a mem.Blocks. Benchmarks open it with
// mst.Load from the stored root and share one warm node cache, the way a
// server keeps a repository's tree.
type oursTree struct {
	bs    *mem.Blocks
	root  cid.CID
	cache *mst.Cache
	nodes int
}

func (o *oursTree) load() *mst.Tree { return mst.Load(o.bs, o.root).WithCache(o.cache) }

// indigoTree is indigo's in-memory MST, fully decoded, with its root hashed.
// Benchmarks that change it restore it before they return.
type indigoTree struct {
	tree imst.Tree
	root gocid.Cid
}

var (
	mstFixturesMu sync.Mutex
	mstFixtures   = map[int]*mstFixture{}
)

// getMSTFixture returns the key set of size n (without building any tree).
func getMSTFixture(tb testing.TB, n int) *mstFixture {
	mstFixturesMu.Lock()
	defer mstFixturesMu.Unlock()
	if f := mstFixtures[n]; f != nil {
		return f
	}
	rng := rand.New(rand.NewPCG(uint64(n), 0x5eed))
	m := max(n/10, 1000) // fresh keys per insert cycle
	all := tidKeys(rng, n+m)
	f := &mstFixture{n: n, keys: all[:n], extra: all[n:]}
	f.vals = make([]cid.CID, n)
	for i := range f.vals {
		f.vals[i] = randomCID(rng)
	}
	f.xvals = make([]cid.CID, m)
	for i := range f.xvals {
		f.xvals[i] = randomCID(rng)
	}
	f.ikeys, f.ivals = indigoForm(tb, f.keys, f.vals)
	f.iextra, f.ixvals = indigoForm(tb, f.extra, f.xvals)
	mstFixtures[n] = f
	return f
}

func indigoForm(tb testing.TB, keys []string, vals []cid.CID) ([][]byte, []gocid.Cid) {
	ik := make([][]byte, len(keys))
	iv := make([]gocid.Cid, len(vals))
	for i := range keys {
		ik[i] = []byte(keys[i])
		iv[i] = toGoCID(tb, vals[i])
	}
	return ik, iv
}

// oursTree builds (once) the Rhizome tree: every key put into an empty
// tree, the nodes stored in a mem.Blocks, and a node cache warmed by
// reading keys through mst.Load.
func (f *mstFixture) oursTree(tb testing.TB) *oursTree {
	f.oursOnce.Do(func() {
		ctx := context.Background()
		bs := mem.NewBlocks()
		t := mst.New(bs)
		for i, k := range f.keys {
			if _, err := t.Put(ctx, k, f.vals[i]); err != nil {
				tb.Fatal(err)
			}
		}
		blocks := t.NewBlocks()
		if err := bs.PutBlocks(ctx, blocks); err != nil {
			tb.Fatal(err)
		}
		f.ours = oursTree{bs: bs, root: t.Root(), cache: mst.NewCache(0), nodes: len(blocks)}
		warm := f.ours.load()
		for _, k := range f.keys[:min(len(f.keys), 200_000)] {
			if _, ok, err := warm.Get(ctx, k); err != nil || !ok {
				tb.Fatalf("warming get %s: %v %v", k, ok, err)
			}
		}
	})
	if !f.ours.root.Defined() {
		tb.Fatal("rhizome fixture failed to build")
	}
	f.checkRoots(tb)
	return &f.ours
}

// indigoTree builds (once) indigo's tree from the same keys.
func (f *mstFixture) indigoTree(tb testing.TB) *indigoTree {
	f.indigoOnce.Do(func() {
		t := imst.NewEmptyTree()
		for i, k := range f.ikeys {
			if _, err := t.Insert(k, f.ivals[i]); err != nil {
				tb.Fatal(err)
			}
		}
		root, err := t.RootCID()
		if err != nil {
			tb.Fatal(err)
		}
		f.indigo = indigoTree{tree: t, root: *root}
	})
	if !f.indigo.root.Defined() {
		tb.Fatal("indigo fixture failed to build")
	}
	f.checkRoots(tb)
	return &f.indigo
}

// checkRoots fails if both trees are built and their roots differ: the two
// implementations must be benchmarked on the same tree.
func (f *mstFixture) checkRoots(tb testing.TB) {
	if f.ours.root.Defined() && f.indigo.root.Defined() && string(f.ours.root.Bytes()) != f.indigo.root.KeyString() {
		tb.Fatalf("%d keys: rhizome root %s, indigo root %s", f.n, f.ours.root, f.indigo.root)
	}
}

// checkIndigoRoot fails unless indigo's tree hashes to want: benchmarks that
// change the shared tree call it after undoing their changes.
func checkIndigoRoot(tb testing.TB, t *imst.Tree, want gocid.Cid) {
	got, err := t.RootCID()
	if err != nil {
		tb.Fatal(err)
	}
	if !got.Equals(want) {
		tb.Fatalf("indigo tree not restored: root %s, want %s", got, want)
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}
