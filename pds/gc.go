package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Every commit deletes the blocks it made obsolete (the previous commit,
// replaced MST nodes: repo.Result.Dropped), so a read that spans several
// store queries can find a block gone if a commit lands in between. Reads
// that must see one whole state check for that and start again from the
// new head, a bounded number of times.

// headRetries is how often a multi-query read starts over after the head
// moved under it.
const headRetries = 5

// whileHeadStill runs read against the readable head of did; if read fails
// and the head has moved meanwhile, it runs read again on the new head.
func (p *PDS) whileHeadStill(ctx context.Context, did syntax.DID, read func(store.Head) error) error {
	for i := 0; ; i++ {
		h, err := p.readableHead(ctx, did)
		if err != nil {
			return err
		}
		err = read(h)
		if err == nil || i == headRetries || !p.headMoved(ctx, did, h.Commit) {
			return err
		}
	}
}

// headMoved reports whether did's head is no longer the commit head. It
// is how reads (whileHeadStill) and writes (staleRead) tell an error
// caused by a commit that landed meanwhile from one of their own.
func (p *PDS) headMoved(ctx context.Context, did syntax.DID, head cid.CID) bool {
	now, err := p.store.Head(ctx, did)
	return err == nil && now.Commit != head
}

// snapshotBytes is the most block data GetRepo reads into memory in one
// scan; larger repositories are walked block batch by block batch.
var snapshotBytes = 64 << 20

// consistentBlocks returns the head of did and a block reader holding that
// state. It reads every stored block in one ordered scan when they fit in
// snapshotBytes: one query sees one state, and it holds the head's commit
// block exactly when no commit landed between reading the head and the
// scan (the next commit drops it). Larger repositories are read from the
// store as the walk goes.
func (p *PDS) consistentBlocks(ctx context.Context, did syntax.DID) (store.Head, rhizome.BlockReader, error) {
	for i := 0; ; i++ {
		h, err := p.readableHead(ctx, did)
		if err != nil {
			return h, nil, err
		}
		snap, err := p.scanBlocks(ctx, did)
		if err != nil {
			return h, p.store.RepoBlocks(did), nil
		}
		if _, ok := snap[h.Commit]; ok || i == headRetries {
			return h, snap, nil
		}
	}
}

// scanBlocks reads every stored block of did, up to snapshotBytes.
func (p *PDS) scanBlocks(ctx context.Context, did syntax.DID) (snapshot, error) {
	snap, n := snapshot{}, 0
	err := p.store.BlocksSince(ctx, did, "", func(b rhizome.Block) error {
		if n += len(b.Data); n > snapshotBytes {
			return errSnapshotFull
		}
		snap[b.CID] = b.Data
		return nil
	})
	return snap, err
}
