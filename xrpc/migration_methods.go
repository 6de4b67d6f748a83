package xrpc

import (
	"net/http"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// migrationRoutes are the methods that bring an existing identity to the
// pod (createAccount with a did is in serverRoutes).
func (s *Server) migrationRoutes() {
	s.handle("com.atproto.server.reserveSigningKey", http.MethodPost, public, reserveSigningKey)
	s.handle("com.atproto.identity.getRecommendedDidCredentials", http.MethodGet, user, recommendedCredentials).scopes(anyGrant)
}

// recommendedCredentials answers what the caller's PLC operation should
// name for this pod to host it.
func recommendedCredentials(c *call) (any, error) {
	return c.s.pds.RecommendedCredentials(c.ctx, c.caller.DID)
}

// reserveSigningKey reserves a repository signing key for a DID that is
// to move here. The lexicon makes did optional; this pod requires it, so
// that a reservation is bound to the identity that will use it.
func reserveSigningKey(c *call) (any, error) {
	var in struct{ DID string }
	if err := c.input(&in); err != nil {
		return nil, err
	}
	did, err := syntax.ParseDID(in.DID)
	if err != nil {
		return nil, rhizome.E("reserve signing key", rhizome.Invalid, "did is required and must be a DID")
	}
	k, err := c.s.pds.ReserveSigningKey(c.ctx, did)
	if err != nil {
		return nil, err
	}
	return map[string]string{"signingKey": k.DIDKey()}, nil
}
