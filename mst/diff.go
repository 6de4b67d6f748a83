package mst

import (
	"context"

	"github.com/rhizome-pds/rhizome/cid"
)

// Op is one record change between two trees. Old is undefined for a
// creation, New for a deletion.
type Op struct {
	Key      string
	Old, New cid.CID
}

// IsCreate, IsUpdate and IsDelete classify an Op.
func (o Op) IsCreate() bool { return !o.Old.Defined() && o.New.Defined() }
func (o Op) IsUpdate() bool { return o.Old.Defined() && o.New.Defined() }
func (o Op) IsDelete() bool { return o.Old.Defined() && !o.New.Defined() }

// Difference is what changed from one tree to another.
type Difference struct {
	Ops      []Op      // by key, ascending
	NewNodes []cid.CID // nodes of the new tree the old one lacks
	OldNodes []cid.CID // nodes of the old tree the new one lacks
}

// Diff compares two trees, reading only the nodes that differ: subtrees
// with equal CIDs at aligned positions are skipped whole. Nodes a subtree
// moved between positions may appear in both node lists.
func Diff(ctx context.Context, a, b *Tree) (*Difference, error) {
	wa, err := newWalker(ctx, a)
	if err != nil {
		return nil, err
	}
	wb, err := newWalker(ctx, b)
	if err != nil {
		return nil, err
	}
	d := &Difference{}
	for err == nil {
		var done bool
		done, err = d.step(ctx, wa, wb)
		if done {
			break
		}
	}
	return d, err
}

// step makes one move of the merge between the two walkers.
func (d *Difference) step(ctx context.Context, wa, wb *walker) (bool, error) {
	x, y := wa.cur(), wb.cur()
	switch {
	case x.done && y.done:
		return true, nil
	case x.done:
		return false, d.take(ctx, wb, &d.NewNodes, func(k string, v cid.CID) Op { return Op{Key: k, New: v} })
	case y.done:
		return false, d.take(ctx, wa, &d.OldNodes, func(k string, v cid.CID) Op { return Op{Key: k, Old: v} })
	case x.tree && y.tree && x.cid() == y.cid():
		wa.advance()
		wb.advance()
		return false, nil
	case x.tree || y.tree:
		return false, d.expand(ctx, wa, wb, x, y)
	}
	d.mergeLeaves(wa, wb, x, y)
	return false, nil
}

// take consumes the current item of w, which the other side lacks.
func (d *Difference) take(ctx context.Context, w *walker, nodes *[]cid.CID, op func(string, cid.CID) Op) error {
	it := w.cur()
	if it.tree {
		*nodes = append(*nodes, it.cid())
		return w.stepInto(ctx)
	}
	d.Ops = append(d.Ops, op(it.key, it.val))
	w.advance()
	return nil
}

// expand steps into the higher of two differing subtrees (both if level),
// or into the subtree when the other side is a leaf.
func (d *Difference) expand(ctx context.Context, wa, wb *walker, x, y item) error {
	intoA := x.tree && (!y.tree || x.level >= y.level)
	intoB := y.tree && (!x.tree || y.level >= x.level)
	if intoA {
		d.OldNodes = append(d.OldNodes, x.cid())
		if err := wa.stepInto(ctx); err != nil {
			return err
		}
	}
	if intoB {
		d.NewNodes = append(d.NewNodes, y.cid())
		return wb.stepInto(ctx)
	}
	return nil
}

func (d *Difference) mergeLeaves(wa, wb *walker, x, y item) {
	switch {
	case x.key == y.key:
		if x.val != y.val {
			d.Ops = append(d.Ops, Op{Key: x.key, Old: x.val, New: y.val})
		}
		wa.advance()
		wb.advance()
	case x.key < y.key:
		d.Ops = append(d.Ops, Op{Key: x.key, Old: x.val})
		wa.advance()
	default:
		d.Ops = append(d.Ops, Op{Key: y.key, New: y.val})
		wb.advance()
	}
}

// item is a walker's position: a leaf entry or a subtree.
type item struct {
	done, tree bool
	key        string
	val        cid.CID
	link       link
	level      int
	bnd        bounds
}

func (it item) cid() cid.CID {
	if it.link.n != nil {
		return it.link.n.cid
	}
	return it.link.cid
}

// frame is a node being walked; pos counts through its sequence
// link(-1), entry 0, link(0), entry 1, ... .
type frame struct {
	n   *node
	bnd bounds
	pos int
}

type walker struct {
	t     *Tree
	stack []frame
	top   item // the root, before it is stepped into
}

func newWalker(ctx context.Context, t *Tree) (*walker, error) {
	t.Root()
	root, err := t.rootNode(ctx)
	if err != nil {
		return nil, err
	}
	w := &walker{t: t, top: item{tree: true, link: nodeLink(root), level: root.level}}
	if root.empty() {
		w.top = item{done: true}
	}
	return w, nil
}

func (w *walker) cur() item {
	if len(w.stack) == 0 {
		return w.top
	}
	f := &w.stack[len(w.stack)-1]
	if f.pos%2 == 1 {
		e := &f.n.entries[f.pos/2]
		return item{key: e.key, val: e.val, level: f.n.level}
	}
	i := f.pos/2 - 1
	return item{tree: true, link: f.n.linkAt(i), level: f.n.level - 1, bnd: f.n.childBounds(i, f.bnd)}
}

// advance moves past the current item, skipping absent links.
func (w *walker) advance() {
	if len(w.stack) == 0 {
		w.top = item{done: true}
		return
	}
	for len(w.stack) > 0 {
		f := &w.stack[len(w.stack)-1]
		f.pos++
		if f.pos > 2*len(f.n.entries) {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		if f.pos%2 == 1 || f.n.linkAt(f.pos/2-1).present() {
			return
		}
	}
	w.top = item{done: true}
}

// stepInto replaces the current subtree by its contents. The parent frame
// stays on the link until the child frame is exhausted.
func (w *walker) stepInto(ctx context.Context) error {
	it := w.cur()
	n := it.link.n
	if n == nil {
		var err error
		if n, err = w.t.load(ctx, it.link.cid, it.level, it.bnd); err != nil {
			return err
		}
	}
	w.stack = append(w.stack, frame{n: n, bnd: it.bnd, pos: -1})
	w.advance()
	return nil
}
