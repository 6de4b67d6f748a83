package data

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

// interopDir is the shared interop vectors, beside the checkout.
const interopDir = "../../shared/testdata/atproto-interop"

// loadVectors reads an interop file; a missing file fails the test.
func loadVectors[T any](t testing.TB, rel string) []T {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(interopDir, rel))
	if err != nil {
		t.Fatalf("interop vectors: %v", err)
	}
	var out []T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("interop vectors %s: %v", rel, err)
	}
	if len(out) == 0 {
		t.Fatalf("interop vectors %s: empty", rel)
	}
	return out
}

type fixture struct {
	JSON json.RawMessage `json:"json"`
	CBOR string          `json:"cbor_base64"`
	CID  string          `json:"cid"`
}

func (f fixture) cborBytes(t testing.TB) []byte {
	t.Helper()
	b, err := base64.RawStdEncoding.DecodeString(f.CBOR)
	if err != nil {
		t.Fatalf("fixture cbor_base64: %v", err)
	}
	return b
}

func TestInterop_DataModelFixtures(t *testing.T) {
	for i, f := range loadVectors[fixture](t, "data-model/data-model-fixtures.json") {
		t.Run(f.CID, func(t *testing.T) {
			want := f.cborBytes(t)
			v, err := UnmarshalJSONObject(f.JSON)
			if err != nil {
				t.Fatalf("fixture %d: UnmarshalJSONObject: %v", i, err)
			}
			got, err := MarshalCBOR(v)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("MarshalCBOR = %x, %v; want %x", got, err, want)
			}
			c, err := CID(v)
			if err != nil || c.String() != f.CID {
				t.Fatalf("CID = %s, %v; want %s", c, err, f.CID)
			}
			checkCBORToJSON(t, want, v, f.JSON)
		})
	}
}

// checkCBORToJSON decodes the fixture's CBOR, expects the value decoded
// from its JSON, and expects the JSON written from it to mean the same as
// the fixture's JSON.
func checkCBORToJSON(t *testing.T, cborBytes []byte, want any, fixtureJSON []byte) {
	t.Helper()
	v, err := UnmarshalCBOR(cborBytes)
	if err != nil {
		t.Fatalf("UnmarshalCBOR: %v", err)
	}
	if !reflect.DeepEqual(v, want) {
		t.Fatalf("UnmarshalCBOR = %#v\nwant %#v", v, want)
	}
	out, err := MarshalJSON(v)
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	var gotGeneric, wantGeneric any
	if err := json.Unmarshal(out, &gotGeneric); err != nil {
		t.Fatalf("MarshalJSON wrote invalid JSON %s: %v", out, err)
	}
	if err := json.Unmarshal(fixtureJSON, &wantGeneric); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotGeneric, wantGeneric) {
		t.Fatalf("MarshalJSON = %s\nwant %s", out, fixtureJSON)
	}
}

type noted struct {
	Note string          `json:"note"`
	JSON json.RawMessage `json:"json"`
}

func TestInterop_DataModelValid(t *testing.T) {
	for _, c := range loadVectors[noted](t, "data-model/data-model-valid.json") {
		t.Run(c.Note, func(t *testing.T) {
			v, err := UnmarshalJSONObject(c.JSON)
			if err != nil {
				t.Fatalf("UnmarshalJSONObject(%s): %v", c.JSON, err)
			}
			b, err := MarshalCBOR(v)
			if err != nil {
				t.Fatalf("MarshalCBOR: %v", err)
			}
			if _, err := UnmarshalCBOR(b); err != nil {
				t.Fatalf("UnmarshalCBOR of our own encoding: %v", err)
			}
		})
	}
}

func TestInterop_DataModelInvalid(t *testing.T) {
	for _, c := range loadVectors[noted](t, "data-model/data-model-invalid.json") {
		t.Run(c.Note, func(t *testing.T) {
			v, err := UnmarshalJSONObject(c.JSON)
			if err == nil {
				t.Fatalf("UnmarshalJSONObject(%s) = %#v, want an error", c.JSON, v)
			}
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("error %v is of kind %v, want invalid", err, rhizome.KindOf(err))
			}
			t.Logf("rejected: %v", err)
		})
	}
}

type recordVector struct {
	Name string          `json:"name"`
	Data json.RawMessage `json:"data"`
}

// The lexicon record vectors are only used as data here: the valid ones
// must parse as records. (The invalid ones break lexicon rules, most of
// which are not data-model rules, so they are not expected to fail here.)
func TestInterop_RecordDataValid(t *testing.T) {
	for _, c := range loadVectors[recordVector](t, "lexicon/record-data-valid.json") {
		t.Run(c.Name, func(t *testing.T) {
			m, err := DecodeRecordJSON(c.Data)
			if err != nil {
				t.Fatalf("DecodeRecordJSON: %v", err)
			}
			b, err := MarshalCBOR(m)
			if err != nil {
				t.Fatalf("MarshalCBOR: %v", err)
			}
			back, err := DecodeRecord(b)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("DecodeRecord = %#v, %v; want %#v", back, err, m)
			}
		})
	}
}

// The invalid lexicon vectors must at least not crash the decoder, and
// whatever parses must round-trip.
func TestInterop_RecordDataInvalidAsData(t *testing.T) {
	for _, c := range loadVectors[recordVector](t, "lexicon/record-data-invalid.json") {
		t.Run(c.Name, func(t *testing.T) {
			m, err := DecodeRecordJSON(c.Data)
			if err != nil {
				return
			}
			j, err := MarshalJSON(m)
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			back, err := DecodeRecordJSON(j)
			if err != nil || !reflect.DeepEqual(back, m) {
				t.Fatalf("round trip = %#v, %v; want %#v", back, err, m)
			}
		})
	}
}
