package syntax

import "strings"

// NSID is a namespaced identifier naming a Lexicon schema, such as
// "app.bsky.feed.post": a domain authority in reverse order, "app.bsky.feed"
// (the domain feed.bsky.app), then a name, "post".
//
// An NSID is at most 317 ASCII bytes of three or more dot-separated
// segments. The authority (all but the last segment) is two or more DNS
// labels whose first label (the TLD) starts with a letter; the name is 1 to
// 63 letters and digits starting with a letter. The authority is
// case-insensitive, the name case-sensitive.
//
// The spec text also caps the authority at 253 bytes, but the interop
// vectors accept a 283-byte authority, and the reference implementations do
// not check it; only the 317-byte overall limit is enforced.
type NSID string

// MaxNSIDLen is the longest NSID the protocol allows, in bytes.
const MaxNSIDLen = 317

// ParseNSID validates s as an NSID. It does not normalise case.
func ParseNSID(s string) (NSID, error) {
	if reason := checkNSID(s); reason != "" {
		return "", invalid("parse nsid", s, reason)
	}
	return NSID(s), nil
}

// checkNSID returns why s is not a valid NSID, or "" if it is.
func checkNSID(s string) string {
	if len(s) > MaxNSIDLen {
		return "longer than 317 bytes"
	}
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return "needs at least three segments"
	}
	if reason := checkNSIDAuthority(s[:dot]); reason != "" {
		return reason
	}
	return checkNSIDName(s[dot+1:])
}

// checkNSIDAuthority checks the reversed-domain prefix of an NSID.
func checkNSIDAuthority(a string) string {
	labels, start := 0, 0
	for i := 0; i <= len(a); i++ {
		if i < len(a) && a[i] != '.' {
			continue
		}
		if reason := checkLabel(a[start:i]); reason != "" {
			return reason
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return "needs at least three segments"
	}
	if !isAlpha(a[0]) {
		return "first segment must start with a letter"
	}
	return ""
}

// checkNSIDName checks the final, name segment of an NSID.
func checkNSIDName(n string) string {
	if n == "" {
		return "empty name segment"
	}
	if len(n) > maxLabelLen {
		return "name segment longer than 63 bytes"
	}
	if !isAlpha(n[0]) {
		return "name segment must start with a letter"
	}
	for i := 1; i < len(n); i++ {
		if !isAlnum(n[i]) {
			return "name segment may hold only letters and digits"
		}
	}
	return ""
}

// Name returns the last segment of n: "post" for "app.bsky.feed.post".
func (n NSID) Name() string {
	s := string(n)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// Authority returns the domain authority of n as a lower-case DNS name, in
// DNS order: "feed.bsky.app" for "app.bsky.feed.post". This is the name under
// which the schema is published (_lexicon.<authority>).
func (n NSID) Authority() string {
	s := string(n)
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 {
		return ""
	}
	prefix := s[:dot]
	var b strings.Builder
	b.Grow(len(prefix))
	for end := len(prefix); end >= 0; {
		start := strings.LastIndexByte(prefix[:end], '.') + 1
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(lowerASCII(prefix[start:end]))
		end = start - 1
	}
	return b.String()
}

// Normalize returns n with its authority lower-cased; the name keeps its
// case, which is significant.
func (n NSID) Normalize() NSID {
	s := string(n)
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 || !hasUpper(s[:dot]) {
		return n
	}
	return NSID(lowerASCII(s[:dot]) + s[dot:])
}

func (n NSID) String() string { return string(n) }

// MarshalText implements encoding.TextMarshaler.
func (n NSID) MarshalText() ([]byte, error) { return []byte(n), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (n *NSID) UnmarshalText(text []byte) error {
	v, err := ParseNSID(string(text))
	if err != nil {
		return err
	}
	*n = v
	return nil
}
