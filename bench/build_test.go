package bench

import (
	"testing"

	imst "github.com/bluesky-social/indigo/atproto/repo/mst"
	gocid "github.com/ipfs/go-cid"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
)

// BenchmarkMSTBuild is each side's bulk path for building a tree from a
// whole set of records (an import): mst.Build, bottom-up, against indigo's
// LoadTreeFromMap. Both compute the root.
func BenchmarkMSTBuild(b *testing.B) {
	const n = 100_000
	name := "keys=" + sizeName(n)
	b.Run(name+"/impl=rhizome", func(b *testing.B) {
		f := getMSTFixture(b, n)
		entries := make([]mst.Entry, n)
		for i, k := range f.keys {
			entries[i] = mst.Entry{Key: k, Val: f.vals[i]}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tree, err := mst.Build(mem.NewBlocks(), entries)
			if err != nil || !tree.Root().Defined() {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run(name+"/impl=indigo", func(b *testing.B) {
		f := getMSTFixture(b, n)
		m := make(map[string]gocid.Cid, n)
		for i, k := range f.ikeys {
			m[string(k)] = f.ivals[i]
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			tree, err := imst.LoadTreeFromMap(m)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tree.RootCID(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}
