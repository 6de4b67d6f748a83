package store

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// PLCEntry is one operation in the embedded PLC directory's log.
type PLCEntry struct {
	DID       syntax.DID
	CID       cid.CID // CID of Op
	Op        []byte  // the signed operation, DRISL
	Nullified bool
	CreatedAt time.Time
	Seq       int64 // position in the directory-wide export order
}

// PLCAppend adds an operation to a DID's log, atomically with nullifying
// the operations it overrides.
type PLCAppend struct {
	Entry PLCEntry // Seq is assigned by the store; CreatedAt is kept as given
	// Last is the CID of the log's last entry the caller validated against
	// (zero for a new DID). If the log has moved on, PLCAppend fails with
	// Conflict and writes nothing.
	Last    cid.CID
	Nullify []cid.CID
}

// PLC stores the operation logs of the embedded PLC directory.
type PLC interface {
	AppendPLC(ctx context.Context, a PLCAppend) error
	// PLCLog returns a DID's whole log, nullified entries included, in
	// order; NotFound if the DID has none.
	PLCLog(ctx context.Context, did syntax.DID) ([]PLCEntry, error)
	// PLCExport returns up to limit entries with Seq > after, in order.
	PLCExport(ctx context.Context, after int64, limit int) ([]PLCEntry, error)
}
