package dpop

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

func TestVerifier_Verify_Valid(t *testing.T) {
	for _, curve := range []keys.Curve{keys.P256, keys.K256} {
		t.Run(curve.String(), func(t *testing.T) {
			f := newFixture(t)
			s := newSigner(t, curve)
			proof, err := NewProof(s, ProofClaims{
				Method: "POST", URL: testURL + "?ignored=1#frag", Nonce: f.nonces.Next(),
				AccessToken: testToken, IssuedAt: f.clock.Now(),
			})
			if err != nil {
				t.Fatal(err)
			}
			key, _ := KeyFor(s.PublicKey())
			p, err := f.v.Verify(context.Background(), proof, Request{Method: "POST", URL: testURL, AccessToken: testToken, JKT: key.Thumbprint()})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.JKT != key.Thumbprint() || p.Method != "POST" || p.URL != testURL || !p.IssuedAt.Equal(f.clock.Now()) || p.JTI == "" {
				t.Errorf("proof = %+v", p)
			}
			if p.Key.Curve() != curve {
				t.Errorf("key curve %s", p.Key.Curve())
			}
		})
	}
}

func TestVerifier_Verify_TokenEndpoint(t *testing.T) {
	f := newFixture(t)
	s := newSigner(t, keys.P256)
	proof := build(t, s, header(t, s), with(f.claims(), map[string]any{"ath": nil}))
	if _, err := f.v.Verify(context.Background(), proof, Request{Method: "POST", URL: testURL}); err != nil {
		t.Errorf("a proof without ath at the token endpoint: %v", err)
	}
}

// TestVerifier_Verify_Refusals covers the attacks on DPoP: each proof is
// refused with the right error code and reason.
func TestVerifier_Verify_Refusals(t *testing.T) {
	f := newFixture(t)
	alice := newSigner(t, keys.P256)
	mallory := newSigner(t, keys.P256)
	k256 := newSigner(t, keys.K256)
	aliceKey, _ := KeyFor(alice.PublicKey())
	good := func() map[string]any { return f.claims() }
	h := header(t, alice)
	req := Request{Method: "POST", URL: testURL, AccessToken: testToken}
	now := f.clock.Now()

	type tc struct {
		name, proof string
		req         Request
		code, why   string
	}
	cases := []tc{
		{"another URL", build(t, alice, h, with(good(), map[string]any{"htu": "https://pod.example.com/xrpc/com.atproto.repo.deleteRecord"})), req, CodeInvalidProof, "htu"},
		{"another host", build(t, alice, h, with(good(), map[string]any{"htu": "https://evil.example.com/xrpc/com.atproto.repo.createRecord"})), req, CodeInvalidProof, "htu"},
		{"another scheme", build(t, alice, h, with(good(), map[string]any{"htu": "http://pod.example.com/xrpc/com.atproto.repo.createRecord"})), req, CodeInvalidProof, "htu"},
		{"htu not a URL", build(t, alice, h, with(good(), map[string]any{"htu": "/xrpc/com.atproto.repo.createRecord"})), req, CodeInvalidProof, "htu"},
		{"another method", build(t, alice, h, with(good(), map[string]any{"htm": "GET"})), req, CodeInvalidProof, "htm"},
		{"method case", build(t, alice, h, with(good(), map[string]any{"htm": "post"})), req, CodeInvalidProof, "htm"},
		{"wrong ath", build(t, alice, h, with(good(), map[string]any{"ath": AccessTokenHash("another-token")})), req, CodeInvalidProof, "ath does not match"},
		{"missing ath", build(t, alice, h, with(good(), map[string]any{"ath": nil})), req, CodeInvalidProof, "missing ath"},
		{"ath at token endpoint", build(t, alice, h, good()), Request{Method: "POST", URL: testURL}, CodeInvalidProof, "ath without"},
		{"stale iat", build(t, alice, h, with(good(), map[string]any{"iat": now.Add(-3 * time.Minute).Unix()})), req, CodeInvalidProof, "too old"},
		{"future iat", build(t, alice, h, with(good(), map[string]any{"iat": now.Add(2 * time.Minute).Unix()})), req, CodeInvalidProof, "future"},
		{"iat a string", build(t, alice, h, with(good(), map[string]any{"iat": "now"})), req, CodeInvalidProof, "iat"},
		{"missing iat", build(t, alice, h, with(good(), map[string]any{"iat": nil})), req, CodeInvalidProof, "missing iat"},
		{"missing jti", build(t, alice, h, with(good(), map[string]any{"jti": nil})), req, CodeInvalidProof, "missing jti"},
		{"long jti", build(t, alice, h, with(good(), map[string]any{"jti": strings.Repeat("j", 300)})), req, CodeInvalidProof, "jti longer"},
		{"missing nonce", build(t, alice, h, with(good(), map[string]any{"nonce": nil})), req, CodeUseNonce, "requires a nonce"},
		{"wrong nonce", build(t, alice, h, with(good(), map[string]any{"nonce": "made-up"})), req, CodeUseNonce, "stale or unknown"},
		{"alg none", compactJSON(t, with(h, map[string]any{"alg": "none"}), good(), nil), req, CodeInvalidProof, `alg "none"`},
		{"alg HS256", compactJSON(t, with(h, map[string]any{"alg": "HS256"}), good(), func(in []byte) []byte {
			m := hmac.New(sha256.New, []byte(aliceKey.Thumbprint()))
			m.Write(in)
			return m.Sum(nil)
		}), req, CodeInvalidProof, `alg "HS256"`},
		{"alg RS256", build(t, alice, with(h, map[string]any{"alg": "RS256"}), good()), req, CodeInvalidProof, `alg "RS256"`},
		{"alg for the other curve", build(t, alice, with(h, map[string]any{"alg": "ES256K"}), good()), req, CodeInvalidProof, "does not match a P-256 key"},
		{"ES256 claimed for a k256 key", build(t, k256, with(header(t, k256), map[string]any{"alg": "ES256"}), good()), req, CodeInvalidProof, "does not match a secp256k1 key"},
		{"jwk alg differs", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"alg": "ES256K"})}), good()), req, CodeInvalidProof, "jwk alg"},
		{"private key in jwk", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"d": b64.EncodeToString(make([]byte, 32))})}), good()), req, CodeInvalidProof, "private key material"},
		{"signed by another key", build(t, mallory, h, good()), req, CodeInvalidProof, "signature does not match"},
		{"stolen token", build(t, mallory, header(t, mallory), good()), Request{Method: "POST", URL: testURL, AccessToken: testToken, JKT: aliceKey.Thumbprint()}, CodeInvalidToken, "bound to another key"},
		{"tampered payload", tamper(build(t, alice, h, good()), t, with(good(), map[string]any{"htm": "DELETE"})), Request{Method: "DELETE", URL: testURL, AccessToken: testToken}, CodeInvalidProof, "signature does not match"},
		{"typ JWT", build(t, alice, with(h, map[string]any{"typ": "JWT"}), good()), req, CodeInvalidProof, "typ"},
		{"missing typ", build(t, alice, with(h, map[string]any{"typ": nil}), good()), req, CodeInvalidProof, "typ"},
		{"crit", build(t, alice, with(h, map[string]any{"crit": []string{"exp"}}), good()), req, CodeInvalidProof, "crit"},
		{"missing jwk", build(t, alice, with(h, map[string]any{"jwk": nil}), good()), req, CodeInvalidProof, "missing jwk"},
		{"RSA jwk", build(t, alice, with(h, map[string]any{"jwk": map[string]any{"kty": "RSA", "n": "AQAB", "e": "AQAB"}}), good()), req, CodeInvalidProof, "only EC keys"},
		{"symmetric jwk", build(t, alice, with(h, map[string]any{"jwk": map[string]any{"kty": "oct", "k": "c2VjcmV0"}}), good()), req, CodeInvalidProof, "private key material"},
		{"P-384 jwk", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"crv": "P-384"})}), good()), req, CodeInvalidProof, "curve"},
		{"point off P-256", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"y": b64.EncodeToString(make([]byte, 32))})}), good()), req, CodeInvalidProof, "not a point on P-256"},
		{"point off secp256k1", build(t, k256, with(header(t, k256), map[string]any{"jwk": with(jwkOf(t, k256), map[string]any{"y": b64.EncodeToString(make([]byte, 32))})}), good()), req, CodeInvalidProof, "not a point on secp256k1"},
		{"short x", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"x": "AAAA"})}), good()), req, CodeInvalidProof, "x must be 32 bytes"},
		{"encryption key", build(t, alice, with(h, map[string]any{"jwk": with(jwkOf(t, alice), map[string]any{"use": "enc"})}), good()), req, CodeInvalidProof, "key use"},
		{"DER signature", compactJSON(t, h, good(), derSign(t, alice)), req, CodeInvalidProof, "64"},
		{"duplicate htu", compactRaw(t, alice, h, `{"jti":"a","htm":"POST","htu":"`+testURL+`","htu":"https://x.example/","iat":`+itoa(now.Unix())+`}`), req, CodeInvalidProof, "appears twice"},
		{"trailing data", compactRaw(t, alice, h, `{"jti":"a"} {}`), req, CodeInvalidProof, "after the JSON object"},
		{"payload not an object", compactRaw(t, alice, h, `["jti"]`), req, CodeInvalidProof, "not a JSON object"},
		{"two segments", "eyJ0eXAiOiJkcG9wK2p3dCJ9.e30", req, CodeInvalidProof, "three"},
		{"not base64url", "a+b.c.d", req, CodeInvalidProof, "base64url"},
		{"padded base64", build(t, alice, h, good()) + "==", req, CodeInvalidProof, "base64url"},
		{"oversized", strings.Repeat("a", MaxProofSize+1), req, CodeInvalidProof, "more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.v.Verify(context.Background(), c.proof, c.req)
			checkRefusal(t, err, c.code, c.why)
		})
	}
}

func checkRefusal(t *testing.T, err error, code, why string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("accepted, want %s", code)
	case !rhizome.Is(err, rhizome.Unauthorized):
		t.Errorf("kind %v, want Unauthorized: %v", rhizome.KindOf(err), err)
	case rhizome.NameOf(err) != code:
		t.Errorf("code %q, want %q: %v", rhizome.NameOf(err), code, err)
	case !strings.Contains(err.Error(), why):
		t.Errorf("error %q does not say %q", err, why)
	}
}

func compactJSON(t *testing.T, h, c map[string]any, sign func([]byte) []byte) string {
	t.Helper()
	hb, _ := json.Marshal(h)
	cb, _ := json.Marshal(c)
	return compact(hb, cb, sign)
}

func compactRaw(t *testing.T, s keys.Signer, h map[string]any, payload string) string {
	hb, _ := json.Marshal(h)
	return compact(hb, []byte(payload), signWith(t, s))
}

// tamper replaces the payload of a signed proof, keeping its signature.
func tamper(proof string, t *testing.T, c map[string]any) string {
	parts := strings.Split(proof, ".")
	cb, _ := json.Marshal(c)
	return parts[0] + "." + b64.EncodeToString(cb) + "." + parts[2]
}

func derSign(t *testing.T, s keys.Signer) func([]byte) []byte {
	return func(in []byte) []byte {
		sig := signWith(t, s)(in)
		r, ss := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		der, err := asn1.Marshal(struct{ R, S *big.Int }{r, ss})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
}

func itoa(n int64) string { return big.NewInt(n).String() }
