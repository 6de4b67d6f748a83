package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	oauth "github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
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
func newOAuth(cfg *serveConfig, st store.Store, p *pds.PDS, lexicons lexiconFetcher) (*oauth.Server, error) {
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
		Credentials: podCredentials{st}, PermissionSets: scope.NewCache(permissionSets{lexicons}, scope.CacheConfig{}),
	})
}

// lexiconFetcher fetches published lexicons (identity.Resolver does).
type lexiconFetcher interface {
	FetchLexicon(ctx context.Context, nsid syntax.NSID) ([]byte, error)
}

// permissionSets resolves include: scopes from the permission-set
// lexicons their authorities publish.
type permissionSets struct{ lexicons lexiconFetcher }

func (p permissionSets) ResolvePermissionSet(ctx context.Context, nsid syntax.NSID) (*scope.PermissionSet, error) {
	doc, err := p.lexicons.FetchLexicon(ctx, nsid)
	if err != nil {
		return nil, err
	}
	return scope.ParsePermissionSet(nsid, doc)
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

// podCredentials lets the account page list and revoke the account's app
// passwords and password sessions.
type podCredentials struct{ st store.Store }

func (c podCredentials) AppPasswords(ctx context.Context, did syntax.DID) ([]oauth.Credential, error) {
	aps, err := c.st.AppPasswords(ctx, did)
	out := make([]oauth.Credential, 0, len(aps))
	for _, ap := range aps {
		detail := "can post and read"
		if ap.Privileged {
			detail = "privileged: can also change account settings"
		}
		out = append(out, oauth.Credential{ID: ap.Name, Name: ap.Name, Detail: detail, CreatedAt: ap.CreatedAt})
	}
	return out, err
}

// RevokeAppPassword deletes the app password and ends the sessions opened
// with it.
func (c podCredentials) RevokeAppPassword(ctx context.Context, did syntax.DID, name string) error {
	if err := c.st.DeleteAppPassword(ctx, did, name); err != nil {
		return err
	}
	return c.st.DeleteRefreshTokens(ctx, did, name)
}

// Sessions lists the account's live (not yet rotated) refresh tokens.
func (c podCredentials) Sessions(ctx context.Context, did syntax.DID) ([]oauth.Credential, error) {
	var out []oauth.Credential
	page := store.Page{Limit: 100}
	for {
		toks, err := c.st.ListRefreshTokens(ctx, did, page)
		if err != nil || len(toks) == 0 {
			return out, err
		}
		for _, t := range toks {
			if t.NextID == "" {
				out = append(out, sessionCredential(t))
			}
		}
		page.Cursor = toks[len(toks)-1].ID
	}
}

func sessionCredential(t store.RefreshToken) oauth.Credential {
	name := "password session"
	if t.AppPassword != "" {
		name = "app password " + t.AppPassword
	}
	return oauth.Credential{ID: t.ID, Name: name, Detail: "until " + t.ExpiresAt.Format("2 Jan 2006 15:04 MST")}
}

// RevokeSession ends one refresh token of the account. Its access tokens
// live out their short lifetime.
func (c podCredentials) RevokeSession(ctx context.Context, did syntax.DID, id string) error {
	t, err := c.st.RefreshToken(ctx, id)
	if err != nil || t.DID != did {
		return rhizome.E("revoke session", rhizome.NotFound, "no such session")
	}
	return c.st.DeleteRefreshToken(ctx, id)
}
