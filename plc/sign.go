package plc

import (
	"encoding/base64"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

const (
	didPrefix = "did:plc:"
	idLen     = 24
	sigLen    = 64
)

// ParseDID validates s as a did:plc: "did:plc:" and 24 characters of the
// lower-case base32 alphabet (a-z, 2-7).
func ParseDID(s string) (syntax.DID, error) {
	const op = "parse plc did"
	if len(s) != len(didPrefix)+idLen || !strings.HasPrefix(s, didPrefix) {
		return "", rhizome.Errorf(op, rhizome.Invalid, "%.64q is not a did:plc", s)
	}
	for _, c := range s[len(didPrefix):] {
		if (c < 'a' || c > 'z') && (c < '2' || c > '7') {
			return "", rhizome.Errorf(op, rhizome.Invalid, "%q is not a did:plc", s)
		}
	}
	return syntax.ParseDID(s)
}

// Sign signs op with s, replacing any signature it had. The signer should
// hold one of the rotation keys of the operation op follows (for a genesis
// operation, one of its own).
func (op *Operation) Sign(s keys.Signer) error {
	b, err := op.UnsignedBytes()
	if err != nil {
		return err
	}
	sig, err := s.Sign(b)
	if err != nil {
		return rhizome.Errorf("sign plc operation", rhizome.KindOf(err), "%w", err)
	}
	op.Sig = base64.RawURLEncoding.EncodeToString(sig)
	return nil
}

// VerifySignature checks op's signature against rotationKeys in order and
// returns the index of the first key it verifies with. Every key tried must
// be a P-256 or secp256k1 did:key; the signature must be unpadded base64url
// with zero padding bits of a 64-byte low-S signature.
func VerifySignature(op *Operation, rotationKeys []string) (int, error) {
	const opName = "verify plc signature"
	sig, err := decodeSig(op.Sig)
	if err != nil {
		return -1, rhizome.Errorf(opName, rhizome.Invalid, "%w", err)
	}
	b, err := op.UnsignedBytes()
	if err != nil {
		return -1, err
	}
	if len(rotationKeys) == 0 {
		return -1, rhizome.E(opName, rhizome.Invalid, "no rotation key may sign this operation")
	}
	for i, k := range rotationKeys {
		pub, err := keys.ParsePublicDIDKey(k)
		if err != nil {
			return -1, rhizome.Errorf(opName, rhizome.Invalid, "rotation key %d: %w", i, err)
		}
		if pub.Verify(b, sig) == nil {
			return i, nil
		}
	}
	return -1, rhizome.E(opName, rhizome.Invalid, "signature does not verify with any allowed rotation key")
}

func decodeSig(s string) ([]byte, error) {
	if s == "" {
		return nil, rhizome.E("", rhizome.Invalid, "operation is not signed")
	}
	// Strict decoding still skips CR and LF, which would make the
	// signature (and so the CID) malleable.
	if strings.ContainsAny(s, "\r\n") {
		return nil, rhizome.E("", rhizome.Invalid, "signature contains a line break")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, rhizome.Errorf("", rhizome.Invalid, "signature is not canonical base64url: %w", err)
	}
	if len(b) != sigLen {
		return nil, rhizome.Errorf("", rhizome.Invalid, "signature is %d bytes, want %d", len(b), sigLen)
	}
	return b, nil
}
