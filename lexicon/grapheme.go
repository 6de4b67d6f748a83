package lexicon

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Graphemes counts the extended grapheme clusters of s, following the
// rules of Unicode Standard Annex #29 (rules GB3 to GB13: CR LF, controls,
// Hangul syllables, extending and spacing marks, prepended characters,
// emoji ZWJ sequences, regional-indicator pairs) with property tables
// from package unicode and a built-in table of Extended_Pictographic.
// The Indic conjunct rule (GB9c) is not applied, so a conjunct of
// consonants joined by a virama counts as several clusters. Invalid UTF-8
// counts one cluster per bad byte.
func Graphemes(s string) int {
	if n, ok := asciiGraphemes(s); ok {
		return n
	}
	var st clusterState
	n := 0
	for i, r := range s {
		if r == utf8.RuneError && !validRuneAt(s, i) {
			st = clusterState{}
			n++
			continue
		}
		if st.next(r) {
			n++
		}
	}
	return n
}

// asciiGraphemes counts the clusters of an ASCII string, where each byte
// is one but CR LF.
func asciiGraphemes(s string) (int, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return 0, false
		}
	}
	return len(s) - strings.Count(s, "\r\n"), true
}

func validRuneAt(s string, i int) bool {
	r, size := utf8.DecodeRuneInString(s[i:])
	return r != utf8.RuneError || size > 1
}

// gcb is a Grapheme_Cluster_Break property value.
type gcb uint8

const (
	gcbOther gcb = iota
	gcbCR
	gcbLF
	gcbControl
	gcbExtend
	gcbZWJ
	gcbRI
	gcbPrepend
	gcbSpacingMark
	gcbL
	gcbV
	gcbT
	gcbLV
	gcbLVT
)

// clusterState is what the break rules need to know of the text so far.
type clusterState struct {
	prev    gcb
	riRun   int  // regional indicators ending at prev
	pictSeq bool // prev ends ExtPict Extend*
	pictZWJ bool // prev is a ZWJ following ExtPict Extend*
	started bool // at least one character seen
}

// next feeds r and reports whether a cluster starts at it.
func (st *clusterState) next(r rune) bool {
	cur := classify(r)
	pict := isPictographic(r)
	brk := !st.started || breaks(st, cur, pict)
	st.advance(cur, pict)
	return brk
}

// advance records cur as the previous character.
func (st *clusterState) advance(cur gcb, pict bool) {
	st.pictZWJ = cur == gcbZWJ && st.pictSeq
	switch {
	case pict:
		st.pictSeq = true
	case cur != gcbExtend:
		st.pictSeq = false
	}
	if cur == gcbRI {
		st.riRun++
	} else {
		st.riRun = 0
	}
	st.prev, st.started = cur, true
}

// breaks applies rules GB3 to GB999 between the previous character and
// one of class cur.
func breaks(st *clusterState, cur gcb, pict bool) bool {
	prev := st.prev
	switch {
	case prev == gcbCR && cur == gcbLF: // GB3
		return false
	case prev == gcbCR || prev == gcbLF || prev == gcbControl: // GB4
		return true
	case cur == gcbCR || cur == gcbLF || cur == gcbControl: // GB5
		return true
	case hangulJoins(prev, cur): // GB6-GB8
		return false
	case cur == gcbExtend || cur == gcbZWJ || cur == gcbSpacingMark: // GB9, GB9a
		return false
	case prev == gcbPrepend: // GB9b
		return false
	case prev == gcbZWJ && pict && st.pictZWJ: // GB11
		return false
	case prev == gcbRI && cur == gcbRI: // GB12, GB13
		return st.riRun%2 == 0
	}
	return true
}

func hangulJoins(prev, cur gcb) bool {
	switch prev {
	case gcbL:
		return cur == gcbL || cur == gcbV || cur == gcbLV || cur == gcbLVT
	case gcbLV, gcbV:
		return cur == gcbV || cur == gcbT
	case gcbLVT, gcbT:
		return cur == gcbT
	}
	return false
}

// classify returns the Grapheme_Cluster_Break property of r.
func classify(r rune) gcb {
	switch {
	case r == '\r':
		return gcbCR
	case r == '\n':
		return gcbLF
	case r == 0x200D:
		return gcbZWJ
	case r < 0x300:
		return latinClass(r)
	case r >= 0x1F1E6 && r <= 0x1F1FF:
		return gcbRI
	case r >= 0x1100 && r <= 0xD7FB:
		if h := hangulClass(r); h != gcbOther {
			return h
		}
	}
	return generalClass(r)
}

// latinClass classifies r below U+0300, where only controls and the soft
// hyphen are special.
func latinClass(r rune) gcb {
	if r < 0x20 || (r >= 0x7F && r < 0xA0) || r == 0xAD {
		return gcbControl
	}
	return gcbOther
}

func hangulClass(r rune) gcb {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0xA960 && r <= 0xA97C:
		return gcbL
	case r >= 0x1160 && r <= 0x11A7, r >= 0xD7B0 && r <= 0xD7C6:
		return gcbV
	case r >= 0x11A8 && r <= 0x11FF, r >= 0xD7CB && r <= 0xD7FB:
		return gcbT
	case r >= 0xAC00 && r <= 0xD7A3:
		if (r-0xAC00)%28 == 0 {
			return gcbLV
		}
		return gcbLVT
	}
	return gcbOther
}

// generalClass classifies r from its general category and the few lists
// the standard adds.
func generalClass(r rune) gcb {
	switch {
	case isPrepend(r):
		return gcbPrepend
	case r == 0x200C || (r >= 0x1F3FB && r <= 0x1F3FF) || (r >= 0xE0020 && r <= 0xE007F):
		return gcbExtend // ZWNJ, emoji modifiers, tags
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Other_Grapheme_Extend):
		return gcbExtend
	case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp):
		return gcbControl
	case r == 0x0E33 || r == 0x0EB3:
		return gcbSpacingMark
	case unicode.Is(unicode.Mc, r) && !unicode.Is(notSpacingMark, r):
		return gcbSpacingMark
	}
	return gcbOther
}

// isPrepend reports the Prepend characters: prefixed number signs and a
// few letters of Indic scripts.
func isPrepend(r rune) bool {
	return unicode.Is(prepend, r)
}

var prepend = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x0600, 0x0605, 1}, {0x06DD, 0x06DD, 1}, {0x070F, 0x070F, 1},
		{0x0890, 0x0891, 1}, {0x08E2, 0x08E2, 1}, {0x0D4E, 0x0D4E, 1},
	},
	R32: []unicode.Range32{
		{0x110BD, 0x110BD, 1}, {0x110CD, 0x110CD, 1}, {0x111C2, 0x111C3, 1},
		{0x1193F, 0x1193F, 1}, {0x11941, 0x11941, 1}, {0x11A3A, 0x11A3A, 1},
		{0x11A84, 0x11A89, 1}, {0x11D46, 0x11D46, 1}, {0x11F02, 0x11F02, 1},
	},
}

// notSpacingMark lists the spacing combining marks (Mc) that the standard
// excludes from SpacingMark.
var notSpacingMark = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x102B, 0x102C, 1}, {0x1038, 0x1038, 1}, {0x1062, 0x1064, 1},
		{0x1067, 0x106D, 1}, {0x1083, 0x1083, 1}, {0x1087, 0x108C, 1},
		{0x108F, 0x108F, 1}, {0x109A, 0x109C, 1}, {0x1A61, 0x1A61, 1},
		{0x1A63, 0x1A64, 1}, {0xAA7B, 0xAA7B, 1}, {0xAA7D, 0xAA7D, 1},
	},
	R32: []unicode.Range32{{0x11720, 0x11721, 1}},
}
