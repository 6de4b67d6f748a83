package plc

import (
	"context"
	"sync"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Directory is a PLC directory over a store.PLC: it validates operations
// against each DID's log, timestamps and appends them, and serves logs,
// state and DID documents.
//
// Submits for one DID are serialised within the process; between
// processes sharing a store, the store's compare-and-swap on the log's
// last entry makes a stale submit fail with Conflict, and Submit retries
// once with fresh state.
type Directory struct {
	store store.PLC
	now   func() time.Time

	mu    sync.Mutex
	locks map[syntax.DID]*didLock
}

type didLock struct {
	mu   sync.Mutex
	refs int
}

// ExportLimit is the most entries one export call returns.
const ExportLimit = 1000

// NewDirectory returns a directory over s. Now is the clock operations are
// timestamped with; nil means time.Now.
func NewDirectory(s store.PLC, now func() time.Time) *Directory {
	if now == nil {
		now = time.Now
	}
	return &Directory{store: s, now: now, locks: map[syntax.DID]*didLock{}}
}

const opSubmit = "submit plc operation"

// Submit validates op as the next operation of did's log and appends it,
// nullifying the operations a fork overrides. A genesis operation creates
// did, which must be the DID it hashes to.
func (d *Directory) Submit(ctx context.Context, did syntax.DID, op *Operation) error {
	if _, err := ParseDID(string(did)); err != nil {
		return err
	}
	if err := op.Validate(); err != nil {
		return err
	}
	unlock := d.lock(did)
	defer unlock()
	err := d.submit(ctx, did, op)
	if rhizome.Is(err, rhizome.Conflict) {
		err = d.submit(ctx, did, op)
	}
	return err
}

func (d *Directory) submit(ctx context.Context, did syntax.DID, op *Operation) error {
	c, err := d.chain(ctx, did)
	if err != nil && !rhizome.Is(err, rhizome.NotFound) {
		return err
	}
	b, err := op.Bytes()
	if err != nil {
		return err
	}
	id := cid.Sum(cid.DagCBOR, b)
	if c.nodes[id] != nil {
		return rhizome.Errorf(opSubmit, rhizome.Exists, "operation %s is already in the log", id)
	}
	at := d.timestamp(c)
	s, err := c.check(op, at)
	if err != nil {
		return err
	}
	a := store.PLCAppend{
		Entry: store.PLCEntry{DID: did, CID: id, Op: b, CreatedAt: at},
		Last:  c.headCID(),
	}
	for _, n := range s.nullify {
		a.Nullify = append(a.Nullify, n.cid)
	}
	if err := d.store.AppendPLC(ctx, a); err != nil {
		return rhizome.Errorf(opSubmit, rhizome.KindOf(err), "%w", err)
	}
	return nil
}

// timestamp is now at millisecond precision (what the API shows), moved
// past the latest operation if the clock has not.
func (d *Directory) timestamp(c *chain) time.Time {
	at := d.now().UTC().Truncate(time.Millisecond)
	if c.head != nil && !at.After(c.head.at) {
		at = c.head.at.Add(time.Millisecond)
	}
	return at
}

// lock serialises work on one DID and returns the unlock function.
func (d *Directory) lock(did syntax.DID) func() {
	d.mu.Lock()
	l := d.locks[did]
	if l == nil {
		l = &didLock{}
		d.locks[did] = l
	}
	l.refs++
	d.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		d.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(d.locks, did)
		}
		d.mu.Unlock()
	}
}

// chain replays did's stored log. For a DID without a log it returns an
// empty chain and a NotFound error.
func (d *Directory) chain(ctx context.Context, did syntax.DID) (*chain, error) {
	c := newChain(did)
	entries, err := d.AuditLog(ctx, did)
	if err != nil {
		return c, err
	}
	for _, e := range entries {
		if err := c.addTrusted(e.Operation, e.CID, e.CreatedAt, e.Nullified); err != nil {
			return c, err
		}
	}
	return c, nil
}

// AuditLog returns did's whole log, nullified operations included.
func (d *Directory) AuditLog(ctx context.Context, did syntax.DID) ([]LogEntry, error) {
	const opName = "read plc log"
	stored, err := d.store.PLCLog(ctx, did)
	if rhizome.Is(err, rhizome.NotFound) {
		return nil, rhizome.Errorf(opName, rhizome.NotFound, "DID not registered: %s", did)
	}
	if err != nil {
		return nil, rhizome.Errorf(opName, rhizome.KindOf(err), "%w", err)
	}
	if len(stored) == 0 {
		return nil, rhizome.Errorf(opName, rhizome.NotFound, "DID not registered: %s", did)
	}
	out := make([]LogEntry, len(stored))
	for i, s := range stored {
		if out[i], err = fromStored(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func fromStored(s store.PLCEntry) (LogEntry, error) {
	op, err := ParseOperation(s.Op)
	if err != nil || !s.CID.Matches(s.Op) {
		return LogEntry{}, rhizome.Errorf("read plc log", rhizome.Corrupt, "stored operation %s is damaged", s.CID)
	}
	return LogEntry{DID: s.DID, Operation: op, CID: s.CID, Nullified: s.Nullified, CreatedAt: s.CreatedAt}, nil
}

// Log returns the operations of did's log that are not nullified, oldest
// first.
func (d *Directory) Log(ctx context.Context, did syntax.DID) ([]*Operation, error) {
	entries, err := d.AuditLog(ctx, did)
	if err != nil {
		return nil, err
	}
	var ops []*Operation
	for _, e := range entries {
		if !e.Nullified {
			ops = append(ops, e.Operation)
		}
	}
	return ops, nil
}

// LastOp returns did's latest operation that is not nullified, which may
// be a tombstone.
func (d *Directory) LastOp(ctx context.Context, did syntax.DID) (*Operation, error) {
	ops, err := d.Log(ctx, did)
	if err != nil {
		return nil, err
	}
	if len(ops) == 0 {
		return nil, rhizome.Errorf("read plc log", rhizome.Corrupt, "%s has no live operation", did)
	}
	return ops[len(ops)-1], nil
}

// Data returns did's current state; NotFound wrapping [ErrGone] if it is
// tombstoned.
func (d *Directory) Data(ctx context.Context, did syntax.DID) (*Data, error) {
	op, err := d.LastOp(ctx, did)
	if err != nil {
		return nil, err
	}
	return DataFor(did, op)
}

// Resolve returns did's DID document; NotFound wrapping [ErrGone] if it is
// tombstoned.
func (d *Directory) Resolve(ctx context.Context, did syntax.DID) (*Document, error) {
	data, err := d.Data(ctx, did)
	if err != nil {
		return nil, err
	}
	return data.Document(), nil
}

// Export returns up to count operations (at most [ExportLimit]) accepted
// after sequence number after, in order.
func (d *Directory) Export(ctx context.Context, after int64, count int) ([]ExportEntry, error) {
	if count <= 0 || count > ExportLimit {
		count = ExportLimit
	}
	stored, err := d.store.PLCExport(ctx, after, count)
	if err != nil {
		return nil, rhizome.Errorf("export plc log", rhizome.KindOf(err), "%w", err)
	}
	out := make([]ExportEntry, len(stored))
	for i, s := range stored {
		le, err := fromStored(s)
		if err != nil {
			return nil, err
		}
		out[i] = ExportEntry{LogEntry: le, Seq: s.Seq}
	}
	return out, nil
}
