package keys

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
)

// seedVerify adds the interop fixtures and a fresh signature per curve.
func seedVerify(f *testing.F) {
	var rows []signatureFixture
	loadFixture(f, "signature-fixtures.json", &rows)
	for _, row := range rows {
		msg, err1 := base64.RawStdEncoding.DecodeString(row.MessageBase64)
		sig, err2 := base64.RawStdEncoding.DecodeString(row.SignatureBase64)
		if err1 != nil || err2 != nil {
			f.Fatalf("fixture %q: bad base64", row.Comment)
		}
		f.Add(row.PublicKeyDID, msg, sig)
	}
	for _, c := range curves {
		s := mustGenerate(f, c)
		sig, err := s.Sign([]byte("seed"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s.PublicKey().DIDKey(), []byte("seed"), sig)
	}
}

func FuzzVerify(f *testing.F) {
	seedVerify(f)
	f.Fuzz(func(t *testing.T, did string, msg, sig []byte) {
		k, err := ParsePublicDIDKey(did)
		if err != nil {
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("parse error of kind %v: %v", rhizome.KindOf(err), err)
			}
			return
		}
		err = k.Verify(msg, sig)
		if err == nil {
			// Whatever verifies must be in the one accepted form.
			if len(sig) != 64 || !isLowS(k.Curve(), sig) {
				t.Fatalf("accepted a non-compact or high-S signature %x", sig)
			}
			return
		}
		if !rhizome.Is(err, rhizome.Invalid) {
			t.Fatalf("verify error of kind %v: %v", rhizome.KindOf(err), err)
		}
	})
}

func FuzzParseDIDKey(f *testing.F) {
	for _, s := range []string{p256DID, k256DID, "did:key:", "did:key:z", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicDIDKey(s)
		if err != nil {
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("error of kind %v: %v", rhizome.KindOf(err), err)
			}
		} else {
			checkParsedKey(t, s, k)
		}
		// The same bytes through the other parsers: no panics, and any
		// key they accept is well-formed.
		mb := strings.TrimPrefix(s, "did:key:")
		if k, err := ParsePublicMultibase(mb); err == nil {
			checkParsedKey(t, "did:key:"+mb, k)
		}
		for _, c := range curves {
			if k, err := ParseLegacyMultibase(c, mb); err == nil && k.Curve() != c {
				t.Fatalf("legacy parse on %s gave a %s key", c, k.Curve())
			}
		}
	})
}

// checkParsedKey asserts that k, parsed from did, re-encodes to it exactly
// and survives the byte round trip.
func checkParsedKey(t *testing.T, did string, k PublicKey) {
	t.Helper()
	if k.DIDKey() != did {
		t.Fatalf("parsed %q but re-encodes as %q", did, k.DIDKey())
	}
	back, err := ParsePublicBytes(k.Curve(), k.Bytes())
	if err != nil || !back.Equal(k) {
		t.Fatalf("byte round trip of %s: %v", did, err)
	}
}
