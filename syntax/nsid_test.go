package syntax

import (
	"strings"
	"testing"
)

func TestNSID_Parts(t *testing.T) {
	cases := []struct{ in, authority, name, normal string }{
		{"app.bsky.feed.post", "feed.bsky.app", "post", "app.bsky.feed.post"},
		{"com.atproto.repo.createRecord", "repo.atproto.com", "createRecord", "com.atproto.repo.createRecord"},
		{"Com.Example.fooBar", "example.com", "fooBar", "com.example.fooBar"},
		{"a.b.c", "b.a", "c", "a.b.c"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n, err := ParseNSID(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Authority(); got != c.authority {
				t.Errorf("Authority() = %q, want %q", got, c.authority)
			}
			if got := n.Name(); got != c.name {
				t.Errorf("Name() = %q, want %q", got, c.name)
			}
			if got := n.Normalize(); string(got) != c.normal {
				t.Errorf("Normalize() = %q, want %q", got, c.normal)
			}
		})
	}
}

func TestNSID_UncheckedValues(t *testing.T) {
	for _, n := range []NSID{"", "abc", ".", "a."} {
		_ = n.Authority() // must not panic
		_ = n.Name()
		_ = n.Normalize()
	}
}

func TestParseNSID_Limits(t *testing.T) {
	name63 := "a" + strings.Repeat("b", 62)
	long := strings.Repeat("ab.", 84) + "cd" // 254 bytes of authority
	cases := map[string]bool{
		"com.example." + name63:       true,
		"com.example." + name63 + "c": false,
		long + ".x":                   true,
		long + "." + name63:           false, // 318 bytes
		"com.example.a-b":             false,
		"com.example.9a":              false,
		"9com.example.a":              false,
		"com.9example.a":              true,
		"com..a":                      false,
		"com.example.":                false,
		"":                            false,
	}
	for in, want := range cases {
		t.Run(clip(in), func(t *testing.T) {
			_, err := ParseNSID(in)
			if (err == nil) != want {
				t.Errorf("err = %v, want valid=%v", err, want)
			}
		})
	}
}

func TestRecordKey_Parse(t *testing.T) {
	cases := map[string]bool{
		"3jzfcijpj2z2a":          true,
		"self":                   true,
		strings.Repeat("x", 512): true,
		strings.Repeat("x", 513): false,
		"":                       false,
		".":                      false,
		"..":                     false,
		"...":                    true,
		"a/b":                    false,
		"a b":                    false,
		"a\u00e9":                false,
	}
	for in, want := range cases {
		t.Run(clip(in), func(t *testing.T) {
			r, err := ParseRecordKey(in)
			if (err == nil) != want {
				t.Fatalf("err = %v, want valid=%v", err, want)
			}
			if want && r.String() != in {
				t.Errorf("String() = %q", r)
			}
		})
	}
}
