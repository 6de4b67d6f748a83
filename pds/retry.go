package pds

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Writes from several nodes. Each node serialises the writes of one
// account with its own lock, but another node may move the repository's
// head between this node's reading it and storing the next commit; the
// store's compare-and-swap on the head then fails with a Conflict and
// writes nothing. The write is then applied again to the new head, after
// a short random pause so racing nodes fall out of step: up to
// commitAttempts times in all. A client's compare-and-swap is checked
// again on every attempt against the head it is applied to, so swapCommit
// fails with InvalidSwap once the head has moved, and swapRecord fails
// only if the record itself changed: a retry never turns a refused swap
// into an accepted one, nor one that holds into a refusal.
const (
	commitAttempts = 16
	maxBackoff     = 50 * time.Millisecond
)

// backoff waits before retry attempt+1: a random time up to 1 ms doubled
// per attempt, at most maxBackoff.
func backoff(ctx context.Context, attempt int) error {
	d := rand.N(min(maxBackoff, time.Millisecond<<min(attempt, 16)) + 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return rhizome.E("apply writes", rhizome.Unavailable, ctx.Err())
	case <-t.C:
		return nil
	}
}

// staleRead turns err, met while reading the repository at head, into a
// Conflict (which retries) if the store's head has moved on since:
// another node's commit may have deleted blocks of the tree this node was
// reading (the blocks a commit no longer holds are dropped), so the error
// may say no more than that the read was overtaken. Named errors
// (InvalidSwap, RepoNotFound…) and Conflicts are returned as they are.
func (p *PDS) staleRead(ctx context.Context, did syntax.DID, head cid.CID, err error) error {
	if err == nil || rhizome.NameOf(err) != "" || rhizome.Is(err, rhizome.Conflict) {
		return err
	}
	if p.headMoved(ctx, did, head) {
		return rhizome.E("apply writes", rhizome.Conflict, err)
	}
	return err
}

// busy reports a write that lost every race for the head as Unavailable
// (the client may try again), not as the InvalidSwap an unnamed Conflict
// would become: the client asked for no swap.
func busy(err error) error {
	if rhizome.Is(err, rhizome.Conflict) && rhizome.NameOf(err) == "" {
		return rhizome.E("apply writes", rhizome.Unavailable, "the repository is busy with writes from other nodes; try again")
	}
	return err
}
