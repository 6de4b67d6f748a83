package data

import (
	"math"
	"reflect"
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

func TestUnmarshalJSON_Accepts(t *testing.T) {
	link := `{"$link":"` + testCID.String() + `"}`
	cases := []struct {
		name, in string
		want     any
	}{
		{"integer", `123`, int64(123)},
		{"negative zero", `-0`, int64(0)},
		{"integral float", `123.0`, int64(123)},
		{"integral float with zeros", `-12.000`, int64(-12)},
		{"exponent", `1e2`, int64(100)},
		{"capital exponent", `1E+2`, int64(100)},
		{"fraction times exponent", `1.5e3`, int64(1500)},
		{"negative exponent", `100e-2`, int64(1)},
		{"zero with huge exponent", `0e99999999999999999999`, int64(0)},
		{"max int64", `9223372036854775807`, int64(math.MaxInt64)},
		{"min int64", `-9223372036854775808`, int64(math.MinInt64)},
		{"max int64 with fraction", `9223372036854775807.000`, int64(math.MaxInt64)},
		{"beyond 2^53 exactly", `9007199254740993.0`, int64(9007199254740993)},
		{"string escapes", `"a\n\u00e9\ud83d\ude00"`, "a\né😀"},
		{"null", ` null `, nil},
		{"list", `[1, "a", true, null]`, []any{int64(1), "a", true, nil}},
		{"empty containers", `{"a":[],"b":{}}`, map[string]any{"a": []any{}, "b": map[string]any{}}},
		{"link", link, testCID},
		{"bytes unpadded", `{"$bytes":"AQI"}`, []byte{1, 2}},
		{"bytes padded", `{"$bytes":"AQI="}`, []byte{1, 2}},
		{"empty bytes", `{"$bytes":""}`, []byte{}},
		{"blob", `{"$type":"blob","ref":` + link + `,"mimeType":"a/b","size":5}`,
			map[string]any{"$type": "blob", "ref": testCID, "mimeType": "a/b", "size": int64(5)}},
		{"legacy blob is a map", `{"cid":"` + testCID.String() + `","mimeType":"a/b"}`,
			map[string]any{"cid": testCID.String(), "mimeType": "a/b"}},
		{"other $ keys", `{"$foo":1}`, map[string]any{"$foo": int64(1)}},
		{"link at MaxDepth+1 inside lists", strings.Repeat("[", MaxDepth) + link + strings.Repeat("]", MaxDepth), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := UnmarshalJSON([]byte(c.in))
			if err != nil {
				t.Fatalf("UnmarshalJSON(%s): %v", c.in, err)
			}
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Fatalf("UnmarshalJSON(%s) = %#v, want %#v", c.in, got, c.want)
			}
			checkJSONRoundTrip(t, got)
		})
	}
}

// checkJSONRoundTrip expects v to survive JSON and CBOR unchanged.
func checkJSONRoundTrip(t *testing.T, v any) {
	t.Helper()
	j, err := MarshalJSON(v)
	if err != nil {
		t.Fatalf("MarshalJSON(%#v): %v", v, err)
	}
	back, err := UnmarshalJSON(j)
	if err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("UnmarshalJSON(%s) = %#v, %v; want %#v", j, back, err, v)
	}
	c, err := MarshalCBOR(v)
	if err != nil {
		t.Fatalf("MarshalCBOR(%#v): %v", v, err)
	}
	if back, err = UnmarshalCBOR(c); err != nil || !reflect.DeepEqual(back, v) {
		t.Fatalf("UnmarshalCBOR(%x) = %#v, %v; want %#v", c, back, err, v)
	}
}

func TestUnmarshalJSON_Rejects(t *testing.T) {
	link := `{"$link":"` + testCID.String() + `"}`
	cases := []struct{ name, in, why string }{
		{"empty", ``, "EOF"},
		{"fraction", `1.5`, "not an integer"},
		{"small exponent", `1e-1`, "not an integer"},
		{"above int64", `9223372036854775808`, "64-bit range"},
		{"below int64", `-9223372036854775809`, "64-bit range"},
		{"huge exponent", `1e19`, "64-bit range"},
		{"absurd exponent", `1e99999999999999999999`, "out of range"},
		{"absurd negative exponent", `1.5e-99999999999999999999`, "out of range"},
		{"leading zero", `01`, ""},
		{"NaN", `NaN`, "invalid character"},
		{"duplicate key", `{"a":1,"a":2}`, "repeated"},
		{"duplicate key by escape", `{"a":1,"\u0061":2}`, "repeated"},
		{"invalid UTF-8", "\"\xff\"", "UTF-8"},
		{"trailing value", `{} {}`, "trailing"},
		{"trailing garbage", `1 x`, "trailing"},
		{"trailing comma", `[1,]`, "invalid character"},
		{"missing colon", `{"a" 1}`, "invalid character"},
		{"non-string key", `{1:2}`, "invalid character"},
		{"unclosed", `[1`, "unexpected EOF"},
		{"link extra key", `{"$link":"` + testCID.String() + `","a":1}`, "exactly"},
		{"link not string", `{"$link":1}`, "exactly"},
		{"link bad CID", `{"$link":"bafy"}`, "invalid CID"},
		{"link uppercase CID", `{"$link":"` + strings.ToUpper(testCID.String()) + `"}`, "invalid CID"},
		{"bytes bad base64", `{"$bytes":"!!!"}`, "$bytes"},
		{"bytes with newline", `{"$bytes":"AQ\nI"}`, "line breaks"},
		{"bytes not string", `{"$bytes":null}`, "exactly"},
		{"empty $type", `{"$type":""}`, "$type"},
		{"null $type", `{"$type":null}`, "$type"},
		{"blob with extra key", `{"$type":"blob","ref":` + link + `,"mimeType":"a/b","size":5,"x":1}`, "other than"},
		{"blob negative size", `{"$type":"blob","ref":` + link + `,"mimeType":"a/b","size":-1}`, "size"},
		{"blob fractional size", `{"$type":"blob","ref":` + link + `,"mimeType":"a/b","size":1.5}`, "not an integer"},
		{"too deep lists", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "nest more than"},
		{"too deep objects", strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1), "nest more than"},
		{"too deep non-link object", strings.Repeat("[", MaxDepth) + `{"a":1}` + strings.Repeat("]", MaxDepth), "nest more than"},
		{"nested float", `{"a":[{"b":0.1}]}`, "at a[0].b"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := UnmarshalJSON([]byte(c.in))
			if err == nil {
				t.Fatalf("UnmarshalJSON(%s) = %#v, want an error", c.in, v)
			}
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("error %v (kind %v) does not mention %q", err, rhizome.KindOf(err), c.why)
			}
		})
	}
}

func TestUnmarshalJSONObject_TopLevel(t *testing.T) {
	for _, in := range []string{`"blah"`, `[]`, `1`, `null`, `{"$link":"` + testCID.String() + `"}`} {
		if v, err := UnmarshalJSONObject([]byte(in)); err == nil || !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("UnmarshalJSONObject(%s) = %#v, %v; want an invalid error", in, v, err)
		}
	}
	m, err := UnmarshalJSONObject([]byte(`{"a":1}`))
	if err != nil || m["a"] != int64(1) {
		t.Fatalf("UnmarshalJSONObject = %v, %v", m, err)
	}
}

func TestDecodeRecordJSON_Checks(t *testing.T) {
	for _, in := range []string{`{"text":"hi"}`, `[]`, `{"$type":""}`, `{"$type":3}`} {
		if _, err := DecodeRecordJSON([]byte(in)); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("DecodeRecordJSON(%s) error %v, want invalid", in, err)
		}
	}
	m, err := DecodeRecordJSON([]byte(`{"$type":"app.bsky.feed.like","n":1}`))
	if err != nil || m["$type"] != "app.bsky.feed.like" {
		t.Fatalf("DecodeRecordJSON = %v, %v", m, err)
	}
}

func TestMarshalJSON_Output(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"bytes unpadded", []byte{1, 2}, `{"$bytes":"AQI"}`},
		{"link", testCID, `{"$link":"` + testCID.String() + `"}`},
		{"keys bytewise", map[string]any{"bb": 1, "a": 2, "B": nil}, `{"B":null,"a":2,"bb":1}`},
		{"escapes", "q\"b\\n\n\x01\u2028é", `"q\"b\\n\n\u0001\u2028é"`},
		{"list", []any{int64(-3), true, []string{"x"}}, `[-3,true,["x"]]`},
		{"blob struct", Blob{Ref: testRawCID, MimeType: "image/png", Size: 7},
			`{"$type":"blob","mimeType":"image/png","ref":{"$link":"` + testRawCID.String() + `"},"size":7}`},
		{"nil containers", map[string]any{"l": []any(nil), "m": map[string]any(nil)}, `{"l":[],"m":{}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MarshalJSON(c.in)
			if err != nil || string(got) != c.want {
				t.Fatalf("MarshalJSON(%#v) = %s, %v; want %s", c.in, got, err, c.want)
			}
		})
	}
}

func TestMarshalJSON_Rejects(t *testing.T) {
	for _, c := range badValues() {
		t.Run(c.name, func(t *testing.T) {
			out, err := MarshalJSON(c.in)
			if err == nil {
				t.Fatalf("MarshalJSON accepted %#v as %s", c.in, out)
			}
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("error %v (kind %v) does not mention %q", err, rhizome.KindOf(err), c.why)
			}
		})
	}
}
