package xrpc

import (
	"net/http"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// identityReadRoutes are the methods that resolve any identity through
// the pod's resolver. refreshIdentity makes the pod look up afresh, so
// it takes a session (as the reference PDS does) and counts against the
// caller's write limit; any OAuth grant may call it, as it reads only
// public state.
func (s *Server) identityReadRoutes() {
	s.handle("com.atproto.identity.resolveDid", http.MethodGet, public, resolveDID)
	s.handle("com.atproto.identity.resolveIdentity", http.MethodGet, public, resolveIdentity)
	s.handle("com.atproto.identity.refreshIdentity", http.MethodPost, user, refreshIdentity).scopes(anyGrant)
}

// resolveDID answers com.atproto.identity.resolveDid: {did} → {didDoc},
// the document as resolved, with no handle check. Errors: DidNotFound,
// DidDeactivated (a tombstoned did:plc), InvalidRequest for a bad DID.
func resolveDID(c *call) (any, error) {
	q := c.query()
	did := q.did("did")
	if q.err != nil {
		return nil, q.err
	}
	doc, err := c.s.pds.ResolveDID(c.ctx, did)
	if err != nil {
		return nil, err
	}
	return map[string]any{"didDoc": doc}, nil
}

// resolveIdentity answers com.atproto.identity.resolveIdentity:
// {identifier} (a handle or a DID) → {did, handle, didDoc}, the handle
// checked in both directions (handle.invalid when it does not resolve
// back). Errors: HandleNotFound, DidNotFound, DidDeactivated.
func resolveIdentity(c *call) (any, error) {
	q := c.query()
	id := q.atid("identifier")
	if q.err != nil {
		return nil, q.err
	}
	return c.s.pds.ResolveIdentity(c.ctx, id)
}

// refreshIdentity answers com.atproto.identity.refreshIdentity: the
// pod's resolver forgets what it remembers about {identifier}, then
// answers as resolveIdentity does.
func refreshIdentity(c *call) (any, error) {
	var in struct {
		Identifier string `json:"identifier"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	id, err := syntax.ParseAtIdentifier(in.Identifier)
	if err != nil {
		return nil, rhizome.Errorf("read input", rhizome.Invalid, "identifier: %v", err)
	}
	return c.s.pds.RefreshIdentity(c.ctx, id)
}
