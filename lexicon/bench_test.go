package lexicon

import (
	"strings"
	"testing"
)

// BenchmarkCatalog_ValidateRecord validates a post with facets, a reply,
// self-labels and an image embed: the commonest write a pod checks.
func BenchmarkCatalog_ValidateRecord(b *testing.B) {
	c := embeddedCatalog(b)
	rec := decodeExample(b, examplePost)
	b.ReportAllocs()
	for b.Loop() {
		if err := c.ValidateRecord("app.bsky.feed.post", rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGraphemes counts the clusters of a 300-grapheme post text
// mixing Latin, combining marks and emoji sequences.
func BenchmarkGraphemes(b *testing.B) {
	s := strings.Repeat("héllo wörld 👩‍👩‍👦‍👦 🇩🇪 e\u0301 ", 20)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		if Graphemes(s) == 0 {
			b.Fatal("no graphemes")
		}
	}
}

// BenchmarkEmbedded parses every embedded schema, the cost of the first
// call to Embedded.
func BenchmarkEmbedded(b *testing.B) {
	for b.Loop() {
		if _, err := loadEmbedded(); err != nil {
			b.Fatal(err)
		}
	}
}
