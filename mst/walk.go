package mst

import (
	"context"
	"errors"
	"strings"

	"github.com/rhizome-pds/rhizome/cid"
)

// Stop, returned by a walk callback, ends the walk without error.
var Stop = errors.New("stop walk")

// Entry is one key and its value.
type Entry struct {
	Key string
	Val cid.CID
}

// Walk calls fn for every key ≥ from, in ascending order.
func (t *Tree) Walk(ctx context.Context, from string, fn func(key string, val cid.CID) error) error {
	root, err := t.rootNode(ctx)
	if err != nil {
		return err
	}
	if err := t.walk(ctx, root, bounds{}, from, fn); err != Stop {
		return err
	}
	return nil
}

func (t *Tree) walk(ctx context.Context, n *node, bnd bounds, from string, fn func(string, cid.CID) error) error {
	i, _ := n.search(from)
	for j := i - 1; j < len(n.entries); j++ {
		if j >= i {
			if err := fn(n.entries[j].key, n.entries[j].val); err != nil {
				return err
			}
		}
		c, cb, err := t.child(ctx, n, j, bnd)
		if err != nil {
			return err
		}
		if c != nil {
			if err := t.walk(ctx, c, cb, from, fn); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// WalkReverse calls fn for every key < before (every key, if before is
// empty), in descending order.
func (t *Tree) WalkReverse(ctx context.Context, before string, fn func(key string, val cid.CID) error) error {
	root, err := t.rootNode(ctx)
	if err != nil {
		return err
	}
	if before == "" {
		before = "\xff"
	}
	if err := t.walkReverse(ctx, root, bounds{}, before, fn); err != Stop {
		return err
	}
	return nil
}

func (t *Tree) walkReverse(ctx context.Context, n *node, bnd bounds, before string, fn func(string, cid.CID) error) error {
	i, _ := n.search(before)
	for j := i - 1; j >= -1; j-- {
		c, cb, err := t.child(ctx, n, j, bnd)
		if err != nil {
			return err
		}
		if c != nil {
			if err := t.walkReverse(ctx, c, cb, before, fn); err != nil {
				return err
			}
		}
		if j >= 0 {
			if err := fn(n.entries[j].key, n.entries[j].val); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}

// List returns up to limit entries whose keys start with prefix, after the
// cursor key (exclusive; empty starts at the beginning), ascending; or, if
// reverse, before the cursor, descending. It serves listRecords: prefix is
// "collection/" and the cursor is "collection/rkey".
func (t *Tree) List(ctx context.Context, prefix, cursor string, limit int, reverse bool) ([]Entry, error) {
	var out []Entry
	collect := func(k string, v cid.CID) error {
		if !strings.HasPrefix(k, prefix) || len(out) >= limit {
			return Stop
		}
		if k != cursor {
			out = append(out, Entry{k, v})
		}
		return nil
	}
	if limit <= 0 {
		return nil, nil
	}
	if reverse {
		before := cursor
		if before == "" {
			before = prefixEnd(prefix)
		}
		return out, t.WalkReverse(ctx, before, collect)
	}
	from := max(cursor, prefix)
	return out, t.Walk(ctx, from, collect)
}

// prefixEnd returns the smallest string greater than every string with the
// given prefix ("" if there is none).
func prefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
