package xrpc

import (
	"net/http"

	"github.com/rhizome-pds/rhizome"
)

// grantRoutes lets the account holder list and revoke OAuth grants with
// a password session (rhizome grants list / revoke). An app's own grant
// cannot list or revoke grants.
func (s *Server) grantRoutes() {
	s.handle("dev.rhizome.server.listGrants", http.MethodGet, user, listGrants).scopes(sessionOnly)
	s.handle("dev.rhizome.server.revokeGrant", http.MethodPost, userFull, revokeGrant).scopes(sessionOnly)
}

// noOAuth is the answer of a pod that serves no authorization server.
func noOAuth() error {
	return rhizome.E("grants", rhizome.NotFound, "this pod does not serve OAuth").Named("MethodNotImplemented")
}

func listGrants(c *call) (any, error) {
	if c.s.opts.OAuth == nil {
		return nil, noOAuth()
	}
	gs, err := c.s.opts.OAuth.Grants(c.ctx, c.caller.DID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"grants": gs}, nil
}

func revokeGrant(c *call) (any, error) {
	var in struct {
		ID string `json:"id"`
	}
	if err := c.input(&in); err != nil {
		return nil, err
	}
	if c.s.opts.OAuth == nil {
		return nil, noOAuth()
	}
	if in.ID == "" {
		return nil, rhizome.E("revoke grant", rhizome.Invalid, "id is required")
	}
	return struct{}{}, c.s.opts.OAuth.RevokeGrant(c.ctx, c.caller.DID, in.ID)
}
