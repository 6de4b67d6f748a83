package cbor

import (
	"github.com/rhizome-pds/rhizome/cid"
)

// Major is a CBOR major type.
type Major byte

// The major types DRISL uses.
const (
	Uint   Major = 0
	NegInt Major = 1
	Bytes  Major = 2
	Text   Major = 3
	Array  Major = 4
	Map    Major = 5
	Tag    Major = 6
	Simple Major = 7
)

// The simple values DRISL allows, and the CID tag.
const (
	simpleFalse = 20
	simpleTrue  = 21
	simpleNull  = 22
	TagCID      = 42
)

// AppendHeader appends a major type and argument in the shortest form.
func AppendHeader(b []byte, m Major, n uint64) []byte {
	t := byte(m) << 5
	switch {
	case n < 24:
		return append(b, t|byte(n))
	case n <= 0xff:
		return append(b, t|24, byte(n))
	case n <= 0xffff:
		return append(b, t|25, byte(n>>8), byte(n))
	case n <= 0xffffffff:
		return append(b, t|26, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, t|27, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
		byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}

// AppendInt appends a signed integer.
func AppendInt(b []byte, i int64) []byte {
	if i < 0 {
		return AppendHeader(b, NegInt, uint64(-1-i))
	}
	return AppendHeader(b, Uint, uint64(i))
}

// AppendText appends a text string.
func AppendText(b []byte, s string) []byte {
	return append(AppendHeader(b, Text, uint64(len(s))), s...)
}

// AppendBytes appends a byte string.
func AppendBytes(b []byte, p []byte) []byte {
	return append(AppendHeader(b, Bytes, uint64(len(p))), p...)
}

// AppendLink appends a CID link: tag 42 over a byte string holding the
// identity multibase prefix (0x00) and the CID's binary form.
func AppendLink(b []byte, c cid.CID) []byte {
	b = append(b, 0xd8, TagCID, 0x58, cid.Len+1, 0x00)
	b, _ = c.AppendBinary(b)
	return b
}

// AppendNull appends null.
func AppendNull(b []byte) []byte { return append(b, 0xf6) }

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 0xf5)
	}
	return append(b, 0xf4)
}

// AppendMapHeader starts a map of n entries; the caller appends the keys
// in canonical order (see KeyLess).
func AppendMapHeader(b []byte, n int) []byte { return AppendHeader(b, Map, uint64(n)) }

// AppendArrayHeader starts an array of n items.
func AppendArrayHeader(b []byte, n int) []byte { return AppendHeader(b, Array, uint64(n)) }

// KeyLess reports whether map key a sorts before b in DRISL's canonical
// order: shorter keys first, then bytewise.
func KeyLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
