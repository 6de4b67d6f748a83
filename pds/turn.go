package pds

import (
	"context"
	"time"

	"github.com/rhizome-pds/rhizome/syntax"
)

// RepoTurns orders the writers of one repository across every node of a
// pod: a node holds the repository's turn while it reads the head, builds
// the commit and stores it. It is for fairness only. The store's
// compare-and-swap on the head keeps writes correct without it; but
// without it, a node writing a repository back to back (its own writers
// queued behind its lock) wins every race against a node that must first
// read the blocks of the commits it lost to, and can starve it. A store
// shared by several nodes may offer it (store/postgres does).
type RepoTurns interface {
	// TakeTurn waits for the repository's turn, in roughly the order it
	// was asked for; release gives it back. It fails when ctx ends first.
	TakeTurn(ctx context.Context, did syntax.DID) (release func(), err error)
}

// turnWait bounds the wait for a turn; a write that waited that long
// goes ahead without one (the compare-and-swap still guards it).
const turnWait = 10 * time.Second

// takeTurn takes the repository's turn across nodes if the store offers
// turns; the returned function gives it back.
func (p *PDS) takeTurn(ctx context.Context, did syntax.DID) func() {
	if p.turns == nil {
		return func() {}
	}
	tctx, cancel := context.WithTimeout(ctx, turnWait)
	defer cancel()
	release, err := p.turns.TakeTurn(tctx, did)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Warn("write without the repository's turn", "did", did, "err", err)
		}
		return func() {}
	}
	return release
}
