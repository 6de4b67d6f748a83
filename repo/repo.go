package repo

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/mst"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Repo is one account's repository at its current commit. It is not safe
// for concurrent use; the store serialises writers per repository.
type Repo struct {
	bs      rhizome.BlockReader
	head    *Commit
	headCID cid.CID
	tree    *mst.Tree
}

// Open loads the repository whose head commit is head. It checks the
// commit's form but not its signature (see Commit.Verify).
func Open(ctx context.Context, bs rhizome.BlockReader, head cid.CID) (*Repo, error) {
	data, err := rhizome.GetBlock(ctx, bs, head)
	if err != nil {
		return nil, rhizome.E("open repo", rhizome.KindOf(err), err)
	}
	if !head.Matches(data) {
		return nil, rhizome.Errorf("open repo", rhizome.Corrupt, "commit block %s does not match its hash", head)
	}
	c, err := DecodeCommit(data)
	if err != nil {
		return nil, err
	}
	return &Repo{bs: bs, head: c, headCID: head, tree: mst.Load(bs, c.Data)}, nil
}

// DID returns the repository's account.
func (r *Repo) DID() syntax.DID { return r.head.DID }

// Head returns the current commit and its CID.
func (r *Repo) Head() (*Commit, cid.CID) { return r.head, r.headCID }

// Rev returns the current revision.
func (r *Repo) Rev() syntax.TID { return r.head.Rev }

// Tree returns the current MST. Callers must not modify it.
func (r *Repo) Tree() *mst.Tree { return r.tree }

// Path joins a collection and record key into an MST key.
func Path(collection syntax.NSID, rkey syntax.RecordKey) string {
	return string(collection) + "/" + string(rkey)
}

// Get returns the CID and bytes of a record, or a NotFound error.
func (r *Repo) Get(ctx context.Context, collection syntax.NSID, rkey syntax.RecordKey) (cid.CID, []byte, error) {
	c, ok, err := r.tree.Get(ctx, Path(collection, rkey))
	if err != nil {
		return cid.CID{}, nil, err
	}
	if !ok {
		return cid.CID{}, nil, rhizome.Errorf("get record", rhizome.NotFound, "no record %s/%s", collection, rkey)
	}
	data, err := rhizome.GetBlock(ctx, r.bs, c)
	return c, data, err
}
