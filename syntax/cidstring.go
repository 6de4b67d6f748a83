package syntax

// CIDString is the string form of a CID as the Lexicon "cid" string format
// checks it: syntax only. It is 8 to 256 bytes of letters, digits, "+", "/",
// "=", "_" and "-", starting with the prefix of a multibase encoding, and is
// not a legacy CIDv0 ("Qm...", 46 characters), which atproto does not allow.
// Whether it decodes to a real CID is for package cid to decide.
type CIDString string

const (
	minCIDStringLen = 8
	maxCIDStringLen = 256
	cidV0Len        = 46
)

// ParseCIDString checks the syntax of s as a CID string.
func ParseCIDString(s string) (CIDString, error) {
	if reason := checkCIDString(s); reason != "" {
		return "", invalid("parse cid string", s, reason)
	}
	return CIDString(s), nil
}

// checkCIDString returns why s is not CID syntax, or "" if it is.
func checkCIDString(s string) string {
	switch {
	case len(s) < minCIDStringLen:
		return "shorter than 8 bytes"
	case len(s) > maxCIDStringLen:
		return "longer than 256 bytes"
	case len(s) == cidV0Len && s[0] == 'Q' && s[1] == 'm':
		return "CIDv0 is not allowed"
	case !isMultibasePrefix(s[0]):
		return "does not start with a multibase prefix"
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '/' && c != '=' && c != '_' && c != '-' {
			return "disallowed character"
		}
	}
	return ""
}

// isMultibasePrefix reports whether c names an ASCII multibase encoding:
// base2, base8, base10, base16, base32 (and its variants), base36, base58
// and base64 (and its variants), in either case where both exist.
func isMultibasePrefix(c byte) bool {
	switch c {
	case '0', '7', '9', 'f', 'F', 'b', 'B', 'c', 'C', 'v', 'V', 't', 'T',
		'h', 'k', 'K', 'z', 'Z', 'm', 'M', 'u', 'U':
		return true
	}
	return false
}

func (c CIDString) String() string { return string(c) }

// MarshalText implements encoding.TextMarshaler.
func (c CIDString) MarshalText() ([]byte, error) { return []byte(c), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (c *CIDString) UnmarshalText(text []byte) error {
	v, err := ParseCIDString(string(text))
	if err != nil {
		return err
	}
	*c = v
	return nil
}
