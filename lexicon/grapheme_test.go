package lexicon

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestGraphemes(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "hello", 5},
		{"CR LF is one", "a\r\nb", 3},
		{"LF CR is two", "\n\r", 2},
		{"control stands alone", "a\x00\u0301", 3},
		{"precomposed", "caf\u00e9", 4},
		{"combining acute", "cafe\u0301", 4},
		{"stacked combining marks", "a\u0301\u0323\u0308", 1},
		{"leading combining mark", "\u0301a", 2},
		{"flag", "🇩🇪", 1},
		{"two flags", "🇩🇪🇫🇷", 2},
		{"odd regional indicators", "🇩🇪🇫", 2},
		{"skin tone", "👍🏽", 1},
		{"family ZWJ sequence", "👩‍👩‍👦‍👦", 1},
		{"rainbow flag", "🏳️‍🌈", 1},
		{"tag sequence flag", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", 1},
		{"skin tone in ZWJ sequence", "👨🏻‍💻", 1},
		{"people holding hands", "🧑‍🤝‍🧑", 1},
		{"emoji presentation selector", "❤️", 1},
		{"keycap", "1️⃣", 1},
		{"ZWJ after a letter does not join", "a\u200d👍", 2},
		{"ZWJ then a letter", "👍\u200db", 2},
		{"hangul syllables", "한국어", 3},
		{"hangul jamo", "\u1100\u1161\u11a8", 1},
		{"hangul LV then T", "\uac00\u11a8", 1},
		{"devanagari spacing mark", "कि", 1},
		{"devanagari conjunct, without GB9c like the reference implementations", "क्ष", 2},
		{"thai sara am", "กำ", 1},
		{"arabic number sign prepends", "\u0600\u0661", 1},
		{"CJK", "日本語", 3},
		{"interop valid", strings.Repeat("🇩🇪🏳️‍🌈", 6), 12},
		{"interop too short", "👩‍👩‍👦‍👦👩‍👩‍👦‍👦", 2},
		{"invalid UTF-8", "a\xff\xfeb", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Graphemes(c.in); got != c.want {
				t.Fatalf("Graphemes(%+q) = %d, want %d", c.in, got, c.want)
			}
		})
	}
}

// TestGraphemes_Bounds checks that a string has at least one cluster if
// it is not empty and at most one per code point.
func TestGraphemes_Bounds(t *testing.T) {
	for _, s := range []string{"x", "👩‍👩‍👦‍👦", "\u0301\u0301", "🇩🇪🇩🇪🇩🇪", "e\u0301\r\n"} {
		t.Run(s, func(t *testing.T) {
			n := Graphemes(s)
			if n < 1 || n > utf8.RuneCountInString(s) {
				t.Fatalf("Graphemes(%+q) = %d, want 1..%d", s, n, utf8.RuneCountInString(s))
			}
		})
	}
}
