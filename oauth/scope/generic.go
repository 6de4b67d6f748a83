package scope

import (
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// Generic is a scope string split into its three parts before any
// resource's rules apply: "repo:app.example.post?action=create" has the
// resource "repo", the positional part "app.example.post" and the
// parameters {action: [create]}.
type Generic struct {
	Resource   string
	Positional string     // percent-decoded; "" when absent or empty
	Params     url.Values // percent-decoded; never nil
}

// ParseGeneric splits s by the general permission syntax: a resource name,
// then an optional positional part after the first ":" (it may hold more
// colons and "#"), then optional parameters after the first "?", joined by
// "&", each "name=value" or a bare "name". Both parts are percent-decoded.
// Only printable ASCII other than space, '"' and '\' is allowed (the OAuth
// scope-token alphabet).
func ParseGeneric(s string) (Generic, error) {
	if err := checkAlphabet(s); err != nil {
		return Generic{}, err
	}
	front, query, _ := strings.Cut(s, "?")
	resource, rawPos, _ := strings.Cut(front, ":")
	if !validResourceName(resource) {
		return Generic{}, errorf(s, "resource name must be letters, digits and '-' starting with a letter")
	}
	pos, err := url.PathUnescape(rawPos)
	if err != nil {
		return Generic{}, errorf(s, "positional part: bad percent-encoding")
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return Generic{}, errorf(s, "parameters: %v", err)
	}
	return Generic{Resource: resource, Positional: pos, Params: params}, nil
}

// String renders g in the canonical form: parameters sorted by name,
// values in their given order, and only what must be percent-encoded.
func (g Generic) String() string {
	var b strings.Builder
	b.WriteString(g.Resource)
	if g.Positional != "" {
		b.WriteByte(':')
		b.WriteString(escape(g.Positional))
	}
	sep := byte('?')
	for _, name := range slices.Sorted(maps.Keys(g.Params)) {
		for _, v := range g.Params[name] {
			b.WriteByte(sep)
			b.WriteString(escape(name))
			b.WriteByte('=')
			b.WriteString(escape(v))
			sep = '&'
		}
	}
	return b.String()
}

// checkAlphabet rejects bytes outside the OAuth scope-token alphabet.
func checkAlphabet(s string) error {
	if s == "" {
		return errorf(s, "empty scope")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return errorf(s, "byte %#02x at %d: only printable ASCII without spaces, '\"' or '\\'", c, i)
		}
	}
	return nil
}

func validResourceName(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && c != '-' {
			return false
		}
	}
	return true
}

// escape percent-encodes v for a positional part or a parameter value,
// leaving unreserved characters and ":/*@," readable. '+' is encoded, since
// a query decoder reads it as a space.
func escape(v string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isAlpha(c) || isDigit(c) || strings.IndexByte("-._~:/*@,", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// errorf builds the package's parse error: kind Invalid, the scope quoted
// (clipped) and the reason.
func errorf(s, format string, args ...any) error {
	return rhizome.Errorf("parse scope", rhizome.Invalid, "%q: "+format, append([]any{clip(s)}, args...)...)
}

// clip shortens untrusted input quoted in an error message.
func clip(s string) string {
	const n = 96
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
