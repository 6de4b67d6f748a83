package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"maps"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/rhizome-pds/rhizome/keys"
)

const (
	testURL   = "https://pod.example.com/xrpc/com.atproto.repo.createRecord"
	testToken = "access-token-for-alice"
)

// testClock is a settable clock.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// fixture is a verifier with its clock, nonces and replay cache.
type fixture struct {
	clock  *testClock
	nonces *Nonces
	replay *MemoryReplay
	v      *Verifier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	clk := &testClock{now: time.Unix(1_750_000_000, 0)}
	secret := make([]byte, 32)
	rand.Read(secret)
	nonces, err := NewNonces(NonceConfig{Secret: secret, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	replay := NewMemoryReplay(1000, clk.Now)
	v, err := NewVerifier(Config{Nonces: nonces, Replay: replay, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clock: clk, nonces: nonces, replay: replay, v: v}
}

// claims returns the claims of a good proof for testURL with the token.
func (f *fixture) claims() map[string]any {
	return map[string]any{
		"jti": rand.Text(), "htm": "POST", "htu": testURL,
		"iat": f.clock.Now().Unix(), "nonce": f.nonces.Next(), "ath": AccessTokenHash(testToken),
	}
}

func newSigner(t *testing.T, c keys.Curve) keys.Signer {
	t.Helper()
	s, err := keys.Generate(c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jwkOf(t *testing.T, s keys.Signer) map[string]any {
	t.Helper()
	k, err := KeyFor(s.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	b, _ := k.MarshalJSON()
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// header returns the header of a good proof signed by s.
func header(t *testing.T, s keys.Signer) map[string]any {
	return map[string]any{"typ": "dpop+jwt", "alg": s.PublicKey().Curve().JWTAlg(), "jwk": jwkOf(t, s)}
}

// compact builds a JWS from raw header and payload bytes and a signing
// function (nil: no signature).
func compact(h, p []byte, sign func([]byte) []byte) string {
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(p)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64.EncodeToString(sig)
}

// build marshals header and claims and signs with s.
func build(t *testing.T, s keys.Signer, h, c map[string]any) string {
	t.Helper()
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return compact(hb, cb, signWith(t, s))
}

func signWith(t *testing.T, s keys.Signer) func([]byte) []byte {
	return func(in []byte) []byte {
		sig, err := s.Sign(in)
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

// with returns a copy of m with the changes applied; a nil value deletes.
func with(m map[string]any, changes map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// ecdsaProof signs like a generic JOSE library: crypto/ecdsa with a
// random nonce, so S is high about half the time.
func ecdsaProof(t *testing.T, priv *ecdsa.PrivateKey, c map[string]any) (proof string, highS bool) {
	t.Helper()
	var x, y [32]byte
	raw, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	copy(x[:], raw[1:33])
	copy(y[:], raw[33:])
	jwk := map[string]any{"kty": "EC", "crv": "P-256", "x": b64.EncodeToString(x[:]), "y": b64.EncodeToString(y[:])}
	hb, _ := json.Marshal(map[string]any{"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})
	cb, _ := json.Marshal(c)
	proof = compact(hb, cb, func(in []byte) []byte {
		d := sha256.Sum256(in)
		r, s, err := ecdsa.Sign(rand.Reader, priv, d[:])
		if err != nil {
			t.Fatal(err)
		}
		highS = s.Cmp(new(big.Int).Rsh(elliptic.P256().Params().N, 1)) > 0
		return append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	})
	return proof, highS
}
