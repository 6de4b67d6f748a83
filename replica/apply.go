package replica

import (
	"bytes"
	"context"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// errResync says the replica cannot apply a commit onto its head and must
// fetch the repository again.
var errResync = rhizome.E("apply replicated commit", rhizome.Conflict, "the commit does not chain onto the replica's head")

// applyCommit verifies a #commit of the replica's DID and applies it:
// signature by the DID's key, since = the replica's rev, ops inverted to
// prevData = the replica's tree, and the ops applied to the replica's
// tree give the commit's tree. Commits at or below the replica's rev were
// applied already. errResync if it does not chain.
func (f *Follower) applyCommit(ctx context.Context, ev *repo.CommitEvent, since syntax.TID) error {
	h, err := f.m.d.PDS.Store().Head(ctx, f.did)
	if err != nil {
		return err
	}
	if ev.Rev <= h.Rev {
		return nil
	}
	c, proof, err := repo.VerifyCommitEvent(ctx, ev, f.key())
	if err != nil && rhizome.Is(err, rhizome.Unauthorized) || err != nil && strings.Contains(err.Error(), "signature") {
		f.refreshKey(ctx)
		c, proof, err = repo.VerifyCommitEvent(ctx, ev, f.key())
	}
	if err != nil {
		f.m.log.Warn("replica: a commit from the primary does not verify; fetching the repository again", "did", f.did, "rev", ev.Rev, "err", err)
		return errResync
	}
	if since != h.Rev || proof != repo.ProvenInversion || *ev.PrevData != h.Data {
		return errResync
	}
	blocks, err := eventBlocks(ev.Blocks)
	if err != nil {
		return err
	}
	sc, err := f.commitOnto(ctx, h, c, ev, blocks)
	if err != nil {
		return err
	}
	if err := f.fetchBlobs(ctx, sc.Ops); err != nil {
		return err
	}
	if err := f.m.d.PDS.ApplyReplicated(ctx, f.did, sc); err != nil {
		f.tree = nil
		return err
	}
	f.tree, f.treeHead = f.next, sc.Head.Commit
	return nil
}

// commitOnto applies ev's ops to the replica's tree at h and returns the
// store commit whose head is the primary's signed commit.
func (f *Follower) commitOnto(ctx context.Context, h store.Head, c *repo.Commit, ev *repo.CommitEvent, blocks map[cid.CID][]byte) (store.Commit, error) {
	if f.tree == nil || f.treeHead != h.Commit {
		f.tree = mst.Load(f.m.d.PDS.Store().RepoBlocks(f.did), h.Data)
	}
	next := f.tree.Snapshot()
	sc := store.Commit{Prev: h.Commit, Head: store.Head{DID: f.did, Commit: ev.Commit, Rev: c.Rev, Data: c.Data}}
	for _, op := range ev.Ops {
		rop, blk, err := applyOp(ctx, next, op, blocks)
		if err != nil {
			return store.Commit{}, err
		}
		sc.Ops = append(sc.Ops, rop)
		if blk.CID.Defined() {
			sc.Blocks = append(sc.Blocks, blk)
		}
	}
	if next.Root() != c.Data {
		return store.Commit{}, errResync
	}
	dropped, err := next.Dropped(ctx, f.tree)
	if err != nil {
		return store.Commit{}, err
	}
	sc.Drop = append(dropped, h.Commit)
	sc.Blocks = append(append(sc.Blocks, next.NewBlocks()...), rhizome.Block{CID: ev.Commit, Data: blocks[ev.Commit]})
	f.next = next
	return sc, nil
}

// applyOp applies one op to tree and returns its record-index change and
// the record's block (none for a delete).
func applyOp(ctx context.Context, tree *mst.Tree, op repo.EventOp, blocks map[cid.CID][]byte) (store.RecordOp, rhizome.Block, error) {
	c, k, _ := strings.Cut(op.Path, "/")
	coll, err1 := syntax.ParseNSID(c)
	rkey, err2 := syntax.ParseRecordKey(k)
	if err1 != nil || err2 != nil {
		return store.RecordOp{}, rhizome.Block{}, rhizome.Errorf("apply replicated commit", rhizome.Invalid, "record path %q is not collection/rkey", op.Path)
	}
	rop := store.RecordOp{Collection: coll, RKey: rkey}
	if op.CID == nil {
		_, err := tree.Delete(ctx, op.Path)
		return rop, rhizome.Block{}, err
	}
	b, ok := blocks[*op.CID]
	if !ok {
		return store.RecordOp{}, rhizome.Block{}, rhizome.Errorf("apply replicated commit", rhizome.Invalid, "the commit lacks record %s", *op.CID)
	}
	rec, err := data.DecodeRecord(b)
	if err != nil {
		return store.RecordOp{}, rhizome.Block{}, err
	}
	for _, bl := range data.Blobs(rec) {
		rop.Blobs = append(rop.Blobs, bl.Ref)
	}
	rop.CID = *op.CID
	_, err = tree.Put(ctx, op.Path, *op.CID)
	return rop, rhizome.Block{CID: *op.CID, Data: b}, err
}

// eventBlocks reads a commit event's CAR slice (hash-checked).
func eventBlocks(b []byte) (map[cid.CID][]byte, error) {
	out := map[cid.CID][]byte{}
	_, err := car.ReadAll(bytes.NewReader(b), func(c cid.CID, d []byte) error {
		out[c] = bytes.Clone(d)
		return nil
	})
	return out, err
}

// resync fetches the whole repository from the primary, verifies it
// against the DID's key and replaces the replica's copy with it (or, the
// first time, creates the replica's account with it), then fetches the
// blobs it lacks.
func (f *Follower) resync(ctx context.Context) error {
	staging := mem.NewBlocks()
	imported, err := f.fetchRepo(ctx, staging)
	if err != nil && rhizome.Is(err, rhizome.Unauthorized) {
		f.refreshKey(ctx)
		staging = mem.NewBlocks()
		imported, err = f.fetchRepo(ctx, staging)
	}
	if err != nil {
		return err
	}
	f.tree = nil
	st := f.m.d.PDS.Store()
	h, err := st.Head(ctx, f.did)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		if err := f.create(ctx, imported, staging); err != nil {
			return err
		}
	case err != nil:
		return err
	case imported.Rev() > h.Rev:
		c, err := pds.SnapshotCommit(ctx, f.did, imported, staging, h.Commit)
		if err != nil {
			return err
		}
		if err := f.m.d.PDS.ApplyReplicated(ctx, f.did, c); err != nil {
			return err
		}
	}
	f.m.log.Info("replica: repository fetched from the primary", "did", f.did, "rev", imported.Rev())
	return f.fetchAllBlobs(ctx)
}

func (f *Follower) fetchRepo(ctx context.Context, staging *mem.Blocks) (*repo.Repo, error) {
	rc, err := f.pr.repo(ctx, f.did)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	key := f.key()
	if key == nil {
		return nil, rhizome.Errorf("fetch repository", rhizome.Invalid, "%s names no #atproto key to verify its repository with", f.did)
	}
	r, _, err := repo.ReadCAR(ctx, rc, staging, repo.ImportOptions{DID: f.did, Key: key})
	if err != nil {
		return nil, rhizome.Errorf("fetch repository", rhizome.KindOf(err), "the repository of %s from %s: %w", f.did, f.pr.base, err)
	}
	return r, nil
}

func (f *Follower) create(ctx context.Context, imported *repo.Repo, staging *mem.Blocks) error {
	c, err := pds.SnapshotCommit(ctx, f.did, imported, staging, cid.CID{})
	if err != nil {
		return err
	}
	h, err := f.m.d.Handle(ctx, f.did)
	if err != nil {
		return err
	}
	return f.m.d.PDS.CreateReplica(ctx, f.did, h, c)
}

// fetchBlobs fetches the blobs ops reference that the replica lacks.
func (f *Follower) fetchBlobs(ctx context.Context, ops []store.RecordOp) error {
	for _, op := range ops {
		for _, c := range op.Blobs {
			if err := f.fetchBlob(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// fetchAllBlobs fetches every blob the primary lists that the replica
// lacks, then any its records reference and it still lacks.
func (f *Follower) fetchAllBlobs(ctx context.Context) error {
	list, err := f.pr.blobs(ctx, f.did)
	if err != nil {
		return err
	}
	for _, c := range list {
		if err := f.fetchBlob(ctx, c); err != nil {
			return err
		}
	}
	missing, err := f.m.d.PDS.Store().ListMissingBlobs(ctx, f.did, store.Page{Limit: 1000})
	if err != nil {
		return err
	}
	for _, mb := range missing {
		if err := f.fetchBlob(ctx, mb.CID); err != nil {
			return err
		}
	}
	return nil
}

func (f *Follower) fetchBlob(ctx context.Context, c cid.CID) error {
	if _, err := f.m.d.PDS.Store().Blob(ctx, f.did, c); err == nil {
		return nil
	}
	rc, mime, err := f.pr.blob(ctx, f.did, c)
	if err != nil {
		return err
	}
	defer rc.Close()
	return f.m.d.PDS.PutReplicaBlob(ctx, f.did, c, mime, rc)
}
