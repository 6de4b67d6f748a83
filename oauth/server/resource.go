package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Grant is what an authenticated resource request may do.
type Grant struct {
	ID        string // the grant (Family) ID
	DID       syntax.DID
	ClientID  string
	Scopes    *scope.Set // expanded at issuance
	JKT       string
	ExpiresAt time.Time // of the access token
}

// Authenticate checks a resource request: "Authorization: DPoP <token>"
// with a DPoP proof for this method and URL (the configured Resource
// origin and the request path), bound to the token's key and carrying its
// hash, and that the grant is still active, so a revocation bites on the
// next request. Errors are *rhizome.Error of kind Unauthorized named with
// the OAuth code; answer them with [Server.WriteAuthError].
func (s *Server) Authenticate(r *http.Request) (Grant, error) {
	tok, err := dpopToken(r.Header.Get("Authorization"))
	if err != nil {
		return Grant{}, err
	}
	c, did, err := s.parseAccess(tok)
	if err != nil {
		return Grant{}, err
	}
	proof, err := dpop.FromHeader(r.Header)
	if err == nil && proof == "" {
		err = oauthError(rhizome.Unauthorized, dpop.CodeInvalidProof, "a DPoP proof is required")
	}
	if err != nil {
		return Grant{}, err
	}
	req := dpop.Request{Method: r.Method, URL: s.cfg.Resource + r.URL.Path, AccessToken: tok, JKT: c.Cnf["jkt"]}
	if _, err := s.cfg.DPoP.Verify(r.Context(), proof, req); err != nil {
		return Grant{}, err
	}
	return s.activeGrant(r, c, did)
}

func dpopToken(h string) (string, error) {
	scheme, tok, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "DPoP") && tok != "":
		return tok, nil
	case strings.EqualFold(scheme, "Bearer"):
		return "", oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "OAuth access tokens must be sent with the DPoP scheme")
	}
	return "", oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "missing DPoP authorization")
}

func (s *Server) activeGrant(r *http.Request, c *accessClaims, did syntax.DID) (Grant, error) {
	fam, err := s.cfg.Store.Family(r.Context(), c.Grant)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		return Grant{}, oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "unknown grant")
	case err != nil:
		return Grant{}, err
	case !fam.Active(s.cfg.Now()):
		return Grant{}, oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "the grant was revoked or has expired")
	}
	set, err := scope.ParseSet(c.Scope)
	if err != nil {
		return Grant{}, oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "the token's scope is invalid")
	}
	return Grant{ID: fam.ID, DID: did, ClientID: c.ClientID, Scopes: set, JKT: fam.JKT, ExpiresAt: c.ExpiresAt.Time}, nil
}

// WriteAuthError answers a failed Authenticate: 401 with a DPoP challenge
// naming the error and a fresh nonce (RFC 9449 §7.1, §9).
func (s *Server) WriteAuthError(w http.ResponseWriter, err error) {
	status := http.StatusUnauthorized
	if !rhizome.Is(err, rhizome.Unauthorized) {
		status = http.StatusInternalServerError
	}
	w.Header().Set("WWW-Authenticate", dpop.Challenge(err))
	w.Header().Set("DPoP-Nonce", s.Nonce())
	code := rhizome.NameOf(err)
	if code == "" {
		code = "server_error"
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": err.Error()})
}
