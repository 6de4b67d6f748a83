package sqlite

import (
	"fmt"
	"github.com/rhizome-pds/rhizome/internal/cputime"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

const benchColl = syntax.NSID("app.bsky.feed.post")

// benchBlock encodes v as a dag-cbor block.
func benchBlock(b testing.TB, v any) rhizome.Block {
	enc, err := data.MarshalCBOR(v)
	if err != nil {
		b.Fatal(err)
	}
	return rhizome.Block{CID: cid.Sum(cid.DagCBOR, enc), Data: enc}
}

// benchRepo builds createRecord-shaped commits: a commit block, three MST
// nodes, one ~200-byte post and a firehose event.
type benchRepo struct {
	did  syntax.DID
	prev cid.CID
	n    int
}

func (r *benchRepo) next(b testing.TB, records int) store.Commit {
	r.n++
	rev := syntax.NewTID(time.Now().UnixMicro()+int64(r.n), 0)
	var blocks []rhizome.Block
	var ops []store.RecordOp
	for i := range records {
		rkey := syntax.RecordKey(fmt.Sprintf("%s-%07d-%03d", rev, r.n, i))
		rec := benchBlock(b, map[string]any{"$type": string(benchColl), "createdAt": "2025-03-04T05:06:07.008Z",
			"text": fmt.Sprintf("post %d of %s: %0150d", r.n, r.did, i)})
		blocks = append(blocks, rec)
		ops = append(ops, store.RecordOp{Collection: benchColl, RKey: rkey, CID: rec.CID})
	}
	for i := range 3 {
		blocks = append(blocks, benchBlock(b, map[string]any{"l": nil, "e": []any{fmt.Sprint(r.did, r.n, i)}}))
	}
	sc := benchBlock(b, map[string]any{"did": string(r.did), "rev": string(rev), "data": blocks[len(blocks)-1].CID,
		"version": int64(3), "prev": nil, "sig": make([]byte, 64)})
	c := store.Commit{
		Prev:   r.prev,
		Head:   store.Head{DID: r.did, Commit: sc.CID, Rev: rev, Data: blocks[len(blocks)-1].CID},
		Blocks: append([]rhizome.Block{sc}, blocks...),
		Ops:    ops,
		Event:  &store.Event{DID: r.did, Type: "commit", Time: store.Now(), Body: make([]byte, 600)},
	}
	r.prev = sc.CID
	return c
}

// benchStore opens a store holding one repository with n records.
func benchStore(b *testing.B, n int) (*Store, *benchRepo, []syntax.RecordKey) {
	s := openTemp(b)
	r := &benchRepo{did: "did:plc:benchmark0000000000001"}
	var keys []syntax.RecordKey
	for len(keys) < n {
		c := r.next(b, min(100, n-len(keys)))
		if _, err := s.ApplyCommit(b.Context(), c); err != nil {
			b.Fatal(err)
		}
		for _, op := range c.Ops {
			keys = append(keys, op.RKey)
		}
	}
	return s, r, keys
}

// BenchmarkStore_ApplyCommit measures one createRecord-shaped commit at a
// time (fsync per commit), and from concurrent writers on their own
// repositories (group commit).
func BenchmarkStore_ApplyCommit(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s, r, _ := benchStore(b, 0)
		for b.Loop() {
			if _, err := s.ApplyCommit(b.Context(), r.next(b, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := openTemp(b)
		var ids atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			r := &benchRepo{did: syntax.DID(fmt.Sprintf("did:plc:parallel%d", ids.Add(1)))}
			for pb.Next() {
				if _, err := s.ApplyCommit(b.Context(), r.next(b, 1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkStore_Record reads random records of a 10,000-record repository.
func BenchmarkStore_Record(b *testing.B) {
	s, r, keys := benchStore(b, 10000)
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Record(b.Context(), r.did, benchColl, keys[rand.IntN(len(keys))]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Record(b.Context(), r.did, benchColl, keys[rand.IntN(len(keys))]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkStore_ListRecords100 lists 100 records with values from a
// random cursor of a 10,000-record repository.
func BenchmarkStore_ListRecords100(b *testing.B) {
	s, r, keys := benchStore(b, 10000)
	b.ResetTimer()
	defer cputime.Report(b)()
	for b.Loop() {
		p := store.Page{Limit: 100, Cursor: string(keys[rand.IntN(len(keys)-100)])}
		got, err := s.ListRecords(b.Context(), r.did, benchColl, p)
		if err != nil || len(got) != 100 {
			b.Fatalf("%d records, %v", len(got), err)
		}
	}
}
