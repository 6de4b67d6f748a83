package data

import (
	"bytes"
	"math"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/cid"
)

func TestMarshalCBOR_Encodings(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want []byte
	}{
		{"23", int64(23), h("17")},
		{"24", int64(24), h("18 18")},
		{"255", int64(255), h("18 ff")},
		{"256", int64(256), h("19 0100")},
		{"65535", int64(65535), h("19 ffff")},
		{"65536", int64(65536), h("1a 00010000")},
		{"2^32-1", int64(math.MaxUint32), h("1a ffffffff")},
		{"2^32", int64(math.MaxUint32 + 1), h("1b 0000000100000000")},
		{"max int64", int64(math.MaxInt64), h("1b 7fffffffffffffff")},
		{"-1", int64(-1), h("20")},
		{"-24", int64(-24), h("37")},
		{"-25", int64(-25), h("38 18")},
		{"-256", int64(-256), h("38 ff")},
		{"-257", int64(-257), h("39 0100")},
		{"min int64", int64(math.MinInt64), h("3b 7fffffffffffffff")},
		{"int", 1000, h("19 03e8")},
		{"int8", int8(-5), h("24")},
		{"uint32", uint32(math.MaxUint32), h("1a ffffffff")},
		{"uint64 max int64", uint64(math.MaxInt64), h("1b 7fffffffffffffff")},
		{"text", "abc", h("63 616263")},
		{"bytes", []byte{1, 2}, h("42 0102")},
		{"nil bytes", []byte(nil), h("40")},
		{"nil list", []any(nil), h("80")},
		{"nil map", map[string]any(nil), h("a0")},
		{"strings", []string{"a", "b"}, h("82 61 61 61 62")},
		{"null", nil, h("f6")},
		{"bools", []any{true, false}, h("82 f5 f4")},
		{"link", testCID, cbor.AppendLink(nil, testCID)},
		{"key order", map[string]any{"bb": 1, "a": 2, "c": 3, "": 4},
			h("a4 60 04 61 61 02 61 63 03 62 6262 01")},
		{"blob struct", Blob{Ref: testRawCID, MimeType: "image/jpeg", Size: 10000},
			mustCBOR(t, map[string]any{"$type": "blob", "ref": testRawCID, "mimeType": "image/jpeg", "size": int64(10000)})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MarshalCBOR(c.in)
			if err != nil || !bytes.Equal(got, c.want) {
				t.Fatalf("MarshalCBOR(%#v) = %x, %v; want %x", c.in, got, err, c.want)
			}
		})
	}
}

// badValues are Go values no encoder may accept, with a fragment of the
// reason.
func badValues() []struct {
	name, why string
	in        any
} {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	deep := any(int64(1))
	for range MaxDepth + 1 {
		deep = []any{deep}
	}
	return []struct {
		name, why string
		in        any
	}{
		{"float64", "no floats", 1.0},
		{"float32", "no floats", float32(2)},
		{"nested float", "no floats", map[string]any{"a": []any{0.5}}},
		{"uint64 overflow", "64-bit range", uint64(math.MaxInt64 + 1)},
		{"struct", "not a data-model value", struct{}{}},
		{"pointer", "not a data-model value", new(int64)},
		{"undefined link", "undefined CID", cid.CID{}},
		{"bad UTF-8", "UTF-8", "\xff"},
		{"bad UTF-8 key", "UTF-8", map[string]any{"\xff": 1}},
		{"bad UTF-8 in []string", "UTF-8", []string{"ok", "\xfe"}},
		{"empty $type", "$type", map[string]any{"$type": ""}},
		{"int $type", "$type", map[string]any{"$type": 1}},
		{"$link key", "reserved", map[string]any{"$link": testCID.String()}},
		{"$bytes key", "reserved", map[string]any{"$bytes": "AA"}},
		{"blob missing size", "blob size", map[string]any{"$type": "blob", "ref": testCID, "mimeType": "a/b"}},
		{"blob extra key", "other than", map[string]any{"$type": "blob", "ref": testCID, "mimeType": "a/b", "size": 1, "x": 1}},
		{"blob string ref", "blob ref", map[string]any{"$type": "blob", "ref": testCID.String(), "mimeType": "a/b", "size": 1}},
		{"legacy Blob struct", "legacy", Blob{Ref: testCID, MimeType: "a/b", Size: -1}},
		{"Blob without ref", "ref", Blob{MimeType: "a/b", Size: 1}},
		{"too deep", "nest more than", deep},
		{"cyclic", "nest more than", cyclic},
	}
}

func TestMarshalCBOR_Rejects(t *testing.T) {
	for _, c := range badValues() {
		t.Run(c.name, func(t *testing.T) {
			out, err := AppendCBOR([]byte("prefix"), c.in)
			if err == nil {
				t.Fatalf("AppendCBOR accepted %#v as %x", c.in, out)
			}
			if string(out) != "prefix" {
				t.Fatalf("AppendCBOR returned %q on error, want the input", out)
			}
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("error %v (kind %v) does not mention %q", err, rhizome.KindOf(err), c.why)
			}
			if _, err := CID(c.in); err == nil {
				t.Fatal("CID accepted the value")
			}
		})
	}
}

func TestMarshalCBOR_DepthLimit(t *testing.T) {
	v := any(int64(1))
	for range MaxDepth {
		v = []any{v}
	}
	b, err := MarshalCBOR(v)
	if err != nil {
		t.Fatalf("MarshalCBOR at MaxDepth: %v", err)
	}
	if _, err := UnmarshalCBOR(b); err != nil {
		t.Fatalf("UnmarshalCBOR at MaxDepth: %v", err)
	}
	if _, err := MarshalCBOR(map[string]any{"a": v}); err == nil {
		t.Fatal("MarshalCBOR accepted MaxDepth+1")
	}
}

func TestCID_Value(t *testing.T) {
	v := map[string]any{"a": int64(1)}
	c, err := CID(v)
	if err != nil {
		t.Fatal(err)
	}
	want := cid.Sum(cid.DagCBOR, h("a1 61 61 01"))
	if c != want || c.Codec() != cid.DagCBOR {
		t.Fatalf("CID = %s, want %s", c, want)
	}
}
