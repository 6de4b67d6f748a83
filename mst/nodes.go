package mst

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// WalkNodes visits every node of the tree in pre-order (a node, then its
// subtrees in key order), passing the node's block and the values of its
// entries. It reads each node's children in one batch and checks every node
// as Load does, so it doubles as a full structural verification. Nodes it
// reads are not added to the cache.
func (t *Tree) WalkNodes(ctx context.Context, fn func(node rhizome.Block, vals []cid.CID) error) error {
	if t.root != nil {
		t.Root()
		return t.walkNodes(ctx, t.root, nil, bounds{}, fn)
	}
	data, err := rhizome.GetBlock(ctx, t.src, t.rootC)
	if err != nil {
		return err
	}
	n, err := t.decodeChecked(t.rootC, data, -1, bounds{})
	if err != nil {
		return err
	}
	return t.walkNodes(ctx, n, data, bounds{}, fn)
}

func (t *Tree) decodeChecked(c cid.CID, data []byte, level int, bnd bounds) (*node, error) {
	if !c.Matches(data) {
		return nil, rhizome.Errorf("load mst node", rhizome.Corrupt, "block %s does not match its hash", c)
	}
	return decodeNode(c, data, level, bnd)
}

func (t *Tree) walkNodes(ctx context.Context, n *node, data []byte, bnd bounds, fn func(rhizome.Block, []cid.CID) error) error {
	if data == nil {
		data = n.encode(nil)
	}
	vals := make([]cid.CID, len(n.entries))
	for i := range n.entries {
		vals[i] = n.entries[i].val
	}
	if err := fn(rhizome.Block{CID: n.cid, Data: data}, vals); err != nil {
		return err
	}
	kids, err := t.children(ctx, n, bnd)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := t.walkNodes(ctx, k.n, k.data, k.bnd, fn); err != nil {
			return err
		}
	}
	return ctx.Err()
}

type kid struct {
	n    *node
	data []byte
	bnd  bounds
}

// children resolves all of n's subtrees, reading the stored ones in one batch.
func (t *Tree) children(ctx context.Context, n *node, bnd bounds) ([]kid, error) {
	var kids []kid
	var want []cid.CID
	var at []int
	for i := -1; i < len(n.entries); i++ {
		l := n.linkAt(i)
		if !l.present() {
			continue
		}
		kids = append(kids, kid{n: l.n, bnd: n.childBounds(i, bnd)})
		if l.n == nil {
			want, at = append(want, l.cid), append(at, len(kids)-1)
		}
	}
	if len(want) == 0 {
		return kids, nil
	}
	got, err := t.src.GetBlocks(ctx, want)
	if err != nil {
		return nil, err
	}
	for j, c := range want {
		if got[j] == nil {
			return nil, rhizome.Errorf("walk mst", rhizome.NotFound, "node %s is missing", c)
		}
		k := &kids[at[j]]
		if k.n, err = t.decodeChecked(c, got[j], n.level-1, k.bnd); err != nil {
			return nil, err
		}
		k.data = got[j]
	}
	return kids, nil
}
