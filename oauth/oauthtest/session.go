package oauthtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

// token exchanges a code or a refresh token.
func (a *App) token(ctx context.Context, form url.Values) (*Session, error) {
	r, err := a.post(ctx, "/oauth/token", form, "")
	if err != nil {
		return nil, err
	}
	if r.Status != http.StatusOK {
		return nil, fmt.Errorf("token: %s", r)
	}
	var out struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		TokenType    string `json:"token_type"`
		Scope        string `json:"scope"`
		Sub          string `json:"sub"`
		ExpiresIn    int    `json:"expires_in"`
	}
	if err := json.Unmarshal(r.Body, &out); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	return &Session{app: a, Access: out.AccessToken, Refresh: out.RefreshToken, Scope: out.Scope, Sub: out.Sub,
		Type: out.TokenType, ExpiresIn: out.ExpiresIn}, nil
}

// RefreshTokens rotates the session's tokens.
func (s *Session) RefreshTokens(ctx context.Context) (*Session, error) {
	return s.app.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {s.Refresh}, "client_id": {s.app.ClientID}})
}

// Revoke revokes the session's refresh token (and so its grant).
func (s *Session) Revoke(ctx context.Context) (Reply, error) {
	return s.app.post(ctx, "/oauth/revoke", url.Values{"token": {s.Refresh}, "client_id": {s.app.ClientID}}, "")
}

// Do sends a resource request to the pod with the access token and a
// DPoP proof, retrying once with a new nonce when asked to.
func (s *Session) Do(ctx context.Context, method, path, ctype string, body []byte) (Reply, error) {
	return s.app.send(ctx, method, path, ctype, body, s.Access)
}

// post sends a form to the authorization server with a DPoP proof.
func (a *App) post(ctx context.Context, path string, form url.Values, token string) (Reply, error) {
	return a.send(ctx, "POST", path, "application/x-www-form-urlencoded", []byte(form.Encode()), token)
}

func (a *App) send(ctx context.Context, method, path, ctype string, body []byte, token string) (Reply, error) {
	for try := 0; ; try++ {
		r, err := a.sendOnce(ctx, method, path, ctype, body, token)
		if err != nil {
			return r, err
		}
		if n := r.Header.Get("DPoP-Nonce"); n != "" {
			a.mu.Lock()
			a.nonce = n
			a.mu.Unlock()
		}
		asked := r.Str("error") == dpop.CodeUseNonce || strings.Contains(r.Header.Get("WWW-Authenticate"), dpop.CodeUseNonce)
		if try > 0 || !asked {
			return r, nil
		}
	}
}

func (a *App) sendOnce(ctx context.Context, method, path, ctype string, body []byte, token string) (Reply, error) {
	u := a.Base + path
	a.mu.Lock()
	nonce := a.nonce
	a.mu.Unlock()
	proof, err := dpop.NewProof(a.Key, dpop.ProofClaims{Method: method, URL: u, Nonce: nonce, AccessToken: token})
	if err != nil {
		return Reply{}, err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(string(body)))
	if err != nil {
		return Reply{}, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("DPoP", proof)
	if token != "" {
		req.Header.Set("Authorization", "DPoP "+token)
	}
	return readReply(a.HTTP.Do(req))
}

func readReply(resp *http.Response, err error) (Reply, error) {
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Reply{Status: resp.StatusCode, Header: resp.Header, Body: b}, err
}

// ClientID is the client_id the session was granted to.
func (s *Session) ClientID() string { return s.app.ClientID }

// Headers returns the Authorization and DPoP headers of a request, for
// clients that send it themselves (a WebSocket dial, say). The proof
// carries the latest nonce the server gave.
func (s *Session) Headers(method, path string) (http.Header, error) {
	s.app.mu.Lock()
	nonce := s.app.nonce
	s.app.mu.Unlock()
	proof, err := dpop.NewProof(s.app.Key, dpop.ProofClaims{Method: method, URL: s.app.Base + path, Nonce: nonce, AccessToken: s.Access})
	if err != nil {
		return nil, err
	}
	return http.Header{"Authorization": {"DPoP " + s.Access}, "Dpop": {proof}}, nil
}
