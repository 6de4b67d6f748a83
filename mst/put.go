package mst

import (
	"context"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

func nodeLink(n *node) link {
	if n == nil {
		return link{}
	}
	if n.dirty {
		return link{n: n}
	}
	return link{cid: n.cid, n: n}
}

// mut returns a node of t's own to change: n itself if dirty, else a copy.
func mut(n *node) *node {
	if n.dirty {
		return n
	}
	m := &node{dirty: true, level: n.level, left: n.left, entries: slices.Clone(n.entries)}
	if n.kids != nil {
		m.left.n = n.kids[0].Load()
		for i := range m.entries {
			m.entries[i].right.n = n.kids[i+1].Load()
		}
	}
	return m
}

func (n *node) empty() bool { return len(n.entries) == 0 && !n.left.present() }

func errKey(op, key string) error {
	return rhizome.Errorf(op, rhizome.Invalid, "invalid key %q", key)
}

// Put stores val under key and returns the value it replaced, if any.
func (t *Tree) Put(ctx context.Context, key string, val cid.CID) (cid.CID, error) {
	if !ValidKey(key) {
		return cid.CID{}, errKey("mst put", key)
	}
	if !val.Defined() {
		return cid.CID{}, rhizome.E("mst put", rhizome.Invalid, "undefined value CID")
	}
	root, err := t.rootNode(ctx)
	if err != nil {
		return cid.CID{}, err
	}
	h := Height(key)
	root = t.grow(root, h)
	n, prev, err := t.put(ctx, root, bounds{}, key, h, val)
	if err != nil {
		return cid.CID{}, err
	}
	t.root = n
	return prev, nil
}

// grow adds levels above root until it can hold a key of height h.
func (t *Tree) grow(root *node, h int) *node {
	if root.level >= h {
		return root
	}
	if root.empty() {
		r := mut(root)
		r.level = h
		return r
	}
	for root.level < h {
		root = &node{dirty: true, level: root.level + 1, left: nodeLink(root)}
	}
	return root
}

func (t *Tree) put(ctx context.Context, n *node, bnd bounds, key string, h int, val cid.CID) (*node, cid.CID, error) {
	i, found := n.search(key)
	if h == n.level && found {
		prev := n.entries[i].val
		if prev == val {
			return n, prev, nil
		}
		m := mut(n)
		m.entries[i].val = val
		return m, prev, nil
	}
	c, cb, err := t.child(ctx, n, i-1, bnd)
	if err != nil {
		return nil, cid.CID{}, err
	}
	if h == n.level {
		return t.insertHere(ctx, n, i, c, cb, key, val)
	}
	orig := c
	if c == nil {
		c = &node{dirty: true, level: n.level - 1}
	}
	nc, prev, err := t.put(ctx, c, cb, key, h, val)
	if err != nil || nc == orig {
		return n, prev, err
	}
	m := mut(n)
	m.setLink(i-1, nodeLink(nc))
	return m, prev, nil
}

// insertHere adds a new entry at index i of n, splitting the subtree c that
// held the gap the key falls in.
func (t *Tree) insertHere(ctx context.Context, n *node, i int, c *node, cb bounds, key string, val cid.CID) (*node, cid.CID, error) {
	var l, r *node
	if c != nil {
		var err error
		if l, r, err = t.split(ctx, c, cb, key); err != nil {
			return nil, cid.CID{}, err
		}
	}
	m := mut(n)
	m.entries = slices.Insert(m.entries, i, entry{key: key, val: val, right: nodeLink(r)})
	m.setLink(i-1, nodeLink(l))
	return m, cid.CID{}, nil
}

// split divides the subtree n into the parts below and above key, which it
// does not contain. A part with nothing in it is nil.
func (t *Tree) split(ctx context.Context, n *node, bnd bounds, key string) (*node, *node, error) {
	i, _ := n.search(key)
	c, cb, err := t.child(ctx, n, i-1, bnd)
	if err != nil {
		return nil, nil, err
	}
	var cl, cr *node
	if c != nil {
		if cl, cr, err = t.split(ctx, c, cb, key); err != nil {
			return nil, nil, err
		}
	}
	l := &node{dirty: true, level: n.level, left: n.left, entries: slices.Clone(n.entries[:i])}
	l.setLink(i-1, nodeLink(cl))
	r := &node{dirty: true, level: n.level, left: nodeLink(cr), entries: slices.Clone(n.entries[i:])}
	return nilIfEmpty(l), nilIfEmpty(r), nil
}

func nilIfEmpty(n *node) *node {
	if n == nil || n.empty() {
		return nil
	}
	return n
}
