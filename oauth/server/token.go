package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

// serveToken exchanges an authorization code or a refresh token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.writeError(w, oauthError(rhizome.Invalid, "invalid_request", "unreadable form"))
		return
	}
	var resp map[string]any
	var err error
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		resp, err = s.exchangeCode(r)
	case "refresh_token":
		resp, err = s.refresh(r)
	default:
		err = oauthError(rhizome.Invalid, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("DPoP-Nonce", s.Nonce())
	writeJSON(w, http.StatusOK, resp)
}

func invalidGrant(format string, args ...any) error {
	return oauthError(rhizome.Invalid, "invalid_grant", format, args...)
}

// exchangeCode redeems a code: once, with the PAR's DPoP key, redirect URI
// and PKCE verifier, and a confidential client's PAR key, starting a new
// grant.
func (s *Server) exchangeCode(r *http.Request) (map[string]any, error) {
	f := r.PostForm
	// Verify the proof first (no key binding yet): a use_dpop_nonce retry
	// must burn neither the code nor the client assertion.
	proof, err := s.proofAt(r, "/oauth/token", "", "")
	if err != nil {
		return nil, err
	}
	client, err := s.client(r.Context(), f.Get("client_id"))
	if err != nil {
		return nil, err
	}
	clientJKT, err := s.authenticateClient(r.Context(), client, f, proof.JKT)
	if err != nil {
		return nil, err
	}
	req, err := s.cfg.Store.TakeCode(r.Context(), hashToken(f.Get("code")))
	switch {
	case err != nil:
		return nil, invalidGrant("unknown or already used code")
	case s.cfg.Now().After(req.ExpiresAt):
		return nil, invalidGrant("the code has expired")
	case f.Get("client_id") != req.ClientID:
		return nil, invalidGrant("the code was issued to another client")
	case f.Get("redirect_uri") != req.RedirectURI:
		return nil, invalidGrant("redirect_uri differs from the authorization request")
	case !pkceMatches(f.Get("code_verifier"), req.CodeChallenge):
		return nil, invalidGrant("code_verifier does not match the code_challenge")
	case !equal(proof.JKT, req.JKT):
		return nil, oauthError(rhizome.Unauthorized, dpop.CodeInvalidProof, "the DPoP key differs from the pushed request's")
	case !equal(clientJKT, req.ClientJKT):
		return nil, refuseClient("the client authenticates with another key than at the pushed request")
	}
	return s.startGrant(r.Context(), client, req)
}

// pkceMatches checks an S256 verifier (RFC 7636: 43 to 128 characters).
func pkceMatches(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return equal(base64.RawURLEncoding.EncodeToString(sum[:]), challenge)
}

// startGrant starts a grant, bound to the client key of a confidential
// client, which also gets the longer session.
func (s *Server) startGrant(ctx context.Context, client *Client, req *Request) (map[string]any, error) {
	set, err := s.checkScope(ctx, client, req.Scope)
	if err != nil {
		return nil, err
	}
	now, life := s.cfg.Now(), PublicSessionLife
	if req.ClientJKT != "" {
		life = ConfidentialSessionLife
	}
	fam := &Family{ID: randomToken()[:32], DID: req.DID, ClientID: req.ClientID, Scope: req.Scope,
		JKT: req.JKT, ClientJKT: req.ClientJKT, CreatedAt: now, RefreshedAt: now, ExpiresAt: now.Add(life)}
	refresh := fam.ID + "." + randomToken()
	fam.RefreshHash = hashToken(refresh)
	if err := s.cfg.Store.PutFamily(ctx, fam); err != nil {
		return nil, err
	}
	return s.tokenResponse(fam, set.String(), refresh)
}

func (s *Server) tokenResponse(f *Family, scopeStr, refresh string) (map[string]any, error) {
	access, exp, err := s.issueAccess(f, scopeStr)
	if err != nil {
		return nil, err
	}
	return map[string]any{"access_token": access, "token_type": "DPoP", "refresh_token": refresh,
		"expires_in": int(exp.Sub(s.cfg.Now()).Seconds()), "scope": f.Scope, "sub": string(f.DID)}, nil
}

// refresh rotates a refresh token. Presenting one that was already used
// revokes the whole grant: either the client or a thief holds a copy.
func (s *Server) refresh(r *http.Request) (map[string]any, error) {
	ctx, tok := r.Context(), r.PostForm.Get("refresh_token")
	fam, err := s.familyOf(ctx, tok)
	if err != nil {
		return nil, err
	}
	proof, err := s.proofAt(r, "/oauth/token", fam.JKT, "")
	if err != nil {
		return nil, err
	}
	if r.PostForm.Get("client_id") != fam.ClientID {
		return nil, invalidGrant("the refresh token was issued to another client")
	}
	client, err := s.client(ctx, fam.ClientID)
	if err != nil {
		return nil, err
	}
	if err := s.authenticateRefresh(r, client, fam, proof.JKT); err != nil {
		return nil, err
	}
	next := fam.ID + "." + randomToken()
	if !equal(hashToken(tok), fam.RefreshHash) {
		return nil, s.revokeReused(ctx, fam)
	}
	if err := s.cfg.Store.Rotate(ctx, fam.ID, fam.RefreshHash, hashToken(next), s.cfg.Now()); err != nil {
		if rhizome.Is(err, rhizome.Conflict) {
			return nil, s.revokeReused(ctx, fam)
		}
		return nil, err
	}
	return s.reissue(ctx, client, fam, next)
}

// authenticateRefresh checks the client authentication of a refresh: a
// grant a confidential client started ends once its key leaves the
// client's metadata, and is refreshed only with assertions by that key.
// A public client's grant stays public, even if the client has become
// confidential since (it must then authenticate, but the grant keeps its
// shorter life).
func (s *Server) authenticateRefresh(r *http.Request, client *Client, fam *Family, dpopJKT string) error {
	ctx := r.Context()
	if fam.ClientJKT != "" && !client.KeyByThumbprint(fam.ClientJKT) {
		if err := s.cfg.Store.Revoke(ctx, fam.ID, s.cfg.Now()); err != nil {
			return err
		}
		return invalidGrant("the client no longer publishes the key the grant was made with; the grant is revoked")
	}
	jkt, err := s.authenticateClient(ctx, client, r.PostForm, dpopJKT)
	switch {
	case err != nil:
		return err
	case fam.ClientJKT != "" && !equal(jkt, fam.ClientJKT):
		return refuseClient("the client assertion is signed by another key than the grant's")
	}
	return nil
}

// reissue re-expands the grant's scope (permission sets may have changed).
func (s *Server) reissue(ctx context.Context, client *Client, fam *Family, refresh string) (map[string]any, error) {
	set, err := s.checkScope(ctx, client, fam.Scope)
	if err != nil {
		return nil, err
	}
	return s.tokenResponse(fam, set.String(), refresh)
}

// familyOf finds the active grant a refresh token names.
func (s *Server) familyOf(ctx context.Context, tok string) (*Family, error) {
	id, _, ok := strings.Cut(tok, ".")
	if !ok || id == "" {
		return nil, invalidGrant("malformed refresh token")
	}
	fam, err := s.cfg.Store.Family(ctx, id)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		return nil, invalidGrant("unknown refresh token")
	case err != nil:
		return nil, err
	case !fam.Active(s.cfg.Now()):
		return nil, invalidGrant("the grant was revoked or has expired")
	}
	return fam, nil
}

func (s *Server) revokeReused(ctx context.Context, fam *Family) error {
	if err := s.cfg.Store.Revoke(ctx, fam.ID, s.cfg.Now()); err != nil {
		return err
	}
	return invalidGrant("refresh token reused; the grant is revoked")
}
