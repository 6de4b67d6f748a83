package keys

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/mr-tron/base58"

	"github.com/rhizome-pds/rhizome"
)

// PublicKey is a verifying key. Values made by this package are immutable
// and safe for concurrent use.
type PublicKey interface {
	// Verify reports whether sig is a valid signature by this key over the
	// SHA-256 digest of content. It accepts only a 64-byte compact r||s
	// signature with S ≤ N/2; DER and high-S signatures fail. A nil error
	// means valid; any failure is of kind rhizome.Invalid.
	Verify(content, sig []byte) error
	// DIDKey returns the key as a did:key string.
	DIDKey() string
	// Multibase returns the key as a multikey, the publicKeyMultibase of a
	// DID document verification method of type "Multikey".
	Multibase() string
	// Bytes returns a fresh copy of the 33-byte compressed point.
	Bytes() []byte
	// Curve reports which curve the key is on.
	Curve() Curve
	// Equal reports whether other is the same key on the same curve.
	Equal(other PublicKey) bool
}

const didKeyPrefix = "did:key:"

// pubKey is this package's PublicKey: an atcrypto key plus its encodings,
// computed once.
type pubKey struct {
	curve Curve
	key   atcrypto.PublicKey
	comp  [compressedLen]byte
	mb    string
}

var _ PublicKey = (*pubKey)(nil)

// wrapPublic builds a pubKey around k, which atcrypto has already checked.
func wrapPublic(k atcrypto.PublicKey) (*pubKey, error) {
	var c Curve
	switch k.(type) {
	case *atcrypto.PublicKeyP256:
		c = P256
	case *atcrypto.PublicKeyK256:
		c = K256
	default:
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	b := k.Bytes()
	if len(b) != compressedLen {
		return nil, fmt.Errorf("compressed point is %d bytes, want %d", len(b), compressedLen)
	}
	p := &pubKey{curve: c, key: k, mb: k.Multibase()}
	copy(p.comp[:], b)
	return p, nil
}

func (p *pubKey) Curve() Curve      { return p.curve }
func (p *pubKey) DIDKey() string    { return didKeyPrefix + p.mb }
func (p *pubKey) Multibase() string { return p.mb }
func (p *pubKey) Bytes() []byte     { return bytes.Clone(p.comp[:]) }
func (p *pubKey) String() string    { return p.DIDKey() }

func (p *pubKey) Equal(other PublicKey) bool {
	if other == nil {
		return false
	}
	if o, ok := other.(*pubKey); ok {
		return o != nil && p.curve == o.curve && p.comp == o.comp
	}
	return p.curve == other.Curve() && bytes.Equal(p.comp[:], other.Bytes())
}

func (p *pubKey) Verify(content, sig []byte) error {
	const op = "verify signature"
	if len(sig) != sigLen {
		return rhizome.Errorf(op, rhizome.Invalid,
			"signature is %d bytes, want %d (compact r||s; DER is not accepted)", len(sig), sigLen)
	}
	h := halfOrder[p.curve]
	if bytes.Compare(sig[scalarLen:], h[:]) > 0 {
		return rhizome.E(op, rhizome.Invalid, "high-S signature (atproto requires S ≤ N/2)")
	}
	if err := p.key.HashAndVerify(content, sig); err != nil {
		return rhizome.Errorf(op, rhizome.Invalid, "%s signature does not match content", p.curve)
	}
	return nil
}

// ParsePublicDIDKey parses a did:key string naming a P-256 or secp256k1
// key. Only the canonical encoding is accepted.
func ParsePublicDIDKey(s string) (PublicKey, error) {
	const op = "parse did:key"
	mb, ok := strings.CutPrefix(s, didKeyPrefix)
	if !ok {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%q does not start with %q", clip(s), didKeyPrefix)
	}
	p, err := parseMultikey(mb)
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%q: %w", clip(s), err)
	}
	return p, nil
}

// ParsePublicMultibase parses a multikey: the publicKeyMultibase of a DID
// document verification method of type "Multikey", which is what atproto
// DID documents carry today. Only the canonical encoding is accepted. For
// the older verification method types use [ParseVerificationMethod] or
// [ParseLegacyMultibase].
func ParsePublicMultibase(s string) (PublicKey, error) {
	p, err := parseMultikey(s)
	if err != nil {
		return nil, rhizome.Errorf("parse multikey", rhizome.Invalid, "%q: %w", clip(s), err)
	}
	return p, nil
}

// ParseLegacyMultibase parses the publicKeyMultibase of a legacy
// verification method (EcdsaSecp256r1VerificationKey2019 or
// EcdsaSecp256k1VerificationKey2019): base58btc of the bare point, with no
// multicodec prefix, so the curve must come from the method type. Both the
// compressed and the uncompressed point forms are accepted.
func ParseLegacyMultibase(curve Curve, s string) (PublicKey, error) {
	const op = "parse legacy multibase"
	if !curve.valid() {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "unsupported curve %s", curve)
	}
	b, err := decodeMultibase(s)
	if err == nil {
		var p *pubKey
		if p, err = parsePoint(curve, b); err == nil {
			return p, nil
		}
	}
	return nil, rhizome.Errorf(op, rhizome.Invalid, "%q: %w", clip(s), err)
}

// ParsePublicBytes parses a 33-byte compressed point on curve.
func ParsePublicBytes(curve Curve, compressed []byte) (PublicKey, error) {
	const op = "parse public key"
	if !curve.valid() {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "unsupported curve %s", curve)
	}
	p, err := parseCompressed(curve, compressed)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	return p, nil
}

// Verification method types of DID documents.
const (
	TypeMultikey   = "Multikey"
	TypeLegacyP256 = "EcdsaSecp256r1VerificationKey2019"
	TypeLegacyK256 = "EcdsaSecp256k1VerificationKey2019"
)

// ParseVerificationMethod parses the key of a DID document verification
// method from its type and publicKeyMultibase fields.
func ParseVerificationMethod(typ, publicKeyMultibase string) (PublicKey, error) {
	switch typ {
	case TypeMultikey:
		return ParsePublicMultibase(publicKeyMultibase)
	case TypeLegacyP256:
		return ParseLegacyMultibase(P256, publicKeyMultibase)
	case TypeLegacyK256:
		return ParseLegacyMultibase(K256, publicKeyMultibase)
	}
	return nil, rhizome.Errorf("parse verification method", rhizome.Invalid, "unsupported type %q", clip(typ))
}

// parseMultikey decodes a multicodec-prefixed compressed point and insists
// that s is its canonical encoding.
func parseMultikey(s string) (*pubKey, error) {
	b, err := decodeMultibase(s)
	if err != nil {
		return nil, err
	}
	curve, ok := curveForPrefix(pubPrefix, b)
	if !ok {
		return nil, fmt.Errorf("not a P-256 or secp256k1 public key (multicodec prefix % x)", b[:min(len(b), 2)])
	}
	p, err := parseCompressed(curve, b[2:])
	if err != nil {
		return nil, err
	}
	if p.mb != s {
		return nil, errors.New("non-canonical encoding")
	}
	return p, nil
}

// parsePoint parses a bare compressed or uncompressed point on curve.
func parsePoint(curve Curve, b []byte) (*pubKey, error) {
	switch {
	case len(b) == compressedLen:
		return parseCompressed(curve, b)
	case len(b) != uncompLen:
		return nil, fmt.Errorf("%s point is %d bytes, want %d (compressed) or %d (uncompressed)", curve, len(b), compressedLen, uncompLen)
	case b[0] != 0x04:
		return nil, fmt.Errorf("%d-byte point does not start with 0x04", len(b))
	}
	var k atcrypto.PublicKey
	var err error
	if curve == P256 {
		k, err = atcrypto.ParsePublicUncompressedBytesP256(b)
	} else {
		k, err = atcrypto.ParsePublicUncompressedBytesK256(b)
	}
	if err != nil {
		return nil, err
	}
	return wrapPublic(k)
}

// parseCompressed parses a 33-byte compressed point on curve.
func parseCompressed(curve Curve, b []byte) (*pubKey, error) {
	if len(b) != compressedLen {
		return nil, fmt.Errorf("%s point is %d bytes, want %d (compressed)", curve, len(b), compressedLen)
	}
	var k atcrypto.PublicKey
	var err error
	if curve == P256 {
		k, err = atcrypto.ParsePublicBytesP256(b)
	} else {
		k, err = atcrypto.ParsePublicBytesK256(b)
	}
	if err != nil {
		return nil, err
	}
	return wrapPublic(k)
}

// decodeMultibase decodes a base58btc multibase string ("z" prefix). Its
// errors never quote s, which may be private key material.
func decodeMultibase(s string) ([]byte, error) {
	switch {
	case len(s) > maxEncodedLen:
		return nil, fmt.Errorf("multibase string of %d characters is too long", len(s))
	case len(s) == 0 || s[0] != 'z':
		return nil, errors.New("not base58btc multibase (want a 'z' prefix)")
	case len(s) == 1:
		return nil, errors.New("empty multibase string")
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, errors.New("invalid base58btc")
	}
	return b, nil
}

// clip shortens untrusted input quoted in an error message.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
