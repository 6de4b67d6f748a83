package scope

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome"
)

// AnyMIME is the accept pattern that matches every media type.
const AnyMIME = "*/*"

// Blob allows uploading blobs whose media type matches one of the Accept
// patterns: a type ("image/png"), a type family ("image/*") or "*/*".
type Blob struct {
	Accept []string // lower-case, sorted, unique, none redundant; ["*/*"] when it is among them
}

func (Blob) Resource() string { return "blob" }
func (Blob) isScope()         {}

// NewBlob builds a blob permission from accept patterns.
func NewBlob(accept []string) (Blob, error) {
	b, err := newBlob(accept)
	if err != nil {
		return Blob{}, rhizome.E("new blob permission", rhizome.Invalid, err)
	}
	return b, nil
}

func newBlob(accept []string) (Blob, error) {
	if len(accept) == 0 {
		return Blob{}, errors.New("missing accept")
	}
	out := make([]string, 0, len(accept))
	for _, a := range accept {
		if err := checkAccept(a); err != nil {
			return Blob{}, err
		}
		if a == AnyMIME {
			return Blob{Accept: []string{AnyMIME}}, nil
		}
		out = append(out, strings.ToLower(a))
	}
	out = sortedUnique(out)
	return Blob{Accept: dropCovered(out)}, nil
}

// dropCovered removes exact types that a family pattern in the list
// already matches ("image/png" beside "image/*").
func dropCovered(accept []string) []string {
	keep := make([]string, 0, len(accept))
	for _, a := range accept {
		if strings.HasSuffix(a, "/*") || !matchesAny(accept, a, true) {
			keep = append(keep, a)
		}
	}
	return keep
}

func parseBlob(f fields) (Scope, error) {
	if err := f.only("accept"); err != nil {
		return nil, err
	}
	accept, err := f.list("accept", true)
	if err != nil {
		return nil, err
	}
	b, err := newBlob(accept)
	if err != nil {
		return nil, errorf(f.scope, "%v", err)
	}
	return b, nil
}

// Matches reports whether b allows a blob of media type mime. Parameters
// ("; charset=utf-8") are ignored and case does not matter; a malformed
// or wildcard mime matches nothing.
func (b Blob) Matches(mime string) bool {
	m, ok := cleanMIME(mime)
	return ok && matchesAny(b.Accept, m, false)
}

// matchesAny reports whether a pattern in accept matches mime; with
// familyOnly, only family patterns ("type/*", "*/*") count.
func matchesAny(accept []string, mime string, familyOnly bool) bool {
	for _, a := range accept {
		switch {
		case a == AnyMIME:
			return true
		case strings.HasSuffix(a, "/*"):
			if strings.HasPrefix(mime, a[:len(a)-1]) {
				return true
			}
		case !familyOnly && a == mime:
			return true
		}
	}
	return false
}

// cleanMIME lower-cases mime, drops its parameters and checks it is a
// concrete type/subtype.
func cleanMIME(mime string) (string, bool) {
	mime, _, _ = strings.Cut(mime, ";")
	mime = strings.ToLower(strings.TrimSpace(mime))
	return mime, checkAccept(mime) == nil && !strings.Contains(mime, "*")
}

// String returns the canonical scope string.
func (b Blob) String() string {
	g := Generic{Resource: "blob", Params: url.Values{}}
	if len(b.Accept) == 1 {
		g.Positional = b.Accept[0]
	} else {
		g.Params["accept"] = b.Accept
	}
	return g.String()
}

// checkAccept checks an accept pattern: "*/*", "type/*" or "type/subtype",
// each part made of the characters RFC 6838 allows in media type names.
func checkAccept(a string) error {
	if a == AnyMIME {
		return nil
	}
	typ, sub, ok := strings.Cut(a, "/")
	switch {
	case !ok:
		return fmt.Errorf("accept %q: not a media type (type/subtype)", clip(a))
	case !mediaName(typ):
		return fmt.Errorf("accept %q: bad type (a wildcard type needs a wildcard subtype)", clip(a))
	case sub != "*" && !mediaName(sub):
		return fmt.Errorf("accept %q: bad subtype", clip(a))
	}
	return nil
}

// mediaName reports whether s is an RFC 6838 restricted-name.
func mediaName(s string) bool {
	if s == "" || len(s) > 127 || !(isAlpha(s[0]) || isDigit(s[0])) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlpha(c) && !isDigit(c) && strings.IndexByte("!#$&-^_.+", c) < 0 {
			return false
		}
	}
	return true
}
