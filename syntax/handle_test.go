package syntax

import (
	"strings"
	"testing"
)

func TestHandle_Normalize(t *testing.T) {
	cases := map[string]string{
		"XX.LCS.MIT.EDU":    "xx.lcs.mit.edu",
		"alice.bsky.social": "alice.bsky.social",
		"Jo-Hn.TeSt":        "jo-hn.test",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			h, err := ParseHandle(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Normalize(); string(got) != want {
				t.Errorf("Normalize() = %q, want %q", got, want)
			}
		})
	}
}

func TestHandle_AllowedTLD(t *testing.T) {
	cases := map[string]bool{
		"laptop.local":           false,
		"laptop.arpa":            false,
		"handle.invalid":         false,
		"my.localhost":           false,
		"corp.internal":          false,
		"foo.example":            false,
		"expyuzz4wqqyqhjn.onion": false,
		"thing.alt":              false,
		"LAPTOP.LOCAL":           false,
		"john.test":              true,
		"alice.bsky.social":      true,
		"example.com":            true,
		"local.com":              true,
		"a.localx":               true,
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			h, err := ParseHandle(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := h.AllowedTLD(); got != want {
				t.Errorf("AllowedTLD() = %v, want %v", got, want)
			}
		})
	}
}

func TestHandle_TLD(t *testing.T) {
	if got := Handle("Alice.Bsky.SOCIAL").TLD(); got != "social" {
		t.Errorf("TLD() = %q", got)
	}
	if got := Handle("").TLD(); got != "" {
		t.Errorf("TLD() of empty = %q", got)
	}
}

func TestHandle_IsInvalid(t *testing.T) {
	if !HandleInvalid.IsInvalid() || !Handle("Handle.Invalid").IsInvalid() {
		t.Error("handle.invalid not recognised")
	}
	if Handle("handle.test").IsInvalid() {
		t.Error("handle.test reported invalid")
	}
	if _, err := ParseHandle(string(HandleInvalid)); err != nil {
		t.Errorf("HandleInvalid does not parse: %v", err)
	}
}

func TestParseHandle_Limits(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	cases := map[string]bool{
		label63 + ".test":                true,
		label63 + "a.test":               false,
		strings.Repeat("a.", 126) + "b":  true,  // 253 bytes
		strings.Repeat("a.", 126) + "bc": false, // 254 bytes
		"a.b-":                           false,
		"a.b_c":                          false,
		"a.b\x00":                        false,
		"":                               false,
		".":                              false,
	}
	for in, want := range cases {
		t.Run(clip(in), func(t *testing.T) {
			_, err := ParseHandle(in)
			if (err == nil) != want {
				t.Errorf("ParseHandle(%q) err = %v, want valid=%v", clip(in), err, want)
			}
		})
	}
}
