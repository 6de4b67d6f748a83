package keys

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mr-tron/base58"
)

// Keys from the interop fixtures.
const (
	p256DID = "did:key:zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo"
	k256DID = "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc"
)

func mustParseDID(t *testing.T, s string) PublicKey {
	t.Helper()
	k, err := ParsePublicDIDKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// multikey encodes prefix||body as a base58btc multibase string.
func multikey(prefix, body []byte) string {
	return "z" + base58.Encode(append(append([]byte{}, prefix...), body...))
}

func TestParsePublicDIDKey(t *testing.T) {
	for _, c := range curves {
		t.Run(c.String()+"/round trip", func(t *testing.T) {
			pub := mustGenerate(t, c).PublicKey()
			got := mustParseDID(t, pub.DIDKey())
			if !got.Equal(pub) || got.Curve() != c || got.DIDKey() != pub.DIDKey() {
				t.Fatal("did:key does not round-trip")
			}
			if "did:key:"+got.Multibase() != got.DIDKey() {
				t.Fatal("DIDKey is not did:key: + Multibase")
			}
		})
	}
	k := mustParseDID(t, k256DID)
	comp := k.Bytes()
	offCurve := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...) // x ≥ p
	bad := map[string]string{
		"empty":             "",
		"no method":         "zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
		"other method":      "did:web:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
		"upper-case prefix": "DID:KEY:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
		"bare prefix":       "did:key:",
		"bare z":            "did:key:z",
		"base32 multibase":  "did:key:bafkreiabc",
		"invalid base58":    "did:key:zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJw0",
		"trailing space":    k256DID + " ",
		"leading space":     " " + k256DID,
		"fragment":          k256DID + "#" + strings.TrimPrefix(k256DID, "did:key:"),
		"truncated":         k256DID[:len(k256DID)-1],
		"ed25519":           "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		"uncompressed":      "did:key:" + multikey([]byte{0xe7, 0x01}, uncompressed(t, K256, comp)),
		"extra byte":        "did:key:" + multikey([]byte{0xe7, 0x01}, append(bytes.Clone(comp), 0)),
		"leading zero":      "did:key:z1" + strings.TrimPrefix(k256DID, "did:key:z"),
		"not on curve":      "did:key:" + multikey([]byte{0x80, 0x24}, offCurve),
		"bad point tag":     "did:key:" + multikey([]byte{0xe7, 0x01}, append([]byte{0x05}, comp[1:]...)),
		"too long":          "did:key:z" + strings.Repeat("2", 1000),
	}
	for name, s := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePublicDIDKey(s)
			wantInvalid(t, err, "parse did:key")
		})
	}
}

func TestParsePublicMultibase(t *testing.T) {
	for _, did := range []string{p256DID, k256DID} {
		want := mustParseDID(t, did)
		got, err := ParsePublicMultibase(strings.TrimPrefix(did, "did:key:"))
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(want) || got.Multibase() != want.Multibase() {
			t.Fatal("multikey parses to a different key")
		}
	}
	for name, s := range map[string]string{
		"did:key":         k256DID,
		"legacy (bare)":   "z25z9DTpsiYYJKGsWmSPJK2NFN8PcJtZig12K59UgW7q5t",
		"private key":     multikey([]byte{0x81, 0x26}, bytes.Repeat([]byte{1}, 32)),
		"wrong multibase": "Q3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePublicMultibase(s)
			wantInvalid(t, err, "parse multikey")
		})
	}
}

func TestParseLegacyMultibase(t *testing.T) {
	for _, c := range curves {
		pub := mustGenerate(t, c).PublicKey()
		comp := pub.Bytes()
		for name, b := range map[string][]byte{"compressed": comp, "uncompressed": uncompressed(t, c, comp)} {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				got, err := ParseLegacyMultibase(c, "z"+base58.Encode(b))
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(pub) {
					t.Fatal("legacy form parses to a different key")
				}
			})
		}
		for name, s := range map[string]string{
			"multikey":     pub.Multibase(),
			"hybrid point": "z" + base58.Encode(append([]byte{0x06 | comp[0]&1}, uncompressed(t, c, comp)[1:]...)),
			"64 bytes":     "z" + base58.Encode(uncompressed(t, c, comp)[1:]),
			"no z":         base58.Encode(comp),
			"empty":        "",
		} {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				_, err := ParseLegacyMultibase(c, s)
				wantInvalid(t, err, "parse legacy multibase")
			})
		}
	}
	t.Run("unknown curve", func(t *testing.T) {
		_, err := ParseLegacyMultibase(0, "z25z9DTpsiYYJKGsWmSPJK2NFN8PcJtZig12K59UgW7q5t")
		wantInvalid(t, err, "parse legacy multibase")
	})
}

func TestParseVerificationMethod(t *testing.T) {
	k := mustParseDID(t, k256DID)
	for typ, s := range map[string]string{
		TypeMultikey:   k.Multibase(),
		TypeLegacyK256: "z" + base58.Encode(k.Bytes()),
	} {
		got, err := ParseVerificationMethod(typ, s)
		if err != nil || !got.Equal(k) {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	t.Run("unsupported type", func(t *testing.T) {
		_, err := ParseVerificationMethod("Ed25519VerificationKey2020", k.Multibase())
		wantInvalid(t, err, "parse verification method")
	})
	t.Run("legacy type with multikey", func(t *testing.T) {
		_, err := ParseVerificationMethod(TypeLegacyK256, k.Multibase())
		wantInvalid(t, err, "parse legacy multibase")
	})
}

func TestParsePublicBytes(t *testing.T) {
	for _, c := range curves {
		pub := mustGenerate(t, c).PublicKey()
		t.Run(c.String()+"/round trip", func(t *testing.T) {
			got, err := ParsePublicBytes(c, pub.Bytes())
			if err != nil || !got.Equal(pub) {
				t.Fatalf("round trip: %v", err)
			}
		})
		comp := pub.Bytes()
		for name, b := range map[string][]byte{
			"empty":        nil,
			"uncompressed": uncompressed(t, c, comp),
			"short":        comp[:32],
			"bad tag":      append([]byte{0x04}, comp[1:]...),
			"x = 0xff..":   append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...),
		} {
			t.Run(c.String()+"/"+name, func(t *testing.T) {
				_, err := ParsePublicBytes(c, b)
				wantInvalid(t, err, "parse public key")
			})
		}
	}
	t.Run("unknown curve", func(t *testing.T) {
		_, err := ParsePublicBytes(7, mustParseDID(t, k256DID).Bytes())
		wantInvalid(t, err, "parse public key")
	})
}

func TestPublicKey_Bytes(t *testing.T) {
	k := mustParseDID(t, p256DID)
	b := k.Bytes()
	if len(b) != 33 || (b[0] != 2 && b[0] != 3) {
		t.Fatalf("Bytes() = %x, want a compressed point", b)
	}
	b[5] ^= 0xff
	if bytes.Equal(b, k.Bytes()) {
		t.Fatal("Bytes() returns the key's own storage")
	}
	if k.DIDKey() != p256DID {
		t.Fatal("mutating Bytes() changed the key")
	}
}

// otherImpl is a PublicKey from outside the package.
type otherImpl struct{ PublicKey }

func TestPublicKey_Equal(t *testing.T) {
	p, k := mustParseDID(t, p256DID), mustParseDID(t, k256DID)
	cases := []struct {
		name string
		a, b PublicKey
		want bool
	}{
		{"same key parsed twice", p, mustParseDID(t, p256DID), true},
		{"other curve", p, k, false},
		{"other key", k, mustGenerate(t, K256).PublicKey(), false},
		{"nil", p, nil, false},
		{"other implementation", k, otherImpl{k}, true},
		{"other implementation, other key", p, otherImpl{k}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Equal(tc.b); got != tc.want {
				t.Fatalf("Equal = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCurve_String(t *testing.T) {
	for c, want := range map[Curve][2]string{
		P256: {"P-256", "ES256"}, K256: {"secp256k1", "ES256K"}, 0: {"curve(0)", ""},
	} {
		if c.String() != want[0] || c.JWTAlg() != want[1] {
			t.Errorf("%d: String %q JWTAlg %q, want %q", uint8(c), c.String(), c.JWTAlg(), want)
		}
	}
}
