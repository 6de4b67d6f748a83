package pds

import (
	"context"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Session is what createSession, refreshSession and createAccount return.
type Session struct {
	Account    store.Account
	AccessJWT  string
	RefreshJWT string
	Scope      auth.Scope
}

// refreshGrace is how long a rotated refresh token keeps working, so a
// client that lost the response to its refresh can retry.
const refreshGrace = 2 * time.Minute

// CreateSession logs in by handle, email or DID with the account password
// or an app password.
func (p *PDS) CreateSession(ctx context.Context, identifier, password string) (*Session, error) {
	a, err := p.lookupLogin(ctx, identifier)
	if err != nil {
		return nil, err
	}
	if auth.CheckPassword(a.PasswordHash, password) == nil {
		return p.loggedIn(ctx, a, "", false)
	}
	aps, err := p.store.AppPasswords(ctx, a.DID)
	if err != nil {
		return nil, err
	}
	for _, ap := range aps {
		if auth.CheckPassword(ap.PasswordHash, password) == nil {
			return p.loggedIn(ctx, a, ap.Name, ap.Privileged)
		}
	}
	return nil, badLogin()
}

// SignIn checks an account's own password (never an app password) for
// the OAuth sign-in page. Taken-down accounts cannot sign in.
func (p *PDS) SignIn(ctx context.Context, identifier, password string) (store.Account, error) {
	a, err := p.lookupLogin(ctx, identifier)
	if err != nil {
		return a, err
	}
	if auth.CheckPassword(a.PasswordHash, password) != nil {
		return store.Account{}, badLogin()
	}
	if a.Status == store.Takendown {
		return store.Account{}, rhizome.E("sign in", rhizome.Forbidden, "the account is taken down").Named("AccountTakedown")
	}
	return a, nil
}

func badLogin() error {
	return rhizome.E("create session", rhizome.Unauthorized, "invalid identifier or password").Named("AuthenticationRequired")
}

// lookupLogin finds the account signing in; a replica has no sign-in
// here (its account lives on its primary).
func (p *PDS) lookupLogin(ctx context.Context, id string) (store.Account, error) {
	a, err := p.findLogin(ctx, id)
	if err == nil && a.Status == store.Replica {
		return store.Account{}, errReplica(a.DID)
	}
	return a, err
}

func (p *PDS) findLogin(ctx context.Context, id string) (store.Account, error) {
	id = strings.TrimSpace(id)
	var a store.Account
	var err error
	switch {
	case strings.HasPrefix(id, "did:"):
		a, err = p.store.Account(ctx, syntax.DID(id))
	case strings.Contains(id, "@"):
		a, err = p.store.AccountByEmail(ctx, id)
	default:
		a, err = p.store.AccountByHandle(ctx, syntax.Handle(strings.ToLower(id)))
	}
	if rhizome.Is(err, rhizome.NotFound) {
		return a, badLogin()
	}
	return a, err
}

func (p *PDS) loggedIn(ctx context.Context, a store.Account, appPassword string, privileged bool) (*Session, error) {
	if a.Status == store.Takendown {
		return nil, rhizome.E("create session", rhizome.Unauthorized, "account has been taken down").Named("AccountTakedown")
	}
	return p.newSession(ctx, a, appPassword, privileged)
}

// newSession issues an access and a refresh token and records the latter.
func (p *PDS) newSession(ctx context.Context, a store.Account, appPassword string, privileged bool) (*Session, error) {
	s, rt, err := p.issue(a, appPassword, privileged)
	if err != nil {
		return nil, err
	}
	return s, p.store.PutRefreshToken(ctx, rt)
}

// issue makes a session's tokens without recording anything.
func (p *PDS) issue(a store.Account, appPassword string, privileged bool) (*Session, store.RefreshToken, error) {
	scope := auth.Access
	switch {
	case appPassword != "" && privileged:
		scope = auth.AppPassPrivileged
	case appPassword != "":
		scope = auth.AppPass
	}
	access, err := p.sessions.Access(a.DID, scope)
	if err != nil {
		return nil, store.RefreshToken{}, err
	}
	refresh, id, exp, err := p.sessions.Refresh(a.DID)
	if err != nil {
		return nil, store.RefreshToken{}, err
	}
	rt := store.RefreshToken{ID: id, DID: a.DID, AppPassword: appPassword, ExpiresAt: exp}
	return &Session{Account: a, AccessJWT: access, RefreshJWT: refresh, Scope: scope}, rt, nil
}

// RefreshSession rotates a refresh token into a new session. A token works
// once: using it again is an ExpiredToken error.
func (p *PDS) RefreshSession(ctx context.Context, refreshJWT string) (*Session, error) {
	c, err := p.sessions.Verify(refreshJWT, auth.Refresh)
	if err != nil {
		return nil, err
	}
	old, err := p.store.RefreshToken(ctx, c.ID)
	if err != nil || old.NextID != "" {
		return nil, rhizome.E("refresh session", rhizome.Unauthorized, "token was revoked or already used").Named("ExpiredToken")
	}
	a, err := p.store.Account(ctx, c.DID)
	if err != nil {
		return nil, rhizome.E("refresh session", rhizome.Unauthorized, "account is gone").Named("InvalidToken")
	}
	if a.Status == store.Takendown {
		return nil, rhizome.E("refresh session", rhizome.Unauthorized, "account has been taken down").Named("AccountTakedown")
	}
	s, rt, err := p.issue(a, old.AppPassword, p.privileged(ctx, a.DID, old.AppPassword))
	if err != nil {
		return nil, err
	}
	if err := p.store.RotateRefreshToken(ctx, old.ID, rt, time.Now().Add(refreshGrace)); err != nil {
		return nil, rhizome.E("refresh session", rhizome.Unauthorized, err).Named("ExpiredToken")
	}
	return s, nil
}

func (p *PDS) privileged(ctx context.Context, did syntax.DID, appPassword string) bool {
	if appPassword == "" {
		return false
	}
	aps, _ := p.store.AppPasswords(ctx, did)
	for _, ap := range aps {
		if ap.Name == appPassword {
			return ap.Privileged
		}
	}
	return false
}

// DeleteSession revokes a refresh token (logout).
func (p *PDS) DeleteSession(ctx context.Context, refreshJWT string) error {
	c, err := p.sessions.Verify(refreshJWT, auth.Refresh)
	if err != nil {
		return err
	}
	return p.store.DeleteRefreshToken(ctx, c.ID)
}

// CreateAppPassword makes a named app password and returns it in clear,
// once.
func (p *PDS) CreateAppPassword(ctx context.Context, did syntax.DID, name string, privileged bool) (store.AppPassword, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return store.AppPassword{}, "", rhizome.E("create app password", rhizome.Invalid, "name must be 1 to 100 characters")
	}
	pw := newAppPassword()
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return store.AppPassword{}, "", err
	}
	ap := store.AppPassword{DID: did, Name: name, PasswordHash: hash, Privileged: privileged, CreatedAt: store.Now()}
	if err := p.store.CreateAppPassword(ctx, ap); err != nil {
		if rhizome.Is(err, rhizome.Exists) {
			return ap, "", rhizome.E("create app password", rhizome.Exists, "an app password by that name exists").Named("DuplicateName")
		}
		return ap, "", err
	}
	return ap, pw, nil
}

// newAppPassword returns a password in the xxxx-xxxx-xxxx-xxxx form.
func newAppPassword() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	b := []byte(auth.NewSecret())
	var sb strings.Builder
	for i := 0; i < 16; i++ {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[b[i]%32])
	}
	return sb.String()
}

// ServiceAuth issues a service JWT signed with the account's repository
// key, for the account's client to present to another service.
func (p *PDS) ServiceAuth(ctx context.Context, did syntax.DID, aud string, lxm syntax.NSID, life time.Duration) (string, error) {
	s, err := p.signer(ctx, did)
	if err != nil {
		return "", err
	}
	return auth.SignService(s, did, aud, lxm, time.Now(), life)
}
