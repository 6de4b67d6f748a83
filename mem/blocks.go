package mem

import (
	"context"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Blocks is an in-memory rhizome.Blocks, safe for concurrent use.
type Blocks struct {
	mu sync.RWMutex
	m  map[cid.CID][]byte
}

// NewBlocks returns an empty block store.
func NewBlocks() *Blocks { return &Blocks{m: make(map[cid.CID][]byte)} }

// GetBlocks implements rhizome.BlockReader.
func (b *Blocks) GetBlocks(_ context.Context, cids []cid.CID) ([][]byte, error) {
	out := make([][]byte, len(cids))
	b.mu.RLock()
	for i, c := range cids {
		out[i] = b.m[c]
	}
	b.mu.RUnlock()
	return out, nil
}

// PutBlocks implements rhizome.BlockWriter. It keeps the slices it is given.
func (b *Blocks) PutBlocks(_ context.Context, blocks []rhizome.Block) error {
	b.mu.Lock()
	for _, blk := range blocks {
		b.m[blk.CID] = blk.Data
	}
	b.mu.Unlock()
	return nil
}

// Put stores one block and returns its CID under codec.
func (b *Blocks) Put(codec cid.Codec, data []byte) cid.CID {
	c := cid.Sum(codec, data)
	b.mu.Lock()
	b.m[c] = data
	b.mu.Unlock()
	return c
}

// Len reports how many blocks are stored.
func (b *Blocks) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.m)
}

// Delete removes a block, for tests that simulate a missing block.
func (b *Blocks) Delete(c cid.CID) {
	b.mu.Lock()
	delete(b.m, c)
	b.mu.Unlock()
}

// Set replaces a block's bytes without rehashing, for tests that simulate
// a corrupted store.
func (b *Blocks) Set(c cid.CID, data []byte) {
	b.mu.Lock()
	b.m[c] = data
	b.mu.Unlock()
}

// All returns every block, in no particular order.
func (b *Blocks) All() []rhizome.Block {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]rhizome.Block, 0, len(b.m))
	for c, d := range b.m {
		out = append(out, rhizome.Block{CID: c, Data: d})
	}
	return out
}
