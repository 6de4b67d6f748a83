package keys

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/mr-tron/base58"
)

type signatureFixture struct {
	Comment            string   `json:"comment"`
	MessageBase64      string   `json:"messageBase64"`
	Algorithm          string   `json:"algorithm"`
	DIDDocSuite        string   `json:"didDocSuite"`
	PublicKeyDID       string   `json:"publicKeyDid"`
	PublicKeyMultibase string   `json:"publicKeyMultibase"`
	SignatureBase64    string   `json:"signatureBase64"`
	ValidSignature     bool     `json:"validSignature"`
	Tags               []string `json:"tags"`
}

func TestPublicKey_Verify_fixtures(t *testing.T) {
	var rows []signatureFixture
	loadFixture(t, "signature-fixtures.json", &rows)
	seen := map[string]int{}
	for _, row := range rows {
		t.Run(row.Comment, func(t *testing.T) { checkSignatureFixture(t, row) })
		seen[row.Algorithm+"/"+strings.Join(row.Tags, ",")]++
	}
	// Guard against a truncated fixture file silently testing less.
	for _, k := range []string{"ES256/", "ES256K/", "ES256/high-s", "ES256K/high-s", "ES256/der-encoded", "ES256K/der-encoded"} {
		if seen[k] == 0 {
			t.Errorf("fixture file has no %q case", k)
		}
	}
}

func checkSignatureFixture(t *testing.T, row signatureFixture) {
	curve := map[string]Curve{"ES256": P256, "ES256K": K256}[row.Algorithm]
	if curve == 0 {
		t.Fatalf("unknown algorithm %q", row.Algorithm)
	}
	msg, err := base64.RawStdEncoding.DecodeString(row.MessageBase64)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.RawStdEncoding.DecodeString(row.SignatureBase64)
	if err != nil {
		t.Fatal(err)
	}
	fromDID, err := ParsePublicDIDKey(row.PublicKeyDID)
	if err != nil {
		t.Fatalf("ParsePublicDIDKey: %v", err)
	}
	fromDoc, err := ParseVerificationMethod(row.DIDDocSuite, row.PublicKeyMultibase)
	if err != nil {
		t.Fatalf("ParseVerificationMethod: %v", err)
	}
	if fromDID.Curve() != curve || fromDoc.Curve() != curve {
		t.Fatalf("curves %s, %s; want %s", fromDID.Curve(), fromDoc.Curve(), curve)
	}
	if !fromDID.Equal(fromDoc) || !fromDoc.Equal(fromDID) {
		t.Fatal("did:key and DID document forms parse to different keys")
	}
	if got := fromDID.DIDKey(); got != row.PublicKeyDID {
		t.Fatalf("DIDKey() = %s, want %s", got, row.PublicKeyDID)
	}
	if slices.Contains(row.Tags, "high-s") && (len(sig) != 64 || isLowS(curve, sig)) {
		t.Fatal("fixture tagged high-s does not carry a 64-byte high-S signature")
	}
	if slices.Contains(row.Tags, "der-encoded") && (len(sig) == 64 || sig[0] != 0x30) {
		t.Fatal("fixture tagged der-encoded does not carry a DER signature")
	}
	for name, k := range map[string]PublicKey{"did:key": fromDID, "multibase": fromDoc} {
		err := k.Verify(msg, sig)
		switch {
		case row.ValidSignature && err != nil:
			t.Errorf("%s: valid signature rejected: %v", name, err)
		case !row.ValidSignature:
			wantInvalid(t, err, "verify signature")
		}
		wantInvalid(t, k.Verify(append(msg, 0), sig), "verify signature")
		wantInvalid(t, k.Verify(msg, []byte{1, 2, 3}), "verify signature")
	}
	if row.ValidSignature {
		wantInvalid(t, fromDID.Verify(msg, highSTwin(curve, sig)), "verify signature")
	}
	// A high-S fixture is rejected for being high-S alone: its low-S twin
	// verifies.
	if slices.Contains(row.Tags, "high-s") {
		if err := fromDID.Verify(msg, highSTwin(curve, sig)); err != nil {
			t.Errorf("low-S twin of the high-S fixture does not verify: %v", err)
		}
	}
}

type didKeyFixture struct {
	PrivateKeyBytesHex    string `json:"privateKeyBytesHex"`
	PrivateKeyBytesBase58 string `json:"privateKeyBytesBase58"`
	PublicDIDKey          string `json:"publicDidKey"`
}

func TestSignerFromBytes_w3cFixtures(t *testing.T) {
	for _, batch := range []struct {
		file  string
		curve Curve
	}{
		{"w3c_didkey_P256.json", P256},
		{"w3c_didkey_K256.json", K256},
	} {
		var rows []didKeyFixture
		loadFixture(t, batch.file, &rows)
		if len(rows) == 0 {
			t.Fatalf("%s has no cases", batch.file)
		}
		for _, row := range rows {
			t.Run(batch.curve.String()+"/"+row.PublicDIDKey, func(t *testing.T) {
				checkDIDKeyFixture(t, batch.curve, row)
			})
		}
	}
}

func checkDIDKeyFixture(t *testing.T, curve Curve, row didKeyFixture) {
	var raw []byte
	var err error
	switch {
	case row.PrivateKeyBytesHex != "":
		raw, err = hex.DecodeString(row.PrivateKeyBytesHex)
	case row.PrivateKeyBytesBase58 != "":
		raw, err = base58.Decode(row.PrivateKeyBytesBase58)
	default:
		t.Fatal("fixture has no private key")
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := SignerFromBytes(curve, raw)
	if err != nil {
		t.Fatalf("SignerFromBytes: %v", err)
	}
	if got := s.PublicKey().DIDKey(); got != row.PublicDIDKey {
		t.Fatalf("DIDKey() = %s, want %s", got, row.PublicDIDKey)
	}
	parsed, err := ParsePublicDIDKey(row.PublicDIDKey)
	if err != nil {
		t.Fatalf("ParsePublicDIDKey: %v", err)
	}
	if !parsed.Equal(s.PublicKey()) || parsed.Curve() != curve || parsed.DIDKey() != row.PublicDIDKey {
		t.Fatal("did:key does not parse back to the signer's key")
	}
	msg := []byte("fixture key signs")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := parsed.Verify(msg, sig); err != nil {
		t.Fatalf("signature by fixture key does not verify: %v", err)
	}
}
