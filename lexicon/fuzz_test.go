package lexicon

import (
	"testing"
	"unicode/utf8"
)

// FuzzGraphemes checks the counter never panics and stays within its
// bounds: at least one cluster for non-empty text, at most one per code
// point.
func FuzzGraphemes(f *testing.F) {
	for _, s := range []string{"", "a\r\n", "👩‍👩‍👦‍👦", "🇩🇪🇫", "\u1100\u1161\u11a8", "\xff\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Graphemes(s)
		if max := utf8.RuneCountInString(s); n > max || (s != "" && n < 1) {
			t.Fatalf("Graphemes(%+q) = %d, want 1..%d", s, n, max)
		}
	})
}

// FuzzCatalog_Add checks that parsing arbitrary documents never panics
// and that a document Add accepts can then be looked up.
func FuzzCatalog_Add(f *testing.F) {
	for _, doc := range kitchenDocs {
		f.Add([]byte(doc))
	}
	f.Add([]byte(minimalRecordDoc))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := NewCatalog()
		if err := c.Add(b); err != nil {
			return
		}
		if ids := c.IDs(); len(ids) != 1 || !c.Has(ids[0]) {
			t.Fatalf("after Add, IDs = %v", ids)
		}
	})
}
