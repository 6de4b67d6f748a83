package syntax

// DID is a decentralized identifier such as "did:plc:7iza6de2dwap2sbkpav7c6c6".
//
// The syntax is the atproto subset of W3C DIDs: "did:", a method of
// lower-case letters, ":", then an identifier of ASCII letters, digits and
// ".", "_", ":", "%", "-" that does not end in ":" or "%". Percent signs are
// not checked for following hex digits: the atproto spec does not require it,
// and rejecting what other implementations accept would break interop. The
// whole DID is at most 2048 bytes. DIDs are case-sensitive.
type DID string

// MaxDIDLen is the longest DID the protocol allows, in bytes.
const MaxDIDLen = 2048

const didPrefix = "did:"

// ParseDID validates s as a DID.
func ParseDID(s string) (DID, error) {
	if reason := checkDID(s); reason != "" {
		return "", invalid("parse did", s, reason)
	}
	return DID(s), nil
}

// checkDID returns why s is not a valid DID, or "" if it is.
func checkDID(s string) string {
	if len(s) > MaxDIDLen {
		return "longer than 2048 bytes"
	}
	if !isDIDPrefixed(s) {
		return `does not start with "did:"`
	}
	m := scanDIDMethod(s)
	if m == len(didPrefix) || m == len(s) || s[m] != ':' {
		return "method must be lower-case letters followed by ':'"
	}
	return checkDIDIdentifier(s[m+1:])
}

// scanDIDMethod returns the index just past the lower-case method letters
// that follow "did:".
func scanDIDMethod(s string) int {
	i := len(didPrefix)
	for i < len(s) && isLower(s[i]) {
		i++
	}
	return i
}

// checkDIDIdentifier returns why id is not a valid method-specific
// identifier, or "" if it is.
func checkDIDIdentifier(id string) string {
	if id == "" {
		return "empty method-specific identifier"
	}
	for i := 0; i < len(id); i++ {
		if !isDIDIdentChar(id[i]) {
			return "disallowed character in method-specific identifier"
		}
	}
	if last := id[len(id)-1]; last == ':' || last == '%' {
		return "identifier ends in ':' or '%'"
	}
	return ""
}

func isDIDIdentChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == ':' || c == '%' || c == '-'
}

// Method returns the DID method, such as "plc" or "web".
func (d DID) Method() string {
	s := string(d)
	if !isDIDPrefixed(s) {
		return ""
	}
	m := scanDIDMethod(s)
	return s[len(didPrefix):m]
}

// Identifier returns the method-specific identifier: everything after the
// second colon.
func (d DID) Identifier() string {
	s := string(d)
	if !isDIDPrefixed(s) {
		return ""
	}
	m := scanDIDMethod(s)
	if m >= len(s) || s[m] != ':' {
		return ""
	}
	return s[m+1:]
}

// AtIdentifier returns d as an AtIdentifier.
func (d DID) AtIdentifier() AtIdentifier { return AtIdentifier(d) }

func (d DID) String() string { return string(d) }

// MarshalText implements encoding.TextMarshaler.
func (d DID) MarshalText() ([]byte, error) { return []byte(d), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (d *DID) UnmarshalText(text []byte) error {
	v, err := ParseDID(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
