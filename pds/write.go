package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Write is one change requested by a client.
type Write struct {
	Action     repo.Action
	Collection syntax.NSID
	RKey       syntax.RecordKey // empty on create: the pod picks a TID
	Value      map[string]any   // the record, for creates and updates
	Swap       *cid.CID         // swapRecord: the record's current CID (creates: none)
	// SwapAbsent asks for the record not to exist (putRecord with
	// swapRecord: null).
	SwapAbsent bool
	// Upsert makes an update of an absent record a create (putRecord).
	Upsert bool
}

// Validate is the protocol's three-way validate flag.
type Validate int

// The values of Validate.
const (
	ValidateAuto Validate = iota // validate known collections, accept unknown ones
	ValidateOn                   // require a known schema
	ValidateOff                  // skip validation
)

// WriteResult is what one write produced.
type WriteResult struct {
	URI              syntax.ATURI
	CID              cid.CID // undefined for deletes
	ValidationStatus string  // "valid", "unknown", or "" when not validated
}

// CommitMeta identifies the commit a batch became.
type CommitMeta struct {
	CID cid.CID
	Rev syntax.TID
}

// ApplyWrites performs writes on did's repository as one commit. swap, if
// set, is the commit the repository must be at (swapCommit).
func (p *PDS) ApplyWrites(ctx context.Context, did syntax.DID, writes []Write, v Validate, swap *cid.CID) ([]WriteResult, CommitMeta, error) {
	if len(writes) > repo.MaxOps {
		return nil, CommitMeta{}, rhizome.Errorf("apply writes", rhizome.TooLarge, "%d writes exceed the limit of %d", len(writes), repo.MaxOps)
	}
	prepared, err := p.prepare(ctx, did, writes, v)
	if err != nil {
		return nil, CommitMeta{}, err
	}
	unlock := p.locks.lock(did)
	defer unlock()
	if err := p.checkActive(ctx, did); err != nil {
		return nil, CommitMeta{}, err
	}
	release := p.takeTurn(ctx, did)
	defer release()
	for attempt := 0; ; attempt++ {
		meta, err := p.commit(ctx, did, prepared, swap)
		if rhizome.Is(err, rhizome.Conflict) && rhizome.NameOf(err) == "" && attempt < commitAttempts-1 {
			p.forgetRepo(did) // another node moved the head: reload and retry (see retry.go)
			if err := backoff(ctx, attempt); err != nil {
				return nil, CommitMeta{}, err
			}
			continue
		}
		if err != nil {
			return nil, CommitMeta{}, busy(err)
		}
		return results(did, prepared), meta, nil
	}
}

// prepared is a write made ready to apply: record encoded, validated.
type prepared struct {
	w      repo.Write
	cid    cid.CID
	status string
	blobs  []data.Blob
	upsert bool
	// swapAbsent: the write asked for the record not to exist
	swapAbsent bool
}

func results(did syntax.DID, ps []prepared) []WriteResult {
	out := make([]WriteResult, len(ps))
	for i, pr := range ps {
		uri := syntax.ATURI("at://" + string(did) + "/" + string(pr.w.Collection) + "/" + string(pr.w.RKey))
		out[i] = WriteResult{URI: uri, CID: pr.cid, ValidationStatus: pr.status}
	}
	return out
}

// commit applies prepared writes to the current head and stores the commit.
func (p *PDS) commit(ctx context.Context, did syntax.DID, ps []prepared, swap *cid.CID) (CommitMeta, error) {
	r, head, err := p.openRepo(ctx, did)
	if err != nil {
		return CommitMeta{}, p.staleRead(ctx, did, head.Commit, err)
	}
	if swap != nil && *swap != head.Commit {
		return CommitMeta{}, rhizome.Errorf("apply writes", rhizome.Conflict, "repository is at commit %s, not %s", head.Commit, *swap).Named("InvalidSwap")
	}
	s, err := p.signer(ctx, did)
	if err != nil {
		return CommitMeta{}, err
	}
	ws, err := p.resolveUpserts(ctx, r, ps)
	if err != nil {
		return CommitMeta{}, p.staleRead(ctx, did, head.Commit, err)
	}
	res, err := r.Apply(ctx, ws, s, p.clock)
	if err != nil {
		p.forgetRepo(did)
		return CommitMeta{}, p.staleRead(ctx, did, head.Commit, swapError(err, ps))
	}
	if err := p.storeCommit(ctx, did, head.Commit, res, ps); err != nil {
		p.forgetRepo(did)
		return CommitMeta{}, err
	}
	p.keepRepo(did, r, res.CID)
	return CommitMeta{CID: res.CID, Rev: res.Commit.Rev}, nil
}

// swapError names failed compare-and-swaps InvalidSwap, including a
// putRecord with swapRecord: null whose record exists.
func swapError(err error, ps []prepared) error {
	swapAbsent := false
	for _, pr := range ps {
		swapAbsent = swapAbsent || pr.swapAbsent
	}
	switch {
	case rhizome.Is(err, rhizome.Conflict) && rhizome.NameOf(err) == "",
		rhizome.Is(err, rhizome.Exists) && swapAbsent:
		return rhizome.E("apply writes", rhizome.Conflict, err).Named("InvalidSwap")
	}
	return err
}

// storeCommit writes a commit result, its index changes and its event.
func (p *PDS) storeCommit(ctx context.Context, did syntax.DID, prev cid.CID, res *repo.Result, ps []prepared) error {
	ev, err := p.commitEvent(ctx, did, res, ps)
	if err != nil {
		return err
	}
	c := store.Commit{Prev: prev, Blocks: res.Blocks, Drop: res.Dropped, Event: ev,
		Head: store.Head{DID: did, Commit: res.CID, Rev: res.Commit.Rev, Data: res.Commit.Data}}
	for _, pr := range ps {
		op := store.RecordOp{Collection: pr.w.Collection, RKey: pr.w.RKey, CID: pr.cid}
		for _, b := range pr.blobs {
			op.Blobs = append(op.Blobs, b.Ref)
		}
		c.Ops = append(c.Ops, op)
	}
	if _, err = p.store.ApplyCommit(ctx, c); err == nil {
		p.notify()
	}
	return err
}

// resolveUpserts turns upserts of absent records into creates.
func (p *PDS) resolveUpserts(ctx context.Context, r *repo.Repo, ps []prepared) ([]repo.Write, error) {
	ws := make([]repo.Write, len(ps))
	for i := range ps {
		ws[i] = ps[i].w
		if !ps[i].upsert || ws[i].Swap != nil {
			continue
		}
		_, ok, err := r.Tree().Get(ctx, repo.Path(ws[i].Collection, ws[i].RKey))
		if err != nil {
			return nil, err
		}
		if !ok {
			ws[i].Action = repo.Create
		}
	}
	return ws, nil
}

// CreateRecord writes one new record.
func (p *PDS) CreateRecord(ctx context.Context, did syntax.DID, w Write, v Validate, swap *cid.CID) (WriteResult, CommitMeta, error) {
	w.Action = repo.Create
	return p.one(ctx, did, w, v, swap)
}

// PutRecord creates or replaces one record.
func (p *PDS) PutRecord(ctx context.Context, did syntax.DID, w Write, v Validate, swap *cid.CID) (WriteResult, CommitMeta, error) {
	w.Action, w.Upsert = repo.Update, !w.SwapAbsent
	return p.one(ctx, did, w, v, swap)
}

// DeleteRecord deletes one record; deleting an absent record without a
// swap succeeds and makes no commit.
func (p *PDS) DeleteRecord(ctx context.Context, did syntax.DID, w Write, swap *cid.CID) (CommitMeta, error) {
	w.Action = repo.Delete
	_, meta, err := p.one(ctx, did, w, ValidateOff, swap)
	switch {
	case rhizome.Is(err, rhizome.NotFound) && rhizome.NameOf(err) == "" && w.Swap == nil:
		return CommitMeta{}, nil
	case rhizome.Is(err, rhizome.NotFound) && rhizome.NameOf(err) == "":
		return CommitMeta{}, rhizome.E("delete record", rhizome.Conflict, err).Named("InvalidSwap")
	}
	return meta, err
}

func (p *PDS) one(ctx context.Context, did syntax.DID, w Write, v Validate, swap *cid.CID) (WriteResult, CommitMeta, error) {
	res, meta, err := p.ApplyWrites(ctx, did, []Write{w}, v, swap)
	if err != nil {
		return WriteResult{}, meta, err
	}
	return res[0], meta, nil
}
