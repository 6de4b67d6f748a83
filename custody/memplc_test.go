package custody

import (
	"context"
	"slices"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// memPLC is a store.PLC in memory, for a directory in the tests.
type memPLC struct {
	mu   sync.Mutex
	logs map[syntax.DID][]store.PLCEntry
	seq  int64
}

func (m *memPLC) AppendPLC(_ context.Context, a store.PLCAppend) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	log := m.logs[a.Entry.DID]
	var last cid.CID
	if len(log) > 0 {
		last = log[len(log)-1].CID
	}
	if last != a.Last {
		return rhizome.E("append plc", rhizome.Conflict, "the log moved on")
	}
	for i := range log {
		if slices.Contains(a.Nullify, log[i].CID) {
			log[i].Nullified = true
		}
	}
	m.seq++
	e := a.Entry
	e.Seq = m.seq
	m.logs[a.Entry.DID] = append(log, e)
	return nil
}

func (m *memPLC) PLCLog(_ context.Context, did syntax.DID) ([]store.PLCEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	log := m.logs[did]
	if len(log) == 0 {
		return nil, rhizome.E("read plc log", rhizome.NotFound, "no such DID")
	}
	return slices.Clone(log), nil
}

func (m *memPLC) PLCExport(context.Context, int64, int) ([]store.PLCEntry, error) {
	return nil, rhizome.E("export plc", rhizome.Other, "not needed by these tests")
}
