package mst

import (
	"sync/atomic"

	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

// MaxEntries bounds the entries of one node. A balanced tree averages four;
// the bound only stops hostile blocks from making us allocate without limit.
const MaxEntries = 1 << 16

// bounds are the exclusive key limits a node's keys must fall within; an
// empty string means unbounded on that side.
type bounds struct{ lo, hi string }

func (b bounds) contains(k string) bool {
	return (b.lo == "" || k > b.lo) && (b.hi == "" || k < b.hi)
}

// decodeNode parses and checks a node block. level is the level the parent
// implies, or -1 for a root, whose level comes from its keys.
func decodeNode(c cid.CID, data []byte, level int, bnd bounds) (*node, error) {
	if c.Codec() != cid.DagCBOR {
		return nil, errInvalid("node %s is not dag-cbor", c)
	}
	r := cbor.NewReader(data)
	n := &node{cid: c, level: level}
	if err := n.decodeFields(r); err != nil {
		return nil, errInvalid("node %s: %v", c, err)
	}
	if err := n.check(bnd); err != nil {
		return nil, errInvalid("node %s: %v", c, err)
	}
	n.kids = make([]atomic.Pointer[node], len(n.entries)+1)
	return n, nil
}

func (n *node) decodeFields(r *cbor.Reader) error {
	if err := expectMap(r, 2); err != nil {
		return err
	}
	if err := expectKey(r, "e"); err != nil {
		return err
	}
	if err := n.decodeEntries(r); err != nil {
		return err
	}
	if err := expectKey(r, "l"); err != nil {
		return err
	}
	l, err := readOptLink(r)
	if err != nil {
		return err
	}
	n.left = l
	return r.Done()
}

func (n *node) decodeEntries(r *cbor.Reader) error {
	count, err := r.ReadArrayHeader()
	if err != nil {
		return err
	}
	if count > MaxEntries {
		return errInvalid("%d entries exceed the limit of %d", count, MaxEntries)
	}
	n.entries = make([]entry, count)
	prev := ""
	for i := range n.entries {
		e := &n.entries[i]
		if err := e.decode(r, prev); err != nil {
			return err
		}
		if i > 0 && e.key <= prev {
			return errInvalid("key %q is not after %q", e.key, prev)
		}
		prev = e.key
	}
	return nil
}

func (e *entry) decode(r *cbor.Reader, prev string) error {
	if err := expectMap(r, 4); err != nil {
		return err
	}
	if err := expectKey(r, "k"); err != nil {
		return err
	}
	suffix, err := r.ReadBytes()
	if err != nil {
		return err
	}
	if err := expectKey(r, "p"); err != nil {
		return err
	}
	p, err := r.ReadInt()
	if err != nil {
		return err
	}
	if p < 0 || p > int64(len(prev)) {
		return errInvalid("prefix length %d out of range", p)
	}
	e.key = prev[:p] + string(suffix)
	if commonPrefix(prev, e.key) != int(p) {
		return errInvalid("key %q: prefix length %d is not maximal", e.key, p)
	}
	if err := expectKey(r, "t"); err != nil {
		return err
	}
	if e.right, err = readOptLink(r); err != nil {
		return err
	}
	if err := expectKey(r, "v"); err != nil {
		return err
	}
	e.val, err = r.ReadLink()
	return err
}

// check enforces the structural rules that need the whole node.
func (n *node) check(bnd bounds) error {
	if len(n.entries) == 0 {
		return n.checkEmpty()
	}
	if n.level < 0 {
		n.level = Height(n.entries[0].key)
	}
	for i := range n.entries {
		e := &n.entries[i]
		if !ValidKey(e.key) {
			return errInvalid("invalid key %q", e.key)
		}
		if h := Height(e.key); h != n.level {
			return errInvalid("key %q has height %d in a node at level %d", e.key, h, n.level)
		}
		if !bnd.contains(e.key) {
			return errInvalid("key %q lies outside its subtree's range", e.key)
		}
		if n.level == 0 && e.right.present() {
			return errInvalid("leaf-level node has a subtree")
		}
	}
	if n.level == 0 && n.left.present() {
		return errInvalid("leaf-level node has a subtree")
	}
	return nil
}

func (n *node) checkEmpty() error {
	switch {
	case n.level < 0 && n.left.present():
		return errInvalid("root has no entries but a subtree: tree is not trimmed")
	case n.level >= 0 && !n.left.present():
		return errInvalid("empty subtree")
	case n.level == 0:
		return errInvalid("leaf-level node has a subtree")
	case n.level < 0:
		n.level = 0
	}
	return nil
}

func expectMap(r *cbor.Reader, size int) error {
	n, err := r.ReadMapHeader()
	if err != nil {
		return err
	}
	if n != size {
		return errInvalid("map has %d fields, want %d", n, size)
	}
	return nil
}

func expectKey(r *cbor.Reader, want string) error {
	k, err := r.ReadKeyBytes(nil, true)
	if err != nil {
		return err
	}
	if string(k) != want {
		return errInvalid("field %q where %q belongs", k, want)
	}
	return nil
}

func readOptLink(r *cbor.Reader) (link, error) {
	if r.ReadNull() {
		return link{}, nil
	}
	c, err := r.ReadLink()
	if err != nil {
		return link{}, err
	}
	if c.Codec() != cid.DagCBOR {
		return link{}, errInvalid("subtree link %s is not dag-cbor", c)
	}
	return link{cid: c}, nil
}
