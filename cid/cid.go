package cid

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// Codec is the multicodec of the content a CID addresses.
type Codec byte

// The codecs the AT Protocol blesses.
const (
	DagCBOR Codec = 0x71
	Raw     Codec = 0x55
)

const (
	version1  = 0x01
	sha256MH  = 0x12
	sha256Len = 0x20
	// Len is the length of a CID's binary form.
	Len = 4 + sha256Len
)

// CID is a CIDv1 with a SHA-256 multihash. The zero value is "undefined".
type CID struct {
	b [Len]byte
}

var (
	enc = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

	// ErrInvalid is wrapped by every parse failure.
	ErrInvalid = errors.New("invalid CID")
)

// Sum returns the CID of data under codec.
func Sum(codec Codec, data []byte) CID {
	return FromDigest(codec, sha256.Sum256(data))
}

// FromDigest builds the CID for a SHA-256 digest computed elsewhere.
func FromDigest(codec Codec, digest [32]byte) CID {
	var c CID
	c.b[0], c.b[1], c.b[2], c.b[3] = version1, byte(codec), sha256MH, sha256Len
	copy(c.b[4:], digest[:])
	return c
}

// Defined reports whether c is a real CID rather than the zero value.
func (c CID) Defined() bool { return c.b[0] == version1 }

// Codec reports what kind of content c addresses.
func (c CID) Codec() Codec { return Codec(c.b[1]) }

// Digest returns the SHA-256 digest c carries.
func (c CID) Digest() [32]byte {
	var d [32]byte
	copy(d[:], c.b[4:])
	return d
}

// Bytes returns the binary form (a fresh slice).
func (c CID) Bytes() []byte {
	b := c.b
	return b[:]
}

// AppendBinary appends the binary form to b.
func (c CID) AppendBinary(b []byte) ([]byte, error) { return append(b, c.b[:]...), nil }

// Matches reports whether data hashes to c under c's codec.
func (c CID) Matches(data []byte) bool {
	return c.Defined() && sha256.Sum256(data) == [32]byte(c.b[4:])
}

// String returns the base32 multibase string form ("bafy…"), or "" for the
// undefined CID.
func (c CID) String() string {
	if !c.Defined() {
		return ""
	}
	var buf [1 + (Len*8+4)/5]byte
	return string(c.Append(buf[:0]))
}

// Append appends the string form of c to b, allocating nothing more.
func (c CID) Append(b []byte) []byte {
	if !c.Defined() {
		return b
	}
	n := len(b)
	b = append(b, 'b')
	b = append(b, make([]byte, enc.EncodedLen(Len))...)
	enc.Encode(b[n+1:], c.b[:])
	return b
}

// Compare orders CIDs by their binary form.
func Compare(a, b CID) int { return strings.Compare(string(a.b[:]), string(b.b[:])) }

// FromBytes parses the binary form, which must be exactly one blessed CID.
func FromBytes(b []byte) (CID, error) {
	var c CID
	if len(b) != Len {
		return c, fmt.Errorf("%w: %d bytes, want %d", ErrInvalid, len(b), Len)
	}
	if b[0] != version1 {
		return c, fmt.Errorf("%w: version %d, want 1", ErrInvalid, b[0])
	}
	if Codec(b[1]) != DagCBOR && Codec(b[1]) != Raw {
		return c, fmt.Errorf("%w: codec 0x%x is neither dag-cbor nor raw", ErrInvalid, b[1])
	}
	if b[2] != sha256MH || b[3] != sha256Len {
		return c, fmt.Errorf("%w: multihash is not sha2-256", ErrInvalid)
	}
	copy(c.b[:], b)
	return c, nil
}

// Parse parses the base32 string form.
func Parse(s string) (CID, error) {
	if len(s) != 1+enc.EncodedLen(Len) || s[0] != 'b' {
		return CID{}, fmt.Errorf("%w: %q is not a base32 CIDv1 with sha2-256", ErrInvalid, s)
	}
	var b [Len]byte
	n, err := enc.Decode(b[:], []byte(s[1:]))
	if err != nil || n != Len {
		return CID{}, fmt.Errorf("%w: %q: bad base32", ErrInvalid, s)
	}
	c, err := FromBytes(b[:])
	if err == nil && c.String() != s {
		return CID{}, fmt.Errorf("%w: %q is not in canonical form", ErrInvalid, s)
	}
	return c, err
}

// MustParse is Parse for constants in tests and examples; it panics on error.
func MustParse(s string) CID {
	c, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return c
}

// MarshalText implements encoding.TextMarshaler.
func (c CID) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *CID) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	*c = v
	return err
}
