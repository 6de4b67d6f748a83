package keys

import (
	"github.com/bluesky-social/indigo/atproto/atcrypto"
	"github.com/mr-tron/base58"

	"github.com/rhizome-pds/rhizome"
)

// Signer signs content with a private key it never reveals. The signers
// this package makes are safe for concurrent use; other implementations
// (a hardware or remote key, say) must keep the same contract.
type Signer interface {
	// Sign hashes content with SHA-256 and signs the digest, returning a
	// 64-byte compact r||s signature with S ≤ N/2 ("low-S"), the only form
	// atproto accepts.
	Sign(content []byte) ([]byte, error)
	// PublicKey returns the matching verifying key.
	PublicKey() PublicKey
}

// signer is this package's Signer. It has no method that yields the private key; printing it with fmt shows only
// the public key.
type signer struct {
	priv atcrypto.PrivateKeyExportable
	pub  *pubKey
}

var _ Signer = (*signer)(nil)

func (s *signer) PublicKey() PublicKey { return s.pub }

func (s *signer) Sign(content []byte) ([]byte, error) {
	sig, err := s.priv.HashAndSign(content)
	if err != nil {
		return nil, rhizome.E("sign", rhizome.Other, err)
	}
	return sig, nil
}

// String and GoString keep fmt from printing anything but the public key.
func (s *signer) String() string   { return "keys.Signer(" + s.pub.DIDKey() + ")" }
func (s *signer) GoString() string { return s.String() }

// Generate creates a fresh random signing key on curve.
func Generate(curve Curve) (Signer, error) {
	const op = "generate key"
	var k atcrypto.PrivateKeyExportable
	var err error
	switch curve {
	case P256:
		k, err = atcrypto.GeneratePrivateKeyP256()
	case K256:
		k, err = atcrypto.GeneratePrivateKeyK256()
	default:
		return nil, rhizome.Errorf(op, rhizome.Invalid, "unsupported curve %s", curve)
	}
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	return newSigner(op, k)
}

// SignerFromBytes loads a private key from its raw 32-byte big-endian
// scalar on curve.
//
// keystore and recovery only: this is one of the two ways private key material enters
// the program. The caller owns b and should clear it once done; errors
// never include it.
func SignerFromBytes(curve Curve, b []byte) (Signer, error) {
	const op = "load private key"
	if !curve.valid() {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "unsupported curve %s", curve)
	}
	return signerFromScalar(op, curve, b)
}

// SignerFromMultibase loads a private key from its multibase form: "z" and
// base58btc of the multicodec prefix (p256-priv or secp256k1-priv) and the
// 32-byte scalar, as [ExportPrivateMultibase] writes it and as atproto
// tooling prints it.
//
// keystore and recovery only: this is one of the two ways private key material enters
// the program. Errors never include s.
func SignerFromMultibase(s string) (Signer, error) {
	const op = "load private key"
	b, err := decodeMultibase(s)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Invalid, err)
	}
	defer clear(b)
	curve, ok := curveForPrefix(privPrefix, b)
	if !ok {
		return nil, rhizome.E(op, rhizome.Invalid, "not a P-256 or secp256k1 private key (unknown multicodec prefix)")
	}
	return signerFromScalar(op, curve, b[2:])
}

// ExportPrivateMultibase returns the private key of s in the form
// [SignerFromMultibase] reads. It works only on signers this package made.
//
// keystore and recovery only: this is the one way private key material leaves a Signer.
// Anything else that calls it is a bug.
func ExportPrivateMultibase(s Signer) (string, error) {
	ks, ok := s.(*signer)
	if !ok || ks == nil {
		return "", rhizome.E("export private key", rhizome.Invalid, "signer does not hold exportable key material")
	}
	b := ks.priv.Bytes()
	defer clear(b)
	p := privPrefix[ks.pub.curve]
	buf := make([]byte, 0, len(p)+len(b))
	buf = append(append(buf, p[:]...), b...)
	defer clear(buf)
	return "z" + base58.Encode(buf), nil
}

// signerFromScalar builds a Signer from a raw scalar. Its errors are
// generic on purpose: the underlying ones are not ours to vet for leaks.
func signerFromScalar(op string, curve Curve, b []byte) (Signer, error) {
	if len(b) != scalarLen {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s private key is %d bytes, want %d", curve, len(b), scalarLen)
	}
	var k atcrypto.PrivateKeyExportable
	var err error
	if curve == P256 {
		k, err = atcrypto.ParsePrivateBytesP256(b)
	} else {
		k, err = atcrypto.ParsePrivateBytesK256(b)
	}
	if err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "not a valid %s private key (zero, or not below the group order)", curve)
	}
	return newSigner(op, k)
}

func newSigner(op string, k atcrypto.PrivateKeyExportable) (Signer, error) {
	pk, err := k.PublicKey()
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	pub, err := wrapPublic(pk)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	return &signer{priv: k, pub: pub}, nil
}
