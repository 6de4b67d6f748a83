package dpop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// The JWS algorithms a proof may use.
const (
	ES256  = "ES256"  // ECDSA on P-256 with SHA-256
	ES256K = "ES256K" // ECDSA on secp256k1 with SHA-256
)

// Algorithms returns the accepted algorithms, for the server metadata's
// dpop_signing_alg_values_supported.
func Algorithms() []string { return []string{ES256, ES256K} }

// Key is the public key of a JWK: an elliptic-curve key on P-256 or
// secp256k1. It never holds private key material.
type Key struct {
	curve keys.Curve
	x, y  [32]byte
	p256  *ecdsa.PublicKey // when curve is P256
	k256  keys.PublicKey   // when curve is K256
	alg   string           // the JWK's own "alg" member, if any
}

// privateMembers are JWK members that carry private key material, for any
// key type.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseKey parses a public JWK. It refuses a JWK with private key
// material, key types other than EC, curves other than P-256 and
// secp256k1, points off the curve, and keys marked for encryption.
func ParseKey(raw []byte) (*Key, error) {
	k, err := parseKey(raw)
	if err != nil {
		return nil, rhizome.E("parse jwk", rhizome.Invalid, err)
	}
	return k, nil
}

func parseKey(raw []byte) (*Key, error) {
	m, err := decodeObject(raw)
	if err != nil {
		return nil, err
	}
	if err := checkPublicEC(m); err != nil {
		return nil, err
	}
	curve, err := jwkCurve(m)
	if err != nil {
		return nil, err
	}
	x, err := coordinate(m, "x")
	if err != nil {
		return nil, err
	}
	y, err := coordinate(m, "y")
	if err != nil {
		return nil, err
	}
	k, err := newKey(curve, x, y)
	if err != nil {
		return nil, err
	}
	k.alg, _, err = m.str("alg")
	return k, err
}

// checkPublicEC refuses private key material, key types other than EC
// and keys meant for anything but signatures.
func checkPublicEC(m object) error {
	for _, name := range privateMembers {
		if _, ok := m[name]; ok {
			return fmt.Errorf("holds private key material (%q): a proof carries only the public key", name)
		}
	}
	if kty, err := m.need("kty"); err != nil || kty != "EC" {
		return fmt.Errorf("key type %q: only EC keys are supported", kty)
	}
	if use, ok, _ := m.str("use"); ok && use != "sig" {
		return fmt.Errorf("key use %q, want sig", use)
	}
	return nil
}

func jwkCurve(m object) (keys.Curve, error) {
	switch crv, _ := m.need("crv"); crv {
	case "P-256":
		return keys.P256, nil
	case "secp256k1":
		return keys.K256, nil
	default:
		return 0, fmt.Errorf("curve %q: want P-256 or secp256k1", crv)
	}
}

func coordinate(m object, name string) (c [32]byte, err error) {
	s, err := m.need(name)
	if err != nil {
		return c, err
	}
	b, err := b64.DecodeString(s)
	if err != nil || len(b) != len(c) {
		return c, fmt.Errorf("%s must be 32 bytes in base64url", name)
	}
	copy(c[:], b)
	return c, nil
}

// newKey builds a Key from affine coordinates, checking the point is on
// the curve.
func newKey(curve keys.Curve, x, y [32]byte) (*Key, error) {
	k := &Key{curve: curve, x: x, y: y}
	if curve == keys.P256 {
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), slices.Concat([]byte{4}, x[:], y[:]))
		if err != nil {
			return nil, errors.New("not a point on P-256")
		}
		k.p256 = pub
		return k, nil
	}
	if !onK256(x, y) {
		return nil, errors.New("not a point on secp256k1")
	}
	pub, err := keys.ParsePublicBytes(keys.K256, compress(x, y))
	if err != nil {
		return nil, err
	}
	k.k256 = pub
	return k, nil
}

// KeyFor returns the JWK form of a project key, as a client puts in the
// proofs it signs with the matching keys.Signer.
func KeyFor(pub keys.PublicKey) (*Key, error) {
	x, y, err := decompress(pub.Curve(), pub.Bytes())
	if err == nil {
		var k *Key
		if k, err = newKey(pub.Curve(), x, y); err == nil {
			return k, nil
		}
	}
	return nil, rhizome.E("jwk for key", rhizome.Invalid, err)
}

// Alg returns the JWS algorithm of signatures by the key.
func (k *Key) Alg() string { return k.curve.JWTAlg() }

// Curve returns the key's curve.
func (k *Key) Curve() keys.Curve { return k.curve }

// Thumbprint returns the RFC 7638 JWK SHA-256 thumbprint, base64url: the
// value of an access token's cnf.jkt claim.
func (k *Key) Thumbprint() string {
	sum := sha256.Sum256(k.canonical())
	return b64.EncodeToString(sum[:])
}

// canonical is the JWK's required members in lexicographic order, without
// whitespace (RFC 7638 §3).
func (k *Key) canonical() []byte {
	return fmt.Appendf(nil, `{"crv":%q,"kty":"EC","x":%q,"y":%q}`,
		k.curve.String(), b64.EncodeToString(k.x[:]), b64.EncodeToString(k.y[:]))
}

// MarshalJSON returns the public JWK.
func (k *Key) MarshalJSON() ([]byte, error) { return k.canonical(), nil }

// UnmarshalJSON parses a public JWK, as ParseKey does.
func (k *Key) UnmarshalJSON(b []byte) error {
	p, err := ParseKey(b)
	if err != nil {
		return err
	}
	*k = *p
	return nil
}

// Verify checks a JWS signature (64 bytes, r||s) by the key over
// signingInput with alg, which must be the key's algorithm. Both low-S
// and high-S signatures verify: JOSE libraries produce either, and a
// proof's uniqueness rests on its jti, not on its signature bytes.
func (k *Key) Verify(alg string, signingInput, sig []byte) error {
	const op = "verify jws"
	switch {
	case alg != k.Alg():
		return rhizome.Errorf(op, rhizome.Invalid, "alg %q does not match a %s key", alg, k.curve)
	case len(sig) != 64:
		return rhizome.Errorf(op, rhizome.Invalid, "signature is %d bytes, want 64 (r||s)", len(sig))
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if k.curve == keys.P256 {
		digest := sha256.Sum256(signingInput)
		if !ecdsa.Verify(k.p256, digest[:], r, s) {
			return rhizome.E(op, rhizome.Invalid, "signature does not match")
		}
		return nil
	}
	low, ok := lowS(s)
	if !ok || r.Sign() == 0 || r.Cmp(k256N) >= 0 {
		return rhizome.E(op, rhizome.Invalid, "signature out of range")
	}
	if err := k.k256.Verify(signingInput, slices.Concat(sig[:32], low)); err != nil {
		return rhizome.E(op, rhizome.Invalid, "signature does not match")
	}
	return nil
}

// The secp256k1 field prime and group order.
var (
	k256P = hexInt("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f")
	k256N = hexInt("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
)

func hexInt(s string) *big.Int {
	n, _ := new(big.Int).SetString(s, 16)
	return n
}

// lowS returns s, or N-s when s > N/2, as 32 bytes; ok is false when s is
// not in [1, N-1].
func lowS(s *big.Int) ([]byte, bool) {
	if s.Sign() == 0 || s.Cmp(k256N) >= 0 {
		return nil, false
	}
	if s.Cmp(new(big.Int).Rsh(k256N, 1)) > 0 {
		s = new(big.Int).Sub(k256N, s)
	}
	return s.FillBytes(make([]byte, 32)), true
}

// k256Y2 returns x³ + 7 mod p, the square of y on secp256k1.
func k256Y2(x *big.Int) *big.Int {
	y2 := new(big.Int).Exp(x, big.NewInt(3), k256P)
	y2.Add(y2, big.NewInt(7))
	return y2.Mod(y2, k256P)
}

// onK256 reports whether (x, y) is a point of secp256k1.
func onK256(xb, yb [32]byte) bool {
	x, y := new(big.Int).SetBytes(xb[:]), new(big.Int).SetBytes(yb[:])
	if x.Cmp(k256P) >= 0 || y.Cmp(k256P) >= 0 {
		return false
	}
	return new(big.Int).Exp(y, big.NewInt(2), k256P).Cmp(k256Y2(x)) == 0
}

// compress returns the 33-byte SEC 1 compressed form of (x, y).
func compress(x, y [32]byte) []byte {
	return slices.Concat([]byte{2 | y[31]&1}, x[:])
}

// decompress returns the affine coordinates of a compressed point.
func decompress(curve keys.Curve, b []byte) (x, y [32]byte, err error) {
	if len(b) != 33 || b[0]&^1 != 2 {
		return x, y, errors.New("not a compressed point")
	}
	var yi *big.Int
	xi := new(big.Int).SetBytes(b[1:])
	switch curve {
	case keys.P256:
		_, yi = elliptic.UnmarshalCompressed(elliptic.P256(), b)
	case keys.K256:
		// p ≡ 3 (mod 4), so a square root is (x³+7)^((p+1)/4).
		yi = new(big.Int).Exp(k256Y2(xi), new(big.Int).Rsh(new(big.Int).Add(k256P, big.NewInt(1)), 2), k256P)
		if yi.Bit(0) != uint(b[0]&1) {
			yi.Sub(k256P, yi)
		}
	}
	if yi == nil {
		return x, y, errors.New("not a point on the curve")
	}
	xi.FillBytes(x[:])
	yi.FillBytes(y[:])
	return x, y, nil
}

var _ json.Marshaler = (*Key)(nil)
