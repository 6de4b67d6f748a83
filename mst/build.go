package mst

import (
	"cmp"
	"slices"

	"github.com/rhizome-pds/rhizome"
)

// Build returns the tree holding entries (in any order), built bottom-up in
// one pass instead of by repeated insertion: the bulk path for imports.
// Keys must be valid and unique. The tree reads through src afterwards.
func Build(src rhizome.BlockReader, entries []Entry) (*Tree, error) {
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.Key, b.Key) })
	heights := make([]int, len(sorted))
	top := 0
	for i, e := range sorted {
		if !ValidKey(e.Key) || !e.Val.Defined() {
			return nil, rhizome.Errorf("mst build", rhizome.Invalid, "invalid entry %q", e.Key)
		}
		if i > 0 && sorted[i-1].Key == e.Key {
			return nil, rhizome.Errorf("mst build", rhizome.Invalid, "key %q appears twice", e.Key)
		}
		heights[i] = Height(e.Key)
		top = max(top, heights[i])
	}
	t := New(src)
	if len(sorted) > 0 {
		b := builder{entries: sorted, heights: heights}
		t.root = b.build(0, len(sorted), top)
	}
	return t, nil
}

type builder struct {
	entries []Entry
	heights []int
}

// build makes the subtree at level holding entries[lo:hi], or nil if the
// range is empty.
func (b *builder) build(lo, hi, level int) *node {
	if lo >= hi {
		return nil
	}
	n := &node{dirty: true, level: level}
	if level == 0 {
		n.entries = make([]entry, 0, hi-lo)
		for _, e := range b.entries[lo:hi] {
			n.entries = append(n.entries, entry{key: e.Key, val: e.Val})
		}
		return n
	}
	start := lo
	for i := lo; i < hi; i++ {
		if b.heights[i] != level {
			continue
		}
		n.setLink(len(n.entries)-1, nodeLink(b.build(start, i, level-1)))
		n.entries = append(n.entries, entry{key: b.entries[i].Key, val: b.entries[i].Val})
		start = i + 1
	}
	n.setLink(len(n.entries)-1, nodeLink(b.build(start, hi, level-1)))
	return n
}
