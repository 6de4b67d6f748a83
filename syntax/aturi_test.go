package syntax

import (
	"strings"
	"testing"
)

func TestATURI_Parts(t *testing.T) {
	cases := []struct {
		in, authority, collection, rkey, path string
	}{
		{"at://did:plc:asdf123", "did:plc:asdf123", "", "", ""},
		{"at://user.bsky.social", "user.bsky.social", "", "", ""},
		{"at://did:plc:asdf123/com.atproto.feed.post", "did:plc:asdf123", "com.atproto.feed.post", "", "com.atproto.feed.post"},
		{"at://did:plc:asdf123/com.atproto.feed.post/3jzfcijpj2z2a", "did:plc:asdf123", "com.atproto.feed.post", "3jzfcijpj2z2a", "com.atproto.feed.post/3jzfcijpj2z2a"},
		{"at://did:web:localhost%3A1234/a.b.c/lang:", "did:web:localhost%3A1234", "a.b.c", "lang:", "a.b.c/lang:"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			u, err := ParseATURI(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Authority(); string(got) != c.authority {
				t.Errorf("Authority() = %q, want %q", got, c.authority)
			}
			if got := u.Collection(); string(got) != c.collection {
				t.Errorf("Collection() = %q, want %q", got, c.collection)
			}
			if got := u.RecordKey(); string(got) != c.rkey {
				t.Errorf("RecordKey() = %q, want %q", got, c.rkey)
			}
			if got := u.Path(); got != c.path {
				t.Errorf("Path() = %q, want %q", got, c.path)
			}
			if got := NewATURI(u.Authority(), u.Collection(), u.RecordKey()); got != u {
				t.Errorf("NewATURI(parts) = %q", got)
			}
		})
	}
}

func TestATURI_Normalize(t *testing.T) {
	cases := map[string]string{
		"at://Alice.Bsky.Social/App.Bsky.feed.post/Abc": "at://alice.bsky.social/app.bsky.feed.post/Abc",
		"at://did:plc:ABC/app.bsky.feed.Post":           "at://did:plc:ABC/app.bsky.feed.Post",
		"at://did:plc:abc":                              "at://did:plc:abc",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			u, err := ParseATURI(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := u.Normalize(); string(got) != want {
				t.Errorf("Normalize() = %q, want %q", got, want)
			}
		})
	}
}

func TestNewATURI(t *testing.T) {
	if got := NewATURI("did:plc:a", "", "ignored"); got != "at://did:plc:a" {
		t.Errorf("rkey without collection: %q", got)
	}
	if got := NewATURI("a.test", "a.b.c", ""); got != "at://a.test/a.b.c" {
		t.Errorf("collection only: %q", got)
	}
}

func TestParseATURI_Limits(t *testing.T) {
	// No valid AT-URI reaches 8 KB (DID 2048 + NSID 317 + rkey 512), so
	// the overall limit only ever cuts off hostile input early.
	long := "at://did:plc:abc/com.example.foo/" + strings.Repeat("k", MaxATURILen)
	if _, err := ParseATURI(long); err == nil || !strings.Contains(err.Error(), "8192") {
		t.Errorf("over-long URI: err = %v, want the length limit", err)
	}
	maxValid := "at://did:plc:" + strings.Repeat("a", MaxDIDLen-len("did:plc:")) +
		"/a." + strings.Repeat("b.", 155) + "c" + "/" + strings.Repeat("k", MaxRecordKeyLen)
	if _, err := ParseATURI(maxValid); err != nil {
		t.Errorf("longest valid URI (%d bytes) rejected: %v", len(maxValid), err)
	}
	for _, in := range []string{"", "at://", "at:///a.b.c", "at://did:plc:a?x=1", "at://did:plc:a/a.b.c/k?x"} {
		if _, err := ParseATURI(in); err == nil {
			t.Errorf("ParseATURI(%q) accepted", in)
		}
	}
}

func TestATURI_UncheckedValues(t *testing.T) {
	for _, u := range []ATURI{"", "at:/", "http://x", "at://"} {
		_ = u.Authority() // must not panic
		_ = u.Collection()
		_ = u.RecordKey()
		_ = u.Path()
		_ = u.Normalize()
	}
}

func TestAtIdentifier_Kinds(t *testing.T) {
	did, err := ParseAtIdentifier("did:plc:abc")
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := did.AsDID(); !ok || d != "did:plc:abc" || !did.IsDID() || did.IsHandle() {
		t.Errorf("DID identifier: AsDID = %q, %v", d, ok)
	}
	if _, ok := did.AsHandle(); ok {
		t.Error("DID identifier AsHandle ok")
	}
	h, err := ParseAtIdentifier("Alice.Test")
	if err != nil {
		t.Fatal(err)
	}
	if hh, ok := h.AsHandle(); !ok || hh != "Alice.Test" || h.IsDID() || !h.IsHandle() {
		t.Errorf("handle identifier: AsHandle = %q, %v", hh, ok)
	}
	if _, ok := h.AsDID(); ok {
		t.Error("handle identifier AsDID ok")
	}
	if got := h.Normalize(); got != "alice.test" {
		t.Errorf("Normalize() = %q", got)
	}
	if got := AtIdentifier("did:plc:ABC").Normalize(); got != "did:plc:ABC" {
		t.Errorf("DID Normalize() = %q", got)
	}
	if AtIdentifier("").IsHandle() {
		t.Error("empty identifier is a handle")
	}
}
