package server

import (
	"context"
	"net/http"
	"regexp"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/scope"
)

// pkceChallenge is a base64url SHA-256: 43 characters.
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// servePAR takes a pushed authorization request (RFC 9126) and answers
// with its request_uri.
func (s *Server) servePAR(w http.ResponseWriter, r *http.Request) {
	proof, err := s.proofAt(r, "/oauth/par", "", "")
	if err != nil {
		s.writeError(w, err)
		return
	}
	req, err := s.newRequest(r, proof)
	if err != nil {
		s.writeError(w, err)
		return
	}
	if err := s.cfg.Store.PutRequest(r.Context(), req); err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("DPoP-Nonce", s.Nonce())
	writeJSON(w, http.StatusCreated, map[string]any{
		"request_uri": requestURIPrefix + req.ID, "expires_in": int(RequestLifetime.Seconds())})
}

// proofAt verifies the request's DPoP proof for the endpoint at path,
// against the key jkt and the access token when given.
func (s *Server) proofAt(r *http.Request, path, jkt, token string) (*dpop.Proof, error) {
	p, err := dpop.FromHeader(r.Header)
	if err != nil {
		return nil, err
	}
	if p == "" {
		return nil, oauthError(rhizome.Unauthorized, dpop.CodeInvalidProof, "a DPoP proof is required")
	}
	return s.cfg.DPoP.Verify(r.Context(), p, dpop.Request{Method: r.Method, URL: s.cfg.Issuer + path, AccessToken: token, JKT: jkt})
}

// newRequest checks the parameters of a PAR against the client metadata.
func (s *Server) newRequest(r *http.Request, proof *dpop.Proof) (*Request, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, oauthError(rhizome.Invalid, "invalid_request", "unreadable form: %v", err)
	}
	f := r.PostForm
	client, err := s.client(r.Context(), f.Get("client_id"))
	if err != nil {
		return nil, err
	}
	clientJKT, err := s.authenticateClient(r.Context(), client, f, proof.JKT)
	if err != nil {
		return nil, err
	}
	req := &Request{ID: randomToken(), ClientID: client.ClientID, State: f.Get("state"),
		Scope: f.Get("scope"), CodeChallenge: f.Get("code_challenge"), ResponseMode: f.Get("response_mode"),
		JKT: proof.JKT, ClientJKT: clientJKT, LoginHint: f.Get("login_hint"), ExpiresAt: s.cfg.Now().Add(RequestLifetime)}
	req.RedirectURI, err = redirectFor(client, f.Get("redirect_uri"))
	if err != nil {
		return nil, err
	}
	return req, s.checkRequest(r.Context(), client, req, f.Get("response_type"), f.Get("code_challenge_method"))
}

// client resolves a client, reporting failures as invalid_client.
func (s *Server) client(ctx context.Context, id string) (*Client, error) {
	if id == "" {
		return nil, oauthError(rhizome.Invalid, "invalid_request", "missing client_id")
	}
	c, err := s.cfg.Clients.ResolveClient(ctx, id)
	if err != nil {
		return nil, rhizome.E("resolve oauth client", rhizome.KindOf(err), err).Named("invalid_client")
	}
	return c, nil
}

func redirectFor(c *Client, uri string) (string, error) {
	switch {
	case uri == "" && len(c.RedirectURIs) == 1:
		return c.RedirectURIs[0], nil
	case uri == "":
		return "", oauthError(rhizome.Invalid, "invalid_request", "missing redirect_uri")
	case !c.AllowsRedirect(uri):
		return "", oauthError(rhizome.Invalid, "invalid_request", "redirect_uri %q is not in the client metadata", clip(uri))
	}
	return uri, nil
}

func (s *Server) checkRequest(ctx context.Context, c *Client, req *Request, responseType, method string) error {
	switch {
	case responseType != "code":
		return oauthError(rhizome.Invalid, "unsupported_response_type", "response_type must be code")
	case method != "S256" || !pkceChallenge.MatchString(req.CodeChallenge):
		return oauthError(rhizome.Invalid, "invalid_request", "PKCE with code_challenge_method S256 is required")
	case req.ResponseMode == "":
		req.ResponseMode = "query"
	case req.ResponseMode != "query" && req.ResponseMode != "fragment":
		return oauthError(rhizome.Invalid, "invalid_request", "response_mode %q", clip(req.ResponseMode))
	}
	_, err := s.checkScope(ctx, c, req.Scope)
	return err
}

// checkScope parses a requested scope, checks it against what the client
// declares and expands its permission sets.
func (s *Server) checkScope(ctx context.Context, c *Client, requested string) (*scope.Set, error) {
	set, err := scope.ParseSet(requested)
	if err != nil {
		return nil, oauthError(rhizome.Invalid, "invalid_scope", "%v", err)
	}
	if !set.Has(scope.Atproto) {
		return nil, oauthError(rhizome.Invalid, "invalid_scope", "scope must include atproto")
	}
	if missing := set.Missing(c.Scopes); len(missing) > 0 {
		return nil, oauthError(rhizome.Invalid, "invalid_scope", "%s is not in the client's declared scope", missing[0])
	}
	return s.expand(ctx, set)
}

func (s *Server) expand(ctx context.Context, set *scope.Set) (*scope.Set, error) {
	if len(set.Includes()) == 0 {
		return set, nil
	}
	if s.cfg.PermissionSets == nil {
		return nil, oauthError(rhizome.Invalid, "invalid_scope", "permission sets are not supported")
	}
	out, err := scope.Expand(ctx, set, s.cfg.PermissionSets)
	if err != nil {
		return nil, oauthError(rhizome.Invalid, "invalid_scope", "%v", err)
	}
	return out, nil
}
