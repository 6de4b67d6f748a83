package repo

import (
	"context"
	"io"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// WriteCAR streams the whole repository at head as a CAR file: the commit,
// then every MST node in pre-order, each followed by its records.
func WriteCAR(ctx context.Context, w io.Writer, bs rhizome.BlockReader, head cid.CID) error {
	cw, err := car.NewWriter(w, head)
	if err != nil {
		return err
	}
	r, err := Open(ctx, bs, head)
	if err != nil {
		return err
	}
	if err := cw.Put(head, r.head.Bytes()); err != nil {
		return err
	}
	err = r.tree.WalkNodes(ctx, func(n rhizome.Block, vals []cid.CID) error {
		if err := cw.Put(n.CID, n.Data); err != nil {
			return err
		}
		return putBlocks(ctx, cw, bs, vals)
	})
	if err != nil {
		return rhizome.E("write car", rhizome.KindOf(err), err)
	}
	return cw.Close()
}

// putBlocks reads cids in one batch and writes them to the CAR.
func putBlocks(ctx context.Context, cw *car.Writer, bs rhizome.BlockReader, cids []cid.CID) error {
	got, err := getAll(ctx, bs, cids)
	for i := 0; err == nil && i < len(cids); i++ {
		err = cw.Put(cids[i], got[i])
	}
	return err
}

// getAll reads cids in one batch; a missing block is a NotFound error.
func getAll(ctx context.Context, bs rhizome.BlockReader, cids []cid.CID) ([][]byte, error) {
	if len(cids) == 0 {
		return nil, nil
	}
	got, err := bs.GetBlocks(ctx, cids)
	if err != nil {
		return nil, err
	}
	for i, c := range cids {
		if got[i] == nil {
			return nil, rhizome.Errorf("", rhizome.NotFound, "block %s is missing", c)
		}
	}
	return got, nil
}

// WriteDiffCAR streams the blocks that the commit to adds over the commit
// from (as getRepo with `since` does): the new commit, the MST nodes from
// lacks, and the records to creates or updates.
func WriteDiffCAR(ctx context.Context, w io.Writer, bs rhizome.BlockReader, from, to cid.CID) error {
	old, err := Open(ctx, bs, from)
	if err != nil {
		return err
	}
	cur, err := Open(ctx, bs, to)
	if err != nil {
		return err
	}
	d, err := mst.Diff(ctx, old.tree, cur.tree)
	if err != nil {
		return err
	}
	cw, err := car.NewWriter(w, to)
	if err != nil {
		return err
	}
	if err := cw.Put(to, cur.head.Bytes()); err != nil {
		return err
	}
	if err := putBlocks(ctx, cw, bs, d.NewNodes); err != nil {
		return err
	}
	var recs []cid.CID
	for _, op := range d.Ops {
		if op.New.Defined() {
			recs = append(recs, op.New)
		}
	}
	if err := putBlocks(ctx, cw, bs, recs); err != nil {
		return err
	}
	return cw.Close()
}

// ImportOptions say what a CAR must prove. With Key set the commit
// signature is checked; with DID set the commit must be for that account.
type ImportOptions struct {
	DID syntax.DID
	Key keys.PublicKey
}

// Stats counts what a verification saw.
type Stats struct {
	Blocks  int64
	Bytes   int64
	Nodes   int
	Records int
}

// ReadCAR streams a repository CAR into bs and verifies it: every block's
// hash, the commit's form and (with opts.Key) signature, the MST's
// structure, and that every record the tree names is present. Blocks are
// written in batches, so memory stays bounded by the store, not the file.
func ReadCAR(ctx context.Context, r io.Reader, bs rhizome.Blocks, opts ImportOptions) (*Repo, Stats, error) {
	var st Stats
	roots, err := loadCAR(ctx, r, bs, &st)
	if err != nil {
		return nil, st, err
	}
	if len(roots) != 1 {
		return nil, st, rhizome.Errorf("read car", rhizome.Invalid, "CAR has %d roots, want 1", len(roots))
	}
	rp, err := Open(ctx, bs, roots[0])
	if err != nil {
		return nil, st, err
	}
	if err := rp.check(opts); err != nil {
		return nil, st, err
	}
	// The CAR reader has hashed every block already; only presence is left.
	nodes, recs, err := rp.verify(ctx, false)
	st.Nodes, st.Records = nodes, recs
	return rp, st, err
}

func loadCAR(ctx context.Context, r io.Reader, bs rhizome.BlockWriter, st *Stats) ([]cid.CID, error) {
	const batchBytes = 4 << 20
	var batch []rhizome.Block
	size := 0
	roots, err := car.ReadAll(r, func(c cid.CID, data []byte) error {
		batch = append(batch, rhizome.Block{CID: c, Data: data})
		size += len(data)
		st.Blocks++
		st.Bytes += int64(len(data))
		if size < batchBytes {
			return nil
		}
		err := bs.PutBlocks(ctx, batch)
		batch, size = nil, 0
		return err
	})
	if err == nil && len(batch) > 0 {
		err = bs.PutBlocks(ctx, batch)
	}
	return roots, err
}

func (r *Repo) check(opts ImportOptions) error {
	if opts.DID != "" && r.head.DID != opts.DID {
		return rhizome.Errorf("verify repo", rhizome.Invalid, "commit is for %s, not %s", r.head.DID, opts.DID)
	}
	if opts.Key != nil {
		return r.head.Verify(opts.Key)
	}
	return nil
}

// Verify walks the whole tree, checking its structure and that every record
// block is present and matches its CID. It returns the node and record
// counts.
func (r *Repo) Verify(ctx context.Context) (nodes, records int, err error) {
	return r.verify(ctx, true)
}

func (r *Repo) verify(ctx context.Context, rehash bool) (nodes, records int, err error) {
	err = r.tree.WalkNodes(ctx, func(_ rhizome.Block, vals []cid.CID) error {
		nodes++
		records += len(vals)
		return checkPresent(ctx, r.bs, vals, rehash)
	})
	if err != nil {
		err = rhizome.E("verify repo", rhizome.KindOf(err), err)
	}
	return nodes, records, err
}

func checkPresent(ctx context.Context, bs rhizome.BlockReader, cids []cid.CID, rehash bool) error {
	got, err := getAll(ctx, bs, cids)
	if err != nil || !rehash {
		return err
	}
	for i, c := range cids {
		if !c.Matches(got[i]) {
			return rhizome.Errorf("", rhizome.Corrupt, "record block %s does not match its hash", c)
		}
	}
	return nil
}
