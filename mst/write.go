package mst

import (
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Root returns the root CID, hashing any nodes changed since the last call.
func (t *Tree) Root() cid.CID {
	if t.root == nil {
		return t.rootC
	}
	if t.root.dirty {
		t.hash(t.root)
	}
	t.rootC = t.root.cid
	return t.rootC
}

// NewBlocks returns the node blocks created since the last call (hashing
// first, as Root does), for the caller to store with its commit.
func (t *Tree) NewBlocks() []rhizome.Block {
	t.Root()
	out := t.fresh
	t.fresh, t.freshLinks = nil, nil
	return out
}

// hash encodes a dirty subtree bottom-up, marking its nodes clean.
func (t *Tree) hash(n *node) {
	if n.left.n != nil && n.left.n.dirty {
		t.hash(n.left.n)
	}
	for i := range n.entries {
		if r := n.entries[i].right.n; r != nil && r.dirty {
			t.hash(r)
		}
	}
	data := n.encode(make([]byte, 0, n.sizeHint()))
	n.cid = cid.Sum(cid.DagCBOR, data)
	n.dirty = false
	if t.rec == nil { // a recording tree is a throwaway proof; keep nothing
		t.fresh = append(t.fresh, rhizome.Block{CID: n.cid, Data: data})
		t.freshLinks = n.appendLinks(t.freshLinks)
		// Not cached: the tree itself holds its new nodes, and a tree
		// loaded later caches them on first read.
	}
}

// appendLinks appends the CIDs of n's present links.
func (n *node) appendLinks(out []cid.CID) []cid.CID {
	if n.left.present() {
		out = append(out, n.left.linkCID())
	}
	for i := range n.entries {
		if r := n.entries[i].right; r.present() {
			out = append(out, r.linkCID())
		}
	}
	return out
}

func (n *node) sizeHint() int {
	size := 48
	for i := range n.entries {
		size += len(n.entries[i].key) + 90
	}
	return size
}

// Snapshot returns a tree at t's current state that changes independently
// of t: both share the (immutable) hashed nodes.
func (t *Tree) Snapshot() *Tree {
	t.Root()
	return &Tree{src: t.src, cache: t.cache, root: t.root, rootC: t.rootC}
}
