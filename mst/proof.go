package mst

import (
	"context"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mem"
)

// Proof returns the nodes on the path from the root to where key is (an
// inclusion proof) or would be (an exclusion proof), root first.
func (t *Tree) Proof(ctx context.Context, key string) ([]rhizome.Block, error) {
	t.Root()
	n, err := t.rootNode(ctx)
	var out []rhizome.Block
	var bnd bounds
	for n != nil && err == nil {
		data := n.encode(nil)
		out = append(out, rhizome.Block{CID: n.cid, Data: data})
		i, ok := n.search(key)
		if ok {
			break
		}
		n, bnd, err = t.child(ctx, n, i-1, bnd)
	}
	return out, err
}

// VerifyProof checks a proof against a root CID and returns the value key
// has in that tree, or found == false if the proof shows key is absent. A
// missing, altered or extra-structural block makes it fail.
func VerifyProof(ctx context.Context, root cid.CID, key string, proof []rhizome.Block) (val cid.CID, found bool, err error) {
	bs := mem.NewBlocks()
	if err := bs.PutBlocks(ctx, proof); err != nil {
		return cid.CID{}, false, err
	}
	return Load(bs, root).Get(ctx, key)
}

// Recorder is a BlockReader that remembers every CID read through it, so a
// caller can learn which blocks an operation needed.
type Recorder struct {
	src  rhizome.BlockReader
	mu   sync.Mutex
	seen map[cid.CID]bool
	read []cid.CID
}

// NewRecorder records the reads made through it from src.
func NewRecorder(src rhizome.BlockReader) *Recorder {
	return &Recorder{src: src, seen: make(map[cid.CID]bool)}
}

// GetBlocks implements rhizome.BlockReader.
func (r *Recorder) GetBlocks(ctx context.Context, cids []cid.CID) ([][]byte, error) {
	r.mu.Lock()
	for _, c := range cids {
		if !r.seen[c] {
			r.seen[c] = true
			r.read = append(r.read, c)
		}
	}
	r.mu.Unlock()
	return r.src.GetBlocks(ctx, cids)
}

// Read returns the CIDs read so far, in first-read order.
func (r *Recorder) Read() []cid.CID {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]cid.CID(nil), r.read...)
}

// Invert undoes ops on t, which must hold the state right after them:
// creations are deleted, updates and deletions put back their old values.
// Each op must match the tree exactly, or Invert fails with Invalid.
// Comparing t.Root() with the commit's prevData then proves the ops.
func (t *Tree) Invert(ctx context.Context, ops []Op) error {
	for _, op := range ops {
		if err := t.invertOne(ctx, op); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tree) invertOne(ctx context.Context, op Op) error {
	cur, ok, err := t.Get(ctx, op.Key)
	if err != nil {
		return err
	}
	if ok != op.New.Defined() || (ok && cur != op.New) {
		return rhizome.Errorf("invert op", rhizome.Invalid, "%s: tree holds %v, op says %v", op.Key, cur, op.New)
	}
	if op.IsCreate() {
		_, err = t.Delete(ctx, op.Key)
		return err
	}
	if !op.Old.Defined() {
		return rhizome.Errorf("invert op", rhizome.Invalid, "%s: op changes nothing", op.Key)
	}
	_, err = t.Put(ctx, op.Key, op.Old)
	return err
}

// InversionProof returns the CIDs of the nodes a consumer needs to invert
// ops against the tree rooted at root (the state after the ops): the
// nodes the inversion reaches, in the order it reaches them, including the
// neighbours that splits and merges touch. It also checks that inverting
// yields prevData, so a commit never ships a proof that does not verify.
func InversionProof(ctx context.Context, src rhizome.BlockReader, root, prevData cid.CID, ops []Op) ([]cid.CID, error) {
	return Load(src, root).InversionProof(ctx, prevData, ops)
}

// InversionProof is the package function for a tree already in memory,
// such as the one a commit just built; t itself is left unchanged.
func (t *Tree) InversionProof(ctx context.Context, prevData cid.CID, ops []Op) ([]cid.CID, error) {
	s := t.Snapshot()
	s.rec = &recording{seen: make(map[cid.CID]bool)}
	for _, op := range ops {
		if op.IsCreate() {
			if err := s.readNeighbours(ctx, op.Key); err != nil {
				return nil, err
			}
		}
	}
	if err := s.Invert(ctx, ops); err != nil {
		return nil, err
	}
	if got := s.Root(); got != prevData {
		return nil, rhizome.Errorf("prove ops", rhizome.Invalid, "inverted root %s is not prevData %s", got, prevData)
	}
	return s.rec.order, nil
}

// readNeighbours reads the subtrees on either side of key down their spines
// toward key: the right spine of the subtree before it and the left spine
// of the subtree after it. Consumers that check where a key sits (as
// indigo's and the reference implementation do) need these nodes, although
// inverting alone may not.
func (t *Tree) readNeighbours(ctx context.Context, key string) error {
	n, err := t.rootNode(ctx)
	var bnd bounds
	for n != nil && err == nil {
		i, ok := n.search(key)
		if ok {
			if err := t.readSpine(ctx, n, i-1, bnd, true); err != nil {
				return err
			}
			return t.readSpine(ctx, n, i, bnd, false)
		}
		n, bnd, err = t.child(ctx, n, i-1, bnd)
	}
	return err
}

// readSpine reads the subtree at link i of n and, within it, every last
// (right) or first (left) link down to the bottom.
func (t *Tree) readSpine(ctx context.Context, n *node, i int, bnd bounds, right bool) error {
	c, cb, err := t.child(ctx, n, i, bnd)
	for c != nil && err == nil {
		j := -1
		if right {
			j = len(c.entries) - 1
		}
		c, cb, err = t.child(ctx, c, j, cb)
	}
	return err
}
