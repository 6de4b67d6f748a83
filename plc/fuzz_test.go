package plc

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns the operations of the fixtures as DRISL and JSON.
func fuzzSeeds(f *testing.F) (drisl, js [][]byte) {
	files, _ := filepath.Glob(filepath.Join(auditFixtures, "*", "*.json"))
	if len(files) == 0 {
		f.Fatal("no audit log fixtures")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		var raw []struct{ Operation json.RawMessage }
		if err := json.Unmarshal(b, &raw); err != nil {
			f.Fatal(err)
		}
		for _, r := range raw {
			js = append(js, r.Operation)
			if op, err := ParseOperationJSON(r.Operation); err == nil {
				if enc, err := op.Bytes(); err == nil {
					drisl = append(drisl, enc)
				}
			}
		}
	}
	return drisl, js
}

// encodeAsParsed re-encodes op the way it arrived: with or without sig.
func encodeAsParsed(op *Operation) ([]byte, error) {
	if op.Sig == "" {
		return op.UnsignedBytes()
	}
	return op.Bytes()
}

func FuzzParseOperation(f *testing.F) {
	drisl, _ := fuzzSeeds(f)
	for _, b := range drisl {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := ParseOperation(b)
		if err != nil {
			return
		}
		again, err := encodeAsParsed(op)
		if err != nil {
			t.Fatalf("parsed operation does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, again)
		}
	})
}

func FuzzParseOperationJSON(f *testing.F) {
	_, js := fuzzSeeds(f)
	for _, b := range js {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		op, err := ParseOperationJSON(b)
		if err != nil {
			return
		}
		out, err := json.Marshal(op)
		if err != nil {
			t.Fatalf("parsed operation does not marshal: %v", err)
		}
		back, err := ParseOperationJSON(out)
		if err != nil {
			t.Fatalf("marshalled operation does not parse: %v\n%s", err, out)
		}
		x, _ := encodeAsParsed(op)
		y, _ := encodeAsParsed(back)
		if !bytes.Equal(x, y) {
			t.Fatal("JSON round trip changed the operation")
		}
	})
}
