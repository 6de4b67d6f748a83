package syntax

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseLanguage_Cases(t *testing.T) {
	cases := map[string]bool{
		"en":                  true,
		"en-US":               true,
		"zh-cmn-Hans-CN":      true,
		"zh-yue-abc-def":      true,
		"zh-yue-abc-def-ghi":  false, // four extlangs
		"sl-rozaj-biske-1994": true,
		"en-US-US":            false,
		"en-Latn-Latn":        false,
		"en-US-Latn":          false, // script after region
		"en-a":                false,
		"en-a-b":              false,
		"en-a-bb-c-dd":        true,
		"en-x":                false,
		"en-x-a-12345678":     true,
		"en-x-123456789":      false,
		"x":                   false,
		"x-a":                 true,
		"i-klingon":           true,
		"I-klingon":           false,
		"i-bad":               false,
		"en-GB-oed":           true,
		"en-gb-OED":           true,
		"abcd":                false,
		"abcde-US":            false,
		"En":                  false,
		"en_US":               false,
		"en--US":              false,
		"-en":                 false,
		"en-US ":              false,
		"en-1":                false,
		"en-1234":             true, // digit-led 4-char variant
		"en-abc1":             false,
		"en-123456789":        false,
		"en-\u00e9":           false,
		"de-1901-1996":        true,
		"de-1901-x-1901":      true, // private use may repeat anything
		"en-u-ca-a-bb-u-cc":   false,
		"en-u-ca-" + ext(60):  false, // over 128 bytes
		"en-" + variants(24):  true,
		"en-" + variants(26):  false, // too long
	}
	for in, want := range cases {
		t.Run(clip(in), func(t *testing.T) {
			_, err := ParseLanguage(in)
			if (err == nil) != want {
				t.Errorf("err = %v, want valid=%v", err, want)
			}
		})
	}
}

// ext returns n two-letter extension subtags.
func ext(n int) string { return strings.TrimSuffix(strings.Repeat("ab-", n), "-") }

// variants returns n distinct 4-character variants: 1000, 1001, ...
func variants(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte('-')
		}
		fmt.Fprintf(&b, "1%03d", i)
	}
	return b.String()
}

func TestLanguage_Primary(t *testing.T) {
	cases := map[Language]string{"en-GB": "en", "ja": "ja", "x-foo": "x", "i-default": "i"}
	for in, want := range cases {
		if got := in.Primary(); got != want {
			t.Errorf("%q.Primary() = %q, want %q", in, got, want)
		}
	}
}

func TestParseCIDString_Cases(t *testing.T) {
	cases := map[string]bool{
		"bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm": true,
		"bafkreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm": true,
		"Qm" + strings.Repeat("a", 44):                                false,
		"Qm" + strings.Repeat("a", 45):                                false, // Q is no multibase prefix
		"bafy":                                                        false,
		"b" + strings.Repeat("a", 256):                                false,
		"uAXESIA-_":                                                   true,
		"bafy rei":                                                    false,
		"xafyreie5737gdxlw5i64vzic":                                   false,
	}
	for in, want := range cases {
		t.Run(clip(in), func(t *testing.T) {
			_, err := ParseCIDString(in)
			if (err == nil) != want {
				t.Errorf("err = %v, want valid=%v", err, want)
			}
		})
	}
}

func TestURI_Scheme(t *testing.T) {
	cases := map[string]string{
		"https://example.com":            "https",
		"HTTPS://example.com":            "https",
		"at://did:plc:a/a.b.c":           "at",
		"web+thing:x":                    "web+thing",
		"microsoft.windows.camera:thing": "microsoft.windows.camera",
	}
	for in, want := range cases {
		u, err := ParseURI(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := u.Scheme(); got != want {
			t.Errorf("%q.Scheme() = %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"", ":x", "1a:x", "a:", "a:\x7f", "a:\u00e9", strings.Repeat("a", 82) + ":x"} {
		if _, err := ParseURI(in); err == nil {
			t.Errorf("ParseURI(%q) accepted", clip(in))
		}
	}
}
