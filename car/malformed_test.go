package car

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

var (
	testBlock = []byte("a block of raw bytes")
	testCID   = cid.Sum(cid.Raw, testBlock)
)

// lp prefixes p with its length as a (minimal) varint.
func lp(p []byte) []byte { return append(appendUvarint(nil, uint64(len(p))), p...) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

// headerBody encodes a header map from key/value pairs in the order given.
func headerBody(kv ...any) []byte {
	b := cbor.AppendMapHeader(nil, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		b = cbor.AppendText(b, kv[i].(string))
		switch v := kv[i+1].(type) {
		case int:
			b = cbor.AppendInt(b, int64(v))
		case []cid.CID:
			b = cbor.AppendArrayHeader(b, len(v))
			for _, c := range v {
				b = cbor.AppendLink(b, c)
			}
		case []byte: // pre-encoded
			b = append(b, v...)
		}
	}
	return b
}

var goodHeader = lp(headerBody("roots", []cid.CID{testCID}, "version", 1))

// section builds a section from a raw CID prefix and data.
func section(cidBytes, data []byte) []byte { return lp(cat(cidBytes, data)) }

var goodSection = section(testCID.Bytes(), testBlock)

func TestNewReader_Malformed(t *testing.T) {
	cidv0 := cat([]byte{0x12, 0x20}, make([]byte, 32))
	v0Link := cat([]byte{0x81, 0xd8, 0x2a, 0x58, 0x23, 0x00}, cidv0)
	v2Link := cat([]byte{0x81, 0xd8, 0x2a, 0x58, 0x25, 0x00, 0x02, 0x71, 0x12, 0x20}, make([]byte, 32))
	cases := []struct {
		name string
		in   []byte
		kind rhizome.Kind
		want string // substring of the message
	}{
		{"empty input", nil, rhizome.Invalid, "empty input"},
		{"truncated header varint", []byte{0x80}, rhizome.Invalid, "unexpected EOF"},
		{"non-minimal header varint", cat([]byte{0xba, 0x00}, goodHeader[1:]), rhizome.Invalid, "shortest form"},
		{"overlong header varint", bytes.Repeat([]byte{0xff}, 12), rhizome.Invalid, "longer than 9 bytes"},
		{"zero header length", []byte{0x00}, rhizome.Invalid, "zero length"},
		{"header too long", lp(make([]byte, MaxHeaderSize+1)), rhizome.TooLarge, "exceed the limit"},
		{"header length 2^62", appendUvarint(nil, 1<<62), rhizome.TooLarge, "exceed the limit"},
		{"truncated header", goodHeader[:20], rhizome.Invalid, "unexpected EOF"},
		{"header not a map", lp(cbor.AppendArrayHeader(nil, 0)), rhizome.Invalid, "major type"},
		{"version 2 (CARv2 pragma)", lp(headerBody("version", 2)), rhizome.Invalid, "version 2 is not supported"},
		{"version 0", lp(headerBody("roots", []cid.CID{}, "version", 0)), rhizome.Invalid, "version 0"},
		{"version -1", lp(headerBody("roots", []cid.CID{}, "version", -1)), rhizome.Invalid, "version -1"},
		{"version not an int", lp(headerBody("roots", []cid.CID{}, "version", []byte{0xf5})), rhizome.Invalid, "integer"},
		{"missing roots", lp(headerBody("version", 1)), rhizome.Invalid, `lacks "roots"`},
		{"missing version", lp(headerBody("roots", []cid.CID{testCID})), rhizome.Invalid, `lacks "version"`},
		{"empty map", lp(headerBody()), rhizome.Invalid, "lacks"},
		{"unknown key", lp(headerBody("extra", 1, "roots", []cid.CID{}, "version", 1)), rhizome.Invalid, `unknown header key "extra"`},
		{"keys out of order", lp(headerBody("version", 1, "roots", []cid.CID{})), rhizome.Invalid, "out of order"},
		{"duplicate key", lp(headerBody("roots", []cid.CID{}, "roots", []cid.CID{}, "version", 1)), rhizome.Invalid, "out of order or repeated"},
		{"roots not a list", lp(headerBody("roots", 1, "version", 1)), rhizome.Invalid, "major type"},
		{"root not a link", lp(headerBody("roots", cbor.AppendText([]byte{0x81}, strings.Repeat("x", 50)), "version", 1)), rhizome.Invalid, "read root 0"},
		{"CIDv0 root", lp(headerBody("roots", v0Link, "version", 1)), rhizome.Invalid, "want 36"},
		{"CID version 2 root", lp(headerBody("roots", v2Link, "version", 1)), rhizome.Invalid, "version 2, want 1"},
		{"roots count beyond header", lp(headerBody("roots", []byte{0x99, 0x01, 0x00}, "version", 1)), rhizome.Invalid, "exceed"},
		{"non-canonical version int", lp(headerBody("roots", []cid.CID{}, "version", []byte{0x18, 0x01})), rhizome.Invalid, "shortest form"},
		{"trailing bytes in header", lp(cat(headerBody("roots", []cid.CID{}, "version", 1), []byte{0x00})), rhizome.Invalid, "trailing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(tc.in))
			if err == nil {
				t.Fatalf("accepted; roots %v", r.Roots())
			}
			if k := rhizome.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v (%v)", k, tc.kind, err)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "read car: ") {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestReader_NextMalformed(t *testing.T) {
	// firstOff is where the first section starts.
	firstOff := int64(len(goodHeader))
	tampered := slices.Clone(goodSection)
	tampered[len(tampered)-1] ^= 0x01
	withCID := func(prefix ...byte) []byte { return section(cat(prefix, make([]byte, 32)), testBlock) }
	cases := []struct {
		name    string
		body    []byte // after goodHeader
		kind    rhizome.Kind
		is      error
		want    string
		index   int64 // of the failing section
		hasCID  bool
		atFirst bool // the failing section is the first
	}{
		{"truncated section length", []byte{0x80}, rhizome.Invalid, io.ErrUnexpectedEOF, "read length", 0, false, true},
		{"non-minimal section length", cat([]byte{0xb8, 0x80, 0x00}, goodSection[1:]), rhizome.Invalid, errVarintNonMinimal, "shortest form", 0, false, true},
		{"overlong section length", cat(goodSection, bytes.Repeat([]byte{0x80}, 10)), rhizome.Invalid, errVarintLong, "longer than 9", 1, false, false},
		{"zero-length section", cat(goodSection, []byte{0x00}), rhizome.Invalid, nil, "zero-length section", 1, false, false},
		{"section shorter than a CID", lp(make([]byte, 35)), rhizome.Invalid, nil, "cannot hold a CID", 0, false, true},
		{"section length 2^62", appendUvarint(nil, 1<<62), rhizome.TooLarge, nil, "exceed the limit", 0, false, true},
		{"section length 2^63-1", appendUvarint(nil, 1<<63-1), rhizome.TooLarge, nil, "exceed the limit", 0, false, true},
		{"block over the limit", cat(appendUvarint(nil, cid.Len+DefaultMaxBlockSize+1), testCID.Bytes()), rhizome.TooLarge, nil, "exceed the limit", 0, false, true},
		{"truncated CID", goodSection[:10], rhizome.Invalid, io.ErrUnexpectedEOF, "read CID", 0, false, true},
		{"truncated block", cat(goodSection, goodSection[:len(goodSection)-1]), rhizome.Invalid, io.ErrUnexpectedEOF, "read block", 1, true, false},
		{"tampered block", cat(goodSection, tampered), rhizome.Corrupt, ErrMismatch, "does not match", 1, true, false},
		{"CIDv0", withCID(0x12, 0x20), rhizome.Invalid, cid.ErrInvalid, "version 18", 0, false, true},
		{"CID version 2", withCID(0x02, 0x71, 0x12, 0x20), rhizome.Invalid, cid.ErrInvalid, "version 2", 0, false, true},
		{"CID version 0 byte", withCID(0x00, 0x71, 0x12, 0x20), rhizome.Invalid, cid.ErrInvalid, "version 0", 0, false, true},
		{"dag-pb codec", withCID(0x01, 0x70, 0x12, 0x20), rhizome.Invalid, cid.ErrInvalid, "codec 0x70", 0, false, true},
		{"blake2b multihash", withCID(0x01, 0x71, 0xa0, 0xe4, 0x02, 0x20), rhizome.Invalid, cid.ErrInvalid, "multihash", 0, false, true},
		{"short digest", withCID(0x01, 0x55, 0x12, 0x10), rhizome.Invalid, cid.ErrInvalid, "multihash", 0, false, true},
		{"trailing garbage byte", cat(goodSection, []byte{0x05}), rhizome.Invalid, nil, "cannot hold a CID", 1, false, false},
		{"trailing garbage text", cat(goodSection, []byte("garbage\n")), rhizome.Invalid, io.ErrUnexpectedEOF, "read CID", 1, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(cat(goodHeader, tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for ; ; n++ {
				if _, _, err = r.Next(); err != nil {
					break
				}
			}
			if err == io.EOF {
				t.Fatalf("accepted %d blocks", n)
			}
			if k := rhizome.KindOf(err); k != tc.kind {
				t.Errorf("kind %v, want %v (%v)", k, tc.kind, err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			var se *SectionError
			if !errors.As(err, &se) {
				t.Fatalf("error %v carries no *SectionError", err)
			}
			wantOff := firstOff
			if !tc.atFirst {
				wantOff += int64(len(goodSection))
			}
			if se.Index != tc.index || se.Offset != wantOff || se.CID.Defined() != tc.hasCID {
				t.Errorf("section %d at %d (CID %q), want %d at %d", se.Index, se.Offset, se.CID, tc.index, wantOff)
			}
			if _, _, again := r.Next(); again != err {
				t.Errorf("second Next: %v, want the same error", again)
			}
		})
	}
}

func TestReader_MaxBlockSize(t *testing.T) {
	data := make([]byte, 1001)
	in := cat(goodHeader, section(cid.Sum(cid.Raw, data).Bytes(), data))
	if _, _, err := readCAR(in, MaxBlockSize(1000)); !rhizome.Is(err, rhizome.TooLarge) {
		t.Fatalf("1001-byte block under a 1000 limit: %v", err)
	}
	if _, _, err := readCAR(in, MaxBlockSize(1001)); err != nil {
		t.Fatalf("1001-byte block under a 1001 limit: %v", err)
	}
	if _, _, err := readCAR(in, MaxBlockSize(0)); err != nil {
		t.Fatalf("default limit: %v", err)
	}
}

// TestReader_HugeLengthFailsFast checks that a section claiming an enormous
// length is refused before any buffer for it is allocated.
func TestReader_HugeLengthFailsFast(t *testing.T) {
	for _, n := range []uint64{1 << 62, 1<<63 - 1, DefaultMaxBlockSize + cid.Len + 1} {
		in := cat(goodHeader, appendUvarint(nil, n), make([]byte, 64))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		r, err := NewReader(bytes.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = r.Next()
		runtime.ReadMemStats(&after)
		if !rhizome.Is(err, rhizome.TooLarge) {
			t.Fatalf("length %d: %v", n, err)
		}
		// The Reader's own buffers are 64 KiB; anything near the claimed
		// length would be megabytes at least.
		if got := after.TotalAlloc - before.TotalAlloc; got > 256<<10 {
			t.Errorf("length %d: allocated %d bytes before failing", n, got)
		}
	}
}
