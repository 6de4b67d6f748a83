package mst

import (
	"context"

	"github.com/rhizome-pds/rhizome/cid"
)

// Dropped returns the nodes of old that t no longer holds: the nodes a
// change from old to t replaced or merged away. t must be a later state of
// old (a Snapshot of it, then changed) whose new nodes have not yet been
// taken with NewBlocks. A store can delete the dropped blocks once the
// new root is the repository's head.
//
// Within one tree no two nodes share a CID (a node's first key is stored
// whole), so an old node is still in t exactly when t's new nodes hold or
// link to it, or it is t's root. The walk goes down from old's root only
// through nodes that are gone, which are the changed paths.
func (t *Tree) Dropped(ctx context.Context, old *Tree) ([]cid.CID, error) {
	live := t.liveAfterChange()
	if live[old.Root()] {
		return nil, nil
	}
	n, err := old.rootNode(ctx)
	if err != nil {
		return nil, err
	}
	var out []cid.CID
	return out, old.collectDropped(ctx, n, bounds{}, live, &out)
}

// liveAfterChange is the set of CIDs that t's hashed new nodes are or link
// to, and t's root.
func (t *Tree) liveAfterChange() map[cid.CID]bool {
	live := make(map[cid.CID]bool, 2*len(t.fresh)+len(t.freshLinks)+1)
	live[t.Root()] = true
	for _, b := range t.fresh {
		live[b.CID] = true
	}
	for _, c := range t.freshLinks {
		live[c] = true
	}
	return live
}

// collectDropped appends n and every node below it that is not live.
func (t *Tree) collectDropped(ctx context.Context, n *node, bnd bounds, live map[cid.CID]bool, out *[]cid.CID) error {
	*out = append(*out, n.cid)
	for i := -1; i < len(n.entries); i++ {
		l := n.linkAt(i)
		if !l.present() || live[l.linkCID()] {
			continue
		}
		c, cb, err := t.child(ctx, n, i, bnd)
		if err != nil {
			return err
		}
		if err := t.collectDropped(ctx, c, cb, live, out); err != nil {
			return err
		}
	}
	return nil
}

// linkCID is the CID a link points to.
func (l link) linkCID() cid.CID {
	if l.n != nil {
		return l.n.cid
	}
	return l.cid
}
