package pds

import (
	"context"
	"net/mail"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// NewAccount is a createAccount request.
type NewAccount struct {
	Handle      syntax.Handle
	Email       string
	Password    string
	InviteCode  string
	RecoveryKey string // a did:key to place first among the rotation keys
	// DID, if set, brings an existing identity to the pod instead of
	// making one (see [PDS.CreateAccount]); Auth is then the request's
	// bearer token.
	DID  syntax.DID
	Auth string
}

// CreateAccount creates an identity, a repository and an account, and
// opens a session for it. With in.DID set it hosts an existing identity
// instead: see adoptDID.
func (p *PDS) CreateAccount(ctx context.Context, in NewAccount) (*Session, error) {
	if in.DID != "" {
		return p.adoptDID(ctx, in)
	}
	handle, err := p.checkNewAccount(ctx, in)
	if err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	signer, err := keys.Generate(keys.K256)
	if err != nil {
		return nil, err
	}
	did, err := p.ids.CreateDID(ctx, signer.PublicKey(), handle, in.RecoveryKey)
	if err != nil {
		return nil, rhizome.E("create account", rhizome.KindOf(err), err)
	}
	sealed, err := p.keyring.Seal(signer, string(did))
	if err != nil {
		return nil, err
	}
	genesis, err := p.genesis(ctx, did, signer)
	if err != nil {
		return nil, err
	}
	a := store.Account{DID: did, Handle: handle, Email: in.Email, PasswordHash: hash,
		SigningKey: sealed, Status: store.Active, CreatedAt: store.Now()}
	events := []store.Event{identityEvent(did, handle), accountEvent(did, store.Active)}
	if _, err := p.store.CreateAccount(ctx, store.NewAccount{Account: a, Genesis: genesis, InviteCode: in.InviteCode, Events: events}); err != nil {
		return nil, accountError(err)
	}
	p.notify()
	p.log.Info("account created", "did", did, "handle", handle)
	return p.newSession(ctx, a, "", false)
}

func (p *PDS) genesis(ctx context.Context, did syntax.DID, s keys.Signer) (store.Commit, error) {
	_, res, err := repo.New(ctx, p.store.RepoBlocks(did), did, s, p.clock)
	if err != nil {
		return store.Commit{}, err
	}
	ev, err := p.commitEvent(ctx, did, res, nil)
	if err != nil {
		return store.Commit{}, err
	}
	c := res.Commit
	return store.Commit{Blocks: res.Blocks, Event: ev,
		Head: store.Head{DID: did, Commit: res.CID, Rev: c.Rev, Data: c.Data}}, nil
}

func accountError(err error) error {
	switch {
	case rhizome.Is(err, rhizome.Exists):
		return rhizome.E("create account", rhizome.Exists, "handle or email is already taken").Named("HandleNotAvailable")
	case rhizome.Is(err, rhizome.NotFound), rhizome.Is(err, rhizome.Conflict):
		return rhizome.E("create account", rhizome.Invalid, "invite code is not valid").Named("InvalidInviteCode")
	}
	return err
}

// checkNewAccount validates a createAccount request before anything is
// created.
func (p *PDS) checkNewAccount(ctx context.Context, in NewAccount) (syntax.Handle, error) {
	handle, err := p.checkHandle(ctx, string(in.Handle))
	if err != nil {
		return "", err
	}
	if _, err := mail.ParseAddress(in.Email); err != nil || strings.ContainsAny(in.Email, "<> ") {
		return "", rhizome.Errorf("create account", rhizome.Invalid, "email %q is not valid", in.Email)
	}
	if len(in.Password) < 8 || len(in.Password) > auth.MaxPasswordLen {
		return "", rhizome.Errorf("create account", rhizome.Invalid, "password must be 8 to %d bytes", auth.MaxPasswordLen)
	}
	if p.cfg.InviteRequired && in.InviteCode == "" {
		return "", rhizome.E("create account", rhizome.Invalid, "an invite code is required").Named("InvalidInviteCode")
	}
	if in.RecoveryKey != "" {
		if _, err := keys.ParsePublicDIDKey(in.RecoveryKey); err != nil {
			return "", rhizome.E("create account", rhizome.Invalid, err)
		}
	}
	if _, err := p.store.AccountByEmail(ctx, in.Email); err == nil {
		return "", rhizome.E("create account", rhizome.Exists, "email is already taken")
	}
	return handle, nil
}

// checkHandle normalises a handle and checks the pod may give it out.
func (p *PDS) checkHandle(ctx context.Context, s string) (syntax.Handle, error) {
	h, err := syntax.ParseHandle(strings.ToLower(s))
	if err != nil {
		return "", rhizome.E("check handle", rhizome.Invalid, err).Named("InvalidHandle")
	}
	ok := false
	for _, d := range p.cfg.HandleDomains {
		if strings.HasSuffix(string(h), d) && len(h) > len(d) && !strings.Contains(string(h)[:len(h)-len(d)], ".") {
			ok = true
		}
	}
	if !ok {
		return "", rhizome.Errorf("check handle", rhizome.Invalid, "handle must be one label under %s", strings.Join(p.cfg.HandleDomains, " or ")).Named("UnsupportedDomain")
	}
	if n := len(string(h)) - len(p.cfg.HandleDomains[0]); n < 3 || n > 18 {
		return "", rhizome.E("check handle", rhizome.Invalid, "handle label must be 3 to 18 characters").Named("InvalidHandle")
	}
	if _, err := p.store.AccountByHandle(ctx, h); err == nil {
		return "", rhizome.E("check handle", rhizome.Exists, "handle is already taken").Named("HandleNotAvailable")
	}
	return h, nil
}

// checkActive refuses writes to accounts that are not active.
func (p *PDS) checkActive(ctx context.Context, did syntax.DID) error {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	switch a.Status {
	case store.Active:
		return nil
	case store.Takendown:
		return rhizome.E("check account", rhizome.Forbidden, "account has been taken down").Named("RepoTakendown")
	case store.Replica:
		return errReplica(did)
	}
	return rhizome.Errorf("check account", rhizome.Forbidden, "account is %s", a.Status).Named("RepoDeactivated")
}

// Account returns an account by DID.
func (p *PDS) Account(ctx context.Context, did syntax.DID) (store.Account, error) {
	a, err := p.store.Account(ctx, did)
	return a, notFoundAs(err, "AccountNotFound")
}

// ResolveAccount finds a hosted account by handle or DID.
func (p *PDS) ResolveAccount(ctx context.Context, id syntax.AtIdentifier) (store.Account, error) {
	s := string(id)
	if strings.HasPrefix(s, "did:") {
		return p.Account(ctx, syntax.DID(s))
	}
	a, err := p.store.AccountByHandle(ctx, syntax.Handle(strings.ToLower(s)))
	return a, notFoundAs(err, "RepoNotFound")
}

// SetStatus activates, deactivates or takes down an account.
func (p *PDS) SetStatus(ctx context.Context, did syntax.DID, st store.Status) error {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	if a.Status == st {
		return nil // no change, no event
	}
	u := store.AccountUpdate{Status: &st, Events: statusEvents(a, st)}
	if err := p.store.UpdateAccount(ctx, did, u); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	p.notify()
	if goesLive(a.Status, st) {
		return p.announceHead(ctx, did)
	}
	if st != store.Active {
		return p.store.DeleteRefreshTokens(ctx, did, "")
	}
	return nil
}

// DeleteAccount removes an account and its data, blobs included.
func (p *PDS) DeleteAccount(ctx context.Context, did syntax.DID) error {
	unlock := p.locks.lock(did)
	defer unlock()
	if err := p.store.DeleteAccount(ctx, did, accountEvent(did, "")); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	p.notify()
	p.forgetRepo(did)
	return p.blobs.DeleteAll(ctx, did)
}

// UpdateHandle gives an account a new handle and updates its DID document.
func (p *PDS) UpdateHandle(ctx context.Context, did syntax.DID, handle string) error {
	h, err := p.checkHandle(ctx, handle)
	if err != nil {
		if a, aerr := p.store.Account(ctx, did); aerr == nil && string(a.Handle) == strings.ToLower(handle) {
			return nil // already theirs
		}
		return err
	}
	if err := p.ids.UpdateHandle(ctx, did, h); err != nil {
		return err
	}
	u := store.AccountUpdate{Handle: &h, Events: []store.Event{identityEvent(did, h)}}
	if err := p.store.UpdateAccount(ctx, did, u); err != nil {
		return err
	}
	p.notify()
	return nil
}

// SetPassword replaces an account's password (admin reset).
func (p *PDS) SetPassword(ctx context.Context, did syntax.DID, pw string) error {
	if len(pw) < 8 {
		return rhizome.E("set password", rhizome.Invalid, "password must be at least 8 bytes")
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	if err := p.store.UpdateAccount(ctx, did, store.AccountUpdate{PasswordHash: &hash}); err != nil {
		return notFoundAs(err, "AccountNotFound")
	}
	return p.store.DeleteRefreshTokens(ctx, did, "")
}
