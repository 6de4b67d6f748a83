package lexicon

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// embeddedCatalog returns the embedded catalog or fails the test.
func embeddedCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	return c
}

func TestEmbedded(t *testing.T) {
	c := embeddedCatalog(t)
	t.Run("every file is a document at the path its NSID names", func(t *testing.T) {
		n := 0
		err := fs.WalkDir(schemaFS, "schemas", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || path.Ext(p) != ".json" {
				return err
			}
			n++
			id := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(p, "schemas/"), ".json"), "/", ".")
			if !c.Has(syntax.NSID(id)) {
				t.Errorf("%s: no document %s", p, id)
			}
			return nil
		})
		if err != nil || n < 250 || n != len(c.IDs()) {
			t.Fatalf("walked %d files (%v); catalog holds %d documents", n, err, len(c.IDs()))
		}
	})
	t.Run("every reference resolves", func(t *testing.T) {
		if u := c.unresolved(); len(u) > 0 {
			t.Fatalf("unresolved references: %v", u)
		}
	})
	t.Run("source and license travel with the schemas", func(t *testing.T) {
		for _, name := range []string{"schemas/SOURCE", "schemas/LICENSE-MIT.txt"} {
			if b, err := schemaFS.ReadFile(name); err != nil || len(b) == 0 {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("parsed once", func(t *testing.T) {
		if again := embeddedCatalog(t); again != c {
			t.Fatal("Embedded returned a different catalog the second time")
		}
	})
}

func TestCatalog_Record(t *testing.T) {
	c := embeddedCatalog(t)
	cases := []struct {
		nsid syntax.NSID
		ok   bool
		key  string
	}{
		{"app.bsky.feed.post", true, "tid"},
		{"app.bsky.actor.profile", true, "literal:self"},
		{"com.atproto.lexicon.schema", true, "nsid"},
		{"app.bsky.feed.defs", false, ""},
		{"com.atproto.repo.createRecord", false, ""},
		{"com.example.absent", false, ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.nsid), func(t *testing.T) {
			r, ok := c.Record(tc.nsid)
			if ok != tc.ok || r.Key != tc.key || (ok && (r.NSID != tc.nsid || r.Description == "")) {
				t.Fatalf("Record = %+v, %t; want key %q, %t", r, ok, tc.key, tc.ok)
			}
		})
	}
}

func TestCatalog_Description(t *testing.T) {
	c := embeddedCatalog(t)
	cases := map[syntax.NSID]string{
		"app.bsky.feed.post":    "Record containing a Bluesky post.",
		"app.bsky.embed.images": "A set of images embedded in a Bluesky record (eg, a post).",
		"com.example.absent":    "",
	}
	for nsid, want := range cases {
		t.Run(string(nsid), func(t *testing.T) {
			if got := c.Description(nsid); got != want {
				t.Fatalf("Description = %q, want %q", got, want)
			}
		})
	}
}

func TestCatalog_Has(t *testing.T) {
	c := NewCatalog()
	if c.Has("com.example.thing") {
		t.Fatal("an empty catalog has com.example.thing")
	}
	if err := c.Add([]byte(minimalRecordDoc)); err != nil {
		t.Fatal(err)
	}
	if !c.Has("com.example.thing") || c.Has("com.example.other") {
		t.Fatalf("after Add: Has(thing)=%t Has(other)=%t", c.Has("com.example.thing"), c.Has("com.example.other"))
	}
	if ids := c.IDs(); len(ids) != 1 || ids[0] != "com.example.thing" {
		t.Fatalf("IDs = %v", ids)
	}
}

const minimalRecordDoc = `{"lexicon": 1, "id": "com.example.thing", "defs": {"main": {
	"type": "record", "key": "any", "record": {"type": "object", "properties": {}}}}}`

func TestCatalog_Add(t *testing.T) {
	t.Run("duplicate", func(t *testing.T) {
		c := NewCatalog()
		if err := c.Add([]byte(minimalRecordDoc)); err != nil {
			t.Fatal(err)
		}
		if err := c.Add([]byte(minimalRecordDoc)); !rhizome.Is(err, rhizome.Exists) {
			t.Fatalf("second Add = %v, want Exists", err)
		}
	})
	t.Run("embedded documents again", func(t *testing.T) {
		err := embeddedCatalog(t).Add(mustRead(t, "schemas/app/bsky/feed/post.json"))
		if !rhizome.Is(err, rhizome.Exists) {
			t.Fatalf("Add = %v, want Exists", err)
		}
	})
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := schemaFS.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCatalog_AddInvalid covers schema rules beyond the interop vectors.
func TestCatalog_AddInvalid(t *testing.T) {
	cases := map[string]string{
		"not json":                           `{`,
		"trailing data":                      `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "token"}}} {}`,
		"version 2":                          `{"lexicon": 2, "id": "com.example.a", "defs": {"x": {"type": "token"}}}`,
		"missing version":                    `{"id": "com.example.a", "defs": {"x": {"type": "token"}}}`,
		"missing id":                         `{"lexicon": 1, "defs": {"x": {"type": "token"}}}`,
		"no defs":                            `{"lexicon": 1, "id": "com.example.a", "defs": {}}`,
		"bad def name":                       `{"lexicon": 1, "id": "com.example.a", "defs": {"a#b": {"type": "token"}}}`,
		"missing type":                       `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"description": "?"}}}`,
		"unknown type":                       `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "float"}}}`,
		"union def":                          `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "union", "refs": []}}}`,
		"params def":                         `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "params", "properties": {}}}}`,
		"token field":                        obj(`"t": {"type": "token"}`),
		"unknown format":                     obj(`"s": {"type": "string", "format": "email"}`),
		"const and default":                  obj(`"s": {"type": "string", "const": "a", "default": "b"}`),
		"enum of wrong type":                 obj(`"i": {"type": "integer", "enum": ["a"]}`),
		"const of wrong type":                obj(`"b": {"type": "boolean", "const": 1}`),
		"minimum over maximum":               obj(`"i": {"type": "integer", "minimum": 5, "maximum": 1}`),
		"negative maxLength":                 obj(`"s": {"type": "string", "maxLength": -1}`),
		"minGraphemes over max":              obj(`"s": {"type": "string", "minGraphemes": 5, "maxGraphemes": 1}`),
		"fractional length":                  obj(`"s": {"type": "string", "maxLength": 1.5}`),
		"partial MIME glob":                  obj(`"b": {"type": "blob", "accept": ["text/ht*"]}`),
		"bare MIME wildcard":                 obj(`"b": {"type": "blob", "accept": ["*"]}`),
		"array without items":                obj(`"a": {"type": "array"}`),
		"object without properties":          obj(`"o": {"type": "object"}`),
		"required not a property":            `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "object", "required": ["b"], "properties": {}}}}`,
		"ref without ref":                    obj(`"r": {"type": "ref"}`),
		"ref to bad NSID":                    obj(`"r": {"type": "ref", "ref": "notansid#x"}`),
		"ref with empty name":                obj(`"r": {"type": "ref", "ref": "com.example.b#"}`),
		"empty closed union":                 obj(`"u": {"type": "union", "refs": [], "closed": true}`),
		"union without refs":                 obj(`"u": {"type": "union"}`),
		"record without key":                 `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "record", "record": {"type": "object", "properties": {}}}}}`,
		"record with bad key":                `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "record", "key": "uuid", "record": {"type": "object", "properties": {}}}}}`,
		"record with bad literal":            `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "record", "key": "literal:..", "record": {"type": "object", "properties": {}}}}}`,
		"query with input":                   `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "query", "input": {"encoding": "application/json"}}}}`,
		"output without encoding":            `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "query", "output": {}}}}`,
		"output schema a string":             `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "query", "output": {"encoding": "application/json", "schema": {"type": "string"}}}}}`,
		"object parameter":                   `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "query", "parameters": {"type": "params", "properties": {"o": {"type": "object", "properties": {}}}}}}}`,
		"parameters not params":              `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "query", "parameters": {"type": "object", "properties": {}}}}}`,
		"error name with space":              `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "procedure", "errors": [{"name": "Bad Thing"}]}}}`,
		"subscription object message":        `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "subscription", "message": {"schema": {"type": "object", "properties": {}}}}}}`,
		"subscription without message":       `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "subscription"}}}`,
		"permission of wrong type":           perms(`{"type": "scope", "resource": "repo", "collection": ["com.example.a"]}`),
		"repo permission without collection": perms(`{"type": "permission", "resource": "repo"}`),
		"repo permission bad action":         perms(`{"type": "permission", "resource": "repo", "collection": ["com.example.a"], "action": ["read"]}`),
		"rpc permission without aud":         perms(`{"type": "permission", "resource": "rpc", "lxm": ["com.example.a"]}`),
		"rpc permission all wildcards":       perms(`{"type": "permission", "resource": "rpc", "lxm": ["*"], "aud": "*"}`),
		"permission set without permissions": `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "permission-set"}}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			err := NewCatalog().Add([]byte(doc))
			if !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("Add = %v, want Invalid", err)
			}
		})
	}
}

// obj wraps properties in an object definition.
func obj(props string) string {
	return `{"lexicon": 1, "id": "com.example.a", "defs": {"x": {"type": "object", "properties": {` + props + `}}}}`
}

// perms wraps a permission in a permission set.
func perms(p string) string {
	return `{"lexicon": 1, "id": "com.example.a", "defs": {"main": {"type": "permission-set", "permissions": [` + p + `]}}}`
}

func TestCatalog_ValidateRecordUnknown(t *testing.T) {
	c := embeddedCatalog(t)
	t.Run("unknown collection", func(t *testing.T) {
		err := c.ValidateRecord("com.example.absent", map[string]any{"$type": "com.example.absent"})
		if !errors.Is(err, ErrUnknownSchema) || !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("ValidateRecord = %v, want NotFound wrapping ErrUnknownSchema", err)
		}
	})
	t.Run("not a record type", func(t *testing.T) {
		err := c.ValidateRecord("app.bsky.feed.defs", map[string]any{"$type": "app.bsky.feed.defs"})
		if !rhizome.Is(err, rhizome.Invalid) || errors.Is(err, ErrUnknownSchema) {
			t.Fatalf("ValidateRecord = %v, want Invalid", err)
		}
	})
	t.Run("unknown collection key", func(t *testing.T) {
		err := c.ValidateRecordKey("com.example.absent", "self")
		if !errors.Is(err, ErrUnknownSchema) || !rhizome.Is(err, rhizome.NotFound) {
			t.Fatalf("ValidateRecordKey = %v, want NotFound wrapping ErrUnknownSchema", err)
		}
	})
}

func TestCatalog_ValidateRecordKey(t *testing.T) {
	c := NewCatalog()
	for _, doc := range [][]byte{
		[]byte(minimalRecordDoc),
		mustRead(t, "schemas/app/bsky/feed/post.json"),
		mustRead(t, "schemas/app/bsky/actor/profile.json"),
		mustRead(t, "schemas/com/atproto/lexicon/schema.json"),
	} {
		if err := c.Add(doc); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		collection syntax.NSID
		rkey       syntax.RecordKey
		ok         bool
	}{
		{"app.bsky.feed.post", "3jui7kd54zh2y", true},
		{"app.bsky.feed.post", "self", false},
		{"app.bsky.feed.post", "3JUI7KD54ZH2Y", false},
		{"app.bsky.actor.profile", "self", true},
		{"app.bsky.actor.profile", "3jui7kd54zh2y", false},
		{"com.atproto.lexicon.schema", "app.bsky.feed.post", true},
		{"com.atproto.lexicon.schema", "self", false},
		{"com.example.thing", "any:key~here", true},
		{"com.example.thing", "..", false},
	}
	for _, tc := range cases {
		t.Run(string(tc.collection)+"/"+string(tc.rkey), func(t *testing.T) {
			err := c.ValidateRecordKey(tc.collection, tc.rkey)
			if tc.ok && err != nil {
				t.Fatalf("ValidateRecordKey = %v, want nil", err)
			}
			if !tc.ok && !rhizome.Is(err, rhizome.Invalid) {
				t.Fatalf("ValidateRecordKey = %v, want Invalid", err)
			}
		})
	}
}

// TestCatalog_Concurrent validates records while documents are added;
// run with -race it checks the catalog's locking.
func TestCatalog_Concurrent(t *testing.T) {
	c := kitchenCatalog(t)
	rec := map[string]any{"$type": "com.example.kitchen", "count": int64(1)}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			doc := fmt.Sprintf(`{"lexicon": 1, "id": "com.example.n%d", "defs": {"x": {"type": "token"}}}`, i)
			if err := c.Add([]byte(doc)); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if err := c.ValidateRecord("com.example.kitchen", rec); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(c.IDs()); n != 2+8 {
		t.Fatalf("catalog holds %d documents, want 10", n)
	}
}
