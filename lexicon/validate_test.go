package lexicon

import (
	"strings"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
)

// kitchenDocs exercise every type and rule of record validation.
var kitchenDocs = []string{`{
	"lexicon": 1, "id": "com.example.kitchen",
	"defs": {
		"main": {"type": "record", "key": "tid", "record": {"type": "object",
			"required": ["count"], "nullable": ["maybe"],
			"properties": {
				"none": {"type": "null"},
				"flag": {"type": "boolean", "const": true},
				"maybe": {"type": "string"},
				"count": {"type": "integer", "default": 3},
				"link": {"type": "cid-link"},
				"blob": {"type": "blob", "accept": ["image/png", "video/*"], "maxSize": 100},
				"anyBlob": {"type": "blob", "accept": ["*/*"]},
				"tok": {"type": "ref", "ref": "#tok"},
				"nested": {"type": "ref", "ref": "com.example.kitchen#obj"},
				"rec": {"type": "ref", "ref": "com.example.other"},
				"open": {"type": "union", "refs": ["#obj", "com.example.other"]},
				"emptyOpen": {"type": "union", "refs": []},
				"missing": {"type": "ref", "ref": "com.example.absent#x"},
				"badVariant": {"type": "union", "refs": ["#str"]},
				"text": {"type": "string", "maxGraphemes": 3, "maxLength": 100},
				"known": {"type": "string", "knownValues": ["a"]},
				"constStr": {"type": "string", "const": "x"},
				"strRef": {"type": "ref", "ref": "#str"},
				"chain": {"type": "ref", "ref": "#chain"},
				"raw": {"type": "bytes", "maxLength": 4},
				"any": {"type": "unknown"},
				"list": {"type": "array", "items": {"type": "ref", "ref": "#obj"}}
			}}},
		"tok": {"type": "token", "description": "a token"},
		"obj": {"type": "object", "properties": {"a": {"type": "integer"}}},
		"str": {"type": "string", "format": "nsid"},
		"chain": {"type": "object", "properties": {"next": {"type": "ref", "ref": "#chain"}}}
	}
}`, `{
	"lexicon": 1, "id": "com.example.other",
	"defs": {"main": {"type": "record", "key": "any", "record": {"type": "object", "properties": {"b": {"type": "integer"}}}}}
}`}

func kitchenCatalog(t testing.TB) *Catalog {
	t.Helper()
	c := NewCatalog()
	for _, doc := range kitchenDocs {
		if err := c.Add([]byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestCatalog_ValidateRecord(t *testing.T) {
	c := kitchenCatalog(t)
	link := cid.Sum(cid.Raw, []byte("blob"))
	blob := func(mime string, size int64) map[string]any {
		return map[string]any{"$type": "blob", "ref": link, "mimeType": mime, "size": size}
	}
	cases := []struct {
		name    string
		field   string
		value   any
		wantErr string // "" for valid; else a substring of the error
	}{
		{"null", "none", nil, ""},
		{"not null", "none", int64(0), "record/none: must be null, not an integer"},
		{"boolean const", "flag", true, ""},
		{"boolean const violated", "flag", false, "record/flag: must be true"},
		{"nullable null", "maybe", nil, ""},
		{"non-nullable null", "count", nil, "record/count: must be an integer, not null"},
		{"Go int", "count", 7, ""},
		{"float", "count", 1.5, "must be an integer, not a Go float64"},
		{"link", "link", link, ""},
		{"undefined link", "link", cid.CID{}, "record/link: must be a defined CID"},
		{"blob", "blob", blob("image/png", 100), ""},
		{"blob MIME case", "blob", blob("IMAGE/PNG", 1), ""},
		{"blob glob", "blob", blob("video/mp4", 1), ""},
		{"blob glob is a type prefix", "blob", blob("videos/mp4", 1), "is not accepted"},
		{"blob glob needs a subtype", "blob", blob("video/", 1), "is not accepted"},
		{"blob too big", "blob", blob("image/png", 101), "more than the 100 allowed"},
		{"data.Blob", "blob", data.Blob{Ref: link, MimeType: "image/png", Size: 5}, ""},
		{"legacy blob", "blob", map[string]any{"cid": link.String(), "mimeType": "image/png"}, ""},
		{"legacy blob type", "blob", map[string]any{"cid": link.String(), "mimeType": "text/plain"}, "is not accepted"},
		{"any MIME", "anyBlob", blob("application/x-thing", 1e9), ""},
		{"blob missing size", "anyBlob", map[string]any{"$type": "blob", "ref": link, "mimeType": "a/b"}, "record/anyBlob: must be a blob"},
		{"token", "tok", "com.example.kitchen#tok", "record/tok: token com.example.kitchen#tok is not a data type"},
		{"ref object", "nested", map[string]any{"a": int64(1)}, ""},
		{"ref object $type ignored", "nested", map[string]any{"$type": "x.y.z", "a": int64(1)}, ""},
		{"ref object inner", "nested", map[string]any{"a": "1"}, "record/nested/a: must be an integer"},
		{"ref to record", "rec", map[string]any{"$type": "com.example.other", "b": int64(1)}, ""},
		{"ref to record without $type", "rec", map[string]any{"b": int64(1)}, "record/rec/$type: must be \"com.example.other\""},
		{"union local", "open", map[string]any{"$type": "com.example.kitchen#obj", "a": int64(1)}, ""},
		{"union record", "open", map[string]any{"$type": "com.example.other", "b": int64(2)}, ""},
		{"union record inner", "open", map[string]any{"$type": "com.example.other", "b": "2"}, "record/open/b: must be an integer"},
		{"union #main", "open", map[string]any{"$type": "com.example.other#main"}, "without #main"},
		{"union open unknown", "open", map[string]any{"$type": "com.example.elsewhere#thing", "z": "anything"}, ""},
		{"union blob", "open", blob("image/png", 1), "must be an object with a $type, not a blob"},
		{"union $type not a string", "open", map[string]any{"$type": int64(1)}, "must have a $type"},
		{"empty open union", "emptyOpen", map[string]any{"$type": "com.example.x"}, ""},
		{"empty open union no $type", "emptyOpen", map[string]any{}, "must have a $type"},
		{"ref missing schema", "missing", map[string]any{}, "record/missing: schema com.example.absent#x is not in the catalog"},
		{"union variant not an object", "badVariant", map[string]any{"$type": "com.example.kitchen#str"}, "is not an object or record type"},
		{"graphemes", "text", "👩‍👩‍👦‍👦🇩🇪é", ""},
		{"too many graphemes", "text", "abcd", "must be at most 3 graphemes long, not 4"},
		{"knownValues not enforced", "known", "zzz", ""},
		{"string const", "constStr", "y", "record/constStr: must be \"x\""},
		{"ref to string format", "strRef", "com.example.fine", ""},
		{"ref to string format violated", "strRef", "nope", "must be a valid nsid"},
		{"bytes", "raw", []byte{1, 2, 3, 4}, ""},
		{"bytes too long", "raw", []byte{1, 2, 3, 4, 5}, "must be at most 4 bytes long, not 5"},
		{"unknown object", "any", map[string]any{"x": []any{}}, ""},
		{"unknown string", "any", "x", "record/any: must be an object, not a string"},
		{"unknown data.Blob", "any", data.Blob{Ref: link, MimeType: "a/b", Size: 1}, "must be an object, not a blob"},
		{"array path", "list", []any{map[string]any{"a": int64(1)}, map[string]any{"a": true}}, "record/list/1/a: must be an integer, not a boolean"},
		{"object blob", "nested", blob("image/png", 1), "must be an object, not a blob"},
		{"unknown properties ignored", "whatever", 1.5, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := map[string]any{"$type": "com.example.kitchen", "count": int64(1), tc.field: tc.value}
			err := c.ValidateRecord("com.example.kitchen", rec)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateRecord = %v, want nil", err)
				}
				return
			}
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ValidateRecord = %v, want Invalid containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestCatalog_ValidateRecordType(t *testing.T) {
	c := kitchenCatalog(t)
	cases := map[string]map[string]any{
		"missing $type":      {"count": int64(1)},
		"other $type":        {"$type": "com.example.other", "count": int64(1)},
		"$type not a string": {"$type": int64(1), "count": int64(1)},
	}
	for name, rec := range cases {
		t.Run(name, func(t *testing.T) {
			err := c.ValidateRecord("com.example.kitchen", rec)
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "record/$type: ") {
				t.Fatalf("ValidateRecord = %v, want an Invalid error at record/$type", err)
			}
		})
	}
}

func TestCatalog_ValidateRecordPath(t *testing.T) {
	c := embeddedCatalog(t)
	rec := decodeExample(t, examplePost)
	rec["embed"].(map[string]any)["images"].([]any)[0].(map[string]any)["alt"] = int64(3)
	err := c.ValidateRecord("app.bsky.feed.post", rec)
	const want = "validate record: record/embed/images/0/alt: must be a string, not an integer"
	if err == nil || err.Error() != want {
		t.Fatalf("ValidateRecord = %v, want %q", err, want)
	}
}

// TestCatalog_ValidateRecordDepth checks that a value nested past any
// real record, or a cyclic one built in Go, fails instead of overflowing
// the stack.
func TestCatalog_ValidateRecordDepth(t *testing.T) {
	c := kitchenCatalog(t)
	deep := map[string]any{}
	cyclic := map[string]any{}
	cyclic["next"] = cyclic
	inner := deep
	for range 2 * maxDepth {
		next := map[string]any{}
		inner["next"] = next
		inner = next
	}
	for name, chain := range map[string]map[string]any{"deep": deep, "cyclic": cyclic} {
		t.Run(name, func(t *testing.T) {
			rec := map[string]any{"$type": "com.example.kitchen", "count": int64(1), "chain": chain}
			err := c.ValidateRecord("com.example.kitchen", rec)
			if !rhizome.Is(err, rhizome.Invalid) || !strings.Contains(err.Error(), "nests more than") {
				t.Fatalf("ValidateRecord = %v, want a depth error", err)
			}
			if msg := err.Error(); len(msg) > 300 || !strings.Contains(msg, "record/chain/next/") || !strings.Contains(msg, "/.../") {
				t.Fatalf("error message %q, want a short one with an elided path", msg)
			}
		})
	}
}
