package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Scope is what a session token lets its bearer do.
type Scope string

// The scopes of legacy (non-OAuth) sessions, as the reference PDS names them.
const (
	Access                 Scope = "com.atproto.access"
	AppPass                Scope = "com.atproto.appPass"
	AppPassPrivileged      Scope = "com.atproto.appPassPrivileged"
	Refresh                Scope = "com.atproto.refresh"
	DefaultAccessLifetime        = 2 * time.Hour
	DefaultRefreshLifetime       = 90 * 24 * time.Hour
)

// Claims are what a verified session token says.
type Claims struct {
	DID     syntax.DID
	Scope   Scope
	ID      string // jti; set on refresh tokens
	Expires time.Time
}

// Sessions issues and verifies session tokens with an HMAC secret. The
// audience is the pod's own DID, so tokens of another pod do not pass.
type Sessions struct {
	secret   []byte
	audience string
	// Now, AccessLifetime and RefreshLifetime may be changed before use.
	Now             func() time.Time
	AccessLifetime  time.Duration
	RefreshLifetime time.Duration
}

// NewSessions returns a token issuer for the pod whose DID is audience.
func NewSessions(secret []byte, audience string) *Sessions {
	return &Sessions{secret: secret, audience: audience, Now: time.Now,
		AccessLifetime: DefaultAccessLifetime, RefreshLifetime: DefaultRefreshLifetime}
}

type sessionClaims struct {
	Scope Scope `json:"scope"`
	jwt.RegisteredClaims
}

// Access issues an access token for did with scope (Access, AppPass or
// AppPassPrivileged).
func (s *Sessions) Access(did syntax.DID, scope Scope) (string, error) {
	return s.issue(did, scope, "", s.AccessLifetime, "at+jwt")
}

// Refresh issues a refresh token with a fresh ID, returning both.
func (s *Sessions) Refresh(did syntax.DID) (token, id string, expires time.Time, err error) {
	id = newID()
	token, err = s.issue(did, Refresh, id, s.RefreshLifetime, "refresh+jwt")
	return token, id, s.Now().Add(s.RefreshLifetime).Truncate(time.Second), err
}

func (s *Sessions) issue(did syntax.DID, scope Scope, id string, life time.Duration, typ string) (string, error) {
	now := s.Now()
	c := sessionClaims{Scope: scope, RegisteredClaims: jwt.RegisteredClaims{
		Subject: string(did), Audience: jwt.ClaimStrings{s.audience}, ID: id,
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(life)),
	}}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["typ"] = typ
	str, err := tok.SignedString(s.secret)
	if err != nil {
		return "", rhizome.E("issue session token", rhizome.Other, err)
	}
	return str, nil
}

// Verify checks a session token and that its scope is one of want. An
// expired token is an Unauthorized error named ExpiredToken; anything else
// wrong is InvalidToken.
func (s *Sessions) Verify(token string, want ...Scope) (Claims, error) {
	var c sessionClaims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(s.audience),
		jwt.WithTimeFunc(s.Now), jwt.WithExpirationRequired(), jwt.WithIssuedAt())
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, rhizome.E("verify token", rhizome.Unauthorized, "token has expired").Named("ExpiredToken")
	case err != nil:
		return Claims{}, rhizome.E("verify token", rhizome.Unauthorized, "token is invalid").Named("InvalidToken")
	}
	did, err := syntax.ParseDID(c.Subject)
	if err != nil || !hasScope(c.Scope, want) {
		return Claims{}, rhizome.E("verify token", rhizome.Unauthorized, "token is not valid for this call").Named("InvalidToken")
	}
	return Claims{DID: did, Scope: c.Scope, ID: c.ID, Expires: c.ExpiresAt.Time}, nil
}

func hasScope(got Scope, want []Scope) bool {
	for _, w := range want {
		if got == w {
			return true
		}
	}
	return false
}

// newID returns a random token identifier.
func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewSecret returns a random 32-byte secret for NewSessions.
func NewSecret() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}
