package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
	oauth "github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store"
)

// oauthStores is implemented by record stores that also keep the
// authorization server's state (grants, codes, used DPoP proofs), so
// that several nodes share it and revocations reach every node.
type oauthStores interface {
	OAuth() oauth.Store
	DPoPReplay() dpop.ReplayCache
}

// newOAuth wires the pod's authorization server: its state in the record
// store when the store keeps it (else in memory, for one node), nonces
// and tokens keyed by a secret kept beside the session secret.
func newOAuth(cfg *serveConfig, st store.Store, p *pds.PDS) (*oauth.Server, error) {
	secret, err := loadOrCreateSecret(filepath.Join(cfg.data, "oauth.secret"))
	if err != nil {
		return nil, err
	}
	nonces, err := dpop.NewNonces(dpop.NonceConfig{Secret: secret})
	if err != nil {
		return nil, err
	}
	var grants oauth.Store = oauth.NewMemoryStore()
	var replay dpop.ReplayCache = dpop.NewMemoryReplay(1<<16, time.Now)
	if s, ok := st.(oauthStores); ok {
		grants, replay = s.OAuth(), s.DPoPReplay()
	}
	verifier, err := dpop.NewVerifier(dpop.Config{Nonces: nonces, Replay: replay})
	if err != nil {
		return nil, err
	}
	return oauth.New(oauth.Config{
		Issuer: cfg.publicURL, Secret: secret, Accounts: podAccounts{p}, Store: grants,
		Clients: oauth.NewMetadataResolver(oauth.ResolverConfig{}), DPoP: verifier, Nonces: nonces,
	})
}

// podAccounts checks OAuth sign-ins against the pod's accounts.
type podAccounts struct{ p *pds.PDS }

func (a podAccounts) Authenticate(ctx context.Context, identifier, password string) (oauth.Account, error) {
	acct, err := a.p.SignIn(ctx, identifier, password)
	if err != nil {
		return oauth.Account{}, err
	}
	return oauth.Account{DID: acct.DID, Handle: acct.Handle}, nil
}
