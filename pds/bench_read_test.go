package pds

import (
	"fmt"
	"io"
	"testing"

	"github.com/rhizome-pds/rhizome/internal/cputime"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// benchRepo is a pod with one account holding n posts, written with
// applyWrites in batches of 200 (as the load tool builds its big repo).
func benchRepo(b *testing.B, n int) (*testPod, syntax.DID) {
	t := &testing.T{}
	p := newTestPod(t)
	did := p.account(t, "bench").Account.DID
	for i := 0; i < n; i += repo.MaxOps {
		ws := make([]Write, min(repo.MaxOps, n-i))
		for k := range ws {
			ws[k] = Write{Action: repo.Create, Collection: "app.bsky.feed.post", Value: post(fmt.Sprintf("bench post %d: %0100d", i+k, i+k))}
		}
		if _, _, err := p.ApplyWrites(ctx, did, ws, ValidateAuto, nil); err != nil {
			b.Fatal(err)
		}
	}
	return p, did
}

// BenchmarkPDS_ListRecords100 reads the newest 100 posts of a
// 10,000-record repository, as listRecords does.
func BenchmarkPDS_ListRecords100(b *testing.B) {
	p, did := benchRepo(b, 10000)
	b.ResetTimer()
	defer cputime.Report(b)()
	for b.Loop() {
		recs, err := p.ListRecords(ctx, did, "app.bsky.feed.post", store.Page{Limit: 100, Reverse: true})
		if err != nil || len(recs) != 100 {
			b.Fatalf("%d records, %v", len(recs), err)
		}
	}
}

// BenchmarkPDS_GetRepo writes the CAR of a 10,000-record repository.
func BenchmarkPDS_GetRepo(b *testing.B) {
	p, did := benchRepo(b, 10000)
	b.ResetTimer()
	defer cputime.Report(b)()
	for b.Loop() {
		if err := p.GetRepo(ctx, did, "", io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
