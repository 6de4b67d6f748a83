package mst

import (
	"context"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Delete removes key and returns the value it held. Deleting a key that is
// not there is a NotFound error and leaves the tree unchanged.
func (t *Tree) Delete(ctx context.Context, key string) (cid.CID, error) {
	if !ValidKey(key) {
		return cid.CID{}, errKey("mst delete", key)
	}
	root, err := t.rootNode(ctx)
	if err != nil {
		return cid.CID{}, err
	}
	n, prev, err := t.del(ctx, root, bounds{}, key, Height(key))
	if err != nil {
		return cid.CID{}, err
	}
	if n, err = t.trim(ctx, n); err != nil {
		return cid.CID{}, err
	}
	t.root = n
	return prev, nil
}

func errNoKey(key string) error {
	return rhizome.Errorf("mst delete", rhizome.NotFound, "no key %q", key)
}

// del removes key from the subtree n; the result may be empty.
func (t *Tree) del(ctx context.Context, n *node, bnd bounds, key string, h int) (*node, cid.CID, error) {
	if h > n.level {
		return nil, cid.CID{}, errNoKey(key)
	}
	i, found := n.search(key)
	if h == n.level {
		if !found {
			return nil, cid.CID{}, errNoKey(key)
		}
		return t.removeHere(ctx, n, bnd, i)
	}
	c, cb, err := t.child(ctx, n, i-1, bnd)
	if err != nil {
		return nil, cid.CID{}, err
	}
	if c == nil {
		return nil, cid.CID{}, errNoKey(key)
	}
	nc, prev, err := t.del(ctx, c, cb, key, h)
	if err != nil {
		return nil, cid.CID{}, err
	}
	m := mut(n)
	m.setLink(i-1, nodeLink(nilIfEmpty(nc)))
	return m, prev, nil
}

// removeHere drops entry i of n and merges the subtrees on either side of it.
// When one side is absent the other moves up as it is, unread: that is what
// lets a consumer invert a commit with only the nodes the commit touched.
func (t *Tree) removeHere(ctx context.Context, n *node, bnd bounds, i int) (*node, cid.CID, error) {
	prev := n.entries[i].val
	if ll, rl := n.linkAt(i-1), n.linkAt(i); !ll.present() || !rl.present() {
		m := mut(n)
		rl = m.linkAt(i) // mut resolved what n had memoised
		m.entries = slices.Delete(m.entries, i, i+1)
		if !ll.present() {
			m.setLink(i-1, rl)
		}
		return m, prev, nil
	}
	l, lb, err := t.child(ctx, n, i-1, bnd)
	if err != nil {
		return nil, cid.CID{}, err
	}
	r, rb, err := t.child(ctx, n, i, bnd)
	if err != nil {
		return nil, cid.CID{}, err
	}
	merged, err := t.merge(ctx, l, lb, r, rb)
	if err != nil {
		return nil, cid.CID{}, err
	}
	m := mut(n)
	m.entries = slices.Delete(m.entries, i, i+1)
	m.setLink(i-1, nodeLink(merged))
	return m, prev, nil
}

// merge joins two adjacent subtrees of one level, a's keys all below b's.
func (t *Tree) merge(ctx context.Context, a *node, ab bounds, b *node, bb bounds) (*node, error) {
	if a == nil {
		return b, nil
	}
	if b == nil {
		return a, nil
	}
	last := len(a.entries) - 1
	ac, acb, err := t.child(ctx, a, last, ab)
	if err != nil {
		return nil, err
	}
	bc, bcb, err := t.child(ctx, b, -1, bb)
	if err != nil {
		return nil, err
	}
	mc, err := t.merge(ctx, ac, acb, bc, bcb)
	if err != nil {
		return nil, err
	}
	m := &node{dirty: true, level: a.level, left: a.left}
	m.entries = append(slices.Clone(a.entries), b.entries...)
	m.setLink(last, nodeLink(mc))
	return m, nil
}

// trim removes root levels that hold no entries, so the root is the highest
// level with a key, or an empty level-0 node for an empty tree. It must read
// each child it lifts: an inner node may hold no entries of its own.
func (t *Tree) trim(ctx context.Context, n *node) (*node, error) {
	for len(n.entries) == 0 && n.left.present() {
		c, _, err := t.child(ctx, n, -1, bounds{})
		if err != nil {
			return nil, err
		}
		n = c
	}
	if n.empty() && n.level != 0 {
		return &node{dirty: true}, nil
	}
	return n, nil
}
