package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

// Client assertions (RFC 7523 §2.2), as confidential clients authenticate.
const (
	// AssertionType is the client_assertion_type of a private_key_jwt
	// client assertion.
	AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// AssertionMaxAge is how old an assertion's iat may be.
	AssertionMaxAge = time.Minute
	// assertionLeeway is the clock skew tolerated either way.
	assertionLeeway = 30 * time.Second
)

func refuseClient(format string, args ...any) error {
	return oauthError(rhizome.Unauthorized, "invalid_client", format, args...)
}

// authenticateClient checks how a PAR or token request authenticates its
// client: not at all for a public client; for a confidential one, with a
// client assertion signed by one of the keys its metadata publishes. It
// returns the thumbprint of that key ("" for a public client). dpopJKT is
// the request's DPoP key, which must not also be the client's.
func (s *Server) authenticateClient(ctx context.Context, c *Client, f url.Values, dpopJKT string) (string, error) {
	typ, assertion := f.Get("client_assertion_type"), f.Get("client_assertion")
	switch {
	case c.Public() && typ == "" && assertion == "":
		return "", nil
	case c.Public():
		return "", refuseClient("a public client sends no client assertion")
	case typ != AssertionType || assertion == "":
		return "", refuseClient("a confidential client authenticates with a client_assertion of type %s", AssertionType)
	}
	j, err := dpop.ParseJWS(assertion)
	if err != nil {
		return "", refuseClient("client assertion: %v", err)
	}
	key, err := c.assertionKey(j)
	if err != nil {
		return "", err
	}
	jti, iat, err := s.checkAssertionClaims(j, c.ClientID)
	if err != nil {
		return "", err
	}
	jkt := key.Thumbprint()
	if equal(jkt, dpopJKT) {
		return "", refuseClient("the client assertion and the DPoP proof are signed by the same key")
	}
	return jkt, s.rememberAssertion(ctx, c.ClientID, jti, iat)
}

// assertionKey returns the client key the assertion's kid names whose
// signature verifies, the alg being the one the metadata declares.
func (c *Client) assertionKey(j *dpop.JWS) (ClientKey, error) {
	if alg := j.Alg(); alg != c.TokenEndpointAuthAlg {
		return ClientKey{}, refuseClient("client assertion alg %q, the client declares %s", clip(alg), c.TokenEndpointAuthAlg)
	}
	kid, _, err := j.Header("kid")
	if err != nil || kid == "" {
		return ClientKey{}, refuseClient("the client assertion names no key (kid)")
	}
	found := false
	for _, k := range c.Keys {
		if k.KID != kid {
			continue
		}
		found = true
		if j.Verify(k.Key) == nil {
			return k, nil
		}
	}
	if !found {
		return ClientKey{}, refuseClient("the client publishes no key %q", clip(kid))
	}
	return ClientKey{}, refuseClient("the client assertion's signature does not verify with key %q", clip(kid))
}

// checkAssertionClaims checks a verified assertion's claims: iss and sub
// the client, aud this server, a jti, iat recent, exp and nbf if present.
func (s *Server) checkAssertionClaims(j *dpop.JWS, clientID string) (jti string, iat time.Time, err error) {
	iss, _, err1 := j.Claim("iss")
	sub, _, err2 := j.Claim("sub")
	aud, _, err3 := j.ClaimStrings("aud")
	jti, _, err4 := j.Claim("jti")
	iat, hasIat, err5 := j.ClaimTime("iat")
	exp, hasExp, err6 := j.ClaimTime("exp")
	nbf, hasNbf, err7 := j.ClaimTime("nbf")
	for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
		if err != nil {
			return "", iat, refuseClient("client assertion: %v", err)
		}
	}
	now := s.cfg.Now()
	switch {
	case iss != clientID || sub != clientID:
		return "", iat, refuseClient("client assertion iss and sub must be the client_id")
	case !slices.Contains(aud, s.cfg.Issuer):
		return "", iat, refuseClient("client assertion aud must be %s", s.cfg.Issuer)
	case jti == "" || len(jti) > dpop.MaxJTILen:
		return "", iat, refuseClient("client assertion jti missing or longer than %d bytes", dpop.MaxJTILen)
	case !hasIat:
		return "", iat, refuseClient("client assertion lacks iat")
	case iat.After(now.Add(assertionLeeway)):
		return "", iat, refuseClient("client assertion iat is in the future")
	case iat.Before(now.Add(-AssertionMaxAge - assertionLeeway)):
		return "", iat, refuseClient("client assertion is too old (iat)")
	case hasExp && !now.Before(exp):
		return "", iat, refuseClient("client assertion has expired")
	case hasNbf && nbf.After(now.Add(assertionLeeway)):
		return "", iat, refuseClient("client assertion is not valid yet (nbf)")
	}
	return jti, iat, nil
}

// rememberAssertion refuses an assertion whose jti the client used
// before, in the DPoP verifier's replay cache (one store of used
// identifiers), until the assertion could no longer pass the iat check.
func (s *Server) rememberAssertion(ctx context.Context, clientID, jti string, iat time.Time) error {
	fresh, err := s.cfg.DPoP.ReplayCache().Remember(ctx, assertionKey(clientID, jti),
		iat.Add(AssertionMaxAge+assertionLeeway+time.Second))
	switch {
	case err != nil:
		return err
	case !fresh:
		return refuseClient("client assertion replayed (jti used before)")
	}
	return nil
}

// assertionKey is the replay cache key of an assertion: its jti, scoped
// to the client and kept apart from the proofs' keys by a prefix.
func assertionKey(clientID, jti string) string {
	sum := sha256.Sum256([]byte("oauth client assertion\x00" + clientID + "\x00" + jti))
	return hex.EncodeToString(sum[:])
}
