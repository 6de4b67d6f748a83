package server

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/oauth/dpop"
)

const testJWKSURI = "https://app.example.com/jwks.json"

// clientKey is one of a confidential client's authentication keys.
type clientKey struct {
	kid string
	key keys.Signer
}

func newClientKey(t *testing.T, kid string) clientKey {
	k, err := keys.Generate(keys.P256)
	must(t, err)
	return clientKey{kid: kid, key: k}
}

// jwk is the public JWK of k with its kid.
func (k clientKey) jwk(t *testing.T) map[string]any {
	pub, err := dpop.KeyFor(k.key.PublicKey())
	must(t, err)
	b, err := json.Marshal(pub)
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	m["kid"], m["use"], m["alg"] = k.kid, "sig", "ES256"
	return m
}

func (k clientKey) thumbprint(t *testing.T) string {
	pub, err := dpop.KeyFor(k.key.PublicKey())
	must(t, err)
	return pub.Thumbprint()
}

func jwksOf(t *testing.T, ks ...clientKey) map[string]any {
	var list []any
	for _, k := range ks {
		list = append(list, k.jwk(t))
	}
	return map[string]any{"keys": list}
}

// confidentialMetadata is the test client as a private_key_jwt client
// with the keys ks inline.
func confidentialMetadata(t *testing.T, ks ...clientKey) map[string]any {
	m := testMetadata()
	m["token_endpoint_auth_method"], m["token_endpoint_auth_signing_alg"] = "private_key_jwt", "ES256"
	m["jwks"] = jwksOf(t, ks...)
	return m
}

// serveClient makes the metadata host serve metadata at the client_id's
// path and, if jwks is not nil, a key set at testJWKSURI's.
func (m *metadataHost) serveClient(meta, jwks map[string]any) {
	m.set(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/jwks.json" && jwks != nil:
			_ = json.NewEncoder(w).Encode(jwks)
		case r.URL.Path == "/client-metadata.json":
			_ = json.NewEncoder(w).Encode(meta)
		default:
			http.NotFound(w, r)
		}
	})
}

// newConfidentialPod is a pod whose test client is confidential with the
// keys ks inline, re-reading its metadata on every request.
func newConfidentialPod(t *testing.T, ks ...clientKey) *pod {
	p := newPodWith(t, ResolverConfig{TTL: time.Nanosecond})
	p.meta.serveClient(confidentialMetadata(t, ks...), nil)
	return p
}

// claims are an assertion's header and payload, to edit before signing.
type claims struct {
	header, payload map[string]any
}

// assertion signs a client assertion with k for the pod, as the client
// makes them, after edit (if not nil) changes it.
func (k clientKey) assertion(t *testing.T, p *pod, edit func(c claims)) string {
	now := time.Now()
	c := claims{header: map[string]any{"kid": k.kid, "typ": "JWT"}, payload: map[string]any{
		"iss": testClientID, "sub": testClientID, "aud": p.srv.URL, "jti": rand.Text(),
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}}
	if edit != nil {
		edit(c)
	}
	s, err := dpop.SignJWS(k.key, c.header, c.payload)
	must(t, err)
	return s
}

// authn adds a fresh assertion by k to every form.
func (k clientKey) authn(t *testing.T, p *pod) func(url.Values) {
	return func(f url.Values) { setAssertion(f, k.assertion(t, p, nil)) }
}

func setAssertion(f url.Values, assertion string) {
	f.Set("client_assertion_type", AssertionType)
	f.Set("client_assertion", assertion)
}

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {testClientID}}
}

// grantOf reads the grant a refresh token names.
func (p *pod) grantOf(refresh string) *Family {
	f, err := p.store.Family(p.t.Context(), p.as.grantOfToken(refresh))
	must(p.t, err)
	return f
}
