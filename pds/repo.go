package pds

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// cachedRepo is an open repository kept between writes, valid while the
// store's head is still the commit it was opened at.
type cachedRepo struct {
	r    *repo.Repo
	head cid.CID
}

const maxCachedRepos = 256

// openRepo returns the account's repository at the store's current head,
// reusing the open one when the head has not moved. Callers hold the
// account's lock.
func (p *PDS) openRepo(ctx context.Context, did syntax.DID) (*repo.Repo, store.Head, error) {
	h, err := p.store.Head(ctx, did)
	if err != nil {
		return nil, h, notFoundAs(err, "RepoNotFound")
	}
	p.mu.Lock()
	c := p.repos[did]
	p.mu.Unlock()
	if c != nil && c.head == h.Commit {
		return c.r, h, nil
	}
	r, err := repo.Open(ctx, p.store.RepoBlocks(did), h.Commit)
	if err != nil {
		return nil, h, err
	}
	r.Tree().WithCache(p.cache)
	p.keepRepo(did, r, h.Commit)
	return r, h, nil
}

func (p *PDS) keepRepo(did syntax.DID, r *repo.Repo, head cid.CID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.repos) >= maxCachedRepos {
		for k := range p.repos { // drop an arbitrary one; the tree is reloadable
			delete(p.repos, k)
			break
		}
	}
	p.repos[did] = &cachedRepo{r: r, head: head}
}

func (p *PDS) forgetRepo(did syntax.DID) {
	p.mu.Lock()
	delete(p.repos, did)
	delete(p.signers, did)
	p.mu.Unlock()
}

// signer returns the account's repository signing key.
func (p *PDS) signer(ctx context.Context, did syntax.DID) (keys.Signer, error) {
	p.mu.Lock()
	s := p.signers[did]
	p.mu.Unlock()
	if s != nil {
		return s, nil
	}
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return nil, notFoundAs(err, "RepoNotFound")
	}
	if s, err = p.keyring.Open(a.SigningKey, string(did)); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.signers[did] = s
	p.mu.Unlock()
	return s, nil
}

// notFoundAs names a NotFound error for the protocol.
func notFoundAs(err error, name string) error {
	if rhizome.Is(err, rhizome.NotFound) {
		return rhizome.E("", rhizome.NotFound, err).Named(name)
	}
	return err
}
