package syntax

// URI is a generic URI as the Lexicon "uri" string format checks it: a
// scheme (a letter, then letters, digits, "+", "." or "-", at most 81
// bytes), ":", then one or more printable non-space ASCII characters; at
// most 8 KB in all. Nothing about the scheme-specific part is interpreted.
type URI string

// MaxURILen is the longest URI accepted, in bytes.
const MaxURILen = 8192

const maxSchemeLen = 81

// ParseURI validates s as a URI.
func ParseURI(s string) (URI, error) {
	if reason := checkURI(s); reason != "" {
		return "", invalid("parse uri", s, reason)
	}
	return URI(s), nil
}

// checkURI returns why s is not a URI, or "" if it is.
func checkURI(s string) string {
	if len(s) > MaxURILen {
		return "longer than 8192 bytes"
	}
	colon := scanScheme(s)
	if colon == 0 || colon >= len(s) || s[colon] != ':' {
		return "does not start with a scheme and ':'"
	}
	if colon > maxSchemeLen {
		return "scheme longer than 81 bytes"
	}
	if colon == len(s)-1 {
		return "nothing after the scheme"
	}
	for i := colon + 1; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return "whitespace, control or non-ASCII character"
		}
	}
	return ""
}

// scanScheme returns the length of the scheme at the front of s, or 0 if s
// does not start with a letter.
func scanScheme(s string) int {
	if s == "" || !isAlpha(s[0]) {
		return 0
	}
	i := 1
	for i < len(s) && (isAlnum(s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-') {
		i++
	}
	return i
}

// Scheme returns the scheme of u, lower-cased: "https" for
// "HTTPS://example.com".
func (u URI) Scheme() string {
	return lowerASCII(string(u)[:scanScheme(string(u))])
}

func (u URI) String() string { return string(u) }

// MarshalText implements encoding.TextMarshaler.
func (u URI) MarshalText() ([]byte, error) { return []byte(u), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (u *URI) UnmarshalText(text []byte) error {
	v, err := ParseURI(string(text))
	if err != nil {
		return err
	}
	*u = v
	return nil
}
