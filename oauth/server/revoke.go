package server

import (
	"context"
	"net/http"
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
		if err := s.revokeFor(r.Context(), id, r.PostForm.Get("client_id")); err != nil {
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

// revokeFor revokes a grant if clientID is its client. A refresh token is
// checked only for its grant: one copy is enough to end the grant.
func (s *Server) revokeFor(ctx context.Context, id, clientID string) error {
	fam, err := s.cfg.Store.Family(ctx, id)
	switch {
	case rhizome.Is(err, rhizome.NotFound):
		return nil
	case err != nil:
		return err
	case fam.ClientID != clientID:
		return oauthError(rhizome.Unauthorized, "invalid_client", "the token was issued to another client")
	}
	return s.cfg.Store.Revoke(ctx, id, s.cfg.Now())
}
