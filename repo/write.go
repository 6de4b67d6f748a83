package repo

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Limits the protocol sets on one commit.
const (
	MaxOps        = 200     // operations per commit
	MaxRecordSize = 1 << 20 // bytes of one record's DAG-CBOR
)

// Action is what a Write does.
type Action uint8

// The actions.
const (
	Create Action = iota + 1
	Update
	Delete
)

// Write is one change in a batch. Record is the record's DAG-CBOR for
// Create and Update. Swap, if set, is the CID the record must have now
// (compare-and-swap); for Create it must be unset.
type Write struct {
	Action     Action
	Collection syntax.NSID
	RKey       syntax.RecordKey
	Record     []byte
	Swap       *cid.CID
}

// Result is everything one commit adds, for the store to persist in one
// transaction and the firehose to announce.
type Result struct {
	Commit   *Commit
	CID      cid.CID
	Since    syntax.TID // the previous rev; empty for the first commit
	PrevData cid.CID    // the previous MST root; undefined for the first commit
	Ops      []mst.Op
	Blocks   []rhizome.Block // new blocks: the commit, MST nodes, records
	Proof    []cid.CID       // existing nodes a consumer also needs to invert Ops
	// Dropped are blocks the repository no longer holds: the previous
	// commit and the MST nodes the change replaced or merged away. A store
	// may delete them once the new commit is the head. (Blocks of deleted
	// or replaced records are not listed: another record may share one.)
	Dropped []cid.CID
}

// Clock issues revisions; syntax.TIDClock is one.
type Clock interface {
	NextAfter(prev syntax.TID) syntax.TID
}

// New starts an empty repository for did and returns it with its first
// commit.
func New(ctx context.Context, bs rhizome.BlockReader, did syntax.DID, s keys.Signer, clock Clock) (*Repo, *Result, error) {
	tree := mst.New(bs)
	c := &Commit{DID: did, Version: Version, Data: tree.Root(), Rev: clock.NextAfter("")}
	if err := c.Sign(s); err != nil {
		return nil, nil, err
	}
	blk := c.Block()
	res := &Result{Commit: c, CID: blk.CID, Blocks: append(tree.NewBlocks(), blk)}
	return &Repo{bs: bs, head: c, headCID: blk.CID, tree: tree}, res, nil
}

// Apply performs writes as one signed commit. On error nothing changes. On
// success the Repo moves to the new commit; if the caller then fails to
// persist Result.Blocks it must discard the Repo and Open it again.
func (r *Repo) Apply(ctx context.Context, writes []Write, s keys.Signer, clock Clock) (*Result, error) {
	if err := checkBatch(writes); err != nil {
		return nil, err
	}
	tree := r.tree.Snapshot()
	res := &Result{Since: r.head.Rev, PrevData: r.head.Data}
	var records []rhizome.Block
	for _, w := range writes {
		op, blk, err := applyOne(ctx, tree, w)
		if err != nil {
			return nil, err
		}
		res.Ops = append(res.Ops, op)
		if blk.CID.Defined() {
			records = append(records, blk)
		}
	}
	return r.finish(ctx, tree, res, records, s, clock)
}

func (r *Repo) finish(ctx context.Context, tree *mst.Tree, res *Result, records []rhizome.Block, s keys.Signer, clock Clock) (*Result, error) {
	c := &Commit{DID: r.head.DID, Version: Version, Data: tree.Root(), Rev: clock.NextAfter(r.head.Rev)}
	if err := c.Sign(s); err != nil {
		return nil, err
	}
	dropped, err := tree.Dropped(ctx, r.tree)
	if err != nil {
		return nil, err
	}
	nodes := tree.NewBlocks()
	proof, err := proofBeyond(ctx, tree, nodes, res.PrevData, res.Ops)
	if err != nil {
		return nil, err
	}
	res.Dropped = append(dropped, r.headCID)
	blk := c.Block()
	res.Commit, res.CID, res.Proof = c, blk.CID, proof
	res.Blocks = append(append(append(res.Blocks, blk), nodes...), records...)
	r.head, r.headCID, r.tree = c, blk.CID, tree
	return res, nil
}

func checkBatch(writes []Write) error {
	if len(writes) == 0 {
		return rhizome.E("apply writes", rhizome.Invalid, "no writes")
	}
	if len(writes) > MaxOps {
		return rhizome.Errorf("apply writes", rhizome.TooLarge, "%d writes exceed the limit of %d per commit", len(writes), MaxOps)
	}
	seen := make(map[string]bool, len(writes))
	for _, w := range writes {
		p := Path(w.Collection, w.RKey)
		if seen[p] {
			return rhizome.Errorf("apply writes", rhizome.Invalid, "%s is written twice in one commit", p)
		}
		seen[p] = true
	}
	return nil
}

// applyOne applies a write to tree and returns its op and record block.
func applyOne(ctx context.Context, tree *mst.Tree, w Write) (mst.Op, rhizome.Block, error) {
	key := Path(w.Collection, w.RKey)
	if !mst.ValidKey(key) {
		return mst.Op{}, rhizome.Block{}, rhizome.Errorf("apply write", rhizome.Invalid, "invalid record path %q", key)
	}
	cur, exists, err := tree.Get(ctx, key)
	if err != nil {
		return mst.Op{}, rhizome.Block{}, err
	}
	if err := checkSwap(w, key, cur, exists); err != nil {
		return mst.Op{}, rhizome.Block{}, err
	}
	op := mst.Op{Key: key, Old: cur}
	if w.Action == Delete {
		_, err = tree.Delete(ctx, key)
		return op, rhizome.Block{}, err
	}
	blk, err := recordBlock(w.Record)
	if err != nil {
		return mst.Op{}, rhizome.Block{}, err
	}
	op.New = blk.CID
	_, err = tree.Put(ctx, key, blk.CID)
	return op, blk, err
}

func checkSwap(w Write, key string, cur cid.CID, exists bool) error {
	switch {
	case w.Action < Create || w.Action > Delete:
		return rhizome.Errorf("apply write", rhizome.Invalid, "unknown action %d", w.Action)
	case w.Action == Create && exists:
		return rhizome.Errorf("apply write", rhizome.Exists, "record %s already exists", key)
	case w.Action == Create && w.Swap != nil:
		return rhizome.E("apply write", rhizome.Invalid, "a create cannot swap")
	case w.Action != Create && !exists:
		return rhizome.Errorf("apply write", rhizome.NotFound, "no record %s", key)
	case w.Swap != nil && *w.Swap != cur:
		return rhizome.Errorf("apply write", rhizome.Conflict, "record %s is %s, not %s", key, cur, *w.Swap)
	}
	return nil
}

// recordBlock checks a record's encoding and returns its block.
func recordBlock(rec []byte) (rhizome.Block, error) {
	if len(rec) > MaxRecordSize {
		return rhizome.Block{}, rhizome.Errorf("apply write", rhizome.TooLarge, "record of %d bytes exceeds %d", len(rec), MaxRecordSize)
	}
	if _, err := data.DecodeRecord(rec); err != nil {
		return rhizome.Block{}, err
	}
	return rhizome.Block{CID: cid.Sum(cid.DagCBOR, rec), Data: rec}, nil
}

// proofBeyond returns the nodes, besides the new ones, that a consumer
// needs to invert ops. It also proves the commit: inverting must give
// prevData.
func proofBeyond(ctx context.Context, tree *mst.Tree, fresh []rhizome.Block, prevData cid.CID, ops []mst.Op) ([]cid.CID, error) {
	read, err := tree.InversionProof(ctx, prevData, ops)
	if err != nil {
		return nil, err
	}
	isNew := make(map[cid.CID]bool, len(fresh))
	for _, b := range fresh {
		isNew[b.CID] = true
	}
	var out []cid.CID
	for _, c := range read {
		if !isNew[c] {
			out = append(out, c)
		}
	}
	return out, nil
}
