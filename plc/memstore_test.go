package plc

import (
	"bytes"
	"context"
	"slices"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// memPLC is an in-memory store.PLC for the unit tests of this package.
type memPLC struct {
	mu      sync.Mutex
	logs    map[syntax.DID][]store.PLCEntry
	all     []store.PLCEntry // export order; Nullified is not kept current here
	seq     int64
	appends int
	// beforeAppend, if set, runs (unlocked) at the start of every append.
	beforeAppend func()
}

var _ store.PLC = (*memPLC)(nil)

func newMemPLC() *memPLC { return &memPLC{logs: map[syntax.DID][]store.PLCEntry{}} }

func (m *memPLC) AppendPLC(ctx context.Context, a store.PLCAppend) error {
	if f := m.beforeAppend; f != nil {
		f()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	log := m.logs[a.Entry.DID]
	var last cid.CID
	if len(log) > 0 {
		last = log[len(log)-1].CID
	}
	if last != a.Last {
		return rhizome.E("append plc", rhizome.Conflict, "log has moved on")
	}
	for _, c := range a.Nullify {
		i := slices.IndexFunc(log, func(e store.PLCEntry) bool { return e.CID == c })
		if i < 0 {
			return rhizome.E("append plc", rhizome.NotFound, "nullified entry not in log")
		}
		log[i].Nullified = true
	}
	m.seq++
	e := a.Entry
	e.Seq, e.Op = m.seq, bytes.Clone(e.Op)
	m.logs[e.DID] = append(log, e)
	m.all = append(m.all, e)
	m.appends++
	return nil
}

func (m *memPLC) PLCLog(ctx context.Context, did syntax.DID) ([]store.PLCEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	log, ok := m.logs[did]
	if !ok {
		return nil, rhizome.E("plc log", rhizome.NotFound, "no such DID")
	}
	return slices.Clone(log), nil
}

func (m *memPLC) PLCExport(ctx context.Context, after int64, limit int) ([]store.PLCEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.PLCEntry
	for _, e := range m.all {
		if e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}
