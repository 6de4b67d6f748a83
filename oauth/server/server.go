package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/oauth/scope"
)

// Lifetimes of the profile (the reference implementation's values, within
// the specification's bounds).
const (
	RequestLifetime   = 5 * time.Minute  // a PAR request_uri
	CodeLifetime      = time.Minute      // an authorization code
	DefaultAccessLife = 15 * time.Minute // an access token; at most MaxAccessLife
	MaxAccessLife     = 30 * time.Minute
	PublicSessionLife = 14 * 24 * time.Hour // a public client's whole session
	// ConfidentialSessionLife is a confidential client's whole session:
	// the profile's limit on one refresh token (180 days), which the
	// session does not outlive, refreshing or not.
	ConfidentialSessionLife = 180 * 24 * time.Hour
	requestURIPrefix        = "urn:ietf:params:oauth:request_uri:"
	minSecretLen            = 32
	maxFormBytes            = 32 << 10
)

// Config configures a Server.
type Config struct {
	// Issuer is the public origin of the server, "https://pod.example",
	// without a trailing slash: the iss of tokens and redirects, and the
	// origin DPoP proofs are checked against (never request headers).
	Issuer string
	// Resource is the protected resource's origin, the aud of access
	// tokens; "" means Issuer.
	Resource string
	// Secret signs access tokens and CSRF tokens; at least 32 bytes,
	// shared by every node.
	Secret   []byte
	Accounts Accounts
	Store    Store
	Clients  ClientResolver
	DPoP     *dpop.Verifier
	Nonces   *dpop.Nonces
	// PermissionSets resolves include: scopes; nil refuses them.
	PermissionSets scope.SetResolver
	// Credentials, if set, lets the account page list and revoke app
	// passwords and sessions beside grants.
	Credentials Credentials
	// AccessLife is the access token lifetime; 0 means DefaultAccessLife.
	AccessLife time.Duration
	Now        func() time.Time
}

// Server is the authorization server, an http.Handler for the paths under
// /oauth/ and the two well-known metadata documents.
type Server struct {
	cfg Config
	mux *http.ServeMux
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	const op = "new oauth server"
	switch {
	case cfg.Accounts == nil || cfg.Store == nil || cfg.Clients == nil || cfg.DPoP == nil || cfg.Nonces == nil:
		return nil, rhizome.E(op, rhizome.Invalid, "needs Accounts, Store, Clients, DPoP and Nonces")
	case len(cfg.Secret) < minSecretLen:
		return nil, rhizome.Errorf(op, rhizome.Invalid, "secret shorter than %d bytes", minSecretLen)
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || u.Host == "" || u.Path != "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "issuer %q is not an origin", cfg.Issuer)
	}
	if cfg.Resource == "" {
		cfg.Resource = cfg.Issuer
	}
	if cfg.AccessLife <= 0 || cfg.AccessLife > MaxAccessLife {
		cfg.AccessLife = DefaultAccessLife
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /.well-known/oauth-authorization-server", s.serveASMetadata)
	s.mux.HandleFunc("GET /.well-known/oauth-protected-resource", s.servePRMetadata)
	s.mux.HandleFunc("POST /oauth/par", s.servePAR)
	s.mux.HandleFunc("GET /oauth/authorize", s.serveAuthorize)
	s.mux.HandleFunc("POST /oauth/authorize/sign-in", s.serveSignIn)
	s.mux.HandleFunc("POST /oauth/authorize/consent", s.serveConsent)
	s.mux.HandleFunc("POST /oauth/token", s.serveToken)
	s.mux.HandleFunc("POST /oauth/revoke", s.serveRevoke)
	s.mux.HandleFunc("GET /account", s.serveAccount)
	s.mux.HandleFunc("POST /account/sign-in", s.serveAccountSignIn)
	s.mux.HandleFunc("POST /account/revoke", s.serveAccountRevoke)
	s.mux.HandleFunc("POST /account/sign-out", s.serveAccountSignOut)
}

// ServeHTTP serves the server's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Nonce returns the current DPoP nonce, for the resource server to send
// in a DPoP-Nonce header.
func (s *Server) Nonce() string { return s.cfg.Nonces.Next() }

func (s *Server) serveASMetadata(w http.ResponseWriter, _ *http.Request) {
	iss := s.cfg.Issuer
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                           iss,
		"authorization_endpoint":                           iss + "/oauth/authorize",
		"token_endpoint":                                   iss + "/oauth/token",
		"pushed_authorization_request_endpoint":            iss + "/oauth/par",
		"revocation_endpoint":                              iss + "/oauth/revoke",
		"require_pushed_authorization_requests":            true,
		"response_types_supported":                         []string{"code"},
		"response_modes_supported":                         []string{"query", "fragment"},
		"grant_types_supported":                            []string{"authorization_code", "refresh_token"},
		"code_challenge_methods_supported":                 []string{"S256"},
		"token_endpoint_auth_methods_supported":            []string{"none", "private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": dpop.Algorithms(),
		"dpop_signing_alg_values_supported":                dpop.Algorithms(),
		"scopes_supported":                                 []string{"atproto", "transition:generic", "transition:chat.bsky", "transition:email"},
		"authorization_response_iss_parameter_supported":   true,
		"client_id_metadata_document_supported":            true,
		"protected_resources":                              []string{s.cfg.Resource},
	})
}

func (s *Server) servePRMetadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"resource":                 s.cfg.Resource,
		"authorization_servers":    []string{s.cfg.Issuer},
		"scopes_supported":         []string{},
		"bearer_methods_supported": []string{"header"},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError builds a refusal carrying an OAuth error code.
func oauthError(kind rhizome.Kind, code, format string, args ...any) error {
	return rhizome.Errorf("oauth", kind, format, args...).Named(code)
}

// writeError answers an endpoint's failure in the OAuth JSON shape. A
// DPoP nonce is always attached; use_dpop_nonce is a 400 at the
// authorization server (RFC 9449 §8).
func (s *Server) writeError(w http.ResponseWriter, err error) {
	code := rhizome.NameOf(err)
	status := http.StatusBadRequest
	switch {
	case code == "":
		code, status = "server_error", http.StatusInternalServerError
		if rhizome.Is(err, rhizome.Unavailable) {
			code, status = "temporarily_unavailable", http.StatusServiceUnavailable
		}
	case code == "invalid_client" || code == dpop.CodeInvalidToken:
		status = http.StatusUnauthorized
	}
	w.Header().Set("DPoP-Nonce", s.Nonce())
	msg := err.Error()
	if status == http.StatusInternalServerError {
		msg = "internal error"
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": msg})
}

// randomToken returns 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is what the store keeps of a secret token.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// mac is an HMAC under the server secret over the parts.
func (s *Server) mac(parts ...string) string {
	h := hmac.New(sha256.New, s.cfg.Secret)
	h.Write([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
