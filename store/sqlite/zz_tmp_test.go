package sqlite

import (
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/rhizome-pds/rhizome/syntax"
)

func BenchmarkZZApplyCommitSyncNormal(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s, _ := OpenWith(filepath.Join(b.TempDir(), "x.db"), Options{SyncNormal: true})
		defer s.Close()
		r := &benchRepo{did: "did:plc:n"}
		for b.Loop() {
			if _, err := s.ApplyCommit(b.Context(), r.next(b, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s, _ := OpenWith(filepath.Join(b.TempDir(), "x.db"), Options{SyncNormal: true})
		defer s.Close()
		var ids atomic.Int64
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			r := &benchRepo{did: syntax.DID(fmt.Sprintf("did:plc:p%d", ids.Add(1)))}
			for pb.Next() {
				if _, err := s.ApplyCommit(b.Context(), r.next(b, 1)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
