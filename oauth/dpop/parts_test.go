package dpop

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// The example key and thumbprint of RFC 9449 §6.1.
const (
	rfcJWK = `{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}`
	rfcJKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
)

func TestKey_Thumbprint(t *testing.T) {
	k, err := ParseKey([]byte(rfcJWK))
	if err != nil {
		t.Fatal(err)
	}
	if got := k.Thumbprint(); got != rfcJKT {
		t.Errorf("Thumbprint = %s, want %s (RFC 9449)", got, rfcJKT)
	}
	if k.Alg() != ES256 || k.Curve() != keys.P256 {
		t.Errorf("Alg %s, Curve %s", k.Alg(), k.Curve())
	}
}

func TestKeyFor_RoundTrip(t *testing.T) {
	for _, curve := range []keys.Curve{keys.P256, keys.K256} {
		t.Run(curve.String(), func(t *testing.T) {
			for range 20 { // both parities of y
				s := newSigner(t, curve)
				k, err := KeyFor(s.PublicKey())
				if err != nil {
					t.Fatal(err)
				}
				raw, _ := k.MarshalJSON()
				var back Key
				if err := back.UnmarshalJSON(raw); err != nil {
					t.Fatalf("parse own JWK %s: %v", raw, err)
				}
				if back.Thumbprint() != k.Thumbprint() || !strings.Contains(string(raw), `"crv":"`+curve.String()+`"`) {
					t.Errorf("round trip changed the key: %s", raw)
				}
				msg := []byte("signing input")
				sig, _ := s.Sign(msg)
				if err := back.Verify(curve.JWTAlg(), msg, sig); err != nil {
					t.Errorf("signature by the signer does not verify with its JWK: %v", err)
				}
				if err := back.Verify(curve.JWTAlg(), []byte("other input"), sig); err == nil {
					t.Error("signature verified over other input")
				}
			}
		})
	}
}

func TestParseKey_Refusals(t *testing.T) {
	cases := map[string]string{
		"not json":      `{"kty":`,
		"duplicate crv": `{"kty":"EC","crv":"P-256","crv":"secp256k1","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"}`,
		"private d":     strings.Replace(rfcJWK, `"crv"`, `"d":"AAAA","crv"`, 1),
		"OKP":           `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		"missing y":     `{"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"}`,
		"padded x":      strings.Replace(rfcJWK, `WBFs"`, `WBFs="`, 1),
		"x not string":  strings.Replace(rfcJWK, `"x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs"`, `"x":1`, 1),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseKey([]byte(raw)); !rhizome.Is(err, rhizome.Invalid) {
				t.Errorf("ParseKey = %v, want an Invalid error", err)
			}
		})
	}
}

func TestKey_VerifyRange(t *testing.T) {
	s := newSigner(t, keys.K256)
	k, _ := KeyFor(s.PublicKey())
	msg := []byte("x")
	zero := make([]byte, 64)
	over := append(make([]byte, 32), k256N.Bytes()...)
	for name, sig := range map[string][]byte{"zero": zero, "s = N": over} {
		if err := k.Verify(ES256K, msg, sig); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNormalizeHTU(t *testing.T) {
	good := map[string]string{
		"https://pod.example.com/xrpc/x.y.z":              "https://pod.example.com/xrpc/x.y.z",
		"HTTPS://Pod.Example.COM:443/xrpc/x.y.z?a=b#c":    "https://pod.example.com/xrpc/x.y.z",
		"http://pod.example.com:80":                       "http://pod.example.com/",
		"http://pod.example.com:8080/a/../b/./c/":         "http://pod.example.com:8080/b/c/",
		"https://pod.example.com:80/":                     "https://pod.example.com:80/",
		"http://127.0.0.1:2583/oauth/token":               "http://127.0.0.1:2583/oauth/token",
		"http://[::1]:2583/oauth/token":                   "http://[::1]:2583/oauth/token",
		"https://pod.example.com/a%2fb":                   "https://pod.example.com/a/b",
		"https://pod.example.com/%7Euser/%c3%a9":          "https://pod.example.com/~user/%C3%A9",
		"https://pod.example.com/xrpc/app.bsky.%67et":     "https://pod.example.com/xrpc/app.bsky.get",
		"https://pod.example.com//double//slash":          "https://pod.example.com//double//slash",
		"https://pod.example.com/with%20space/and+plus":   "https://pod.example.com/with%20space/and+plus",
		"https://pod.example.com/trailing/..":             "https://pod.example.com/",
		"https://pod.example.com/too/../../../far/up/x.y": "https://pod.example.com/far/up/x.y",
	}
	for in, want := range good {
		t.Run(in, func(t *testing.T) {
			got, err := NormalizeHTU(in)
			if err != nil || got != want {
				t.Errorf("NormalizeHTU = %q, %v; want %q", got, err, want)
			}
		})
	}
	for _, in := range []string{"", "/xrpc/x", "ftp://pod.example.com/x", "https://user:pw@pod.example.com/x", "https:opaque", "https://", "%zz"} {
		if _, err := NormalizeHTU(in); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("NormalizeHTU(%q) = %v, want an Invalid error", in, err)
		}
	}
}

func TestNonces(t *testing.T) {
	clk := &testClock{now: time.Unix(1_750_000_000, 0).Truncate(time.Minute)}
	secret := make([]byte, 32)
	rand.Read(secret)
	a, err := NewNonces(NonceConfig{Secret: secret, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewNonces(NonceConfig{Secret: secret, Now: clk.Now})
	other, _ := NewNonces(NonceConfig{Secret: make([]byte, 32), Now: clk.Now})

	n0 := a.Next()
	if len(n0) != 22 || n0 != b.Next() || n0 == other.Next() {
		t.Fatalf("nonce %q: nodes sharing a secret must agree, others not", n0)
	}
	if !b.Valid(n0) || other.Valid(n0) || a.Valid("") || a.Valid(n0[:21]) {
		t.Error("Valid accepts the wrong nonces")
	}
	clk.Add(59 * time.Second)
	if a.Next() != n0 {
		t.Error("the nonce changed within its window")
	}
	clk.Add(time.Second)
	n1 := a.Next()
	if n1 == n0 || !a.Valid(n0) || !a.Valid(n1) {
		t.Error("rotation: new nonce expected, old one still valid")
	}
	clk.Add(-time.Minute) // a node whose clock lags: the next window's nonce passes
	if !a.Valid(n1) {
		t.Error("a nonce from a node one window ahead was refused")
	}
	clk.Add(2 * time.Minute)
	if a.Valid(n0) {
		t.Error("a nonce two windows old was accepted")
	}
	clk.Add(-3 * time.Minute)
	if a.Valid(n1) {
		t.Error("a nonce two windows ahead was accepted")
	}
	for _, cfg := range []NonceConfig{{Secret: make([]byte, 31)}, {Secret: secret, Period: time.Millisecond}} {
		if _, err := NewNonces(cfg); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("NewNonces(%d-byte secret, %v) = %v", len(cfg.Secret), cfg.Period, err)
		}
	}
}

func TestMemoryReplay(t *testing.T) {
	ctx := context.Background()
	clk := &testClock{now: time.Unix(1_750_000_000, 0)}
	m := NewMemoryReplay(2, clk.Now)
	exp := clk.Now().Add(time.Minute)
	remember := func(key string, exp time.Time) (bool, error) { return m.Remember(ctx, key, exp) }

	if fresh, err := remember("a", exp); !fresh || err != nil {
		t.Fatalf("first a: %v %v", fresh, err)
	}
	if fresh, err := remember("a", exp); fresh || err != nil {
		t.Errorf("second a: fresh=%v err=%v", fresh, err)
	}
	remember("b", exp.Add(time.Minute))
	if _, err := remember("c", exp); !rhizome.Is(err, rhizome.Unavailable) {
		t.Errorf("full cache: %v, want Unavailable", err)
	}
	if fresh, _ := remember("d", clk.Now()); !fresh || m.Len() != 2 {
		t.Error("an already expired proof need not be stored")
	}
	clk.Add(time.Minute)
	if fresh, err := remember("c", exp.Add(time.Hour)); !fresh || err != nil {
		t.Errorf("after a expired, c: %v %v", fresh, err)
	}
	if fresh, _ := remember("a", exp.Add(time.Hour)); fresh {
		t.Error("cache over capacity accepted a")
	}
	clk.Add(time.Minute)
	if m.Len() != 1 {
		t.Errorf("Len = %d after b expired, want 1", m.Len())
	}
	if fresh, _ := remember("b", exp.Add(time.Hour)); !fresh {
		t.Error("b refused after it expired")
	}
	if k1, k2 := replayKey("jkt1", "jti"), replayKey("jkt2", "jti"); k1 == k2 || len(k1) != 64 {
		t.Error("replay keys must be scoped to the key")
	}
}

func TestFromHeader(t *testing.T) {
	h := http.Header{}
	if p, err := FromHeader(h); p != "" || err != nil {
		t.Errorf("no header: %q %v", p, err)
	}
	h.Set("DPoP", "a.b.c")
	if p, err := FromHeader(h); p != "a.b.c" || err != nil {
		t.Errorf("one header: %q %v", p, err)
	}
	h.Add("Dpop", "d.e.f")
	_, err := FromHeader(h)
	checkRefusal(t, err, CodeInvalidProof, "2 DPoP headers")
	_, err = FromHeader(http.Header{"Dpop": {""}})
	checkRefusal(t, err, CodeInvalidProof, "empty")
}

func TestChallenge(t *testing.T) {
	if got := Challenge(nil); got != `DPoP algs="ES256 ES256K"` {
		t.Errorf("Challenge(nil) = %s", got)
	}
	err := refuse(CodeUseNonce, "x")
	if got := Challenge(err); got != `DPoP algs="ES256 ES256K", error="use_dpop_nonce"` {
		t.Errorf("Challenge = %s", got)
	}
}
