package storetest

import (
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/store"
)

func (h harness) close(t *testing.T) {
	h.test(t, "calls after Close fail", func(t *testing.T, s store.Store) {
		r := createAccount(t, s, 1)
		c := r.commit(t, put(posts, "a", post("a")))
		must(t, s.Close())
		ctx := t.Context()
		calls := map[string]func() error{
			"Account":     func() error { _, err := s.Account(ctx, r.did); return err },
			"ApplyCommit": func() error { _, err := s.ApplyCommit(ctx, c); return err },
			"Record":      func() error { _, err := s.Record(ctx, r.did, posts, "a"); return err },
			"ListRecords": func() error { _, err := s.ListRecords(ctx, r.did, posts, store.Page{}); return err },
			"GetBlocks":   func() error { _, err := s.RepoBlocks(r.did).GetBlocks(ctx, cids(c.Blocks)); return err },
			"Head":        func() error { _, err := s.Head(ctx, r.did); return err },
			"AppendEvent": func() error {
				_, err := s.AppendEvent(ctx, store.Event{DID: r.did, Type: "identity", Time: t0, Body: []byte{1}})
				return err
			},
			"LastSeq":       func() error { _, err := s.LastSeq(ctx); return err },
			"TempBlobs":     func() error { _, err := s.TempBlobs(ctx, time.Now(), 1); return err },
			"PutBlob":       func() error { return s.PutBlob(ctx, tempBlob(r.did, "x", 0)) },
			"PLCExport":     func() error { _, err := s.PLCExport(ctx, 0, 1); return err },
			"DeleteAccount": func() error { return s.DeleteAccount(ctx, r.did) },
		}
		for name, call := range calls {
			if err := call(); err == nil {
				t.Errorf("%s after Close succeeded", name)
			}
		}
		s.Close()
	})
}
