package xrpc

import (
	"net/http"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/store"
	"github.com/rhizome-pds/rhizome/syntax"
)

func (s *Server) serverRoutes() {
	s.handle("com.atproto.server.describeServer", http.MethodGet, public, describeServer)
	s.handle("com.atproto.server.createAccount", http.MethodPost, public, createAccount)
	s.handle("com.atproto.server.createSession", http.MethodPost, public, createSession)
	s.handle("com.atproto.server.refreshSession", http.MethodPost, public, refreshSession)
	s.handle("com.atproto.server.getSession", http.MethodGet, user, getSession).scopes(anyGrant)
	s.handle("com.atproto.server.deleteSession", http.MethodPost, public, deleteSession)
	s.handle("com.atproto.server.createAppPassword", http.MethodPost, userFull, createAppPassword).scopes(sessionOnly)
	s.handle("com.atproto.server.listAppPasswords", http.MethodGet, user, listAppPasswords).scopes(sessionOnly)
	s.handle("com.atproto.server.revokeAppPassword", http.MethodPost, userFull, revokeAppPassword).scopes(sessionOnly)
	s.handle("com.atproto.server.deactivateAccount", http.MethodPost, userFull, deactivateAccount).scopes(manageRepo)
	s.handle("com.atproto.server.activateAccount", http.MethodPost, userFull, activateAccount).scopes(manageRepo)
	s.handle("com.atproto.server.deleteAccount", http.MethodPost, public, deleteAccount)
	s.handle("com.atproto.server.checkAccountStatus", http.MethodGet, user, checkAccountStatus).scopes(anyGrant)
	s.handle("com.atproto.server.getServiceAuth", http.MethodGet, userFull, getServiceAuth).scopes(inHandler)
}

func describeServer(c *call) (any, error) {
	cfg := c.s.pds.Config()
	return map[string]any{
		"did": c.s.pds.DID(), "availableUserDomains": cfg.HandleDomains,
		"inviteCodeRequired": cfg.InviteRequired, "phoneVerificationRequired": false,
		"links": map[string]any{}, "contact": map[string]any{},
	}, nil
}

type sessionOut struct {
	AccessJwt       string `json:"accessJwt,omitempty"`
	RefreshJwt      string `json:"refreshJwt,omitempty"`
	Handle          string `json:"handle"`
	DID             string `json:"did"`
	Email           string `json:"email,omitempty"`
	EmailConfirmed  bool   `json:"emailConfirmed"`
	Active          bool   `json:"active"`
	Status          string `json:"status,omitempty"`
	DidDoc          any    `json:"didDoc,omitempty"`
	EmailAuthFactor bool   `json:"emailAuthFactor"`
}

func sessionJSON(s *pds.Session) sessionOut {
	out := sessionOut{AccessJwt: s.AccessJWT, RefreshJwt: s.RefreshJWT, Handle: string(s.Account.Handle),
		DID: string(s.Account.DID), Active: s.Account.Status == store.Active}
	if s.Scope == auth.Access || s.Scope == auth.AppPassPrivileged {
		out.Email = s.Account.Email
	}
	if !out.Active {
		out.Status = string(s.Account.Status)
	}
	return out
}

// withDoc adds the account's DID document, as clients expect on sessions.
func (c *call) withDoc(out sessionOut) sessionOut {
	if doc, err := c.s.pds.DIDDocument(c.ctx, syntax.DID(out.DID)); err == nil {
		out.DidDoc = doc
	}
	return out
}

func createAccount(c *call) (any, error) {
	var in struct {
		Handle, Email, Password, InviteCode, RecoveryKey, DID string
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	na := pds.NewAccount{Handle: syntax.Handle(in.Handle), Email: in.Email,
		Password: in.Password, InviteCode: in.InviteCode, RecoveryKey: in.RecoveryKey}
	if in.DID != "" {
		did, err := syntax.ParseDID(in.DID)
		if err != nil {
			return nil, rhizome.E("create account", rhizome.Invalid, err)
		}
		na.DID = did
		na.Auth, _ = bearerToken(c.r) // a service token; checked by the pod
	}
	s, err := c.s.pds.CreateAccount(c.ctx, na)
	if err != nil {
		return nil, err
	}
	return c.withDoc(sessionJSON(s)), nil
}

func createSession(c *call) (any, error) {
	var in struct{ Identifier, Password string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	s, err := c.s.pds.CreateSession(c.ctx, in.Identifier, in.Password)
	if err != nil {
		return nil, err
	}
	return c.withDoc(sessionJSON(s)), nil
}

func refreshSession(c *call) (any, error) {
	tok, err := bearerToken(c.r)
	if err != nil {
		return nil, err
	}
	s, err := c.s.pds.RefreshSession(c.ctx, tok)
	if err != nil {
		return nil, err
	}
	return c.withDoc(sessionJSON(s)), nil
}

func deleteSession(c *call) (any, error) {
	tok, err := bearerToken(c.r)
	if err != nil {
		return nil, err
	}
	if err := c.s.pds.DeleteSession(c.ctx, tok); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func getSession(c *call) (any, error) {
	a, err := c.s.pds.Account(c.ctx, c.caller.DID)
	if err != nil {
		return nil, rhizome.E("get session", rhizome.Unauthorized, err).Named("InvalidToken")
	}
	out := sessionJSON(&pds.Session{Account: a, Scope: c.caller.Scope})
	if c.grant.AllowsAccount(scope.AccountEmail, scope.AccountRead) {
		out.Email = a.Email
	}
	return c.withDoc(out), nil
}

func createAppPassword(c *call) (any, error) {
	var in struct {
		Name       string
		Privileged bool
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	ap, pw, err := c.s.pds.CreateAppPassword(c.ctx, c.caller.DID, in.Name, in.Privileged)
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": ap.Name, "password": pw, "createdAt": datetime(ap.CreatedAt), "privileged": ap.Privileged}, nil
}

func listAppPasswords(c *call) (any, error) {
	aps, err := c.s.pds.Store().AppPasswords(c.ctx, c.caller.DID)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(aps))
	for i, ap := range aps {
		out[i] = map[string]any{"name": ap.Name, "createdAt": datetime(ap.CreatedAt), "privileged": ap.Privileged}
	}
	return map[string]any{"passwords": out}, nil
}

func revokeAppPassword(c *call) (any, error) {
	var in struct{ Name string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if err := c.s.pds.Store().DeleteAppPassword(c.ctx, c.caller.DID, in.Name); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func deactivateAccount(c *call) (any, error) {
	return struct{}{}, c.s.pds.SetStatus(c.ctx, c.caller.DID, store.Deactivated)
}

func activateAccount(c *call) (any, error) {
	return struct{}{}, c.s.pds.SetStatus(c.ctx, c.caller.DID, store.Active)
}

func deleteAccount(c *call) (any, error) {
	var in struct{ DID, Password, Token string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	did, err := syntax.ParseDID(in.DID)
	if err != nil {
		return nil, rhizome.E("delete account", rhizome.Invalid, err)
	}
	if _, err := c.s.pds.CreateSession(c.ctx, string(did), in.Password); err != nil {
		return nil, err
	}
	return struct{}{}, c.s.pds.DeleteAccount(c.ctx, did)
}

func checkAccountStatus(c *call) (any, error) {
	st, err := c.s.pds.AccountStatus(c.ctx, c.caller.DID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"activated": st.Active, "validDid": st.ValidDID,
		"repoCommit": st.Head.Commit.String(), "repoRev": string(st.Head.Rev), "repoBlocks": st.Blocks,
		"indexedRecords": st.Records, "privateStateValues": st.PrivateState,
		"expectedBlobs": st.ExpectedBlobs, "importedBlobs": st.ImportedBlobs}, nil
}

func getServiceAuth(c *call) (any, error) {
	q := c.r.URL.Query()
	aud := q.Get("aud")
	if _, err := syntax.ParseDID(strings.SplitN(aud, "#", 2)[0]); err != nil {
		return nil, rhizome.E("get service auth", rhizome.Invalid, "aud must be a DID")
	}
	var lxm syntax.NSID
	if v := q.Get("lxm"); v != "" {
		n, err := syntax.ParseNSID(v)
		if err != nil {
			return nil, rhizome.E("get service auth", rhizome.Invalid, err)
		}
		lxm = n
	}
	life := time.Minute
	if exp := q.Get("exp"); exp != "" {
		t, err := parseUnix(exp)
		if err != nil || time.Until(t) > auth.MaxServiceLifetime || time.Until(t) <= 0 {
			return nil, rhizome.E("get service auth", rhizome.Invalid, "exp must be within the next hour").Named("BadExpiration")
		}
		life = time.Until(t)
	}
	want := string(lxm)
	if want == "" {
		want = "*"
	}
	if err := c.allowRPC(want, aud); err != nil {
		return nil, err
	}
	tok, err := c.s.pds.ServiceAuth(c.ctx, c.caller.DID, aud, lxm, life)
	if err != nil {
		return nil, err
	}
	return map[string]string{"token": tok}, nil
}
