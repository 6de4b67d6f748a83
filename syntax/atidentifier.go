package syntax

// AtIdentifier names an account either by DID or by handle, as the
// authority of an AT-URI or the "repo" parameter of an XRPC call does.
type AtIdentifier string

// ParseAtIdentifier validates s as a DID (if it starts with "did:") or
// otherwise as a handle.
func ParseAtIdentifier(s string) (AtIdentifier, error) {
	if reason := checkAtIdentifier(s); reason != "" {
		return "", invalid("parse at-identifier", s, reason)
	}
	return AtIdentifier(s), nil
}

// checkAtIdentifier returns why s is neither a DID nor a handle, or "".
func checkAtIdentifier(s string) string {
	if isDIDPrefixed(s) {
		if reason := checkDID(s); reason != "" {
			return "invalid DID: " + reason
		}
		return ""
	}
	if reason := checkHandle(s); reason != "" {
		return "invalid handle: " + reason
	}
	return ""
}

func isDIDPrefixed(s string) bool {
	return len(s) >= len(didPrefix) && s[:len(didPrefix)] == didPrefix
}

// IsDID reports whether a is a DID.
func (a AtIdentifier) IsDID() bool { return isDIDPrefixed(string(a)) }

// IsHandle reports whether a is a handle.
func (a AtIdentifier) IsHandle() bool { return a != "" && !a.IsDID() }

// AsDID returns a as a DID, and whether it is one.
func (a AtIdentifier) AsDID() (DID, bool) {
	if !a.IsDID() {
		return "", false
	}
	return DID(a), true
}

// AsHandle returns a as a Handle, and whether it is one.
func (a AtIdentifier) AsHandle() (Handle, bool) {
	if !a.IsHandle() {
		return "", false
	}
	return Handle(a), true
}

// Normalize lower-cases a handle and leaves a DID, which is case-sensitive,
// alone.
func (a AtIdentifier) Normalize() AtIdentifier {
	if a.IsDID() {
		return a
	}
	return AtIdentifier(lowerASCII(string(a)))
}

func (a AtIdentifier) String() string { return string(a) }

// MarshalText implements encoding.TextMarshaler.
func (a AtIdentifier) MarshalText() ([]byte, error) { return []byte(a), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (a *AtIdentifier) UnmarshalText(text []byte) error {
	v, err := ParseAtIdentifier(string(text))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
