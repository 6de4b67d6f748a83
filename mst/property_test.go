package mst

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

// randomMap returns n random keys with random values.
func randomMap(rng *rand.Rand, n int) (map[string]cid.CID, []string) {
	keys := randomKeys(rng, n)
	m := make(map[string]cid.CID, n)
	for _, k := range keys {
		m[k] = randomCID(rng)
	}
	return m, keys
}

// stored builds a tree from m, writes its nodes to bs and reloads it
// lazily from its root, so later reads go through the store.
func stored(t testing.TB, bs *mem.Blocks, m map[string]cid.CID, keys []string) *Tree {
	t.Helper()
	tree := New(bs)
	for _, k := range keys {
		mustPut(t, tree, k, m[k])
	}
	storeAll(t, bs, tree)
	return Load(bs, tree.Root())
}

func TestTree_DeletionOrder(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for s := 0; s < 100; s++ {
		m, keys := randomMap(rng, 1+rng.IntN(400))
		extra, extraKeys := randomMap(rng, rng.IntN(200))
		tree := New(mem.NewBlocks())
		all := append(slices.Clone(keys), extraKeys...)
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, k := range all {
			v, ok := m[k]
			if !ok {
				v = extra[k]
			}
			mustPut(t, tree, k, v)
		}
		tree.Root() // hash midway so deletions copy clean nodes
		for _, k := range extraKeys {
			if _, ok := m[k]; ok {
				continue
			}
			if _, err := tree.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := tree.Root(), indigoRoot(t, m); got != want {
			t.Fatalf("set %d: after deletions root %s, want %s", s, got, want)
		}
	}
}

func TestTree_GetWalkList(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	bs := mem.NewBlocks()
	m, keys := randomMap(rng, 3000)
	tree := stored(t, bs, m, keys)
	sorted := slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
	t.Run("get", func(t *testing.T) {
		for _, k := range keys[:500] {
			v, ok, err := tree.Get(ctx, k)
			if err != nil || !ok || v != m[k] {
				t.Fatalf("Get(%q) = %v %v %v", k, v, ok, err)
			}
		}
		if _, ok, err := tree.Get(ctx, "app.bsky.feed.post/zzzzzzzzzzzzzzzz"); ok || err != nil {
			t.Fatalf("absent key: ok=%v err=%v", ok, err)
		}
	})
	t.Run("walk", func(t *testing.T) {
		var got []string
		err := tree.Walk(ctx, "", func(k string, v cid.CID) error {
			got = append(got, k)
			return nil
		})
		if err != nil || !slices.Equal(got, sorted) {
			t.Fatalf("walk gave %d keys (err %v), want %d in order", len(got), err, len(sorted))
		}
	})
	t.Run("reverse", func(t *testing.T) {
		var got []string
		err := tree.WalkReverse(ctx, "", func(k string, v cid.CID) error {
			got = append(got, k)
			return nil
		})
		want := slices.Clone(sorted)
		slices.Reverse(want)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("reverse walk wrong (err %v)", err)
		}
	})
	t.Run("list pages", func(t *testing.T) { checkPages(t, tree, sorted, false) })
	t.Run("list pages reverse", func(t *testing.T) { checkPages(t, tree, sorted, true) })
}

// checkPages lists one collection in pages of 7 and compares with sorted.
func checkPages(t *testing.T, tree *Tree, sorted []string, reverse bool) {
	prefix := "app.bsky.feed.like/"
	var want []string
	for _, k := range sorted {
		if len(k) > len(prefix) && k[:len(prefix)] == prefix {
			want = append(want, k)
		}
	}
	if reverse {
		slices.Reverse(want)
	}
	var got []string
	cursor := ""
	for {
		page, err := tree.List(context.Background(), prefix, cursor, 7, reverse)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			got = append(got, e.Key)
		}
		cursor = page[len(page)-1].Key
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged listing gave %d keys, want %d", len(got), len(want))
	}
}

func TestDiff_AppliesToOld(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	for s := 0; s < 60; s++ {
		bs := mem.NewBlocks()
		ma, keys := randomMap(rng, rng.IntN(1500))
		mb := mutate(rng, ma, keys)
		a := stored(t, bs, ma, keys)
		b := stored(t, bs, mb, mapKeys(mb))
		d, err := Diff(ctx, a, b)
		if err != nil {
			t.Fatal(err)
		}
		checkOps(t, d.Ops, ma, mb)
		applied := Load(bs, a.Root())
		for _, op := range d.Ops {
			if op.New.Defined() {
				mustPut(t, applied, op.Key, op.New)
			} else if _, err := applied.Delete(ctx, op.Key); err != nil {
				t.Fatal(err)
			}
		}
		if applied.Root() != b.Root() {
			t.Fatalf("set %d: applying diff(a, b) to a does not give b", s)
		}
		checkNewNodes(t, bs, b, d.NewNodes)
	}
}

// mutate returns a copy of m with some keys deleted, updated and added.
func mutate(rng *rand.Rand, m map[string]cid.CID, keys []string) map[string]cid.CID {
	out := make(map[string]cid.CID, len(m))
	for _, k := range keys {
		switch rng.IntN(10) {
		case 0:
		case 1:
			out[k] = randomCID(rng)
		default:
			out[k] = m[k]
		}
	}
	added, _ := randomMap(rng, rng.IntN(100))
	for k, v := range added {
		out[k] = v
	}
	return out
}

func mapKeys(m map[string]cid.CID) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// checkOps compares ops with the naive difference of the two maps.
func checkOps(t *testing.T, ops []Op, a, b map[string]cid.CID) {
	t.Helper()
	want := 0
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			want++
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			want++
		}
	}
	if len(ops) != want {
		t.Fatalf("diff has %d ops, want %d", len(ops), want)
	}
	for i, op := range ops {
		if i > 0 && ops[i-1].Key >= op.Key {
			t.Fatalf("ops not sorted at %q", op.Key)
		}
		if a[op.Key] != op.Old || b[op.Key] != op.New {
			t.Fatalf("op %+v disagrees with the maps", op)
		}
	}
}

// checkNewNodes asserts every node of b that a lacks is listed: b loads
// from only the old tree's blocks plus the listed ones.
func checkNewNodes(t *testing.T, all *mem.Blocks, b *Tree, listed []cid.CID) {
	t.Helper()
	isListed := map[cid.CID]bool{}
	for _, c := range listed {
		isListed[c] = true
	}
	err := Load(all, b.Root()).Walk(context.Background(), "", func(string, cid.CID) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) > 0 && !isListed[b.Root()] {
		t.Fatalf("changed tree's root is not among the new nodes")
	}
}

func TestProof_VerifiesAndRejectsTampering(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 10))
	bs := mem.NewBlocks()
	m, keys := randomMap(rng, 2000)
	tree := stored(t, bs, m, keys)
	root := tree.Root()
	for i, k := range keys[:300] {
		proof, err := tree.Proof(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		v, ok, err := VerifyProof(ctx, root, k, proof)
		if err != nil || !ok || v != m[k] {
			t.Fatalf("proof of %q: %v %v %v", k, v, ok, err)
		}
		if i%10 == 0 {
			checkTamperedProof(t, root, k, proof, rng)
		}
	}
	absent := "app.bsky.feed.post/absent"
	proof, err := tree.Proof(ctx, absent)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := VerifyProof(ctx, root, absent, proof); ok || err != nil {
		t.Fatalf("exclusion proof: ok=%v err=%v", ok, err)
	}
}

func checkTamperedProof(t *testing.T, root cid.CID, key string, proof []rhizome.Block, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	i := rng.IntN(len(proof))
	bad := slices.Clone(proof)
	data := slices.Clone(bad[i].Data)
	data[rng.IntN(len(data))] ^= 1 << rng.IntN(8)
	bad[i] = rhizome.Block{CID: bad[i].CID, Data: data}
	if _, _, err := VerifyProof(ctx, root, key, bad); !rhizome.Is(err, rhizome.Corrupt) {
		t.Fatalf("tampered block accepted: %v", err)
	}
	if len(proof) > 1 {
		short := slices.Delete(slices.Clone(proof), len(proof)-1, len(proof))
		if _, _, err := VerifyProof(ctx, root, key, short); !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("proof missing a block accepted: %v", err)
		}
	}
}

func TestInversionProof_RandomCommits(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 12))
	for s := 0; s < 200; s++ {
		bs := mem.NewBlocks()
		ma, keys := randomMap(rng, rng.IntN(600))
		a := stored(t, bs, ma, keys)
		b := Load(bs, a.Root())
		ops := randomOps(t, rng, b, ma, keys)
		storeAll(t, bs, b)
		proof, err := InversionProof(ctx, bs, b.Root(), a.Root(), ops)
		if err != nil {
			t.Fatalf("set %d: %v", s, err)
		}
		// A consumer holding only the proof blocks can invert the ops.
		only := mem.NewBlocks()
		for _, c := range proof {
			data, err := rhizome.GetBlock(ctx, bs, c)
			if err != nil {
				t.Fatal(err)
			}
			only.Put(cid.DagCBOR, data)
		}
		inv := Load(only, b.Root())
		if err := inv.Invert(ctx, ops); err != nil {
			t.Fatalf("set %d: consumer cannot invert with the proof: %v", s, err)
		}
		if inv.Root() != a.Root() {
			t.Fatalf("set %d: inverted root differs", s)
		}
	}
}

// randomOps applies up to 10 random creates, updates and deletes to tree.
func randomOps(t *testing.T, rng *rand.Rand, tree *Tree, m map[string]cid.CID, keys []string) []Op {
	ctx := context.Background()
	var ops []Op
	used := map[string]bool{}
	for i := 0; i < 1+rng.IntN(10); i++ {
		if len(keys) > 0 && rng.IntN(2) == 0 {
			k := keys[rng.IntN(len(keys))]
			if used[k] {
				continue
			}
			used[k] = true
			if rng.IntN(2) == 0 {
				if _, err := tree.Delete(ctx, k); err != nil {
					t.Fatal(err)
				}
				ops = append(ops, Op{Key: k, Old: m[k]})
				continue
			}
			v := randomCID(rng)
			mustPut(t, tree, k, v)
			ops = append(ops, Op{Key: k, Old: m[k], New: v})
			continue
		}
		k := randomKeys(rng, 1)[0]
		if _, ok := m[k]; ok || used[k] {
			continue
		}
		used[k] = true
		v := randomCID(rng)
		mustPut(t, tree, k, v)
		ops = append(ops, Op{Key: k, New: v})
	}
	return ops
}

func TestTree_HostileNodes(t *testing.T) {
	ctx := context.Background()
	bs := mem.NewBlocks()
	junk := bs.Put(0x71, []byte{0xa1, 0x61, 0x65, 0x80})
	if _, _, err := Load(bs, junk).Get(ctx, "a/b"); !rhizome.Is(err, rhizome.Invalid) {
		t.Fatalf("node missing l field accepted: %v", err)
	}
	missing := cid.Sum(cid.DagCBOR, []byte("nothing"))
	if _, _, err := Load(bs, missing).Get(ctx, "a/b"); !rhizome.Is(err, rhizome.NotFound) {
		t.Fatalf("missing root: %v", err)
	}
}
