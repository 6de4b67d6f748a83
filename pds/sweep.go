package pds

import (
	"context"
	"errors"
	"io"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// SweepRepo deletes the stored blocks of did's repository that its head
// does not reach, and says how many. Commits collect what they replace, so
// a repository written by this version holds nothing else; a database
// written before block collection may still hold old tree nodes and the
// blocks of deleted records, which getRepo's one-scan read would send.
//
// The sweep is a commit that keeps the head and drops the unreached
// blocks: it applies only if the head has not moved since the walk (a
// Conflict otherwise, and the repository is swept another time).
func (p *PDS) SweepRepo(ctx context.Context, did syntax.DID) (int, error) {
	const op = "sweep repository"
	h, err := p.store.Head(ctx, did)
	if err != nil {
		return 0, rhizome.E(op, rhizome.KindOf(err), err)
	}
	reached, err := p.reached(ctx, did, h.Commit)
	if err != nil {
		return 0, rhizome.E(op, rhizome.KindOf(err), err)
	}
	var drop []cid.CID
	err = p.store.BlocksSince(ctx, did, "", func(b rhizome.Block) error {
		if _, ok := reached[b.CID]; !ok {
			drop = append(drop, b.CID)
		}
		return nil
	})
	if err != nil || len(drop) == 0 {
		return 0, err
	}
	if _, err := p.store.ApplyCommit(ctx, store.Commit{Prev: h.Commit, Head: h, Drop: drop}); err != nil {
		return 0, rhizome.E(op, rhizome.KindOf(err), err)
	}
	return len(drop), nil
}

// reached returns the CIDs of every block the commit head reaches: the
// blocks of the repository's CAR, written by the tree walk and read back.
func (p *PDS) reached(ctx context.Context, did syntax.DID, head cid.CID) (map[cid.CID]struct{}, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(repo.WriteCAR(ctx, pw, p.store.RepoBlocks(did), head)) }()
	defer pr.Close()
	cr, err := car.NewReader(pr, car.ReuseBuffer())
	if err != nil {
		return nil, err
	}
	out := map[cid.CID]struct{}{}
	for {
		c, _, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out[c] = struct{}{}
	}
}
