package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// statusEvents are the events of a change of a's status to st, stored
// with the change.
func statusEvents(a store.Account, st store.Status) []store.Event {
	acct := accountEvent(a.DID, st)
	if !goesLive(a.Status, st) {
		return []store.Event{acct}
	}
	return []store.Event{identityEvent(a.DID, a.Handle), acct}
}

// goesLive reports whether a status change activates a deactivated
// account (or promotes a replica): how an account that moved here goes
// live. It is announced as
// the account-lifecycle guide asks of a migration (and as the reference
// PDS does on every activation): #identity, #account active, then the
// repository's head re-signed at a new rev (#sync, see announceHead), so
// a consumer re-reads the identity, the status and the repository from
// this pod, signed by the key the DID now names.
func goesLive(from, to store.Status) bool {
	return (from == store.Deactivated || from == store.Replica) && to == store.Active
}

// announceHead signs a new commit over the repository's current tree
// with the account's key, at a new rev, and emits it as #sync.
func (p *PDS) announceHead(ctx context.Context, did syntax.DID) error {
	unlock := p.locks.lock(did)
	defer unlock()
	h, err := p.store.Head(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	s, err := p.signer(ctx, did)
	if err != nil {
		return err
	}
	commit := &repo.Commit{DID: did, Version: repo.Version, Data: h.Data, Rev: p.clock.NextAfter(h.Rev)}
	if err := commit.Sign(s); err != nil {
		return err
	}
	blk := commit.Block()
	ev, err := syncEvent(did, blk, commit.Rev)
	if err != nil {
		return err
	}
	defer p.forgetRepo(did)
	c := store.Commit{Prev: h.Commit, Blocks: []rhizome.Block{blk}, Drop: []cid.CID{h.Commit}, Event: &ev,
		Head: store.Head{DID: did, Commit: blk.CID, Rev: commit.Rev, Data: h.Data}}
	if _, err := p.store.ApplyCommit(ctx, c); err != nil {
		return err
	}
	p.notify()
	return nil
}

// Credentials are the DID document parts an account needs for this pod
// to host it (com.atproto.identity.getRecommendedDidCredentials): the
// operation that moves a DID here names them.
type Credentials struct {
	RotationKeys        []string               `json:"rotationKeys"`
	AlsoKnownAs         []string               `json:"alsoKnownAs"`
	VerificationMethods map[string]string      `json:"verificationMethods"`
	Services            map[string]plc.Service `json:"services"`
}

// RecommendedCredentials returns what did's PLC operation should name for
// this pod to host it: the pod's rotation keys, the account's handle, its
// signing key here and the pod as its PDS. Deactivated accounts (one
// moving here) may ask.
func (p *PDS) RecommendedCredentials(ctx context.Context, did syntax.DID) (Credentials, error) {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return Credentials{}, notFoundAs(err, "AccountNotFound")
	}
	s, err := p.signer(ctx, did)
	if err != nil {
		return Credentials{}, err
	}
	c := Credentials{
		RotationKeys:        append([]string{}, p.cfg.RotationKeys...),
		AlsoKnownAs:         []string{},
		VerificationMethods: map[string]string{plc.VerificationMethodAtproto: s.PublicKey().DIDKey()},
		Services: map[string]plc.Service{plc.ServiceAtprotoPDS: {
			Type: plc.ServiceTypePDS, Endpoint: p.cfg.PublicURL}},
	}
	if a.Handle != "" {
		c.AlsoKnownAs = append(c.AlsoKnownAs, "at://"+string(a.Handle))
	}
	return c, nil
}
