package syntax

import "strings"

// Stages of a langtag after its primary language subtag, in the order RFC
// 5646 section 2.1 requires: extlang, script, region, variant, extension.
const (
	stageLanguage = iota // after the language and any extlangs
	stageScript
	stageRegion
	stageVariant
	stageExtension
)

// maxVariants bounds the variants a 128-byte tag can hold (each takes at
// least 5 bytes with its hyphen).
const maxVariants = MaxLanguageLen / 5

// langtagRest checks everything after the primary language subtag.
func (t *subtagIter) langtagRest() string {
	var (
		stage, extlangs int
		variants        [maxVariants]string
		nvariants       int
		singletons      uint64 // bit per alphanumeric already used
	)
	for sub := t.next(); sub != ""; sub = t.next() {
		switch {
		case stage == stageLanguage && extlangs < 3 && len(sub) == 3 && allAlpha(sub):
			extlangs++
		case stage < stageScript && len(sub) == 4 && allAlpha(sub):
			stage = stageScript
		case stage < stageRegion && isRegion(sub):
			stage = stageRegion
		case stage <= stageVariant && isVariant(sub):
			if containsFold(variants[:nvariants], sub) {
				return "variant subtag repeated"
			}
			if nvariants == len(variants) {
				return "too many variant subtags"
			}
			variants[nvariants] = sub
			nvariants++
			stage = stageVariant
		case len(sub) == 1:
			if sub == "x" || sub == "X" {
				return t.privateUse()
			}
			bit := uint64(1) << alnumIndex(sub[0])
			if singletons&bit != 0 {
				return "extension singleton repeated"
			}
			singletons |= bit
			if reason := t.extension(); reason != "" {
				return reason
			}
			stage = stageExtension
		default:
			return "subtag " + sub + " is out of place or malformed"
		}
	}
	return ""
}

// extension consumes the subtags of an extension, 2 to 8 alphanumerics
// each, of which there must be at least one.
func (t *subtagIter) extension() string {
	n := 0
	for sub := t.next(); sub != ""; sub = t.next() {
		if len(sub) < 2 {
			t.unread(sub)
			break
		}
		n++
	}
	if n == 0 {
		return "extension singleton needs at least one subtag of 2 to 8 characters"
	}
	return ""
}

func allAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return true
}

// isRegion reports whether s is two letters or three digits.
func isRegion(s string) bool {
	switch len(s) {
	case 2:
		return allAlpha(s)
	case 3:
		return isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2])
	}
	return false
}

// isVariant reports whether s is 5 to 8 alphanumerics, or a digit and three
// alphanumerics. Well-formedness already guaranteed alphanumerics.
func isVariant(s string) bool {
	return len(s) >= 5 || (len(s) == 4 && isDigit(s[0]))
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// alnumIndex maps 0-9 to 0-9 and letters, either case, to 10-35.
func alnumIndex(c byte) uint {
	if isDigit(c) {
		return uint(c - '0')
	}
	return uint(toLower(c)-'a') + 10
}

// Primary returns the primary language subtag, such as "en" for "en-GB",
// or "x" for a private-use tag.
func (l Language) Primary() string {
	s := string(l)
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			return s[:i]
		}
	}
	return s
}

func (l Language) String() string { return string(l) }

// MarshalText implements encoding.TextMarshaler.
func (l Language) MarshalText() ([]byte, error) { return []byte(l), nil }

// UnmarshalText implements encoding.TextUnmarshaler, validating the text.
func (l *Language) UnmarshalText(text []byte) error {
	v, err := ParseLanguage(string(text))
	if err != nil {
		return err
	}
	*l = v
	return nil
}
