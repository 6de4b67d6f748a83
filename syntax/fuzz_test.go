package syntax

import (
	"strings"
	"testing"
)

// seed adds every line of the named vector files to the corpus.
func seed(f *testing.F, files ...string) {
	for _, name := range files {
		for _, line := range vectorLines(f, name) {
			f.Add(line)
		}
	}
}

func FuzzParseDID(f *testing.F) {
	seed(f, "did_syntax_valid.txt", "did_syntax_invalid.txt")
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDID(s)
		agree(t, "did", s, err == nil, oracleDID(s))
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("String() = %q, want %q", d, s)
		}
		if _, err := ParseDID(d.String()); err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if got := "did:" + d.Method() + ":" + d.Identifier(); got != s {
			t.Fatalf("parts rebuild %q", got)
		}
		if _, err := ParseAtIdentifier(s); err != nil {
			t.Fatalf("valid DID is not an AtIdentifier: %v", err)
		}
	})
}

func FuzzParseHandle(f *testing.F) {
	seed(f, "handle_syntax_valid.txt", "handle_syntax_invalid.txt")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHandle(s)
		agree(t, "handle", s, err == nil, oracleHandle(s))
		if err != nil {
			return
		}
		if h.String() != s {
			t.Fatalf("String() = %q, want %q", h, s)
		}
		if _, err := ParseHandle(h.String()); err != nil {
			t.Fatalf("reparse: %v", err)
		}
		n := h.Normalize()
		if _, err := ParseHandle(string(n)); err != nil || strings.ToLower(s) != string(n) {
			t.Fatalf("Normalize() = %q: %v", n, err)
		}
		_ = h.AllowedTLD()
		if _, err := ParseAtIdentifier(s); err != nil {
			t.Fatalf("valid handle is not an AtIdentifier: %v", err)
		}
	})
}

func FuzzParseNSID(f *testing.F) {
	seed(f, "nsid_syntax_valid.txt", "nsid_syntax_invalid.txt")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNSID(s)
		agree(t, "nsid", s, err == nil, oracleNSID(s))
		if err != nil {
			return
		}
		if n.String() != s {
			t.Fatalf("String() = %q, want %q", n, s)
		}
		if _, err := ParseNSID(n.String()); err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if _, err := ParseNSID(string(n.Normalize())); err != nil {
			t.Fatalf("Normalize() = %q does not parse: %v", n.Normalize(), err)
		}
		if !strings.HasSuffix(s, "."+n.Name()) || n.Authority() == "" {
			t.Fatalf("Name() = %q, Authority() = %q", n.Name(), n.Authority())
		}
	})
}

func FuzzParseATURI(f *testing.F) {
	seed(f, "aturi_syntax_valid.txt", "aturi_syntax_invalid.txt")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseATURI(s)
		if err != nil {
			return
		}
		if u.String() != s {
			t.Fatalf("String() = %q, want %q", u, s)
		}
		if _, err := ParseATURI(u.String()); err != nil {
			t.Fatalf("reparse: %v", err)
		}
		checkATURIParts(t, u)
		if _, err := ParseATURI(string(u.Normalize())); err != nil {
			t.Fatalf("Normalize() = %q does not parse: %v", u.Normalize(), err)
		}
	})
}

// checkATURIParts asserts that the parts of a valid AT-URI are valid and
// rebuild it.
func checkATURIParts(t *testing.T, u ATURI) {
	t.Helper()
	if _, err := ParseAtIdentifier(string(u.Authority())); err != nil {
		t.Fatalf("Authority() = %q: %v", u.Authority(), err)
	}
	if c := u.Collection(); c != "" {
		if _, err := ParseNSID(string(c)); err != nil {
			t.Fatalf("Collection() = %q: %v", c, err)
		}
	}
	if r := u.RecordKey(); r != "" {
		if _, err := ParseRecordKey(string(r)); err != nil {
			t.Fatalf("RecordKey() = %q: %v", r, err)
		}
	}
	if got := NewATURI(u.Authority(), u.Collection(), u.RecordKey()); got != u {
		t.Fatalf("NewATURI(parts) = %q", got)
	}
}
