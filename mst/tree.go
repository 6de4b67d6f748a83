package mst

import (
	"context"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
)

// Tree is a lazily loaded MST. A Tree is not safe for concurrent use, but
// trees sharing a Cache may be used from different goroutines.
type Tree struct {
	src   rhizome.BlockReader
	cache *Cache
	root  *node // nil until loaded
	rootC cid.CID
	fresh []rhizome.Block // nodes hashed since the last NewBlocks
	// freshLinks are the CIDs the fresh nodes link to (for Dropped).
	freshLinks []cid.CID
	rec        *recording // if set, the stored nodes operations reach
}

// recording lists the clean (stored) nodes a tree's operations reach, in
// first-reached order.
type recording struct {
	seen  map[cid.CID]bool
	order []cid.CID
}

func (t *Tree) note(n *node) {
	if t.rec == nil || n == nil || n.dirty || t.rec.seen[n.cid] {
		return
	}
	t.rec.seen[n.cid] = true
	t.rec.order = append(t.rec.order, n.cid)
}

// Cache holds decoded, checked, immutable nodes by CID so trees over the
// same store need not decode a node twice. It is safe for concurrent use.
type Cache struct {
	mu  sync.RWMutex
	m   map[cid.CID]*node
	max int
}

// NewCache returns a cache holding at most max nodes (0 means 65536).
func NewCache(max int) *Cache {
	if max <= 0 {
		max = 1 << 16
	}
	return &Cache{m: make(map[cid.CID]*node), max: max}
}

func (c *Cache) get(k cid.CID) *node {
	c.mu.RLock()
	n := c.m[k]
	c.mu.RUnlock()
	return n
}

func (c *Cache) put(n *node) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		for k := range c.m { // evict an arbitrary tenth: cheap and good enough
			delete(c.m, k)
			if len(c.m) < c.max-c.max/10 {
				break
			}
		}
	}
	c.m[n.cid] = n
	c.mu.Unlock()
}

// New returns an empty tree that reads through src.
func New(src rhizome.BlockReader) *Tree {
	return &Tree{src: src, cache: NewCache(0), root: &node{dirty: true}}
}

// Load returns the tree whose root node is root. Nothing is read until an
// operation needs it.
func Load(src rhizome.BlockReader, root cid.CID) *Tree {
	return &Tree{src: src, cache: NewCache(0), rootC: root}
}

// WithCache makes t share c with other trees over the same store.
func (t *Tree) WithCache(c *Cache) *Tree {
	t.cache = c
	return t
}

// rootNode loads the root node if needed.
func (t *Tree) rootNode(ctx context.Context) (*node, error) {
	if t.root != nil {
		t.note(t.root)
		return t.root, nil
	}
	n, err := t.load(ctx, t.rootC, -1, bounds{})
	if err != nil {
		return nil, err
	}
	t.root = n
	t.note(n)
	return n, nil
}

// child resolves the link at position i of n (-1 is the left link). bnd is
// n's key range; the child's range comes back with it.
func (t *Tree) child(ctx context.Context, n *node, i int, bnd bounds) (*node, bounds, error) {
	cb := n.childBounds(i, bnd)
	l := n.linkAt(i)
	if l.n != nil {
		t.note(l.n)
		return l.n, cb, nil
	}
	if !l.cid.Defined() {
		return nil, cb, nil
	}
	if n.kids != nil {
		if c := n.kids[i+1].Load(); c != nil {
			t.note(c)
			return c, cb, nil
		}
	}
	c, err := t.load(ctx, l.cid, n.level-1, cb)
	if err == nil {
		t.note(c)
		if n.kids != nil {
			n.kids[i+1].Store(c)
		}
	}
	return c, cb, err
}

func (t *Tree) load(ctx context.Context, c cid.CID, level int, bnd bounds) (*node, error) {
	if n := t.cache.get(c); n != nil {
		if (level >= 0 && n.level != level) || !n.within(bnd) {
			return nil, errInvalid("node %s appears at two places in the tree", c)
		}
		return n, nil
	}
	data, err := rhizome.GetBlock(ctx, t.src, c)
	if err != nil {
		return nil, err
	}
	if !c.Matches(data) {
		return nil, rhizome.Errorf("load mst node", rhizome.Corrupt, "block %s does not match its hash", c)
	}
	n, err := decodeNode(c, data, level, bnd)
	if err != nil {
		return nil, err
	}
	t.cache.put(n)
	return n, nil
}

// within reports whether the node's keys fit bnd (checked again when a cached
// node is reached by another path).
func (n *node) within(bnd bounds) bool {
	if len(n.entries) == 0 {
		return true
	}
	return bnd.contains(n.entries[0].key) && bnd.contains(n.entries[len(n.entries)-1].key)
}

func (n *node) linkAt(i int) link {
	if i < 0 {
		return n.left
	}
	return n.entries[i].right
}

func (n *node) setLink(i int, l link) {
	if i < 0 {
		n.left = l
	} else {
		n.entries[i].right = l
	}
}

// childBounds returns the key range of the subtree at link i.
func (n *node) childBounds(i int, bnd bounds) bounds {
	b := bnd
	if i >= 0 {
		b.lo = n.entries[i].key
	}
	if i+1 < len(n.entries) {
		b.hi = n.entries[i+1].key
	}
	return b
}

// search returns the index of the first entry with key ≥ key and whether it
// is equal.
func (n *node) search(key string) (int, bool) {
	lo, hi := 0, len(n.entries)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.entries[m].key < key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(n.entries) && n.entries[lo].key == key
}

// Get returns the value stored under key, and whether there is one.
func (t *Tree) Get(ctx context.Context, key string) (cid.CID, bool, error) {
	n, err := t.rootNode(ctx)
	var bnd bounds
	for n != nil && err == nil {
		i, ok := n.search(key)
		if ok {
			return n.entries[i].val, true, nil
		}
		n, bnd, err = t.child(ctx, n, i-1, bnd)
	}
	return cid.CID{}, false, err
}
