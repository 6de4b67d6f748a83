package rhizome

import (
	"context"

	"github.com/rhizome-pds/rhizome/cid"
)

// Block is a unit of content-addressed data: DAG-CBOR for repository nodes,
// commits and records.
type Block struct {
	CID  cid.CID
	Data []byte
}

// BlockReader reads content-addressed blocks. Implementations must be safe
// for concurrent use.
type BlockReader interface {
	// GetBlocks returns the data of each CID, in order, in one round trip
	// where the implementation can. A missing block is a nil entry, not an
	// error; errors mean the store itself failed. Callers must not modify
	// the returned slices.
	GetBlocks(ctx context.Context, cids []cid.CID) ([][]byte, error)
}

// BlockWriter stores content-addressed blocks. Putting a block that is
// already present is not an error.
type BlockWriter interface {
	PutBlocks(ctx context.Context, blocks []Block) error
}

// Blocks reads and writes content-addressed blocks.
type Blocks interface {
	BlockReader
	BlockWriter
}

// GetBlock reads one block through r, with a NotFound error if it is absent.
func GetBlock(ctx context.Context, r BlockReader, c cid.CID) ([]byte, error) {
	got, err := r.GetBlocks(ctx, []cid.CID{c})
	if err != nil {
		return nil, err
	}
	if got[0] == nil {
		return nil, Errorf("get block", NotFound, "block %s is missing", c)
	}
	return got[0], nil
}
