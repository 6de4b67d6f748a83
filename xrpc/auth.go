package xrpc

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/auth"
)

// bearer verifies the session token of a request. full asks for a full
// session or a privileged app password.
func (s *Server) bearer(r *http.Request, full bool) (auth.Claims, error) {
	tok, err := bearerToken(r)
	if err != nil {
		return auth.Claims{}, err
	}
	scopes := []auth.Scope{auth.Access, auth.AppPassPrivileged}
	if !full {
		scopes = append(scopes, auth.AppPass)
	}
	return s.pds.Sessions().Verify(tok, scopes...)
}

// bearerToken reads the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok = strings.TrimSpace(tok); !ok || tok == "" {
		return "", rhizome.E("authenticate", rhizome.Unauthorized, "a bearer token is required").Named("AuthenticationRequired")
	}
	return tok, nil
}

// checkAdmin verifies HTTP basic auth as the administrator.
func (s *Server) checkAdmin(r *http.Request) error {
	user, pw, ok := r.BasicAuth()
	want := s.opts.AdminPassword
	if want == "" || !ok || user != "admin" || subtle.ConstantTimeCompare([]byte(pw), []byte(want)) != 1 {
		return rhizome.E("authenticate admin", rhizome.Unauthorized, "admin credentials are required").Named("AuthenticationRequired")
	}
	return nil
}

// clientIP is the remote address of the connection. Forwarded headers are
// not trusted: a pod behind a proxy should rate-limit at the proxy.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
