package keys

import (
	"crypto/elliptic"
	"fmt"
	"math/big"
)

// Curve names one of the elliptic curves atproto signing keys may use.
// The zero value is no curve.
type Curve uint8

// The supported curves.
const (
	P256 Curve = 1 // NIST P-256 / secp256r1; JWT alg ES256
	K256 Curve = 2 // secp256k1; JWT alg ES256K
)

// String returns the curve's JWK name: "P-256" or "secp256k1".
func (c Curve) String() string {
	switch c {
	case P256:
		return "P-256"
	case K256:
		return "secp256k1"
	}
	return fmt.Sprintf("curve(%d)", uint8(c))
}

// JWTAlg returns the JOSE algorithm name for signatures on c: "ES256" or
// "ES256K", or "" for an unknown curve.
func (c Curve) JWTAlg() string {
	switch c {
	case P256:
		return "ES256"
	case K256:
		return "ES256K"
	}
	return ""
}

func (c Curve) valid() bool { return c == P256 || c == K256 }

// Multicodec varint prefixes of the multikey and private-key encodings.
var (
	pubPrefix  = map[Curve][2]byte{P256: {0x80, 0x24}, K256: {0xe7, 0x01}} // p256-pub 0x1200, secp256k1-pub 0xe7
	privPrefix = map[Curve][2]byte{P256: {0x86, 0x26}, K256: {0x81, 0x26}} // p256-priv 0x1306, secp256k1-priv 0x1301
)

// curveForPrefix returns the curve whose prefix in table begins b.
func curveForPrefix(table map[Curve][2]byte, b []byte) (Curve, bool) {
	if len(b) < 2 {
		return 0, false
	}
	for c, p := range table {
		if b[0] == p[0] && b[1] == p[1] {
			return c, true
		}
	}
	return 0, false
}

const (
	scalarLen     = 32 // a private scalar, and each half of a signature
	sigLen        = 2 * scalarLen
	compressedLen = 1 + scalarLen
	uncompLen     = 1 + 2*scalarLen
	// maxEncodedLen bounds the multibase strings we decode: the longest
	// legitimate one (a legacy uncompressed key) is about 90 characters,
	// and base58 decoding costs time quadratic in the length.
	maxEncodedLen = 128
)

// halfOrder holds N/2 for each curve as 32 big-endian bytes, so that a
// signature's S half compares against it bytewise.
var halfOrder = map[Curve][scalarLen]byte{
	P256: half(elliptic.P256().Params().N),
	K256: half(mustHex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")),
}

func half(n *big.Int) (b [scalarLen]byte) {
	new(big.Int).Rsh(n, 1).FillBytes(b[:])
	return b
}

func mustHex(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		panic("keys: bad curve order constant")
	}
	return n
}
