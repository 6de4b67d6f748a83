package data

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

// h decodes hex written with optional spaces.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

var (
	testCID    = cid.MustParse("bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a")
	testRawCID = cid.MustParse("bafkreiccldh766hwcnuxnf2wh6jgzepf2nlu2lvcllt63eww5p6chi4ity")
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// nest wraps inner in n single-item arrays.
func nest(n int, inner []byte) []byte {
	return append(bytes.Repeat([]byte{0x81}, n), inner...)
}

func TestUnmarshalCBOR_Accepts(t *testing.T) {
	link := cbor.AppendLink(nil, testCID)
	cases := []struct {
		name string
		in   []byte
		want any
	}{
		{"zero", h("00"), int64(0)},
		{"max int64", h("1b 7fffffffffffffff"), int64(math.MaxInt64)},
		{"min int64", h("3b 7fffffffffffffff"), int64(math.MinInt64)},
		{"-24", h("37"), int64(-24)},
		{"-25", h("38 18"), int64(-25)},
		{"empty text", h("60"), ""},
		{"empty bytes", h("40"), []byte{}},
		{"bytes", h("42 0102"), []byte{1, 2}},
		{"null", h("f6"), nil},
		{"true", h("f5"), true},
		{"false", h("f4"), false},
		{"empty list", h("80"), []any{}},
		{"empty map", h("a0"), map[string]any{}},
		{"length-first keys", h("a2 61 62 01 62 6161 02"), map[string]any{"b": int64(1), "aa": int64(2)}},
		{"link", link, testCID},
		{"raw link", cbor.AppendLink(nil, testRawCID), testRawCID},
		{"depth MaxDepth", nest(MaxDepth-1, h("80")), nil},
		{"$type", h("a1 65 2474797065 61 78"), map[string]any{"$type": "x"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := UnmarshalCBOR(c.in)
			if err != nil {
				t.Fatalf("UnmarshalCBOR(%x): %v", c.in, err)
			}
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Fatalf("UnmarshalCBOR(%x) = %#v, want %#v", c.in, got, c.want)
			}
			again, err := MarshalCBOR(got)
			if err != nil || !bytes.Equal(again, c.in) {
				t.Fatalf("re-encoded to %x, %v; want %x", again, err, c.in)
			}
		})
	}
}

// nonCanonical lists inputs UnmarshalCBOR must reject, with a fragment of
// the reason, so that a case cannot pass by failing for another reason.
var nonCanonical = []struct {
	name, why string
	in        []byte
}{
	{"empty input", "end of input", nil},
	{"unsorted keys", "out of order", h("a2 61 62 01 61 61 02")},
	{"bytewise not length-first", "out of order", h("a2 62 6161 01 61 62 02")},
	{"duplicate keys", "out of order or repeated", h("a2 61 61 01 61 61 02")},
	{"non-minimal int 1 byte", "shortest form", h("18 05")},
	{"non-minimal int 2 bytes", "shortest form", h("19 00ff")},
	{"non-minimal int 4 bytes", "shortest form", h("1a 0000ffff")},
	{"non-minimal int 8 bytes", "shortest form", h("1b 00000000ffffffff")},
	{"non-minimal negative", "shortest form", h("38 05")},
	{"non-minimal text length", "shortest form", h("78 01 61")},
	{"non-minimal bytes length", "shortest form", h("58 01 00")},
	{"non-minimal array length", "shortest form", h("98 01 01")},
	{"non-minimal map length", "shortest form", h("b8 01 61 61 01")},
	{"non-minimal tag 42", "shortest form", cat(h("d9 002a"), cbor.AppendLink(nil, testCID)[2:])},
	{"indefinite array", "indefinite", h("9f 01 ff")},
	{"indefinite map", "indefinite", h("bf ff")},
	{"indefinite bytes", "indefinite", h("5f 41 00 ff")},
	{"indefinite text", "indefinite", h("7f 61 61 ff")},
	{"reserved additional info", "reserved", h("1c")},
	{"half float", "float", h("f9 3c00")},
	{"half float NaN", "float", h("f9 7e00")},
	{"single float", "float", h("fa 3f800000")},
	{"double float", "float", h("fb 3ff0000000000000")},
	{"integral double", "float", h("fb 405ec00000000000")},
	{"undefined", "simple value", h("f7")},
	{"simple 16", "simple value", h("f0")},
	{"simple 32", "simple value", h("f8 20")},
	{"break outside container", "", h("ff")},
	{"tag 0", "tag 0", h("c0 60")},
	{"tag 1", "tag 1", h("c1 00")},
	{"tag 43", "tag 43", cat(h("d8 2b"), cbor.AppendLink(nil, testCID)[2:])},
	{"tag 42 bad prefix", "multibase prefix", cat(h("d8 2a 58 25 01"), testCID.Bytes())},
	{"tag 42 no prefix", "", cat(h("d8 2a 58 24"), testCID.Bytes())},
	{"tag 42 empty", "multibase prefix", h("d8 2a 40")},
	{"tag 42 over text", "major type", h("d8 2a 61 00")},
	{"tag 42 dag-pb codec", "codec", cat(h("d8 2a 58 25 00 01 70 12 20"), make([]byte, 32))},
	{"tag 42 CIDv0", "", cat(h("d8 2a 58 23 00 12 20"), make([]byte, 32))},
	{"invalid UTF-8 text", "UTF-8", h("61 ff")},
	{"invalid UTF-8 key", "UTF-8", h("a1 61 ff 01")},
	{"truncated text", "exceeds", h("62 61")},
	{"truncated int", "end of input", h("19 01")},
	{"trailing bytes", "trailing", h("01 01")},
	{"trailing after map", "trailing", h("a0 00")},
	{"too deep lists", "nest more than", nest(MaxDepth, h("80"))},
	{"too deep maps", "nest more than", cat(bytes.Repeat(h("a1 61 61"), MaxDepth), h("a0"))},
	{"int key", "major type", h("a1 01 01")},
	{"bytes key", "major type", h("a1 41 61 01")},
	{"uint above int64", "range", h("1b 8000000000000000")},
	{"negative below int64", "range", h("3b 8000000000000000")},
	{"huge array", "exceeds the input", h("9b 1000000000000000 00")},
	{"huge map", "exceeds the input", h("bb 1000000000000000 00")},
	{"huge text", "exceeds", h("7b 1000000000000000 00")},
	{"huge bytes", "exceeds", h("5b 1000000000000000 00")},
	{"array longer than input", "exceeds the input", h("83 01 02")},
	{"empty $type", "$type", h("a1 65 2474797065 60")},
	{"integer $type", "$type", h("a1 65 2474797065 01")},
	{"null $type", "$type", h("a1 65 2474797065 f6")},
	{"blob without ref", "blob ref", h("a1 65 2474797065 64 626c6f62")},
	{"$link key", "reserved", h("a1 65 246c696e6b 60")},
	{"$bytes key", "reserved", h("a1 66 246279746573 40")},
}

func TestUnmarshalCBOR_Rejects(t *testing.T) {
	for _, c := range nonCanonical {
		t.Run(c.name, func(t *testing.T) {
			v, err := UnmarshalCBOR(c.in)
			if err == nil {
				t.Fatalf("UnmarshalCBOR(%x) = %#v, want an error", c.in, v)
			}
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("error %v has kind %v, want invalid", err, rhizome.KindOf(err))
			}
			if !strings.Contains(err.Error(), c.why) {
				t.Fatalf("error %q does not mention %q", err, c.why)
			}
		})
	}
}

func TestUnmarshalCBOR_ErrorPath(t *testing.T) {
	in := h("a1 61 61 82 01 a1 61 62 f7") // {"a": [1, {"b": undefined}]}
	_, err := UnmarshalCBOR(in)
	if err == nil || !strings.Contains(err.Error(), "at a[1].b:") {
		t.Fatalf("error %v does not locate the bad value at a[1].b", err)
	}
	if !errors.Is(err, cbor.ErrInvalid) {
		t.Fatalf("error %v does not wrap cbor.ErrInvalid", err)
	}
}

// hugeClaim is a 10-byte array header claiming 2^60 items, then one item.
var hugeClaim = h("9b 1000000000000000 00")

func TestUnmarshalCBOR_HugeClaimFailsFast(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := UnmarshalCBOR(hugeClaim); err == nil {
			t.Fatal("huge claim accepted")
		}
	})
	if allocs > 10 {
		t.Fatalf("a failed 10-byte decode made %v allocations", allocs)
	}
	start := time.Now()
	for range 1000 {
		_, _ = UnmarshalCBOR(hugeClaim)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("1000 failed decodes took %v", d)
	}
}

// Nested lists each claiming as many items as there are bytes left must
// not each reserve memory for that many. Here every list's first item is
// the next list, the innermost's first item is one 1 MiB byte string, and
// then the input ends: reserving the claims would take 100 × 16 MiB.
func TestUnmarshalCBOR_NestedClaimsDoNotAmplify(t *testing.T) {
	const levels, filler = 100, 1 << 20
	in := cbor.AppendBytes(nil, make([]byte, filler))
	for range levels {
		in = append(cbor.AppendHeader(nil, cbor.Array, uint64(len(in))), in...)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := UnmarshalCBOR(in)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "end of input") {
		t.Fatalf("decode of unfulfilled claims: %v, want an end-of-input error", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Fatalf("decode allocated %d MiB for a %d KiB input", got>>20, len(in)>>10)
	}
}

func TestDecodeRecord_Checks(t *testing.T) {
	post := mustCBOR(t, map[string]any{"$type": "app.bsky.feed.post", "text": "hi"})
	cases := []struct {
		name string
		in   []byte
		kind rhizome.Kind
	}{
		{"record", post, 0},
		{"not a map", h("80"), rhizome.Invalid},
		{"no $type", mustCBOR(t, map[string]any{"text": "hi"}), rhizome.Invalid},
		{"non-canonical", h("a2 61 62 01 61 61 02"), rhizome.Invalid},
		{"too large", bigRecord(t), rhizome.TooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := DecodeRecord(c.in)
			if c.kind == 0 {
				if err != nil || m["$type"] != "app.bsky.feed.post" {
					t.Fatalf("DecodeRecord = %v, %v", m, err)
				}
				return
			}
			if !rhizome.Is(err, c.kind) {
				t.Fatalf("DecodeRecord error %v, want kind %v", err, c.kind)
			}
		})
	}
}

func bigRecord(t *testing.T) []byte {
	return mustCBOR(t, map[string]any{"$type": "x.y.z", "s": strings.Repeat("a", MaxRecordSize)})
}

func mustCBOR(t testing.TB, v any) []byte {
	t.Helper()
	b, err := MarshalCBOR(v)
	if err != nil {
		t.Fatalf("MarshalCBOR(%#v): %v", v, err)
	}
	return b
}
