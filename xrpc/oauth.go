package xrpc

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	oauth "github.com/rhizome-pds/rhizome/oauth/server"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/repo"
	"github.com/rhizome-pds/rhizome/syntax"
)

// OAuth authenticates resource requests that carry DPoP-bound OAuth
// access tokens ("Authorization: DPoP ..."). *oauth/server.Server
// implements it.
type OAuth interface {
	Authenticate(r *http.Request) (oauth.Grant, error)
	// WriteAuthError answers a failed Authenticate with the DPoP
	// challenge and a fresh nonce, so clients can retry.
	WriteAuthError(w http.ResponseWriter, err error)
	Nonce() string
	// Grants and RevokeGrant list and end an account's grants
	// (dev.rhizome.server.listGrants / revokeGrant, for the CLI).
	Grants(ctx context.Context, did syntax.DID) ([]oauth.GrantInfo, error)
	RevokeGrant(ctx context.Context, did syntax.DID, id string) error
}

// oauthSession marks a caller authenticated by an OAuth grant. It is never
// issued by auth.Sessions, so no session token can claim it.
const oauthSession auth.Scope = "oauth"

// need is what an OAuth grant must allow to call a user method. Every
// user method declares one (the route table test fails otherwise); legacy
// session tokens keep their own rules (access, app password, privileged).
type need struct {
	kind     needKind
	account  scope.AccountAttr
	action   scope.AccountAction
	identity scope.IdentityAttr
}

type needKind int

const (
	needUnset     needKind = iota
	needNothing            // any grant (the atproto scope): reads of the caller's own state
	needInHandler          // the handler checks (records by collection, blobs by type, rpc by method)
	needAccount            // account:<attr>?action=<action>
	needIdentity           // identity:<attr>
	needSession            // not for OAuth grants: password sessions only (app passwords, say)
)

var (
	anyGrant     = need{kind: needNothing}
	inHandler    = need{kind: needInHandler}
	sessionOnly  = need{kind: needSession}
	manageRepo   = need{kind: needAccount, account: scope.AccountRepo, action: scope.AccountManage}
	handleChange = need{kind: needIdentity, identity: scope.IdentityHandle}
	identityAny  = need{kind: needIdentity, identity: scope.IdentityAny}
)

// scopes sets what an OAuth grant must allow to call the route.
func (rt *route) scopes(n need) *route {
	rt.need = n
	return rt
}

// usesDPoP reports whether the request authenticates with an OAuth token.
func usesDPoP(r *http.Request) bool {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "DPoP")
}

// authenticate identifies the caller of a user method: an OAuth grant
// (DPoP) when the pod serves OAuth, else a session token. full asks for a
// full session or a privileged app password.
func (s *Server) authenticate(c *call, full bool) error {
	if !usesDPoP(c.r) || s.opts.OAuth == nil {
		var err error
		c.caller, err = s.bearer(c.r, full)
		return err
	}
	g, err := s.opts.OAuth.Authenticate(c.r)
	if err != nil {
		return &oauthRefusal{err}
	}
	c.caller = auth.Claims{DID: g.DID, Scope: oauthSession, ID: g.ID, Expires: g.ExpiresAt}
	c.grant = g.Scopes
	c.w.Header().Set("DPoP-Nonce", s.opts.OAuth.Nonce())
	return nil
}

// oauthRefusal is a failed OAuth authentication, answered with the DPoP
// challenge rather than the XRPC error shape alone.
type oauthRefusal struct{ err error }

func (e *oauthRefusal) Error() string { return e.err.Error() }
func (e *oauthRefusal) Unwrap() error { return e.err }

// checkNeed applies the route's declared need to an OAuth caller.
func (c *call) checkNeed(n need) error {
	if c.grant == nil {
		return nil
	}
	switch n.kind {
	case needNothing, needInHandler:
		return nil
	case needAccount:
		return c.require(c.grant.AllowsAccount(n.account, n.action), scope.Account{Attr: n.account, Action: n.action})
	case needIdentity:
		return c.require(c.grant.AllowsIdentity(n.identity), scope.Identity{Attr: n.identity})
	case needSession:
		return rhizome.E("check scope", rhizome.Forbidden, "this method needs a password session, not an OAuth grant")
	}
	return rhizome.E("check scope", rhizome.Other, "the method declares no OAuth permission")
}

// require refuses a call its grant does not cover, naming the missing
// permission the way the reference implementation does.
func (c *call) require(ok bool, missing scope.Scope) error {
	c.checked = true
	if ok {
		return nil
	}
	return rhizome.Errorf("check scope", rhizome.Forbidden, "Missing required scope %q", missing.String()).Named("ScopeMissingError")
}

// allowRepo checks an OAuth caller's grant for action on records of
// collection. putRecord, an upsert, asks for create and update.
func (c *call) allowRepo(collection syntax.NSID, action scope.RepoAction) error {
	if c.grant == nil {
		return nil
	}
	return c.require(c.grant.AllowsRepo(collection, action), scope.Repo{Collections: []syntax.NSID{collection}, Actions: action})
}

// allowWrites checks an OAuth caller's grant for each write of a batch.
func (c *call) allowWrites(ws []pds.Write) error {
	for _, w := range ws {
		if err := c.allowRepo(w.Collection, writeAction(w.Action)); err != nil {
			return err
		}
	}
	c.checked = true
	return nil
}

func writeAction(a repo.Action) scope.RepoAction {
	switch a {
	case repo.Delete:
		return scope.ActionDelete
	case repo.Update:
		return scope.ActionUpdate
	}
	return scope.ActionCreate
}

// allowBlob checks an OAuth caller's grant for a blob of type mime.
func (c *call) allowBlob(mime string) error {
	if c.grant == nil {
		return nil
	}
	b, err := scope.NewBlob([]string{mime})
	if err != nil {
		b, _ = scope.NewBlob([]string{"*/*"})
	}
	return c.require(c.grant.AllowsBlob(mime), b)
}

// allowRPC checks an OAuth caller's grant for calling lxm at aud (a
// service-auth token or a proxied call).
func (c *call) allowRPC(lxm, aud string) error {
	if c.grant == nil {
		return nil
	}
	missing := scope.RPC{AnyMethod: lxm == "*", Aud: aud}
	if !missing.AnyMethod {
		missing.Methods = []syntax.NSID{syntax.NSID(lxm)}
	}
	return c.require(c.grant.AllowsRPC(lxm, aud), missing)
}

// Method describes one method of the table, for tests and documents.
type Method struct {
	NSID   string
	HTTP   string // GET or POST
	Access string // "public", "user", "userFull" or "admin"
	// OAuth is what a grant needs for a user method: "any grant",
	// "checked by the handler", "account:ATTR?action=ACTION",
	// "identity:ATTR", "password session only"; "" if undeclared.
	OAuth string
}

// Methods lists the pod's XRPC methods (without the event streams, which
// need a firehose), sorted by NSID.
func Methods() []Method {
	s := New(nil, Options{})
	out := make([]Method, 0, len(s.routes))
	for nsid, rt := range s.routes {
		out = append(out, Method{NSID: nsid, HTTP: rt.method, Access: rt.access.String(), OAuth: rt.need.String()})
	}
	slices.SortFunc(out, func(a, b Method) int { return strings.Compare(a.NSID, b.NSID) })
	return out
}

func (a access) String() string {
	return [...]string{"public", "user", "userFull", "admin"}[a]
}

func (n need) String() string {
	switch n.kind {
	case needNothing:
		return "any grant"
	case needInHandler:
		return "checked by the handler"
	case needAccount:
		return scope.Account{Attr: n.account, Action: n.action}.String()
	case needIdentity:
		return scope.Identity{Attr: n.identity}.String()
	case needSession:
		return "password session only"
	}
	return ""
}

// allowLocalRPC checks an OAuth caller's grant for a method the pod
// answers itself though apps ask for it as an app view's (preferences):
// any rpc permission naming lxm, whatever its audience, allows it.
func (c *call) allowLocalRPC(lxm string) error {
	if c.grant == nil {
		return nil
	}
	ok := c.grant.AllowsRPC(lxm, "*")
	for _, sc := range c.grant.Scopes() {
		if r, isRPC := sc.(scope.RPC); isRPC && (r.AnyMethod || slices.Contains(r.Methods, syntax.NSID(lxm))) {
			ok = true
		}
	}
	return c.require(ok, scope.RPC{Methods: []syntax.NSID{syntax.NSID(lxm)}, Aud: "*"})
}
