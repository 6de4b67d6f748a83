package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// serveRevoke revokes the grant behind a refresh or access token (RFC
// 7009). It answers 200 for unknown tokens too, as the RFC asks.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("token") == "" {
		s.writeError(w, oauthError(rhizome.Invalid, "invalid_request", "missing token"))
		return
	}
	id := s.grantOfToken(r.PostForm.Get("token"))
	if id != "" {
		if err := s.revokeFor(r.Context(), id, r.PostForm); err != nil {
			s.writeError(w, err)
			return
		}
	}
	w.Header().Set("DPoP-Nonce", s.Nonce())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// grantOfToken returns the grant ID a token names, or "".
func (s *Server) grantOfToken(tok string) string {
	if strings.Count(tok, ".") == 2 {
		if c, _, err := s.parseAccess(tok); err == nil {
			return c.Grant
		}
		return ""
	}
	id, _, _ := strings.Cut(tok, ".")
	return id
}

// revokeFor revokes a grant if the form's client_id is its client; a
// confidential client must authenticate (RFC 7009 §2.1) with the key the
// grant is bound to. A refresh token is checked only for its grant: one
// copy is enough to end the grant.
func (s *Server) revokeFor(ctx context.Context, id string, form url.Values) error {
	fam, err := s.cfg.Store.Family(ctx, id)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		return nil
	case err != nil:
		return err
	case fam.ClientID != form.Get("client_id"):
		return oauthError(rhizome.Unauthorized, "invalid_client", "the token was issued to another client")
	}
	if fam.ClientJKT != "" {
		c, err := s.client(ctx, fam.ClientID)
		if err != nil {
			return err
		}
		jkt, err := s.authenticateClient(ctx, c, form, "")
		if err != nil {
			return err
		}
		if jkt != fam.ClientJKT {
			return oauthError(rhizome.Unauthorized, "invalid_client", "the grant is bound to another of the client's keys")
		}
	}
	return s.cfg.Store.Revoke(ctx, id, s.cfg.Now())
}
