package pds

import (
	"context"

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
