package recovery

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/cosmos/go-bip39"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
)

// RotationInfo is the HKDF info string of derivation version 1. It names
// the scheme: changing it changes every derived key.
const RotationInfo = "rhizome rotation key v1"

const (
	scalarLen = 32
	maxBlocks = 255 // the most 32-byte blocks HKDF-SHA256 can produce
)

// k256Order is n, the order of the secp256k1 group, big-endian.
var k256Order = [scalarLen]byte{
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
}

// RotationKey derives the secp256k1 rotation key of p, as the package
// documentation specifies. The same phrase always yields the same key.
func (p Phrase) RotationKey() (keys.Signer, error) {
	const op = "derive rotation key"
	if !p.set {
		return nil, rhizome.E(op, rhizome.Invalid, "no recovery phrase")
	}
	seed := p.seed()
	defer clear(seed)
	k, err := rotationScalar(seed)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	defer clear(k)
	s, err := keys.SignerFromBytes(keys.K256, k)
	if err != nil {
		return nil, rhizome.E(op, rhizome.Other, err)
	}
	return s, nil
}

// seed returns the BIP-39 seed of p with the empty passphrase.
func (p Phrase) seed() []byte { return bip39.NewSeed(p.Mnemonic(), "") }

// rotationScalar returns the first valid secp256k1 scalar of the HKDF
// output over seed. It asks HKDF for one block first, which is all it
// needs but with probability about 2^-128.
func rotationScalar(seed []byte) ([]byte, error) {
	for _, blocks := range []int{1, maxBlocks} {
		okm, err := hkdf.Key(sha256.New, seed, nil, RotationInfo, blocks*scalarLen)
		if err != nil {
			return nil, err
		}
		k, ok := firstValidScalar(okm)
		clear(okm)
		if ok {
			return k, nil
		}
	}
	return nil, rhizome.E("derive rotation key", rhizome.Other, "no valid scalar in the HKDF output")
}

// firstValidScalar returns a copy of the first 32-byte block of okm that is
// a valid secp256k1 private scalar.
func firstValidScalar(okm []byte) ([]byte, bool) {
	for off := 0; off+scalarLen <= len(okm); off += scalarLen {
		if b := okm[off : off+scalarLen]; validScalar(b) {
			return bytes.Clone(b), true
		}
	}
	return nil, false
}

// validScalar reports whether the 32 big-endian bytes b lie in [1, n-1].
func validScalar(b []byte) bool {
	var zero [scalarLen]byte
	return !bytes.Equal(b, zero[:]) && bytes.Compare(b, k256Order[:]) < 0
}
