package syntax

import (
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
)

func TestDID_Parts(t *testing.T) {
	cases := []struct{ in, method, ident string }{
		{"did:plc:7iza6de2dwap2sbkpav7c6c6", "plc", "7iza6de2dwap2sbkpav7c6c6"},
		{"did:web:localhost%3A1234", "web", "localhost%3A1234"},
		{"did:method::::val", "method", ":::val"},
		{"did:m:v", "m", "v"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			d, err := ParseDID(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Method(); got != c.method {
				t.Errorf("Method() = %q, want %q", got, c.method)
			}
			if got := d.Identifier(); got != c.ident {
				t.Errorf("Identifier() = %q, want %q", got, c.ident)
			}
			if got := d.AtIdentifier(); !got.IsDID() || string(got) != c.in {
				t.Errorf("AtIdentifier() = %q", got)
			}
		})
	}
}

func TestDID_UncheckedValues(t *testing.T) {
	for _, d := range []DID{"", "did", "did:", "did:x", "plc:abc"} {
		t.Run(string(d), func(t *testing.T) {
			_ = d.Method() // must not panic
			if got := d.Identifier(); got != "" {
				t.Errorf("Identifier() = %q, want empty", got)
			}
		})
	}
}

func TestParseDID_Errors(t *testing.T) {
	cases := map[string]string{
		"empty":     "",
		"too long":  "did:plc:" + strings.Repeat("a", MaxDIDLen),
		"no method": "did::abc",
		"upper":     "did:PLC:abc",
		"trailing%": "did:plc:abc%",
		"space":     "did:plc:a b",
		"non-ascii": "did:plc:é",
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseDID(in)
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("err = %v, want kind invalid", err)
			}
			if len(err.Error()) > 200 {
				t.Errorf("error message not clipped: %d bytes", len(err.Error()))
			}
		})
	}
}

func TestParseDID_MaxLength(t *testing.T) {
	s := "did:plc:" + strings.Repeat("a", MaxDIDLen-len("did:plc:"))
	if _, err := ParseDID(s); err != nil {
		t.Errorf("2048-byte DID rejected: %v", err)
	}
	if _, err := ParseDID(s + "a"); err == nil {
		t.Error("2049-byte DID accepted")
	}
}

func TestDID_TextRoundTrip(t *testing.T) {
	var d DID
	if err := d.UnmarshalText([]byte("did:plc:abc")); err != nil {
		t.Fatal(err)
	}
	b, _ := d.MarshalText()
	if string(b) != "did:plc:abc" {
		t.Errorf("MarshalText = %q", b)
	}
	if err := d.UnmarshalText([]byte("did:PLC:abc")); err == nil {
		t.Error("UnmarshalText accepted an invalid DID")
	}
	if d != "did:plc:abc" {
		t.Errorf("failed UnmarshalText changed the value to %q", d)
	}
}
