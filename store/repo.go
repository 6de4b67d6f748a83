package store

import (
	"context"
	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Head is the current state of a repository: its latest signed commit.
type Head struct {
	DID    syntax.DID
	Commit cid.CID    // CID of the signed commit block
	Rev    syntax.TID // the commit's rev
	Data   cid.CID    // root of the commit's MST
}

// RecordOp changes one entry of the record index. A zero CID deletes it.
type RecordOp struct {
	Collection syntax.NSID
	RKey       syntax.RecordKey
	CID        cid.CID
	// Blobs are the blobs the new record references; the store records the
	// references (and marks those blobs permanent). Ignored for deletes.
	Blobs []cid.CID
}

// Commit is one change to a repository, applied atomically by ApplyCommit:
// the head moves, the blocks are stored, the record index changes and the
// event (if any) is appended, or nothing happens.
type Commit struct {
	// Prev is the commit the repository's head must be at; zero means the
	// repository must not exist yet (a genesis commit). If the head is
	// elsewhere ApplyCommit fails with Conflict.
	Prev cid.CID
	Head Head
	// Blocks are the new blocks: the commit, MST nodes and records. Each is
	// tagged with Head.Rev, so BlocksSince can return a diff.
	Blocks []rhizome.Block
	Ops    []RecordOp
	// Drop names blocks the new head no longer holds (replaced MST nodes,
	// the previous commit); the store deletes them, before storing Blocks,
	// so a CID in both stays. Drop never names a block a record uses.
	// Ignored with Replace.
	//
	// Record blocks are the store's to collect: when Ops update or delete a
	// record, its old block is deleted unless a record of the repository
	// (any other, or one this commit writes) still uses it, so the
	// repository's blocks are exactly those its head reaches.
	Drop []cid.CID
	// Replace drops the repository's previous blocks, record index and
	// blob references first (importRepo). Prev is still checked.
	Replace bool
	// Event, if set, is appended to the event log in the same transaction;
	// its Seq is assigned by the store and returned.
	Event *Event
}

// Record is a record as the index and the block store hold it.
type Record struct {
	Collection syntax.NSID
	RKey       syntax.RecordKey
	CID        cid.CID
	Value      []byte // the DRISL bytes of the record block
}

// RepoInfo is one row of ListRepos.
type RepoInfo struct {
	Head   Head
	Status Status
}

// Repos stores repositories.
type Repos interface {
	// Head returns the repository's head; NotFound if there is none.
	Head(ctx context.Context, did syntax.DID) (Head, error)
	// ApplyCommit applies c as described on Commit; it returns the event's
	// sequence number (0 if c.Event is nil).
	ApplyCommit(ctx context.Context, c Commit) (seq int64, err error)
	// RepoBlocks reads blocks of one repository. Blocks of other
	// repositories are not visible through it.
	RepoBlocks(did syntax.DID) rhizome.BlockReader
	// BlocksSince calls fn for each block written by a commit whose rev is
	// greater than since, in rev order. An empty since means all blocks.
	BlocksSince(ctx context.Context, did syntax.DID, since syntax.TID, fn func(rhizome.Block) error) error
	// Record returns one record with its value; NotFound if absent.
	Record(ctx context.Context, did syntax.DID, coll syntax.NSID, rkey syntax.RecordKey) (Record, error)
	// ListRecords pages through one collection by record key (the cursor is
	// a record key), with values.
	ListRecords(ctx context.Context, did syntax.DID, coll syntax.NSID, p Page) ([]Record, error)
	// Collections lists the collections that hold at least one record, in
	// ascending order.
	Collections(ctx context.Context, did syntax.DID) ([]syntax.NSID, error)
	// ListRepos pages through repositories by DID (the cursor is a DID).
	ListRepos(ctx context.Context, p Page) ([]RepoInfo, error)
}
