package identity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The same secp256k1 key in the two encodings, from the atproto DID spec.
const (
	specMultikey = "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"
	specLegacy   = "zQYEBzXeuTM9UR3rfvNag6L3RNAs5pQZyYPsomTsgQhsxLdEgCrPTLgFna8yqCnxPpNT7DBk6Ym3dgPKNu86vt9GR"
)

func TestParseDoc(t *testing.T) {
	key := newKey(t)
	const did = alicePLC

	t.Run("current form", func(t *testing.T) {
		b := docJSON(t, did, "Alice.Test", key, "https://pds.example.com/")
		d, err := ParseDoc(did, b)
		if err != nil {
			t.Fatalf("ParseDoc: %v", err)
		}
		if d.DID != did || d.Handle != "alice.test" || d.PDS != "https://pds.example.com" {
			t.Fatalf("got DID %q handle %q PDS %q", d.DID, d.Handle, d.PDS)
		}
		if d.SigningKey == nil || !d.SigningKey.Equal(key) {
			t.Fatalf("signing key %v, want %v", d.SigningKey, key)
		}
		if string(d.Raw) != string(b) {
			t.Fatal("Raw is not the input")
		}
	})
	t.Run("legacy key, relative id", func(t *testing.T) {
		d := mustParse(t, did, fmt.Sprintf(`{"id":%q,"verificationMethod":[
			{"id":"#atproto","type":"EcdsaSecp256k1VerificationKey2019","controller":%q,"publicKeyMultibase":%q}]}`,
			did, did, specLegacy))
		want, err := keys.ParsePublicMultibase(specMultikey)
		if err != nil {
			t.Fatal(err)
		}
		if d.SigningKey == nil || !d.SigningKey.Equal(want) {
			t.Fatalf("legacy key parsed as %v, want %v", d.SigningKey, want)
		}
	})
	t.Run("first valid key wins", func(t *testing.T) {
		other := newKey(t)
		d := mustParse(t, did, fmt.Sprintf(`{"id":%q,"verificationMethod":[
			{"id":"%[1]s#atproto","type":"Multikey","controller":"did:plc:zzzzzzzzzzzzzzzzzzzzzzzz","publicKeyMultibase":%[2]q},
			{"id":"%[1]s#other","type":"Multikey","controller":%[1]q,"publicKeyMultibase":%[2]q},
			{"id":"%[1]s#atproto","type":"Multikey","controller":%[1]q,"publicKeyMultibase":"zNotAKey"},
			{"id":"%[1]s#atproto","type":"JsonWebKey2020","controller":%[1]q,"publicKeyMultibase":%[2]q},
			"not an object",
			{"id":"%[1]s#atproto","type":"Multikey","controller":%[1]q,"publicKeyMultibase":%[3]q},
			{"id":"%[1]s#atproto","type":"Multikey","controller":%[1]q,"publicKeyMultibase":%[2]q}]}`,
			did, other.Multibase(), key.Multibase()))
		if d.SigningKey == nil || !d.SigningKey.Equal(key) {
			t.Fatalf("signing key %v, want %v", d.SigningKey, key)
		}
		if k, ok := d.VerificationKey("#other"); !ok || !k.Equal(other) {
			t.Fatalf("#other key %v, %v", k, ok)
		}
	})
	t.Run("first valid handle wins", func(t *testing.T) {
		d := mustParse(t, did, fmt.Sprintf(`{"id":%q,"alsoKnownAs":[
			"https://alice.test", 7, "at://not_a_handle", "at://alice.test/path", "at://", "at://Bob.Test", "at://carol.test"]}`, did))
		if d.Handle != "bob.test" {
			t.Fatalf("handle %q, want bob.test", d.Handle)
		}
	})
	t.Run("no atproto entries", func(t *testing.T) {
		d := mustParse(t, did, fmt.Sprintf(`{"id":%q}`, did))
		if d.Handle != "" || d.SigningKey != nil || d.PDS != "" {
			t.Fatalf("got handle %q key %v PDS %q", d.Handle, d.SigningKey, d.PDS)
		}
	})
	t.Run("services", func(t *testing.T) {
		d := mustParse(t, did, fmt.Sprintf(`{"id":%q,"service":[
			{"id":"#atproto_pds","type":"SomethingElse","serviceEndpoint":"https://wrong.example.com"},
			{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":{"uri":"https://map.example.com"}},
			{"id":"%[1]s#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"https://pds.example.com:8443"},
			{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":"https://later.example.com"},
			{"id":"#atproto_labeler","type":"AtprotoLabeler","serviceEndpoint":"https://labeler.example.com"}]}`, did))
		if d.PDS != "https://pds.example.com:8443" {
			t.Fatalf("PDS %q", d.PDS)
		}
		if u, ok := d.ServiceEndpoint("#atproto_labeler", "AtprotoLabeler"); !ok || u != "https://labeler.example.com" {
			t.Fatalf("labeler %q, %v", u, ok)
		}
	})
	t.Run("bad PDS endpoints", func(t *testing.T) {
		for _, ep := range []string{
			"ftp://pds.example.com", "https://", "https://user@pds.example.com", "https://pds.example.com/xrpc",
			"https://pds.example.com?x=1", "https://pds.example.com#f", "pds.example.com", "", "https://pds.example.com?",
		} {
			d := mustParse(t, did, fmt.Sprintf(`{"id":%q,"service":[
				{"id":"#atproto_pds","type":"AtprotoPersonalDataServer","serviceEndpoint":%q}]}`, did, ep))
			if d.PDS != "" {
				t.Errorf("endpoint %q accepted as %q", ep, d.PDS)
			}
		}
	})
}

func TestParseDoc_Errors(t *testing.T) {
	const did = alicePLC
	cases := []struct {
		name string
		body string
		kind rhizome.Kind
	}{
		{"mismatched id", `{"id":"did:plc:bbbbbbbbbbbbbbbbbbbbbbbb"}`, rhizome.Invalid},
		{"id differs in case", `{"id":"did:plc:AAAAAAAAAAAAAAAAAAAAAAAA"}`, rhizome.Invalid},
		{"missing id", `{"alsoKnownAs":["at://alice.test"]}`, rhizome.Invalid},
		{"id not a string", `{"id":42}`, rhizome.Invalid},
		{"null", `null`, rhizome.Invalid},
		{"array", `[]`, rhizome.Invalid},
		{"not JSON", `<html>`, rhizome.Invalid},
		{"truncated", `{"id":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa"`, rhizome.Invalid},
		{"empty", ``, rhizome.Invalid},
		{"alsoKnownAs not an array", `{"id":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa","alsoKnownAs":"at://a.test"}`, rhizome.Invalid},
		{"too large", `{"id":"did:plc:aaaaaaaaaaaaaaaaaaaaaaaa","x":"` + strings.Repeat("a", MaxDocSize) + `"}`, rhizome.TooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := ParseDoc(did, []byte(c.body))
			if d != nil {
				t.Fatalf("got a document: %+v", d)
			}
			wantKind(t, err, c.kind)
		})
	}
}

func mustParse(t *testing.T, did syntax.DID, body string) *Doc {
	t.Helper()
	d, err := ParseDoc(did, []byte(body))
	if err != nil {
		t.Fatalf("ParseDoc: %v", err)
	}
	return d
}
