package syntax

import "strings"

// Handle is a DNS-name account identifier such as "alice.bsky.social".
//
// A handle is at most 253 ASCII bytes of two or more dot-separated labels;
// each label is 1 to 63 letters, digits or hyphens and neither starts nor
// ends with a hyphen; the last label (the TLD) does not start with a digit.
// Handles are case-insensitive: compare Normalize()d values.
type Handle string

// MaxHandleLen is the longest handle the protocol allows, in bytes.
const MaxHandleLen = 253

// maxLabelLen is the longest DNS label, for handles and NSID authorities.
const maxLabelLen = 63

// HandleInvalid is the placeholder a server reports for an account whose
// handle no longer verifies. It parses, but AllowedTLD rejects it.
const HandleInvalid Handle = "handle.invalid"

// ParseHandle validates s as a handle. It accepts any syntactically valid
// handle, including ones under TLDs that AllowedTLD rejects; it does not
// normalise case.
func ParseHandle(s string) (Handle, error) {
	if reason := checkHandle(s); reason != "" {
		return "", invalid("parse handle", s, reason)
	}
	return Handle(s), nil
}

// checkHandle returns why s is not a valid handle, or "" if it is.
func checkHandle(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxHandleLen:
		return "longer than 253 bytes"
	}
	labels, start := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			continue
		}
		if reason := checkLabel(s[start:i]); reason != "" {
			return reason
		}
		labels++
		start = i + 1
	}
	if labels < 2 {
		return "needs at least two labels"
	}
	if !isAlpha(s[strings.LastIndexByte(s, '.')+1]) {
		return "top-level domain must start with a letter"
	}
	return ""
}

// checkLabel returns why l is not a valid DNS label (letters, digits and
// inner hyphens, 1 to 63 bytes), or "" if it is.
func checkLabel(l string) string {
	if l == "" {
		return "empty label"
	}
	if len(l) > maxLabelLen {
		return "label longer than 63 bytes"
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "label starts or ends with a hyphen"
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !isAlnum(c) && c != '-' {
			return "disallowed character in label"
		}
	}
	return ""
}

// Normalize returns h in lower case, the form to store and compare.
func (h Handle) Normalize() Handle { return Handle(lowerASCII(string(h))) }

// TLD returns the last label of h, lower-cased.
func (h Handle) TLD() string { return lowerASCII(h.rawTLD()) }

// rawTLD returns the last label of h as written.
func (h Handle) rawTLD() string {
	s := string(h)
	return s[strings.LastIndexByte(s, '.')+1:]
}

// disallowedTLDs are special-use TLDs that are syntactically valid but may
// not be used for handles on the network (atproto handle spec).
var disallowedTLDs = [...]string{
	"alt", "arpa", "example", "internal", "invalid", "local", "localhost", "onion",
}

// AllowedTLD reports whether h's TLD may be used for an account on the
// network. Special-use TLDs (.local, .arpa, .invalid, .localhost, .internal,
// .example, .onion, .alt) are valid syntax but not allowed. ".test" is
// allowed, for development.
func (h Handle) AllowedTLD() bool {
	tld := h.rawTLD()
	for _, bad := range disallowedTLDs {
		if strings.EqualFold(tld, bad) {
			return false
		}
	}
	return true
}

// IsInvalid reports whether h is the "handle.invalid" placeholder.
func (h Handle) IsInvalid() bool { return strings.EqualFold(string(h), string(HandleInvalid)) }

// AtIdentifier returns h as an AtIdentifier.
func (h Handle) AtIdentifier() AtIdentifier { return AtIdentifier(h) }

func (h Handle) String() string { return string(h) }

// MarshalText implements encoding.TextMarshaler.
func (h Handle) MarshalText() ([]byte, error) { return []byte(h), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (h *Handle) UnmarshalText(text []byte) error {
	v, err := ParseHandle(string(text))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
