package cbor

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rhizome-pds/rhizome/cid"
)

// ErrInvalid is wrapped by every decoding failure.
var ErrInvalid = errors.New("invalid DRISL")

// Reader decodes DRISL items from a byte slice, strictly. Byte strings it
// returns alias the input; copy them if the input will be reused.
type Reader struct {
	buf []byte
	off int
}

// NewReader reads from b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Reset makes r read from b.
func (r *Reader) Reset(b []byte) { r.buf, r.off = b, 0 }

// Seek moves the read position to off, an offset Offset reported.
func (r *Reader) Seek(off int) { r.off = min(max(off, 0), len(r.buf)) }

// Offset reports how many bytes have been consumed.
func (r *Reader) Offset() int { return r.off }

// Remaining reports how many bytes are left.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

// Done returns an error if any bytes remain.
func (r *Reader) Done() error {
	if r.off != len(r.buf) {
		return r.errf("%d trailing bytes", len(r.buf)-r.off)
	}
	return nil
}

func (r *Reader) errf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrInvalid, r.off, fmt.Sprintf(format, args...))
}

// Peek returns the major type of the next item without consuming it.
func (r *Reader) Peek() (Major, error) {
	if r.off >= len(r.buf) {
		return 0, r.errf("unexpected end of input")
	}
	return Major(r.buf[r.off] >> 5), nil
}

// ReadHeader reads one item header: its major type and argument. Simple
// values come back as major Simple with the simple value as argument; only
// false, true and null are accepted.
func (r *Reader) ReadHeader() (Major, uint64, error) {
	if r.off >= len(r.buf) {
		return 0, 0, r.errf("unexpected end of input")
	}
	ib := r.buf[r.off]
	m, ai := Major(ib>>5), ib&0x1f
	if m == Simple {
		if ai < simpleFalse || ai > simpleNull {
			return 0, 0, r.errf("simple value or float 0x%x is not allowed", ib)
		}
		r.off++
		return m, uint64(ai), nil
	}
	if ai < 24 {
		r.off++
		return m, uint64(ai), nil
	}
	if ai > 27 {
		return 0, 0, r.errf("indefinite or reserved length 0x%x", ib)
	}
	size := 1 << (ai - 24)
	if len(r.buf)-r.off-1 < size {
		return 0, 0, r.errf("unexpected end of input")
	}
	var n uint64
	for _, c := range r.buf[r.off+1 : r.off+1+size] {
		n = n<<8 | uint64(c)
	}
	if n < minArg[ai-24] {
		return 0, 0, r.errf("argument %d not in shortest form", n)
	}
	r.off += 1 + size
	return m, n, nil
}

var minArg = [4]uint64{24, 0x100, 0x10000, 0x100000000}

func (r *Reader) expect(want Major) (uint64, error) {
	m, n, err := r.ReadHeader()
	if err != nil {
		return 0, err
	}
	if m != want {
		return 0, r.errf("got major type %d, want %d", m, want)
	}
	return n, nil
}

func (r *Reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.buf)-r.off) {
		return nil, r.errf("length %d exceeds the %d bytes left", n, len(r.buf)-r.off)
	}
	p := r.buf[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return p, nil
}

// ReadBytes reads a byte string (aliasing the input).
func (r *Reader) ReadBytes() ([]byte, error) {
	n, err := r.expect(Bytes)
	if err != nil {
		return nil, err
	}
	return r.take(n)
}

// ReadText reads a UTF-8 text string.
func (r *Reader) ReadText() (string, error) {
	p, err := r.readTextBytes()
	return string(p), err
}

func (r *Reader) readTextBytes() ([]byte, error) {
	n, err := r.expect(Text)
	if err != nil {
		return nil, err
	}
	p, err := r.take(n)
	if err == nil && !utf8.Valid(p) {
		return nil, r.errf("text is not valid UTF-8")
	}
	return p, err
}

// ReadInt reads an integer that fits in an int64.
func (r *Reader) ReadInt() (int64, error) {
	m, n, err := r.ReadHeader()
	if err != nil {
		return 0, err
	}
	if n > 1<<63-1 {
		return 0, r.errf("integer out of 64-bit signed range")
	}
	switch m {
	case Uint:
		return int64(n), nil
	case NegInt:
		return -1 - int64(n), nil
	}
	return 0, r.errf("got major type %d, want an integer", m)
}

// ReadBool reads true or false.
func (r *Reader) ReadBool() (bool, error) {
	m, n, err := r.ReadHeader()
	if err != nil {
		return false, err
	}
	if m != Simple || n == simpleNull {
		return false, r.errf("want a boolean")
	}
	return n == simpleTrue, nil
}

// ReadNull consumes a null if one comes next and reports whether it did.
func (r *Reader) ReadNull() bool {
	if r.off < len(r.buf) && r.buf[r.off] == 0xf6 {
		r.off++
		return true
	}
	return false
}

// ReadLink reads a tag-42 CID link.
func (r *Reader) ReadLink() (cid.CID, error) {
	tag, err := r.expect(Tag)
	if err != nil {
		return cid.CID{}, err
	}
	return r.readLinkBody(tag)
}

func (r *Reader) readLinkBody(tag uint64) (cid.CID, error) {
	if tag != TagCID {
		return cid.CID{}, r.errf("tag %d is not allowed", tag)
	}
	p, err := r.ReadBytes()
	if err != nil {
		return cid.CID{}, err
	}
	if len(p) == 0 || p[0] != 0x00 {
		return cid.CID{}, r.errf("CID link lacks the identity multibase prefix")
	}
	c, err := cid.FromBytes(p[1:])
	if err != nil {
		return cid.CID{}, r.errf("%v", err)
	}
	return c, nil
}

// ReadMapHeader reads a map header and returns its entry count, which is
// checked against the bytes left (each entry takes at least two).
func (r *Reader) ReadMapHeader() (int, error) {
	n, err := r.expect(Map)
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.buf)-r.off)/2 {
		return 0, r.errf("map of %d entries exceeds the input", n)
	}
	return int(n), nil
}

// ReadArrayHeader reads an array header and returns its length, checked
// against the bytes left.
func (r *Reader) ReadArrayHeader() (int, error) {
	n, err := r.expect(Array)
	if err != nil {
		return 0, err
	}
	if n > uint64(len(r.buf)-r.off) {
		return 0, r.errf("array of %d items exceeds the input", n)
	}
	return int(n), nil
}

// ReadKey reads a map key, which must be text sorting strictly after prev
// in canonical order (pass "" with first=true for the first key).
func (r *Reader) ReadKey(prev string, first bool) (string, error) {
	p, err := r.readTextBytes()
	if err != nil {
		return "", err
	}
	if !first && !keyAfter(prev, p) {
		return "", r.errf("map key %q is out of order or repeated after %q", p, prev)
	}
	return string(p), nil
}

// ReadKeyBytes is ReadKey without allocating: the key aliases the input.
func (r *Reader) ReadKeyBytes(prev []byte, first bool) ([]byte, error) {
	p, err := r.readTextBytes()
	if err != nil {
		return nil, err
	}
	if !first && !keyAfter(string(prev), p) {
		return nil, r.errf("map key %q is out of order or repeated after %q", p, prev)
	}
	return p, nil
}

func keyAfter(prev string, k []byte) bool {
	if len(k) != len(prev) {
		return len(k) > len(prev)
	}
	return string(k) > prev
}

// maxSkipDepth bounds how deeply Skip follows nested containers.
const maxSkipDepth = 256

// Skip reads past one well-formed value without decoding it.
func (r *Reader) Skip() error { return r.skip(0) }

func (r *Reader) skip(depth int) error {
	if depth > maxSkipDepth {
		return r.errf("value nests more than %d deep", maxSkipDepth)
	}
	m, n, err := r.ReadHeader()
	if err != nil {
		return err
	}
	switch m {
	case Bytes, Text:
		_, err = r.take(n)
	case Tag:
		err = r.skip(depth + 1)
	case Array, Map:
		if m == Map {
			n *= 2
		}
		if n > uint64(len(r.buf)-r.off) {
			return r.errf("container of %d items exceeds the input", n)
		}
		for i := uint64(0); i < n && err == nil; i++ {
			err = r.skip(depth + 1)
		}
	}
	return err
}
