package pds

import (
	"context"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// DIDState is a DID's current state, read from its directory or host
// afresh (no cache), as a pod needs it to host an existing identity.
type DIDState struct {
	SigningKey   keys.PublicKey   // the #atproto key; nil if there is none
	RotationKeys []keys.PublicKey // did:plc rotation keys, highest priority first
	PDS          string           // the #atproto_pds endpoint; "" if none
	// PastSigningKeys are the #atproto keys of the DID's earlier
	// operations that were not nullified, newest first (did:plc only).
	PastSigningKeys []keys.PublicKey
}

// DIDInspector is implemented by Identities that can read a DID's current
// state without a cache. A pod whose Identities does not implement it
// cannot host existing DIDs.
type DIDInspector interface {
	InspectDID(ctx context.Context, did syntax.DID) (DIDState, error)
}

// LxmCreateAccount is the method a createAccount service token must name.
const LxmCreateAccount syntax.NSID = "com.atproto.server.createAccount"

const opAdopt = "create account for existing DID"

// adoptDID creates an account for an identity that exists already: an
// account moving here from another pod, or one brought back from a
// backup after its pod is gone.
//
// The request must carry a service token (iss the DID, aud this pod's
// DID, lxm com.atproto.server.createAccount) signed by the DID's current
// #atproto key (what the old pod's getServiceAuth issues) or by one of its
// rotation keys (what the DID's owner signs when the old pod is gone), so
// no one else can claim the account when the DID starts naming this pod.
//
// The account's signing key is the one reserved for the DID
// (reserveSigningKey) if any, else a new one. The account is active when
// the DID document already names this pod as its PDS and that key as its
// #atproto key; otherwise it is deactivated until the owner updates the
// DID and calls activateAccount. The repository starts empty, to be
// replaced by importRepo.
func (p *PDS) adoptDID(ctx context.Context, in NewAccount) (*Session, error) {
	st, handle, err := p.checkAdoption(ctx, in)
	if err != nil {
		return nil, err
	}
	signer, err := p.adoptedSigner(ctx, in.DID)
	if err != nil {
		return nil, err
	}
	status := store.Deactivated
	if p.namesUs(st, signer.PublicKey()) {
		status = store.Active
	}
	a, err := p.storeAdopted(ctx, in, handle, signer, status)
	if err != nil {
		return nil, err
	}
	if err := p.reserved.Release(ctx, in.DID); err != nil {
		p.log.Warn("releasing a reserved key failed", "did", in.DID, "err", err)
	}
	p.log.Info("account adopted", "did", in.DID, "handle", handle, "status", status)
	return p.newSession(ctx, a, "", false)
}

// checkAdoption validates the request and its service token, and returns
// the DID's state and the normalised handle.
func (p *PDS) checkAdoption(ctx context.Context, in NewAccount) (DIDState, syntax.Handle, error) {
	if in.RecoveryKey != "" {
		return DIDState{}, "", rhizome.E(opAdopt, rhizome.Invalid, "recoveryKey applies only to a new DID; change an existing DID's rotation keys with a PLC operation")
	}
	if _, err := p.store.Account(ctx, in.DID); err == nil {
		return DIDState{}, "", rhizome.Errorf(opAdopt, rhizome.Exists, "%s already has an account here", in.DID).Named("AlreadyExists")
	}
	handle, err := p.checkNewAccount(ctx, in)
	if err != nil {
		return DIDState{}, "", err
	}
	st, err := p.inspect(ctx, in.DID)
	if err != nil {
		return DIDState{}, "", err
	}
	if err := p.checkAdoptionToken(in, st); err != nil {
		return DIDState{}, "", err
	}
	return st, handle, nil
}

func (p *PDS) inspect(ctx context.Context, did syntax.DID) (DIDState, error) {
	ins, ok := p.ids.(DIDInspector)
	if !ok {
		return DIDState{}, rhizome.E(opAdopt, rhizome.Invalid, "this pod cannot host existing DIDs").Named("IncompatibleDidDoc")
	}
	st, err := ins.InspectDID(ctx, did)
	if err != nil {
		return DIDState{}, rhizome.Errorf(opAdopt, rhizome.Invalid, "resolve %s: %w", did, err).Named("UnresolvableDid")
	}
	return st, nil
}

// checkAdoptionToken verifies the bearer token against the DID's signing
// key and then each rotation key.
func (p *PDS) checkAdoptionToken(in NewAccount, st DIDState) error {
	if in.Auth == "" {
		return rhizome.E(opAdopt, rhizome.Unauthorized,
			"a service token signed by the DID's signing key or one of its rotation keys is required").Named("AuthenticationRequired")
	}
	cands := st.RotationKeys
	if st.SigningKey != nil {
		cands = append([]keys.PublicKey{st.SigningKey}, cands...)
	}
	var last error = rhizome.E(opAdopt, rhizome.Unauthorized, "the DID has no key to check the token with").Named("InvalidToken")
	for _, k := range cands {
		c, err := auth.VerifyService(in.Auth, p.did, LxmCreateAccount, func(syntax.DID) (keys.PublicKey, error) { return k, nil }, time.Now())
		if err == nil {
			return checkIssuer(c, in.DID)
		}
		last = err
	}
	return last
}

func checkIssuer(c auth.ServiceClaims, did syntax.DID) error {
	if iss, _, _ := strings.Cut(c.Iss, "#"); iss != string(did) {
		return rhizome.Errorf(opAdopt, rhizome.Unauthorized, "the token was issued by %s, not %s", iss, did).Named("InvalidToken")
	}
	return nil
}

// adoptedSigner is the key reserved for did, or a new one.
func (p *PDS) adoptedSigner(ctx context.Context, did syntax.DID) (keys.Signer, error) {
	s, err := p.takeReserved(ctx, did)
	if err != nil || s != nil {
		return s, err
	}
	return keys.Generate(keys.K256)
}

// namesUs reports whether the DID's state names this pod and key.
func (p *PDS) namesUs(st DIDState, key keys.PublicKey) bool {
	return sameURL(st.PDS, p.cfg.PublicURL) && st.SigningKey != nil && st.SigningKey.Equal(key)
}

func sameURL(a, b string) bool {
	return a != "" && strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// storeAdopted writes the account with an empty repository and its events
// (#identity, #account, the genesis #commit).
func (p *PDS) storeAdopted(ctx context.Context, in NewAccount, h syntax.Handle, s keys.Signer, status store.Status) (store.Account, error) {
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return store.Account{}, err
	}
	sealed, err := p.keyring.Seal(s, string(in.DID))
	if err != nil {
		return store.Account{}, err
	}
	genesis, err := p.genesis(ctx, in.DID, s)
	if err != nil {
		return store.Account{}, err
	}
	a := store.Account{DID: in.DID, Handle: h, Email: in.Email, PasswordHash: hash,
		SigningKey: sealed, Status: status, CreatedAt: store.Now()}
	events := []store.Event{identityEvent(in.DID, h), accountEvent(in.DID, status)}
	if _, err := p.store.CreateAccount(ctx, store.NewAccount{Account: a, Genesis: genesis, InviteCode: in.InviteCode, Events: events}); err != nil {
		return store.Account{}, accountError(err)
	}
	p.notify()
	return a, nil
}

// checkImportable refuses imports and uploads to accounts that are taken
// down or suspended; a deactivated account may receive them, since that is
// how an account moving here is filled before it is activated.
func (p *PDS) checkImportable(ctx context.Context, did syntax.DID) error {
	a, err := p.store.Account(ctx, did)
	if err != nil {
		return notFoundAs(err, "RepoNotFound")
	}
	if a.Status == store.Deactivated {
		return nil
	}
	return p.checkActive(ctx, did)
}

// noteImportSigner logs which of the DID's keys signed an imported commit:
// the current #atproto key, an earlier one, or none the DID has had (then
// the import is still accepted, see ImportRepo).
func (p *PDS) noteImportSigner(ctx context.Context, did syntax.DID, imported *repo.Repo) {
	ins, ok := p.ids.(DIDInspector)
	if !ok {
		return
	}
	st, err := ins.InspectDID(ctx, did)
	if err != nil {
		p.log.Warn("import: cannot read the DID to check the commit's signer", "did", did, "err", err)
		return
	}
	commit, _ := imported.Head()
	if st.SigningKey != nil && commit.Verify(st.SigningKey) == nil {
		p.log.Info("import: commit signed by the DID's current key", "did", did, "rev", commit.Rev)
		return
	}
	for _, k := range st.PastSigningKeys {
		if commit.Verify(k) == nil {
			p.log.Info("import: commit signed by an earlier key of the DID", "did", did, "rev", commit.Rev, "key", k.DIDKey())
			return
		}
	}
	p.log.Warn("import: commit signed by no key the DID has had; the pod re-signs it", "did", did, "rev", commit.Rev)
}
