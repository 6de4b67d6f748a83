package bench

import (
	"bytes"
	"context"
	"fmt"
	"github.com/rhizome-pds/rhizome/internal/cputime"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/bluesky-social/indigo/atproto/atdata"
	irepo "github.com/bluesky-social/indigo/atproto/repo"
	isyntax "github.com/bluesky-social/indigo/atproto/syntax"
	gocid "github.com/ipfs/go-cid"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

const benchDID = syntax.DID("did:plc:benchbenchbenchbenchbenc")

// repoFixture is a signed repository of n post records, built with
// Rhizome's repo package and exported as a CAR. Both implementations load
// that same CAR.
type repoFixture struct {
	n      int
	signer keys.Signer
	pub    atcrypto.PublicKey // signer's public key, as indigo takes it
	car    []byte             // the whole repository
	recs   [][]byte           // records for commit benchmarks to write
}

var (
	repoFixturesMu sync.Mutex
	repoFixtures   = map[int]*repoFixture{}
)

// postRecord returns a DAG-CBOR app.bsky.feed.post with text of 20 to 220
// characters (the record bytes are about 70 to 280 bytes).
func postRecord(rng *rand.Rand, i int) []byte {
	text := fmt.Sprintf("post %d ", i) + strings.Repeat("lorem ipsum ", 1+rng.IntN(18))
	b, err := data.MarshalCBOR(map[string]any{
		"$type":     "app.bsky.feed.post",
		"text":      text,
		"createdAt": "2026-11-21T00:00:00.000Z",
		"langs":     []any{"en"},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func getRepoFixture(tb testing.TB, n int) *repoFixture {
	repoFixturesMu.Lock()
	defer repoFixturesMu.Unlock()
	if f := repoFixtures[n]; f != nil {
		return f
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(n), 0xca5))
	signer, err := keys.Generate(keys.K256)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := atcrypto.ParsePublicDIDKey(signer.PublicKey().DIDKey())
	if err != nil {
		tb.Fatal(err)
	}
	clock := syntax.NewTIDClock(syntax.RandomClockID())
	bs := mem.NewBlocks()
	r, res, err := repo.New(ctx, bs, benchDID, signer, clock)
	if err != nil {
		tb.Fatal(err)
	}
	if err := bs.PutBlocks(ctx, res.Blocks); err != nil {
		tb.Fatal(err)
	}
	paths := tidKeys(rng, n)
	for start := 0; start < n; start += repo.MaxOps {
		var ws []repo.Write
		for i := start; i < min(start+repo.MaxOps, n); i++ {
			rkey := strings.TrimPrefix(paths[i], collection+"/")
			ws = append(ws, repo.Write{Action: repo.Create, Collection: collection, RKey: syntax.RecordKey(rkey), Record: postRecord(rng, i)})
		}
		res, err := r.Apply(ctx, ws, signer, clock)
		if err != nil {
			tb.Fatal(err)
		}
		if err := bs.PutBlocks(ctx, res.Blocks); err != nil {
			tb.Fatal(err)
		}
	}
	_, headCID := r.Head()
	var buf bytes.Buffer
	if err := repo.WriteCAR(ctx, &buf, bs, headCID); err != nil {
		tb.Fatal(err)
	}
	f := &repoFixture{n: n, signer: signer, pub: pub, car: buf.Bytes()}
	for i := range 256 {
		f.recs = append(f.recs, postRecord(rng, n+i))
	}
	repoFixtures[n] = f
	return f
}

// ours imports the fixture's CAR into a fresh mem.Blocks.
func (f *repoFixture) ours(tb testing.TB) (*mem.Blocks, *repo.Repo) {
	bs := mem.NewBlocks()
	r, st, err := repo.ReadCAR(context.Background(), bytes.NewReader(f.car), bs, repo.ImportOptions{DID: benchDID, Key: f.signer.PublicKey()})
	if err != nil {
		tb.Fatal(err)
	}
	if st.Records != f.n {
		tb.Fatalf("imported %d records, want %d", st.Records, f.n)
	}
	return bs, r
}

// indigo imports the fixture's CAR with indigo and checks it as fully as
// indigo's API allows: the commit's signature, the MST's structure, and
// that every record the tree names is in the CAR. (indigo's CAR reader does
// its own block hash check; see car_test.go.) It returns the number of
// records.
func (f *repoFixture) indigo(tb testing.TB) (*irepo.Commit, *irepo.Repo, int) {
	ctx := context.Background()
	commit, r, err := irepo.LoadRepoFromCAR(ctx, bytes.NewReader(f.car))
	if err != nil {
		tb.Fatal(err)
	}
	if commit.DID != string(benchDID) {
		tb.Fatalf("commit is for %s", commit.DID)
	}
	if err := commit.VerifySignature(f.pub); err != nil {
		tb.Fatal(err)
	}
	if err := r.MST.Verify(); err != nil {
		tb.Fatal(err)
	}
	n := 0
	err = r.MST.Walk(func(key []byte, val gocid.Cid) error {
		n++
		_, err := r.RecordStore.Get(ctx, val)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return commit, r, n
}

// cidBuilder makes the CIDs atproto uses (CIDv1, dag-cbor, sha2-256) with
// go-cid, for the indigo side.
var cidBuilder = gocid.V1Builder{Codec: gocid.DagCBOR, MhType: 0x12}

// keepRecords keeps a commit's record blocks, as the indigo side of
// BenchmarkCommit keeps its records: both trees hold their new nodes in
// memory, so neither side stores nodes in the timed loop.
func keepRecords(records map[cid.CID][]byte, res *repo.Result) {
	for _, op := range res.Ops {
		for _, b := range res.Blocks {
			if op.New.Defined() && b.CID == op.New {
				records[b.CID] = b.Data
			}
		}
	}
}

// BenchmarkCommit creates and signs a commit that adds one record to a
// repository of 10k or 100k records.
//
// Rhizome: repo.Apply with one create (it checks the record is valid
// DAG-CBOR, updates the tree, signs the commit, and also computes the
// Sync 1.1 inversion proof), then stores the result's blocks.
//
// indigo: the same steps through atproto/repo: decode the record with
// atdata.UnmarshalCBOR (indigo's equivalent of the validity check), hash
// it, repo.ApplyOp, Repo.Commit (which hashes the tree), Commit.Sign, and
// encode and hash the signed commit. indigo has no inversion proof
// step, and its tree keeps the new nodes in memory rather than handing
// them back as blocks.
func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		name := "records=" + sizeName(n)
		b.Run(name+"/impl=rhizome", func(b *testing.B) {
			f := getRepoFixture(b, n)
			_, r := f.ours(b)
			ctx := context.Background()
			clock := syntax.NewTIDClock(syntax.RandomClockID())
			ws := make([]repo.Write, 1)
			records := map[cid.CID][]byte{}
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.Report(b)()
			for i := 0; i < b.N; i++ {
				ws[0] = repo.Write{Action: repo.Create, Collection: collection, RKey: syntax.RecordKey(clock.Next()), Record: f.recs[i%len(f.recs)]}
				res, err := r.Apply(ctx, ws, f.signer, clock)
				if err != nil {
					b.Fatal(err)
				}
				keepRecords(records, res)
			}
		})
		b.Run(name+"/impl=indigo", func(b *testing.B) {
			f := getRepoFixture(b, n)
			_, r, _ := f.indigo(b)
			priv, err := atcrypto.GeneratePrivateKeyK256()
			if err != nil {
				b.Fatal(err)
			}
			rkeys := isyntax.NewTIDClock(1)
			records := map[string][]byte{}
			var buf bytes.Buffer
			b.ReportAllocs()
			b.ResetTimer()
			defer cputime.Report(b)()
			for i := 0; i < b.N; i++ {
				rec := f.recs[i%len(f.recs)]
				path := collection + "/" + rkeys.Next().String()
				if _, err := atdata.UnmarshalCBOR(rec); err != nil {
					b.Fatal(err)
				}
				rc, err := cidBuilder.Sum(rec)
				if err != nil {
					b.Fatal(err)
				}
				op, err := irepo.ApplyOp(&r.MST, path, &rc)
				if err != nil || op.Prev != nil {
					b.Fatalf("create %s: %v %v", path, op, err)
				}
				records[rc.KeyString()] = rec
				commit, err := r.Commit()
				if err != nil {
					b.Fatal(err)
				}
				if err := commit.Sign(priv); err != nil {
					b.Fatal(err)
				}
				buf.Reset()
				if err := commit.MarshalCBOR(&buf); err != nil {
					b.Fatal(err)
				}
				if _, err := cidBuilder.Sum(buf.Bytes()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
