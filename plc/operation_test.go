package plc

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/keys"
)

// fixtureOps returns every operation of the valid fixtures with its CID.
func fixtureOps(t *testing.T) []LogEntry {
	t.Helper()
	var all []LogEntry
	for _, f := range fixtureFiles(t, "valid") {
		all = append(all, loadAuditLog(t, f)...)
	}
	return all
}

func TestParseOperation_RoundTrip(t *testing.T) {
	for _, e := range fixtureOps(t) {
		t.Run(e.CID.String(), func(t *testing.T) {
			b, err := e.Operation.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			op, err := ParseOperation(b)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := op.Bytes()
			if !bytes.Equal(again, b) || mustCID(t, op) != e.CID {
				t.Fatal("DRISL round trip changed the operation")
			}
			js, err := json.Marshal(op)
			if err != nil {
				t.Fatal(err)
			}
			fromJSON, err := ParseOperationJSON(js)
			if err != nil {
				t.Fatal(err)
			}
			if mustCID(t, fromJSON) != e.CID {
				t.Fatal("JSON round trip changed the operation")
			}
		})
	}
}

func TestParseOperationJSON_Rejects(t *testing.T) {
	const prev = `"bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga"`
	const body = `"rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{}`
	cases := map[string]string{
		"not an object":         `[]`,
		"no type":               `{"prev":null}`,
		"unknown type":          `{"type":"plc_whatever","prev":null}`,
		"unknown field":         `{"type":"plc_operation",` + body + `,"prev":null,"extra":1}`,
		"missing field":         `{"type":"plc_operation","rotationKeys":[],"prev":null}`,
		"missing prev":          `{"type":"plc_operation",` + body + `}`,
		"key not a string":      `{"type":"plc_operation","rotationKeys":[1],"verificationMethods":{},"alsoKnownAs":[],"services":{},"prev":null}`,
		"aka not a list":        `{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":"at://x","services":{},"prev":null}`,
		"vm not a string":       `{"type":"plc_operation","rotationKeys":[],"verificationMethods":{"a":[]},"alsoKnownAs":[],"services":{},"prev":null}`,
		"service extra field":   `{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"a":{"type":"t","endpoint":"e","x":"y"}},"prev":null}`,
		"service missing field": `{"type":"plc_operation","rotationKeys":[],"verificationMethods":{},"alsoKnownAs":[],"services":{"a":{"type":"t"}},"prev":null}`,
		"prev not a cid":        `{"type":"plc_operation",` + body + `,"prev":"hello"}`,
		"prev raw cid":          `{"type":"plc_operation",` + body + `,"prev":"bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"}`,
		"prev a link":           `{"type":"plc_operation",` + body + `,"prev":{"$link":` + prev + `}}`,
		"prev a number":         `{"type":"plc_operation",` + body + `,"prev":1}`,
		"tombstone null prev":   `{"type":"plc_tombstone","prev":null,"sig":"x"}`,
		"create with prev":      `{"type":"create","signingKey":"a","recoveryKey":"b","handle":"c","service":"d","prev":` + prev + `}`,
		"empty sig":             `{"type":"plc_tombstone","prev":` + prev + `,"sig":""}`,
		"sig not a string":      `{"type":"plc_tombstone","prev":` + prev + `,"sig":5}`,
		"duplicate key":         `{"type":"plc_tombstone","prev":` + prev + `,"prev":` + prev + `}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseOperationJSON([]byte(in)); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("err %v, want invalid", err)
			}
		})
	}
}

func TestParseOperation_Rejects(t *testing.T) {
	prev := cid.MustParse("bafyreiguwtflhou46pupb3qtemh56x6o3fn3y7ym2q3jgoms35tdu2d5ga")
	cases := map[string]any{
		"not a map":     []any{"a"},
		"prev a link":   map[string]any{"type": "plc_tombstone", "prev": prev},
		"type a number": map[string]any{"type": int64(1), "prev": nil},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := data.MarshalCBOR(v)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseOperation(b); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("err %v, want invalid", err)
			}
		})
	}
	t.Run("not DRISL", func(t *testing.T) {
		if _, err := ParseOperation([]byte{0xa1, 0x61}); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v, want invalid", err)
		}
	})
}

func TestOperation_Encode(t *testing.T) {
	t.Run("tombstone without prev", func(t *testing.T) {
		if _, err := (&Operation{Type: TypeTombstone}).UnsignedBytes(); err == nil {
			t.Fatal("encoded a tombstone without prev")
		}
	})
	t.Run("unsigned has no CID", func(t *testing.T) {
		if _, err := (&Operation{Type: TypeOperation}).CID(); err == nil {
			t.Fatal("CID of an unsigned operation")
		}
	})
	t.Run("unknown type", func(t *testing.T) {
		if _, err := (&Operation{Type: "x"}).UnsignedBytes(); err == nil {
			t.Fatal("encoded an unknown type")
		}
	})
	t.Run("nil fields encode as empty", func(t *testing.T) {
		b, err := (&Operation{Type: TypeOperation}).UnsignedBytes()
		if err != nil {
			t.Fatal(err)
		}
		op, err := ParseOperation(b)
		if err != nil || op.RotationKeys == nil || op.Services == nil {
			t.Fatalf("got %+v, %v", op, err)
		}
	})
	t.Run("unsigned JSON has no sig", func(t *testing.T) {
		js, err := json.Marshal(&Operation{Type: TypeOperation})
		if err != nil || strings.Contains(string(js), "sig") || !strings.Contains(string(js), `"prev":null`) {
			t.Fatalf("got %s, %v", js, err)
		}
	})
}

func TestOperation_DID(t *testing.T) {
	for _, f := range fixtureFiles(t, "valid") {
		e := loadAuditLog(t, f)
		t.Run(filepath.Base(f), func(t *testing.T) {
			did, err := e[0].Operation.DID()
			if err != nil || did != e[0].DID {
				t.Fatalf("DID %s, %v; want %s", did, err, e[0].DID)
			}
			if _, err := e[1%len(e)].Operation.DID(); len(e) > 1 && err == nil {
				t.Fatal("DID of a non-genesis operation")
			}
		})
	}
}

func TestVerifySignature_Keys(t *testing.T) {
	k1, k2 := newKey(t, keys.K256), newKey(t, keys.P256)
	other := newKey(t, keys.P256)
	rot := []string{k1.PublicKey().DIDKey(), k2.PublicKey().DIDKey()}
	op, err := Genesis(rot, other.PublicKey().DIDKey(), "alice.test", "https://pds.test")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("unsigned", func(t *testing.T) {
		if _, err := VerifySignature(op, rot); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v", err)
		}
	})
	for i, k := range []keys.Signer{k1, k2} {
		signed(t, op, k)
		if got, err := VerifySignature(op, rot); err != nil || got != i {
			t.Errorf("key %d: index %d, %v", i, got, err)
		}
	}
	cases := map[string][]string{
		"not allowed": {other.PublicKey().DIDKey()},
		"no keys":     nil,
		"bad key":     {"did:key:zzz", rot[1]},
	}
	for name, ks := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := VerifySignature(op, ks); !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("err %v, want invalid", err)
			}
		})
	}
	t.Run("content changed", func(t *testing.T) {
		c := op.Clone()
		c.AlsoKnownAs = []string{"at://mallory.test"}
		if _, err := VerifySignature(c, rot); !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("err %v, want invalid", err)
		}
	})
}

func TestParseDID(t *testing.T) {
	good := []string{"did:plc:yk4dd2qkboz2yv6tpubpc6co", "did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"}
	bad := []string{"", "did:plc:", "did:web:example.com", "did:plc:YK4DD2QKBOZ2YV6TPUBPC6CO",
		"did:plc:yk4dd2qkboz2yv6tpubpc6c0", "did:plc:yk4dd2qkboz2yv6tpubpc6coo", "did:plc:yk4dd2qkboz2yv6tpubpc6c"}
	for _, s := range good {
		if _, err := ParseDID(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range bad {
		if _, err := ParseDID(s); !rhizome.Is(err, rhizome.Invalid) {
			t.Errorf("%q accepted (%v)", s, err)
		}
	}
}
