package scope_test

import (
	"slices"
	"testing"

	"github.com/rhizome-pds/rhizome/firehose"
	"github.com/rhizome-pds/rhizome/oauth/scope"
	"github.com/rhizome-pds/rhizome/syntax"
)

// TestSet_CollectionPatternsNarrowFirehose checks that the patterns a
// grant yields are valid firehose collection patterns and narrow an app's
// filter to the granted collections, and to nothing for a grant without
// repo permissions.
func TestSet_CollectionPatternsNarrowFirehose(t *testing.T) {
	const repo = syntax.DID("did:plc:abc")
	cases := []struct {
		grant   string
		asked   []string
		match   []string
		nomatch []string
	}{
		{"atproto repo:app.example.todo?action=create", []string{"*"},
			[]string{"app.example.todo"}, []string{"app.example.other", "app.bsky.feed.post"}},
		{"atproto repo?collection=app.example.a&collection=app.example.b", []string{"app.example.*"},
			[]string{"app.example.a", "app.example.b"}, []string{"app.example.c"}},
		{"atproto repo:*?action=create", []string{"app.bsky.*"},
			[]string{"app.bsky.feed.post"}, []string{"app.example.a"}},
		{"atproto transition:generic", []string{"*"}, []string{"any.thing.here"}, nil},
		{"atproto blob:*/*", []string{"*"}, nil, []string{"app.example.a"}},
	}
	for _, c := range cases {
		t.Run(c.grant, func(t *testing.T) {
			set, err := scope.ParseSet(c.grant)
			if err != nil {
				t.Fatal(err)
			}
			pats := set.CollectionPatterns()
			for _, p := range pats {
				if _, err := firehose.ParseCollectionPattern(p); err != nil {
					t.Errorf("pattern %q refused by firehose: %v", p, err)
				}
			}
			f := firehose.Filter{Collections: c.asked}.Narrow(firehose.Filter{Collections: pats})
			for _, coll := range c.match {
				if !f.Match(repo, coll) {
					t.Errorf("narrowed filter %v drops granted %s", f.Collections, coll)
				}
			}
			for _, coll := range c.nomatch {
				if f.Match(repo, coll) || slices.Contains(f.Collections, coll) {
					t.Errorf("narrowed filter %v lets through %s", f.Collections, coll)
				}
			}
		})
	}
}
