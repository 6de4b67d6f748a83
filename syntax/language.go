package syntax

import "strings"

// Language is a BCP 47 language tag (RFC 5646), such as "en", "pt-BR" or
// "zh-Hant". ParseLanguage accepts well-formed tags that are also "valid" in
// the sense of RFC 5646 section 2.2.9 as far as that needs no registry: no
// variant and no extension singleton appears twice. In addition the primary
// language subtag must be two or three lower-case letters (the 4- to
// 8-letter forms are reserved or unused), and the tag is at most 128 bytes.
// Private-use tags ("x-...") and the grandfathered tags are accepted.
type Language string

// MaxLanguageLen is the longest language tag accepted, in bytes.
const MaxLanguageLen = 128

// grandfathered are the tags of RFC 5646 section 2.2.8 that the langtag
// grammar does not cover (or covers differently), matched case-insensitively
// apart from the primary subtag, which is lower-case in every one.
var grandfathered = [...]string{
	"en-GB-oed", "i-ami", "i-bnn", "i-default", "i-enochian", "i-hak",
	"i-klingon", "i-lux", "i-mingo", "i-navajo", "i-pwn", "i-tao", "i-tay",
	"i-tsu", "sgn-BE-FR", "sgn-BE-NL", "sgn-CH-DE", "art-lojban",
	"cel-gaulish", "no-bok", "no-nyn", "zh-guoyu", "zh-hakka", "zh-min",
	"zh-min-nan", "zh-xiang",
}

// ParseLanguage validates s as a language tag.
func ParseLanguage(s string) (Language, error) {
	if reason := checkLanguage(s); reason != "" {
		return "", invalid("parse language", s, reason)
	}
	return Language(s), nil
}

// checkLanguage returns why s is not an acceptable language tag, or "".
func checkLanguage(s string) string {
	switch {
	case s == "":
		return "empty"
	case len(s) > MaxLanguageLen:
		return "longer than 128 bytes"
	case !subtagsWellFormed(s):
		return "subtags must be 1 to 8 letters or digits separated by single hyphens"
	case isGrandfathered(s):
		return ""
	}
	t := subtagIter{s: s}
	first := t.next()
	if first == "x" || first == "X" {
		return t.privateUse()
	}
	if (len(first) != 2 && len(first) != 3) || !allLower(first) {
		return "primary language subtag must be 2 or 3 lower-case letters"
	}
	return t.langtagRest()
}

// subtagsWellFormed checks the shape shared by all tags: non-empty runs of
// at most 8 ASCII letters or digits joined by single hyphens.
func subtagsWellFormed(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c):
			run++
			if run > 8 {
				return false
			}
		case c == '-' && run > 0:
			run = 0
		default:
			return false
		}
	}
	return run > 0
}

func isGrandfathered(s string) bool {
	for _, g := range grandfathered {
		if strings.EqualFold(s, g) {
			primary, _, _ := strings.Cut(s, "-")
			return allLower(primary)
		}
	}
	return false
}

func allLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLower(s[i]) {
			return false
		}
	}
	return true
}

// subtagIter walks the hyphen-separated subtags of a well-formed tag.
type subtagIter struct {
	s    string
	pos  int
	peek string // the subtag next will return again, if non-empty
}

// next returns the next subtag, or "" at the end.
func (t *subtagIter) next() string {
	if t.peek != "" {
		p := t.peek
		t.peek = ""
		return p
	}
	if t.pos >= len(t.s) {
		return ""
	}
	sub, _, _ := strings.Cut(t.s[t.pos:], "-")
	t.pos += len(sub) + 1
	return sub
}

// unread makes next return sub again.
func (t *subtagIter) unread(sub string) { t.peek = sub }

// privateUse checks the subtags after an "x" singleton: one or more of 1 to
// 8 alphanumerics, which subtagsWellFormed already ensured of all subtags.
func (t *subtagIter) privateUse() string {
	if t.next() == "" {
		return `private-use "x" needs at least one subtag`
	}
	return ""
}
