package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// AccountStatus is what com.atproto.server.checkAccountStatus reports:
// whether the account is live and its DID names this pod and key, and
// counts a migration compares with the old pod's.
type AccountStatus struct {
	Active        bool
	ValidDID      bool // the DID document names this pod and the account's signing key
	Head          store.Head
	Blocks        int // stored repository blocks
	Records       int // records in the repository
	PrivateState  int // private values kept for the account (preferences)
	ExpectedBlobs int // blobs the records refer to
	ImportedBlobs int // of those, the ones this pod holds
}

// AccountStatus counts the account's repository, blobs and private state
// (each a scan: for the account itself, during a move, not a hot path).
func (p *PDS) AccountStatus(ctx context.Context, did syntax.DID) (AccountStatus, error) {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return AccountStatus{}, notFoundAs(err, "AccountNotFound")
	}
	st := AccountStatus{Active: a.Status == store.Active, ValidDID: p.didNamesUs(ctx, did)}
	if st.Head, st.Records, err = p.countRecords(ctx, did); err != nil {
		return st, err
	}
	err = p.store.BlocksSince(ctx, did, "", func(rhizome.Block) error { st.Blocks++; return nil })
	if err != nil {
		return st, err
	}
	prefs, err := p.store.Preferences(ctx, did)
	st.PrivateState = len(prefs)
	if err != nil {
		return st, err
	}
	return st, p.countBlobs(ctx, did, &st)
}

// didNamesUs checks the DID's current state, uncached; false when it
// cannot be read.
func (p *PDS) didNamesUs(ctx context.Context, did syntax.DID) bool {
	ins, ok := p.ids.(DIDInspector)
	if !ok {
		return false
	}
	st, err := ins.InspectDID(ctx, did)
	if err != nil {
		return false
	}
	s, err := p.signer(ctx, did)
	return err == nil && p.namesUs(st, s.PublicKey())
}

func (p *PDS) countRecords(ctx context.Context, did syntax.DID) (store.Head, int, error) {
	unlock := p.locks.lock(did)
	defer unlock()
	r, h, err := p.openRepo(ctx, did)
	if err != nil {
		return h, 0, err
	}
	n := 0
	err = r.Tree().Walk(ctx, "", func(string, cid.CID) error { n++; return nil })
	return h, n, err
}

func (p *PDS) countBlobs(ctx context.Context, did syntax.DID, st *AccountStatus) error {
	for pg := (store.Page{Limit: 1000}); ; {
		cs, err := p.store.ListBlobs(ctx, did, "", pg)
		if err != nil {
			return err
		}
		st.ImportedBlobs += len(cs)
		if len(cs) < pg.Limit {
			break
		}
		pg.Cursor = cs[len(cs)-1].String()
	}
	for pg := (store.Page{Limit: 1000}); ; {
		ms, err := p.store.ListMissingBlobs(ctx, did, pg)
		if err != nil {
			return err
		}
		st.ExpectedBlobs += len(ms)
		if len(ms) < pg.Limit {
			break
		}
		pg.Cursor = ms[len(ms)-1].CID.String()
	}
	st.ExpectedBlobs += st.ImportedBlobs
	return nil
}
