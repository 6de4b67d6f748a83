package bench

import (
	"context"
	"testing"

	imst "github.com/bluesky-social/indigo/atproto/repo/mst"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
)

// The MST benchmarks run each operation on the same tree in both
// implementations. Rhizome's tree is opened with mst.Load over a mem.Blocks
// holding its nodes, with a warm node cache of the default size; indigo's
// is its fully decoded in-memory tree. Inserts and deletes recompute the
// root after every operation (Root, RootCID), so hashing and encoding the
// changed path is part of the cost.
//
// Inserts add keys that are not in the tree and deletes remove keys that
// are; after n/10 operations (at least 1000) the tree is reset to its
// original state outside the timer, so it never drifts more than 10% from
// its nominal size.

func BenchmarkMSTGet(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name+"/impl=rhizome", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			tree := f.oursTree(b).load()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok, err := tree.Get(ctx, f.keys[i%f.n]); !ok || err != nil {
					b.Fatalf("get %s: %v %v", f.keys[i%f.n], ok, err)
				}
			}
		})
		b.Run(sz.name+"/impl=indigo", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			tree := &f.indigoTree(b).tree
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if v, err := tree.Get(f.ikeys[i%f.n]); v == nil || err != nil {
					b.Fatalf("get %s: %v %v", f.ikeys[i%f.n], v, err)
				}
			}
		})
	}
}

func BenchmarkMSTInsert(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name+"/impl=rhizome", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			o := f.oursTree(b)
			ctx := context.Background()
			tree, j := o.load(), 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if j == len(f.extra) {
					b.StopTimer()
					tree, j = o.load(), 0
					b.StartTimer()
				}
				if _, err := tree.Put(ctx, f.extra[j], f.xvals[j]); err != nil {
					b.Fatal(err)
				}
				if !tree.Root().Defined() {
					b.Fatal("no root")
				}
				tree.NewBlocks() // hand the new nodes over, as a commit would
				j++
			}
		})
		b.Run(sz.name+"/impl=indigo", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			it := f.indigoTree(b)
			tree, j := &it.tree, 0
			restore := func() {
				for k := range j {
					if _, err := tree.Remove(f.iextra[k]); err != nil {
						b.Fatal(err)
					}
				}
				checkIndigoRoot(b, tree, it.root)
				j = 0
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if j == len(f.iextra) {
					b.StopTimer()
					restore()
					b.StartTimer()
				}
				if _, err := tree.Insert(f.iextra[j], f.ixvals[j]); err != nil {
					b.Fatal(err)
				}
				if _, err := tree.RootCID(); err != nil {
					b.Fatal(err)
				}
				j++
			}
			b.StopTimer()
			restore()
		})
	}
}

func BenchmarkMSTDelete(b *testing.B) {
	for _, sz := range sizes {
		b.Run(sz.name+"/impl=rhizome", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			o := f.oursTree(b)
			ctx := context.Background()
			m := len(f.extra) // deletes per cycle, as many as inserts
			tree, j := o.load(), 0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if j == m {
					b.StopTimer()
					tree, j = o.load(), 0
					b.StartTimer()
				}
				if _, err := tree.Delete(ctx, f.keys[j]); err != nil {
					b.Fatal(err)
				}
				if !tree.Root().Defined() {
					b.Fatal("no root")
				}
				tree.NewBlocks()
				j++
			}
		})
		b.Run(sz.name+"/impl=indigo", func(b *testing.B) {
			f := getMSTFixture(b, sz.n)
			it := f.indigoTree(b)
			m := len(f.iextra)
			tree, j := &it.tree, 0
			restore := func() {
				for k := range j {
					if _, err := tree.Insert(f.ikeys[k], f.ivals[k]); err != nil {
						b.Fatal(err)
					}
				}
				checkIndigoRoot(b, tree, it.root)
				j = 0
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if j == m {
					b.StopTimer()
					restore()
					b.StartTimer()
				}
				if prev, err := tree.Remove(f.ikeys[j]); err != nil || prev == nil {
					b.Fatalf("remove %s: %v %v", f.ikeys[j], prev, err)
				}
				if _, err := tree.RootCID(); err != nil {
					b.Fatal(err)
				}
				j++
			}
			b.StopTimer()
			restore()
		})
	}
}

// BenchmarkMSTBulkImport builds a 100k-key tree from empty, in random key
// order, and computes its root: what importing a repository or rebuilding
// one from its records costs. impl=rhizome and impl=indigo insert the keys
// one by one; impl=rhizome-build hands them all to mst.Build, Rhizome's
// bottom-up bulk constructor (indigo has no counterpart: its
// LoadTreeFromMap inserts one by one).
func BenchmarkMSTBulkImport(b *testing.B) {
	const n = 100_000
	name := "keys=" + sizeName(n)
	b.Run(name+"/impl=rhizome", func(b *testing.B) {
		f := getMSTFixture(b, n)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tree := mst.New(mem.NewBlocks())
			for k, key := range f.keys {
				if _, err := tree.Put(ctx, key, f.vals[k]); err != nil {
					b.Fatal(err)
				}
			}
			if !tree.Root().Defined() {
				b.Fatal("no root")
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run(name+"/impl=rhizome-build", func(b *testing.B) {
		f := getMSTFixture(b, n)
		entries := make([]mst.Entry, n)
		for k, key := range f.keys {
			entries[k] = mst.Entry{Key: key, Val: f.vals[k]}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tree, err := mst.Build(mem.NewBlocks(), entries)
			if err != nil {
				b.Fatal(err)
			}
			if !tree.Root().Defined() {
				b.Fatal("no root")
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run(name+"/impl=indigo", func(b *testing.B) {
		f := getMSTFixture(b, n)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tree := imst.NewEmptyTree()
			for k, key := range f.ikeys {
				if _, err := tree.Insert(key, f.ivals[k]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := tree.RootCID(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
