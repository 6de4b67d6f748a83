package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// GetRecord reads one record. With want set, the record must have that CID.
func (p *PDS) GetRecord(ctx context.Context, did syntax.DID, coll syntax.NSID, rkey syntax.RecordKey, want *cid.CID) (store.Record, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return store.Record{}, err
	}
	r, err := p.store.Record(ctx, did, coll, rkey)
	if err != nil {
		return r, notFoundAs(err, "RecordNotFound")
	}
	if want != nil && r.CID != *want {
		return store.Record{}, rhizome.Errorf("get record", rhizome.NotFound, "record is %s, not %s", r.CID, *want).Named("RecordNotFound")
	}
	return r, nil
}

// ListRecords pages through a collection.
func (p *PDS) ListRecords(ctx context.Context, did syntax.DID, coll syntax.NSID, pg store.Page) ([]store.Record, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return nil, err
	}
	return p.store.ListRecords(ctx, did, coll, pg)
}

// RepoDescription is what describeRepo reports.
type RepoDescription struct {
	Account     store.Account
	Collections []syntax.NSID
}

// DescribeRepo reports a repository's account and collections.
func (p *PDS) DescribeRepo(ctx context.Context, did syntax.DID) (RepoDescription, error) {
	if err := p.checkReadable(ctx, did); err != nil {
		return RepoDescription{}, err
	}
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return RepoDescription{}, notFoundAs(err, "RepoNotFound")
	}
	colls, err := p.store.Collections(ctx, did)
	return RepoDescription{Account: a, Collections: colls}, err
}

// checkReadable hides repositories whose account is not active (or a
// replica): to other callers they do not exist.
func (p *PDS) checkReadable(ctx context.Context, did syntax.DID) error {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	switch a.Status {
	case store.Active, store.Replica:
		return nil
	case store.Takendown:
		return rhizome.E("read repo", rhizome.NotFound, "repository is taken down").Named("RepoTakendown")
	}
	return rhizome.E("read repo", rhizome.NotFound, "repository is deactivated").Named("RepoDeactivated")
}
