package repo

import (
	"bytes"
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// EventOp is one operation as a #commit event lists it.
type EventOp struct {
	Action string // "create", "update" or "delete"
	Path   string
	CID    *cid.CID // the new record; nil for deletes
	Prev   *cid.CID // the old record; nil for creates (and in legacy events)
}

// CommitEvent is the verifiable part of a firehose #commit event.
type CommitEvent struct {
	Repo     syntax.DID
	Rev      syntax.TID
	Commit   cid.CID
	PrevData *cid.CID // nil in events from before Sync 1.1
	Blocks   []byte   // a CAR slice
	Ops      []EventOp
}

// Proof says how far VerifyCommitEvent could go.
type Proof int

// How far a commit event was proven.
const (
	ProvenOps       Proof = iota + 1 // ops match the new tree; no prevData to invert against
	ProvenInversion                  // inverting the ops gives prevData
)

// VerifyCommitEvent checks a commit event using only its own blocks: the
// commit's form, DID, rev and (with key) signature; that every op matches
// the new tree; and, when the event carries prevData, that inverting the
// ops against the new tree yields it (the Sync 1.1 inductive proof).
func VerifyCommitEvent(ctx context.Context, ev *CommitEvent, key keys.PublicKey) (*Commit, Proof, error) {
	bs := mem.NewBlocks()
	if _, _, err := loadEventCAR(ctx, ev, bs); err != nil {
		return nil, 0, err
	}
	r, err := Open(ctx, bs, ev.Commit)
	if err != nil {
		return nil, 0, err
	}
	c := r.head
	if c.DID != ev.Repo || c.Rev != ev.Rev {
		return nil, 0, rhizome.Errorf("verify event", rhizome.Invalid, "commit is %s@%s, event says %s@%s", c.DID, c.Rev, ev.Repo, ev.Rev)
	}
	if key != nil {
		if err := c.Verify(key); err != nil {
			return nil, 0, err
		}
	}
	ops, err := eventOps(ctx, r.tree, ev.Ops)
	if err != nil || ev.PrevData == nil {
		return c, ProvenOps, err
	}
	return c, ProvenInversion, invertTo(ctx, bs, c.Data, *ev.PrevData, ops)
}

func loadEventCAR(ctx context.Context, ev *CommitEvent, bs *mem.Blocks) ([]cid.CID, Stats, error) {
	var st Stats
	roots, err := loadCAR(ctx, bytes.NewReader(ev.Blocks), bs, &st)
	if err == nil && (len(roots) != 1 || roots[0] != ev.Commit) {
		err = rhizome.Errorf("verify event", rhizome.Invalid, "blocks are not rooted at commit %s", ev.Commit)
	}
	return roots, st, err
}

// eventOps checks each op against the new tree and converts it.
func eventOps(ctx context.Context, tree *mst.Tree, evOps []EventOp) ([]mst.Op, error) {
	ops := make([]mst.Op, 0, len(evOps))
	for _, e := range evOps {
		op, err := eventOp(e)
		if err != nil {
			return nil, err
		}
		got, ok, err := tree.Get(ctx, op.Key)
		if err != nil {
			return nil, err
		}
		if ok != op.New.Defined() || got != op.New {
			return nil, rhizome.Errorf("verify event", rhizome.Invalid, "op %s %s does not match the tree", e.Action, e.Path)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func eventOp(e EventOp) (mst.Op, error) {
	op := mst.Op{Key: e.Path}
	if e.CID != nil {
		op.New = *e.CID
	}
	if e.Prev != nil {
		op.Old = *e.Prev
	}
	ok := mst.ValidKey(e.Path)
	switch e.Action {
	case "create":
		ok = ok && e.CID != nil && e.Prev == nil
	case "update":
		ok = ok && e.CID != nil
	case "delete":
		ok = ok && e.CID == nil
	default:
		ok = false
	}
	if !ok {
		return op, rhizome.Errorf("verify event", rhizome.Invalid, "malformed op %s %q", e.Action, e.Path)
	}
	return op, nil
}

func invertTo(ctx context.Context, bs rhizome.BlockReader, root, prevData cid.CID, ops []mst.Op) error {
	for _, op := range ops {
		if !op.IsCreate() && !op.Old.Defined() {
			return rhizome.Errorf("verify event", rhizome.Invalid, "op on %s lacks prev, so it cannot be inverted", op.Key)
		}
	}
	tree := mst.Load(bs, root)
	if err := tree.Invert(ctx, ops); err != nil {
		return rhizome.E("verify event", rhizome.KindOf(err), err)
	}
	if got := tree.Root(); got != prevData {
		return rhizome.Errorf("verify event", rhizome.Invalid, "inverted root %s is not prevData %s", got, prevData)
	}
	return nil
}
