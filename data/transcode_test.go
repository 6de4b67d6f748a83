package data

import (
	"slices"

	"github.com/rhizome-pds/rhizome/cbor"
	"reflect"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome/cid"
)

// checkTranscode asserts that AppendJSONFromCBOR accepts exactly what
// UnmarshalCBOR accepts, and that its JSON means the same value.
func checkTranscode(t *testing.T, in []byte) {
	t.Helper()
	want, werr := UnmarshalCBOR(in)
	js, err := AppendJSONFromCBOR([]byte("prefix:"), in)
	if (err != nil) != (werr != nil) {
		t.Fatalf("%x: transcoder error %v, decoder error %v", in, err, werr)
	}
	if err != nil {
		if err.Error() != werr.Error() {
			t.Fatalf("%x: transcoder says %q, decoder %q", in, err, werr)
		}
		return
	}
	if !strings.HasPrefix(string(js), "prefix:") {
		t.Fatalf("transcoder dropped the prefix: %s", js)
	}
	got, err := UnmarshalJSON(js[len("prefix:"):])
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%x: transcoded to %s = %#v (%v), want %#v", in, js, got, err, want)
	}
}

func TestAppendJSONFromCBOR(t *testing.T) {
	t.Run("fixtures", func(t *testing.T) {
		for _, fx := range loadVectors[fixture](t, "data-model/data-model-fixtures.json") {
			checkTranscode(t, fx.cborBytes(t))
		}
	})
	t.Run("non-canonical input is rejected", func(t *testing.T) {
		for _, c := range nonCanonical {
			if _, err := AppendJSONFromCBOR(nil, c.in); err == nil {
				t.Errorf("%s: accepted %x", c.name, c.in)
			}
		}
	})
	t.Run("random values", func(t *testing.T) {
		g := newGen(7)
		for range 500 {
			checkTranscode(t, mustCBOR(t, g.value(0, 5)))
		}
	})
	link := cid.Sum(cid.DagCBOR, []byte("x"))
	for name, v := range map[string]any{
		"blob":            map[string]any{"img": map[string]any{"$type": "blob", "ref": link, "mimeType": "image/png", "size": int64(3)}},
		"escapes":         map[string]any{"$type": "a.b.c", "t": "q\"\\\n\t\x01\u2028é😀"},
		"other $ keys":    map[string]any{"$type": "a.b.c", "$x": int64(1)},
		"bytes and links": map[string]any{"b": []byte{0, 1, 2}, "l": link, "n": nil, "t": true, "i": int64(-9)},
	} {
		t.Run(name, func(t *testing.T) { checkTranscode(t, mustCBOR(t, v)) })
	}
}

func TestAppendJSONFromCBOR_InvalidShapes(t *testing.T) {
	link := cid.Sum(cid.DagCBOR, []byte("x"))
	for name, v := range map[string]map[string]any{
		"blob without size": {"$type": "blob", "ref": link, "mimeType": "image/png"},
		"empty $type":       {"$type": ""},
		"$type not text":    {"$type": int64(1)},
		"$link key":         {"$link": "x", "a": int64(1)},
		"$bytes key":        {"$bytes": "x", "a": int64(1)},
	} {
		t.Run(name, func(t *testing.T) {
			in := rawMapCBOR(t, v)
			if _, err := AppendJSONFromCBOR(nil, in); err == nil {
				t.Fatalf("accepted %x", in)
			}
			checkTranscode(t, in)
		})
	}
}

// rawMapCBOR encodes m canonically without the data-model checks, so
// tests can build maps the encoder refuses. Values are text, int64 or
// links.
func rawMapCBOR(t *testing.T, m map[string]any) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if cbor.KeyLess(a, b) {
			return -1
		}
		return 1
	})
	b := cbor.AppendMapHeader(nil, len(m))
	for _, k := range keys {
		b = cbor.AppendText(b, k)
		switch v := m[k].(type) {
		case string:
			b = cbor.AppendText(b, v)
		case int64:
			b = cbor.AppendInt(b, v)
		case cid.CID:
			b = cbor.AppendLink(b, v)
		default:
			t.Fatalf("rawMapCBOR: %T", v)
		}
	}
	return b
}

// TestAppendJSONText escapes exactly as appendJSONString does whatever
// byte sits at whatever offset of an eight-byte block.
func TestAppendJSONText(t *testing.T) {
	specials := []string{"\"", "\\", "\n", "\x00", "\x1f", "\x7f", " ", "~", "é", "\u2028", "☕"}
	for n := range 20 {
		for pos := range n {
			for _, sp := range specials {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos)
				want, err := appendJSONString(nil, s)
				if err != nil {
					t.Fatal(err)
				}
				if got := appendJSONText(nil, []byte(s)); string(got) != string(want) {
					t.Fatalf("%q: %s, want %s", s, got, want)
				}
			}
		}
	}
}
