package server

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
	"github.com/rhizome-pds/rhizome/syntax"
)

// accessClaims are the claims of an access token (RFC 9068 shape).
type accessClaims struct {
	Scope    string            `json:"scope"`
	ClientID string            `json:"client_id"`
	Grant    string            `json:"gid"` // the Family it belongs to
	Cnf      map[string]string `json:"cnf"` // {"jkt": thumbprint}
	jwt.RegisteredClaims
}

// issueAccess signs an access token for a family, bound to its DPoP key.
func (s *Server) issueAccess(f *Family, scopeStr string) (string, time.Time, error) {
	now := s.cfg.Now()
	exp := now.Add(s.cfg.AccessLife)
	if exp.After(f.ExpiresAt) {
		exp = f.ExpiresAt
	}
	c := accessClaims{Scope: scopeStr, ClientID: f.ClientID, Grant: f.ID, Cnf: map[string]string{"jkt": f.JKT},
		RegisteredClaims: jwt.RegisteredClaims{Issuer: s.cfg.Issuer, Subject: string(f.DID),
			Audience: jwt.ClaimStrings{s.cfg.Resource}, ID: randomToken()[:22],
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp)}}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["typ"] = "at+jwt"
	str, err := tok.SignedString(s.cfg.Secret)
	if err != nil {
		return "", time.Time{}, rhizome.E("issue access token", rhizome.Other, err)
	}
	return str, exp, nil
}

// parseAccess checks an access token's signature, issuer, audience and
// expiry; the grant behind it is checked by the caller.
func (s *Server) parseAccess(token string) (*accessClaims, syntax.DID, error) {
	var c accessClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.cfg.Secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(s.cfg.Issuer), jwt.WithAudience(s.cfg.Resource),
		jwt.WithTimeFunc(s.cfg.Now), jwt.WithExpirationRequired())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, "", oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "the access token has expired")
	case err != nil:
		return nil, "", oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "the access token is invalid")
	}
	did, err := syntax.ParseDID(c.Subject)
	if err != nil || c.Cnf["jkt"] == "" || c.Grant == "" {
		return nil, "", oauthError(rhizome.Unauthorized, dpop.CodeInvalidToken, "the access token is invalid")
	}
	return &c, did, nil
}
