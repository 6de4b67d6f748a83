package bench

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
)

// carRecords is the size of the repository the CAR benchmarks move.
const carRecords = 100_000

// BenchmarkCARExport writes a whole 100k-record repository as a CAR, as
// sync.getRepo does, from a mem.Blocks holding exactly that repository.
// indigo's atproto/repo has no CAR export (only import), so this is
// Rhizome only.
func BenchmarkCARExport(b *testing.B) {
	name := "records=" + sizeName(carRecords)
	b.Run(name+"/impl=rhizome", func(b *testing.B) {
		f := getRepoFixture(b, carRecords)
		bs, r := f.ours(b)
		_, head := r.Head()
		ctx := context.Background()
		cw := &countWriter{}
		b.SetBytes(int64(len(f.car)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			cw.n = 0
			if err := repo.WriteCAR(ctx, cw, bs, head); err != nil {
				b.Fatal(err)
			}
			if cw.n != int64(len(f.car)) {
				b.Fatalf("wrote %d bytes, want %d", cw.n, len(f.car))
			}
		}
		b.ReportMetric(float64(carRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkCARImport reads a 100k-record repository from a CAR in memory
// and verifies it.
//
// Rhizome: repo.ReadCAR into a fresh mem.Blocks with the account's DID and
// key: every block's hash is checked as it is read, the commit signature is
// verified, and the whole tree is walked, each node checked against the MST
// rules and each record checked present and matching its CID.
//
// indigo: repo.LoadRepoFromCAR (go-car reader into its TinyBlockstore,
// commit decoded, the whole tree decoded into memory), then
// Commit.VerifySignature, mst.Tree.Verify and a walk that checks every
// record is present. See repoFixture.indigo.
func BenchmarkCARImport(b *testing.B) {
	name := "records=" + sizeName(carRecords)
	b.Run(name+"/impl=rhizome", func(b *testing.B) {
		f := getRepoFixture(b, carRecords)
		ctx := context.Background()
		opts := repo.ImportOptions{DID: benchDID, Key: f.signer.PublicKey()}
		b.SetBytes(int64(len(f.car)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			_, st, err := repo.ReadCAR(ctx, bytes.NewReader(f.car), mem.NewBlocks(), opts)
			if err != nil {
				b.Fatal(err)
			}
			if st.Records != carRecords {
				b.Fatalf("%d records", st.Records)
			}
		}
		b.ReportMetric(float64(carRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run(name+"/impl=indigo", func(b *testing.B) {
		f := getRepoFixture(b, carRecords)
		b.SetBytes(int64(len(f.car)))
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, _, n := f.indigo(b); n != carRecords {
				b.Fatalf("%d records", n)
			}
		}
		b.ReportMetric(float64(carRecords)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

var _ io.Writer = (*countWriter)(nil)
