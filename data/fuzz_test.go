package data

import (
	"bytes"
	"reflect"
	"testing"
)

func FuzzUnmarshalCBOR(f *testing.F) {
	for _, fx := range loadVectors[fixture](f, "data-model/data-model-fixtures.json") {
		f.Add(fx.cborBytes(f))
	}
	for _, c := range nonCanonical {
		f.Add(c.in)
	}
	g := newGen(3)
	for range 20 {
		f.Add(mustCBOR(f, g.value(0, 4)))
	}
	f.Add(mustCBOR(f, postRecord()))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkTranscode(t, in)
		n, lenErr := ItemLen(in)
		v, err := UnmarshalCBOR(in)
		if err != nil {
			return
		}
		if lenErr != nil || n != len(in) {
			t.Fatalf("decoded %x but ItemLen = %d, %v; want %d", in, n, lenErr, len(in))
		}
		out, err := MarshalCBOR(v)
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("decoded %x but re-encoded %x, %v", in, out, err)
		}
		j, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("decoded %x but MarshalJSON failed: %v", in, err)
		}
		back, err := UnmarshalJSON(j)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("JSON %s decoded to %#v, %v; want %#v", j, back, err, v)
		}
	})
}

func FuzzUnmarshalJSON(f *testing.F) {
	for _, fx := range loadVectors[fixture](f, "data-model/data-model-fixtures.json") {
		f.Add([]byte(fx.JSON))
	}
	for _, file := range []string{"data-model/data-model-valid.json", "data-model/data-model-invalid.json"} {
		for _, c := range loadVectors[noted](f, file) {
			f.Add([]byte(c.JSON))
		}
	}
	for _, s := range []string{`1.0e2`, `-0.0`, `{"$bytes":"AQI="}`, `{"a":1,"a":2}`, `[[[[]]]]`,
		`"\u2028\ud83d\ude00\ud800"`, `{"$type":"blob"}`, `1e-400`, `{"$link":"bafy"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := UnmarshalJSON(in)
		if err != nil {
			return
		}
		c, err := MarshalCBOR(v)
		if err != nil {
			t.Fatalf("decoded %s but MarshalCBOR failed: %v", in, err)
		}
		if back, err := UnmarshalCBOR(c); err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("CBOR %x decoded to %#v, %v; want %#v", c, back, err, v)
		}
		j, err := MarshalJSON(v)
		if err != nil {
			t.Fatalf("decoded %s but MarshalJSON failed: %v", in, err)
		}
		back, err := UnmarshalJSON(j)
		if err != nil || !reflect.DeepEqual(back, v) {
			t.Fatalf("JSON %s decoded to %#v, %v; want %#v", j, back, err, v)
		}
		if j2, err := MarshalJSON(back); err != nil || !bytes.Equal(j2, j) {
			t.Fatalf("JSON not stable: %s then %s, %v", j, j2, err)
		}
	})
}
