package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (h harness) plc(t *testing.T) {
	t.Run("AppendPLC", h.appendPLC)
	t.Run("PLCLog", h.plcLog)
	t.Run("PLCExport", h.plcExport)
}

// plcOp returns a fake signed operation of did following prev.
func plcOp(t *testing.T, did syntax.DID, prev cid.CID, n int) store.PLCEntry {
	t.Helper()
	op := map[string]any{"type": "plc_operation", "did": string(did), "n": int64(n), "prev": nil, "sig": "sig"}
	if prev.Defined() {
		op["prev"] = prev.String()
	}
	b, err := data.MarshalCBOR(op)
	must(t, err)
	return store.PLCEntry{DID: did, CID: cid.Sum(cid.DagCBOR, b), Op: b, CreatedAt: t0.Add(time.Duration(n) * time.Second)}
}

// plcChain appends n operations to did's log and returns them.
func plcChain(t *testing.T, s store.Store, did syntax.DID, n int) []store.PLCEntry {
	t.Helper()
	var out []store.PLCEntry
	var last cid.CID
	for i := range n {
		e := plcOp(t, did, last, i)
		must(t, s.AppendPLC(t.Context(), store.PLCAppend{Entry: e, Last: last}))
		out, last = append(out, e), e.CID
	}
	return out
}

// wantPLC compares entries, ignoring Seq.
func wantPLC(t *testing.T, got, want []store.PLCEntry) {
	t.Helper()
	same := func(a, b store.PLCEntry) bool {
		return a.DID == b.DID && a.CID == b.CID && bytes.Equal(a.Op, b.Op) &&
			a.Nullified == b.Nullified && a.CreatedAt.Equal(b.CreatedAt)
	}
	if !slices.EqualFunc(got, want, same) {
		t.Fatalf("got entries %+v, want %+v", got, want)
	}
}

func (h harness) appendPLC(t *testing.T) {
	h.test(t, "chain", func(t *testing.T, s store.Store) {
		want := plcChain(t, s, testDID(1), 3)
		got, err := s.PLCLog(t.Context(), testDID(1))
		must(t, err)
		wantPLC(t, got, want)
		if got[0].Seq <= 0 || got[1].Seq <= got[0].Seq || got[2].Seq <= got[1].Seq {
			t.Fatalf("seqs %d %d %d", got[0].Seq, got[1].Seq, got[2].Seq)
		}
	})
	h.test(t, "stale last", func(t *testing.T, s store.Store) {
		chain := plcChain(t, s, testDID(1), 2)
		fork := plcOp(t, testDID(1), chain[0].CID, 9)
		err := s.AppendPLC(t.Context(), store.PLCAppend{Entry: fork, Last: chain[0].CID, Nullify: []cid.CID{chain[1].CID}})
		wantKind(t, err, rhizome.Conflict)
		got, err := s.PLCLog(t.Context(), testDID(1))
		must(t, err)
		wantPLC(t, got, chain)
	})
	h.test(t, "zero last on an existing log", func(t *testing.T, s store.Store) {
		chain := plcChain(t, s, testDID(1), 1)
		err := s.AppendPLC(t.Context(), store.PLCAppend{Entry: plcOp(t, testDID(1), cid.CID{}, 5)})
		wantKind(t, err, rhizome.Conflict)
		got, err := s.PLCLog(t.Context(), testDID(1))
		must(t, err)
		wantPLC(t, got, chain)
	})
	h.test(t, "last on a missing log", func(t *testing.T, s store.Store) {
		chain := plcChain(t, s, testDID(1), 1)
		err := s.AppendPLC(t.Context(), store.PLCAppend{Entry: plcOp(t, testDID(2), chain[0].CID, 1), Last: chain[0].CID})
		wantKind(t, err, rhizome.Conflict)
		_, err = s.PLCLog(t.Context(), testDID(2))
		wantNotFound(t, err)
	})
	h.test(t, "nullifies", func(t *testing.T, s store.Store) {
		chain := plcChain(t, s, testDID(1), 3)
		other := plcChain(t, s, testDID(2), 1)
		fork := plcOp(t, testDID(1), chain[0].CID, 7)
		must(t, s.AppendPLC(t.Context(), store.PLCAppend{Entry: fork, Last: chain[2].CID,
			Nullify: []cid.CID{chain[1].CID, chain[2].CID}}))
		got, err := s.PLCLog(t.Context(), testDID(1))
		must(t, err)
		chain[1].Nullified, chain[2].Nullified = true, true
		wantPLC(t, got, append(chain, fork))
		got, err = s.PLCLog(t.Context(), testDID(2))
		must(t, err)
		wantPLC(t, got, other)
	})
}

func (h harness) plcLog(t *testing.T) {
	h.test(t, "unknown", func(t *testing.T, s store.Store) {
		plcChain(t, s, testDID(1), 1)
		_, err := s.PLCLog(t.Context(), testDID(2))
		wantNotFound(t, err)
	})
}

func (h harness) plcExport(t *testing.T) {
	h.test(t, "pages in append order", func(t *testing.T, s store.Store) {
		a := plcChain(t, s, testDID(1), 2)
		b := plcChain(t, s, testDID(2), 1)
		a2 := plcOp(t, testDID(1), a[1].CID, 2)
		must(t, s.AppendPLC(t.Context(), store.PLCAppend{Entry: a2, Last: a[1].CID}))
		all := append(append(a, b...), a2)
		got, err := s.PLCExport(t.Context(), 0, 0)
		must(t, err)
		wantPLC(t, got, all)
		page, err := s.PLCExport(t.Context(), got[0].Seq, 2)
		must(t, err)
		wantPLC(t, page, all[1:3])
		if page[0].Seq != got[1].Seq || page[1].Seq != got[2].Seq {
			t.Fatalf("page seqs %d %d, want %d %d", page[0].Seq, page[1].Seq, got[1].Seq, got[2].Seq)
		}
		page, err = s.PLCExport(t.Context(), got[3].Seq, 10)
		wantEmpty(t, "export after the last", page, err)
	})
}
