package lexicon

import (
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
)

// nullSchema accepts only null.
type nullSchema struct{}

func (nullSchema) validate(v any, _ *Catalog, _ int) error {
	if v != nil {
		return mismatch("null", v)
	}
	return nil
}

// boolSchema is a boolean, perhaps with a const.
type boolSchema struct {
	constVal *bool
}

func (s *boolSchema) validate(v any, _ *Catalog, _ int) error {
	b, ok := v.(bool)
	switch {
	case !ok:
		return mismatch("a boolean", v)
	case s.constVal != nil && b != *s.constVal:
		return invalidf("must be %t", *s.constVal)
	}
	return nil
}

// intSchema is an integer with an inclusive range, and perhaps an enum or
// a const.
type intSchema struct {
	min, max int64
	enum     []int64
	constVal *int64
}

func (s *intSchema) validate(v any, _ *Catalog, _ int) error {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	default:
		return mismatch("an integer", v)
	}
	switch {
	case s.constVal != nil && n != *s.constVal:
		return invalidf("must be %d, not %d", *s.constVal, n)
	case s.enum != nil && !slices.Contains(s.enum, n):
		return invalidf("%d is not one of %v", n, s.enum)
	case n < s.min:
		return invalidf("%d is below the minimum %d", n, s.min)
	case n > s.max:
		return invalidf("%d is above the maximum %d", n, s.max)
	}
	return nil
}

// stringSchema is a string with bounds in UTF-8 bytes and in grapheme
// clusters, and perhaps a format, an enum or a const. knownValues are
// suggestions only, so they are not kept.
type stringSchema struct {
	format                     string
	check                      func(string) error
	minLen, maxLen             int64
	minGraphemes, maxGraphemes int64
	enum                       []string
	constVal                   *string
}

func (s *stringSchema) validate(v any, _ *Catalog, _ int) error {
	str, ok := v.(string)
	if !ok {
		return mismatch("a string", v)
	}
	switch n := int64(len(str)); {
	case s.constVal != nil && str != *s.constVal:
		return invalidf("must be %q", *s.constVal)
	case s.enum != nil && !slices.Contains(s.enum, str):
		return invalidf("%q is not one of %q", clip(str), s.enum)
	case n < s.minLen:
		return invalidf("must be at least %d bytes long, not %d", s.minLen, n)
	case n > s.maxLen:
		return invalidf("must be at most %d bytes long, not %d", s.maxLen, n)
	}
	if err := s.checkGraphemes(str); err != nil {
		return err
	}
	if s.check != nil {
		if err := s.check(str); err != nil {
			return invalidf("must be a valid %s: %s", s.format, syntaxReason(err))
		}
	}
	return nil
}

// checkGraphemes counts clusters only when the byte length leaves the
// answer open: a cluster takes at least one byte.
func (s *stringSchema) checkGraphemes(str string) error {
	n := int64(len(str))
	if n <= s.maxGraphemes && s.minGraphemes == 0 {
		return nil
	}
	if n < s.minGraphemes {
		return invalidf("must be at least %d graphemes long, not %d", s.minGraphemes, Graphemes(str))
	}
	switch g := int64(Graphemes(str)); {
	case g < s.minGraphemes:
		return invalidf("must be at least %d graphemes long, not %d", s.minGraphemes, g)
	case g > s.maxGraphemes:
		return invalidf("must be at most %d graphemes long, not %d", s.maxGraphemes, g)
	}
	return nil
}

// clip shortens s for an error message.
func clip(s string) string {
	const maxQuoted = 64
	if len(s) <= maxQuoted {
		return s
	}
	return strings.ToValidUTF8(s[:maxQuoted], "") + "..."
}

// bytesSchema is a byte string with bounds on its length.
type bytesSchema struct {
	minLen, maxLen int64
}

func (s *bytesSchema) validate(v any, _ *Catalog, _ int) error {
	b, ok := v.([]byte)
	if !ok {
		return mismatch("bytes", v)
	}
	switch n := int64(len(b)); {
	case n < s.minLen:
		return invalidf("must be at least %d bytes long, not %d", s.minLen, n)
	case n > s.maxLen:
		return invalidf("must be at most %d bytes long, not %d", s.maxLen, n)
	}
	return nil
}

// cidLinkSchema is a link.
type cidLinkSchema struct{}

func (cidLinkSchema) validate(v any, _ *Catalog, _ int) error {
	c, ok := v.(cid.CID)
	switch {
	case !ok:
		return mismatch("a link", v)
	case !c.Defined():
		return invalidf("must be a defined CID")
	}
	return nil
}

// blobSchema is a blob, perhaps limited to MIME types and a size.
type blobSchema struct {
	accept  []string
	maxSize int64
}

func (s *blobSchema) validate(v any, _ *Catalog, _ int) error {
	b, err := asBlob(v)
	if err != nil {
		return err
	}
	if len(s.accept) > 0 && !acceptsMIME(s.accept, b.MimeType) {
		return invalidf("blob type %q is not accepted (want %s)", b.MimeType, strings.Join(s.accept, ", "))
	}
	if b.Size > s.maxSize {
		return invalidf("blob is %d bytes, more than the %d allowed", b.Size, s.maxSize)
	}
	return nil
}

// asBlob reads a blob value: a blob map, a legacy blob map (whose size is
// unknown and given as -1) or a data.Blob.
func asBlob(v any) (data.Blob, error) {
	switch x := v.(type) {
	case map[string]any:
		b, err := data.ParseBlob(x)
		if err != nil {
			return b, invalidf("must be a blob: %s", syntaxReason(err))
		}
		return b, nil
	case data.Blob:
		if !x.Ref.Defined() || x.Size < -1 {
			return x, invalidf("must be a blob with a defined ref and a size")
		}
		return x, nil
	}
	return data.Blob{}, mismatch("a blob", v)
}

// acceptsMIME reports whether mime matches one of the patterns: an exact
// type, "type/*" or "*/*", compared without regard to case.
func acceptsMIME(patterns []string, mime string) bool {
	for _, p := range patterns {
		prefix, wild := strings.CutSuffix(p, "*")
		switch {
		case p == "*/*":
			return true
		case wild && len(mime) > len(prefix) && strings.EqualFold(mime[:len(prefix)], prefix):
			return true
		case !wild && strings.EqualFold(mime, p):
			return true
		}
	}
	return false
}
