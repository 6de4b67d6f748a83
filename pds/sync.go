package pds

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/car"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/mem"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// GetRepo writes the repository as a CAR: whole, or with since set only
// the blocks written after that rev.
func (p *PDS) GetRepo(ctx context.Context, did syntax.DID, since syntax.TID, w io.Writer) error {
	if since == "" {
		return p.writeRepo(ctx, did, w)
	}
	h, err := p.readableHead(ctx, did)
	if err != nil {
		return err
	}
	cw, err := car.NewWriter(w, h.Commit)
	if err != nil {
		return err
	}
	err = p.store.BlocksSince(ctx, did, since, func(b rhizome.Block) error { return cw.Put(b.CID, b.Data) })
	if err != nil {
		return err
	}
	return cw.Close()
}

// writeRepo writes the whole repository. The store holds exactly the
// blocks the head reaches (commits drop the rest), so a repository that
// fits in snapshotBytes is written as one scan of its blocks, the commit
// first, with no tree walk; a larger one is walked from the store.
func (p *PDS) writeRepo(ctx context.Context, did syntax.DID, w io.Writer) error {
	h, blocks, err := p.repoBlocks(ctx, did)
	if errors.Is(err, errSnapshotFull) {
		return repo.WriteCAR(ctx, w, p.store.RepoBlocks(did), h.Commit)
	}
	if err != nil {
		return err
	}
	cw, err := car.NewWriter(w, h.Commit)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if err := cw.Put(b.CID, b.Data); err != nil {
			return err
		}
	}
	return cw.Close()
}

// repoBlocks reads the head of did and every block of the repository at
// that head, the commit first. One scan sees one state, and it holds the
// head's commit block exactly when no commit landed between reading the
// head and the scan (the next commit drops it); if one did, it starts
// again on the new head.
func (p *PDS) repoBlocks(ctx context.Context, did syntax.DID) (store.Head, []rhizome.Block, error) {
	for i := 0; ; i++ {
		h, err := p.readableHead(ctx, did)
		if err != nil {
			return h, nil, err
		}
		blocks, err := p.scanRepo(ctx, did, h.Commit)
		if err != nil || blocks != nil {
			return h, blocks, err
		}
		if i == headRetries {
			return h, nil, rhizome.Errorf("get repo", rhizome.Unavailable, "repository %s kept moving during the read", did)
		}
	}
}

// scanRepo reads every stored block of did, up to snapshotBytes, with the
// block head moved to the front; nil if head is not among them.
func (p *PDS) scanRepo(ctx context.Context, did syntax.DID, head cid.CID) ([]rhizome.Block, error) {
	blocks, n := make([]rhizome.Block, 1, 1024), 0
	err := p.store.BlocksSince(ctx, did, "", func(b rhizome.Block) error {
		if n += len(b.Data); n > snapshotBytes {
			return errSnapshotFull
		}
		if b.CID == head {
			blocks[0] = b
		} else {
			blocks = append(blocks, b)
		}
		return nil
	})
	if err != nil || blocks[0].CID != head {
		return nil, err
	}
	return blocks, nil
}

var errSnapshotFull = errors.New("repository exceeds the snapshot budget")

func (p *PDS) readableHead(ctx context.Context, did syntax.DID) (store.Head, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return store.Head{}, err
	}
	h, err := p.store.Head(ctx, did)
	return h, notFoundAs(err, "RepoNotFound")
}

// LatestCommit returns the repository's head.
func (p *PDS) LatestCommit(ctx context.Context, did syntax.DID) (store.Head, error) {
	return p.readableHead(ctx, did)
}

// RepoStatus is what getRepoStatus reports.
type RepoStatus struct {
	Head   store.Head
	Status store.Status
}

// GetRepoStatus reports an account's hosting status, whatever it is.
func (p *PDS) GetRepoStatus(ctx context.Context, did syntax.DID) (RepoStatus, error) {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return RepoStatus{}, notFoundAs(err, "RepoNotFound")
	}
	h, err := p.store.Head(ctx, did)
	return RepoStatus{Head: h, Status: a.Status}, notFoundAs(err, "RepoNotFound")
}

// ListRepos pages through hosted repositories.
func (p *PDS) ListRepos(ctx context.Context, pg store.Page) ([]store.RepoInfo, error) {
	return p.store.ListRepos(ctx, pg)
}

// GetRecordProof writes a CAR proving one record (or its absence) under
// the current commit: the commit, the MST path and the record.
func (p *PDS) GetRecordProof(ctx context.Context, did syntax.DID, coll syntax.NSID, rkey syntax.RecordKey, w io.Writer) error {
	var h store.Head
	var blocks []rhizome.Block
	err := p.whileHeadStill(ctx, did, func(head store.Head) (err error) {
		h = head
		blocks, err = p.recordProof(ctx, did, h, coll, rkey)
		return err
	})
	if err != nil {
		return err
	}
	return writeBlocks(w, blocks, h.Commit)
}

// recordProof reads the blocks proving one record (or its absence) under
// head h: the commit, the MST path and the record.
func (p *PDS) recordProof(ctx context.Context, did syntax.DID, h store.Head, coll syntax.NSID, rkey syntax.RecordKey) ([]rhizome.Block, error) {
	bs := p.store.RepoBlocks(did)
	r, err := repo.Open(ctx, bs, h.Commit)
	if err != nil {
		return nil, err
	}
	r.Tree().WithCache(p.cache)
	path, err := r.Tree().Proof(ctx, repo.Path(coll, rkey))
	if err != nil {
		return nil, err
	}
	commit, _ := r.Head()
	blocks := append([]rhizome.Block{commit.Block()}, path...)
	if c, rec, err := r.Get(ctx, coll, rkey); err == nil {
		blocks = append(blocks, rhizome.Block{CID: c, Data: rec})
	} else if !rhizome.Is(err, rhizome.NotFound) {
		return nil, err
	}
	return blocks, nil
}

// writeBlocks writes blocks as a CAR with the given roots (none for getBlocks).
func writeBlocks(w io.Writer, blocks []rhizome.Block, roots ...cid.CID) error {
	cw, err := car.NewWriter(w, roots...)
	if err != nil {
		return err
	}
	for _, b := range blocks {
		if err := cw.Put(b.CID, b.Data); err != nil {
			return err
		}
	}
	return cw.Close()
}

// GetBlocks writes the named blocks of a repository as a CAR with no root.
// A missing block is a NotFound error naming it.
func (p *PDS) GetBlocks(ctx context.Context, did syntax.DID, cids []cid.CID, w io.Writer) error {
	if _, err := p.readableHead(ctx, did); err != nil {
		return err
	}
	got, err := p.store.RepoBlocks(did).GetBlocks(ctx, cids)
	if err != nil {
		return err
	}
	blocks := make([]rhizome.Block, len(cids))
	for i, c := range cids {
		if got[i] == nil {
			return rhizome.Errorf("get blocks", rhizome.NotFound, "block %s is not in the repository", c).Named("BlockNotFound")
		}
		blocks[i] = rhizome.Block{CID: c, Data: got[i]}
	}
	return writeBlocks(w, blocks)
}

// MaxImportBytes bounds an importRepo body: the import is staged in memory
// before it replaces the repository in one transaction.
const MaxImportBytes = 256 << 20

// ImportRepo replaces an account's repository with the one in a CAR (as
// account migration does). The CAR is verified (hashes, structure, DID,
// every record present); the pod then signs a new commit over the same
// tree with the account's key, and swaps it in atomically.
//
// The CAR's own commit signature is not required to verify: the caller is
// the account itself, who could write the same records one by one, and
// the commit it brings is typically signed by a key that is no longer the
// DID's (its old pod's, or a key that vanished with that pod). The pod
// checks it against the keys the DID's log has named and logs what it
// found (see noteImportSigner); what it serves is signed by its own key.
// Deactivated accounts may import, so a moving account can be filled
// before it is activated.
func (p *PDS) ImportRepo(ctx context.Context, did syntax.DID, r io.Reader) error {
	unlock := p.locks.lock(did)
	defer unlock()
	if err := p.checkImportable(ctx, did); err != nil {
		return err
	}
	h, err := p.store.Head(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	staging := mem.NewBlocks()
	imported, _, err := repo.ReadCAR(ctx, io.LimitReader(r, MaxImportBytes), staging, repo.ImportOptions{DID: did})
	if err != nil {
		k := rhizome.KindOf(err)
		if k == rhizome.Corrupt || k == rhizome.NotFound {
			k = rhizome.Invalid // the input is broken, not the pod
		}
		return rhizome.E("import repo", k, err)
	}
	p.noteImportSigner(ctx, did, imported)
	c, err := p.importCommit(ctx, did, h, imported, staging)
	if err != nil {
		return err
	}
	defer p.forgetRepo(did)
	if _, err = p.store.ApplyCommit(ctx, c); err == nil {
		p.notify()
	}
	return err
}

func (p *PDS) importCommit(ctx context.Context, did syntax.DID, h store.Head, imported *repo.Repo, staging *mem.Blocks) (store.Commit, error) {
	s, err := p.signer(ctx, did)
	if err != nil {
		return store.Commit{}, err
	}
	rev := h.Rev
	if imported.Rev() > rev {
		rev = imported.Rev()
	}
	head, _ := imported.Head()
	commit := &repo.Commit{DID: did, Version: repo.Version, Data: head.Data, Rev: p.clock.NextAfter(rev)}
	if err := commit.Sign(s); err != nil {
		return store.Commit{}, err
	}
	blk := commit.Block()
	ops, err := importOps(ctx, imported, staging)
	if err != nil {
		return store.Commit{}, err
	}
	blocks, err := treeBlocks(ctx, imported, staging)
	if err != nil {
		return store.Commit{}, err
	}
	ev, err := syncEvent(did, blk, commit.Rev)
	if err != nil {
		return store.Commit{}, err
	}
	return store.Commit{Prev: h.Commit, Replace: true, Blocks: append(blocks, blk), Ops: ops, Event: &ev,
		Head: store.Head{DID: did, Commit: blk.CID, Rev: commit.Rev, Data: commit.Data}}, nil
}

// treeBlocks lists the blocks of an imported tree, each once: its MST
// nodes and records. The CAR's own commit (the pod signs a new one) and
// any block the tree does not reach stay out, so the store holds exactly
// what the new head reaches and getRepo can write it as stored.
func treeBlocks(ctx context.Context, r *repo.Repo, bs *mem.Blocks) ([]rhizome.Block, error) {
	seen := map[cid.CID]bool{}
	var out []rhizome.Block
	err := r.Tree().WalkNodes(ctx, func(n rhizome.Block, vals []cid.CID) error {
		out = append(out, n)
		for _, v := range vals {
			if seen[v] {
				continue
			}
			seen[v] = true
			b, err := rhizome.GetBlock(ctx, bs, v)
			if err != nil {
				return err
			}
			out = append(out, rhizome.Block{CID: v, Data: b})
		}
		return nil
	})
	return out, err
}

// importOps lists every record of an imported tree for the record index.
func importOps(ctx context.Context, r *repo.Repo, bs *mem.Blocks) ([]store.RecordOp, error) {
	var ops []store.RecordOp
	err := r.Tree().Walk(ctx, "", func(key string, val cid.CID) error {
		c, k, _ := strings.Cut(key, "/")
		coll, err1 := syntax.ParseNSID(c)
		rkey, err2 := syntax.ParseRecordKey(k)
		if err1 != nil || err2 != nil {
			return rhizome.Errorf("import repo", rhizome.Invalid, "record path %q is not collection/rkey", key)
		}
		op := store.RecordOp{Collection: coll, RKey: rkey, CID: val}
		b, err := rhizome.GetBlock(ctx, bs, val)
		if err != nil {
			return err
		}
		rec, err := data.DecodeRecord(b)
		if err != nil {
			return err
		}
		for _, bl := range data.Blobs(rec) {
			op.Blobs = append(op.Blobs, bl.Ref)
		}
		ops = append(ops, op)
		return nil
	})
	return ops, err
}
