package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
)

func TestServer_ConfidentialFlow(t *testing.T) {
	k1 := newClientKey(t, "key-1")
	cases := []struct {
		name  string
		serve func(p *pod)
	}{
		{"inline jwks", func(p *pod) {}},
		{"jwks_uri", func(p *pod) {
			m := confidentialMetadata(t, k1)
			delete(m, "jwks")
			m["jwks_uri"] = testJWKSURI
			p.meta.serveClient(m, jwksOf(t, newClientKey(t, "other"), k1))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newConfidentialPod(t, k1)
			c.serve(p)
			a := newApp(t, p)
			a.authn = k1.authn(t, p)
			tok := a.signIn()
			fam := p.grantOf(tok.str("refresh_token"))
			if fam.ClientJKT != k1.thumbprint(t) || fam.ExpiresAt.Sub(fam.CreatedAt) != ConfidentialSessionLife {
				t.Fatalf("grant %+v: want bound to the client key for %v", fam, ConfidentialSessionLife)
			}
			if r := a.do("GET", "/xrpc/test", nil, tok.str("access_token")); r.status != 200 {
				t.Fatalf("resource: %d %s", r.status, r.raw)
			}
			ref := a.do("POST", "/oauth/token", a.authenticated(refreshForm(tok.str("refresh_token"))), "")
			if ref.status != 200 || ref.str("access_token") == "" {
				t.Fatalf("refresh: %d %s", ref.status, ref.raw)
			}
		})
	}
	t.Run("public grant keeps the public life", func(t *testing.T) {
		p := newPod(t)
		tok := newApp(t, p).signIn()
		if fam := p.grantOf(tok.str("refresh_token")); fam.ClientJKT != "" || fam.ExpiresAt.Sub(fam.CreatedAt) != PublicSessionLife {
			t.Fatalf("public grant %+v", fam)
		}
	})
}

func TestServer_ConfidentialPARAttacks(t *testing.T) {
	k1, k2 := newClientKey(t, "key-1"), newClientKey(t, "key-2")
	p := newConfidentialPod(t, k1, k2)
	forger := newClientKey(t, "key-1") // another key claiming kid key-1
	old := time.Now().Add(-10 * time.Minute).Unix()
	cases := []struct {
		name string
		auth func(a *app, f url.Values)
	}{
		{"no assertion", func(*app, url.Values) {}},
		{"wrong assertion type", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, nil))
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
		}},
		{"bad signature", func(_ *app, f url.Values) { setAssertion(f, forger.assertion(t, p, nil)) }},
		{"tampered payload", func(_ *app, f url.Values) {
			a := strings.Split(k1.assertion(t, p, nil), ".")
			b := strings.Split(k1.assertion(t, p, func(c claims) { c.payload["sub"] = "https://evil.example.com/m.json" }), ".")
			setAssertion(f, a[0]+"."+b[1]+"."+a[2])
		}},
		{"wrong kid", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { c.header["kid"] = "key-9" }))
		}},
		{"no kid", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { delete(c.header, "kid") }))
		}},
		{"wrong aud", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { c.payload["aud"] = p.srv.URL + "/oauth/token" }))
		}},
		{"wrong iss", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { c.payload["iss"] = "https://evil.example.com/m.json" }))
		}},
		{"expired", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { c.payload["exp"] = time.Now().Add(-time.Second).Unix() }))
		}},
		{"stale iat", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { c.payload["iat"], c.payload["exp"] = old, nil }))
		}},
		{"no jti", func(_ *app, f url.Values) {
			setAssertion(f, k1.assertion(t, p, func(c claims) { delete(c.payload, "jti") }))
		}},
		{"signed by the DPoP key", func(a *app, f url.Values) {
			a.key = k2.key // a published client key, as the DPoP key too
			setAssertion(f, k2.assertion(t, p, nil))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newApp(t, p)
			f := a.parForm()
			c.auth(a, f)
			if r := a.par(f); r.status != 401 || r.str("error") != "invalid_client" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("replayed jti", func(t *testing.T) {
		a := newApp(t, p)
		assertion := k1.assertion(t, p, nil)
		f := a.parForm()
		setAssertion(f, assertion)
		if r := a.par(f); r.status != 201 {
			t.Fatalf("first use: %d %s", r.status, r.raw)
		}
		g := a.parForm()
		setAssertion(g, assertion)
		if r := a.par(g); r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("replay: %d %s", r.status, r.raw)
		}
	})
	t.Run("public client with an assertion", func(t *testing.T) {
		pub := newPod(t)
		a := newApp(t, pub)
		f := a.parForm()
		setAssertion(f, k1.assertion(t, pub, nil))
		if r := a.par(f); r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
}

func TestServer_ConfidentialTokenAttacks(t *testing.T) {
	k1, k2 := newClientKey(t, "key-1"), newClientKey(t, "key-2")
	p := newConfidentialPod(t, k1, k2)
	exchange := func(t *testing.T, auth func(url.Values)) reply {
		a := newApp(t, p)
		a.authn = k1.authn(t, p)
		uri, csrf := a.authorize()
		f := a.codeForm(a.approve(uri, csrf).Get("code"))
		auth(f)
		return a.do("POST", "/oauth/token", f, "")
	}
	t.Run("code exchange without assertion", func(t *testing.T) {
		r := exchange(t, func(f url.Values) { f.Del("client_assertion"); f.Del("client_assertion_type") })
		if r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("code exchange with another key than the PAR's", func(t *testing.T) {
		r := exchange(t, func(f url.Values) { setAssertion(f, k2.assertion(t, p, nil)) })
		if r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})

	a := newApp(t, p)
	a.authn = k1.authn(t, p)
	rt := a.signIn().str("refresh_token")
	refresh := func(assertion string) reply {
		f := refreshForm(rt)
		if assertion != "" {
			setAssertion(f, assertion)
		}
		return a.do("POST", "/oauth/token", f, "")
	}
	used := k1.assertion(t, p, nil)
	refusals := []struct{ name, assertion string }{
		{"refresh without assertion", ""},
		{"refresh by another key of the client", k2.assertion(t, p, nil)},
		{"refresh with a wrong aud", k1.assertion(t, p, func(c claims) { c.payload["aud"] = "https://other.example.com" })},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			if r := refresh(c.assertion); r.status != 401 || r.str("error") != "invalid_client" {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	t.Run("refused refreshes burn nothing", func(t *testing.T) {
		r := refresh(used)
		if r.status != 200 {
			t.Fatalf("refresh by the grant's key: %d %s", r.status, r.raw)
		}
		rt = r.str("refresh_token")
	})
	t.Run("refresh with a replayed assertion", func(t *testing.T) {
		if r := refresh(used); r.status != 401 || r.str("error") != "invalid_client" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	})
	t.Run("grant ends when its key leaves the metadata", func(t *testing.T) {
		p.meta.serveClient(confidentialMetadata(t, k2), nil)
		r := refresh(k1.assertion(t, p, nil))
		if r.status != 400 || r.str("error") != "invalid_grant" {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if fam := p.grantOf(rt); fam.RevokedAt.IsZero() {
			t.Fatal("the grant was not revoked")
		}
	})
}

func TestServer_ConfidentialJWKSGuard(t *testing.T) {
	k1 := newClientKey(t, "key-1")
	p := newPodWith(t, ResolverConfig{TTL: time.Nanosecond, Lookup: func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "keys.internal.example" {
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}})
	m := confidentialMetadata(t, k1)
	delete(m, "jwks")
	for uri, why := range map[string]string{
		"https://keys.internal.example/jwks.json": "resolves to 10.1.2.3, which is not public",
		"https://10.1.2.3/jwks.json":              "names an IP address",
		"http://app.example.com/jwks.json":        "is not an https URL",
	} {
		t.Run(uri, func(t *testing.T) {
			m["jwks_uri"] = uri
			p.meta.serveClient(m, jwksOf(t, k1))
			a := newApp(t, p)
			a.authn = k1.authn(t, p)
			r := a.par(a.parForm())
			if r.status != 401 || r.str("error") != "invalid_client" || !strings.Contains(r.str("error_description"), why) {
				t.Fatalf("%d %s, want invalid_client because the jwks_uri %s", r.status, r.raw, why)
			}
		})
	}
	p.meta.mu.Lock()
	defer p.meta.mu.Unlock()
	if len(p.meta.dialed) == 0 {
		t.Fatal("the metadata was never fetched")
	}
	for _, addr := range p.meta.dialed {
		if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
			t.Fatalf("dialed %s (all: %v): the guard must refuse before dialling", addr, p.meta.dialed)
		}
	}
}

func TestClient_ValidateConfidential(t *testing.T) {
	k := newClientKey(t, "key-1")
	noKid := k.jwk(t)
	delete(noKid, "kid")
	cases := []struct {
		name string
		edit func(m map[string]any)
		ok   bool
	}{
		{"inline jwks", func(map[string]any) {}, true},
		{"jwks_uri", func(m map[string]any) { delete(m, "jwks"); m["jwks_uri"] = testJWKSURI }, true},
		{"both", func(m map[string]any) { m["jwks_uri"] = testJWKSURI }, false},
		{"neither", func(m map[string]any) { delete(m, "jwks") }, false},
		{"no signing alg", func(m map[string]any) { delete(m, "token_endpoint_auth_signing_alg") }, false},
		{"RS256", func(m map[string]any) { m["token_endpoint_auth_signing_alg"] = "RS256" }, false},
		{"alg of no key", func(m map[string]any) { m["token_endpoint_auth_signing_alg"] = "ES256K" }, false},
		{"key without kid", func(m map[string]any) { m["jwks"] = map[string]any{"keys": []any{noKid}} }, false},
		{"IP jwks_uri", func(m map[string]any) { delete(m, "jwks"); m["jwks_uri"] = "https://10.0.0.1/jwks.json" }, false},
		{"http jwks_uri", func(m map[string]any) { delete(m, "jwks"); m["jwks_uri"] = "http://app.example.com/jwks.json" }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := confidentialMetadata(t, k)
			c.edit(m)
			h := newMetadataHost(t)
			h.serveClient(m, jwksOf(t, k))
			cl, err := h.resolver(ResolverConfig{}).ResolveClient(t.Context(), testClientID)
			if (err == nil) != c.ok {
				t.Fatalf("resolve: %v, want ok=%v", err, c.ok)
			}
			if c.ok && (len(cl.Keys) != 1 || cl.Keys[0].KID != "key-1" || !cl.KeyByThumbprint(k.thumbprint(t))) {
				t.Fatalf("keys %+v", cl.Keys)
			}
		})
	}
}

func TestServer_MetadataAuthMethods(t *testing.T) {
	p := newPod(t)
	as := newApp(t, p).send("GET", "/.well-known/oauth-authorization-server", nil, "", "")
	has := func(field, v string) bool {
		list, _ := as.body[field].([]any)
		return slices.Contains(list, any(v))
	}
	if !has("token_endpoint_auth_methods_supported", "none") || !has("token_endpoint_auth_methods_supported", "private_key_jwt") ||
		!has("token_endpoint_auth_signing_alg_values_supported", "ES256") || has("token_endpoint_auth_signing_alg_values_supported", "none") {
		t.Fatalf("AS metadata %s", as.raw)
	}
}

func TestMetadataResolver_JWKSLimits(t *testing.T) {
	k := newClientKey(t, "key-1")
	m := confidentialMetadata(t, k)
	delete(m, "jwks")
	m["jwks_uri"] = testJWKSURI
	h := newMetadataHost(t)
	h.set(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jwks.json" {
			_, _ = w.Write([]byte(strings.Repeat(" ", 100<<10)))
			return
		}
		_ = json.NewEncoder(w).Encode(m)
	})
	_, err := h.resolver(ResolverConfig{}).ResolveClient(t.Context(), testClientID)
	if !rhizome.Is(err, rhizome.TooLarge) || rhizome.NameOf(err) != "invalid_client_metadata" {
		t.Fatalf("oversized key set: %v", err)
	}
}

// TestServer_ConfidentialRevoke: a confidential client's grant is revoked
// only by the client authenticating with the key it is bound to.
func TestServer_ConfidentialRevoke(t *testing.T) {
	k1, k2 := newClientKey(t, "key-1"), newClientKey(t, "key-2")
	p := newConfidentialPod(t, k1, k2)
	a := newApp(t, p)
	a.authn = k1.authn(t, p)
	tok := a.signIn()
	rt := tok.str("refresh_token")
	form := func() url.Values { return url.Values{"token": {rt}, "client_id": {testClientID}} }
	for _, c := range []struct {
		name string
		edit func(url.Values)
	}{
		{"without an assertion", func(url.Values) {}},
		{"with another of the client's keys", func(f url.Values) { setAssertion(f, k2.assertion(t, p, nil)) }},
	} {
		f := form()
		c.edit(f)
		if r := a.do("POST", "/oauth/revoke", f, ""); r.status != http.StatusUnauthorized || r.str("error") != "invalid_client" {
			t.Errorf("revoke %s: %d %s, want 401 invalid_client", c.name, r.status, r.raw)
		}
		if !p.grantOf(rt).Active(time.Now()) {
			t.Fatalf("revoke %s ended the grant", c.name)
		}
	}
	f := form()
	setAssertion(f, k1.assertion(t, p, nil))
	if r := a.do("POST", "/oauth/revoke", f, ""); r.status != http.StatusOK {
		t.Fatalf("revoke with the bound key: %d %s", r.status, r.raw)
	}
	if p.grantOf(rt).Active(time.Now()) {
		t.Errorf("the grant is still active after an authenticated revocation")
	}
}
