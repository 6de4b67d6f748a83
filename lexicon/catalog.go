package lexicon

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"

	rhizome "github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// schemaFS holds the com.atproto and app.bsky Lexicon documents, one JSON
// file per NSID at the path the NSID names (app/bsky/feed/post.json).
//
//go:embed schemas
var schemaFS embed.FS

// ErrUnknownSchema is wrapped by the error for a collection or NSID the
// catalog holds no schema for; the error's kind is rhizome.NotFound.
var ErrUnknownSchema = errors.New("unknown schema")

// Catalog is a set of Lexicon documents keyed by NSID. It is safe for
// concurrent use.
type Catalog struct {
	mu   sync.RWMutex
	docs map[syntax.NSID]*document
}

// document is one parsed Lexicon document.
type document struct {
	id          syntax.NSID
	description string
	defs        map[string]*def
	refs        []ref // every reference its definitions make
}

// def is one named definition of a document.
type def struct {
	name        string
	description string
	s           schema
}

// RecordDef describes a record type: its NSID, the record-key type its
// schema asks for (tid, nsid, any or literal:<key>) and its description.
type RecordDef struct {
	NSID        syntax.NSID
	Key         string
	Description string
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{docs: map[syntax.NSID]*document{}}
}

var embedded = sync.OnceValues(loadEmbedded)

// Embedded returns the catalog of the schemas compiled into the binary,
// parsed on first use. Every call returns the same catalog, so documents
// added to it are seen by every user.
func Embedded() (*Catalog, error) { return embedded() }

func loadEmbedded() (*Catalog, error) {
	c := NewCatalog()
	err := fs.WalkDir(schemaFS, "schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		b, err := schemaFS.ReadFile(p)
		if err == nil {
			err = c.Add(b)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		return nil
	})
	if err != nil {
		return nil, rhizome.Errorf("load embedded lexicons", rhizome.Other, "%w", err)
	}
	return c, nil
}

// Add parses and checks one Lexicon document and adds it to c. A document
// whose NSID c already holds is an error of kind rhizome.Exists; a
// malformed one, of kind rhizome.Invalid.
func (c *Catalog) Add(schemaJSON []byte) error {
	const op = "add lexicon"
	doc, err := parseDocument(schemaJSON)
	if err != nil {
		return rhizome.E(op, rhizome.Invalid, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, dup := c.docs[doc.id]; dup {
		return rhizome.Errorf(op, rhizome.Exists, "%s is already in the catalog", doc.id)
	}
	c.docs[doc.id] = doc
	return nil
}

// Has reports whether c holds the document with the given NSID.
func (c *Catalog) Has(nsid syntax.NSID) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.docs[nsid]
	return ok
}

// IDs returns the NSIDs of every document in c, sorted.
func (c *Catalog) IDs() []syntax.NSID {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ids := make([]syntax.NSID, 0, len(c.docs))
	for id := range c.docs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Record returns the record definition of nsid, if c holds one: the main
// definition of the document, of type record.
func (c *Catalog) Record(nsid syntax.NSID) (RecordDef, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	d, rec := c.recordDef(nsid)
	if rec == nil {
		return RecordDef{}, false
	}
	return RecordDef{NSID: nsid, Key: rec.key, Description: d.description}, true
}

// Description returns the description of the document nsid for display
// (on an OAuth consent page, say): that of its main definition, or failing
// that the document's own. It is "" for an unknown NSID or when neither
// has one.
func (c *Catalog) Description(nsid syntax.NSID) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	doc := c.docs[nsid]
	if doc == nil {
		return ""
	}
	if d := doc.defs["main"]; d != nil && d.description != "" {
		return d.description
	}
	return doc.description
}

// recordDef returns the main definition of nsid and, if it is a record,
// its schema. The caller holds c.mu.
func (c *Catalog) recordDef(nsid syntax.NSID) (*def, *recordSchema) {
	d := c.lookup(ref{nsid: nsid, name: "main"})
	if d == nil {
		return nil, nil
	}
	rec, _ := d.s.(*recordSchema)
	return d, rec
}

// lookup finds the definition r names. The caller holds c.mu.
func (c *Catalog) lookup(r ref) *def {
	doc := c.docs[r.nsid]
	if doc == nil {
		return nil
	}
	return doc.defs[r.name]
}

// unresolved returns the references of every document that name a
// definition c does not hold, as "from -> to" strings.
func (c *Catalog) unresolved() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, doc := range c.docs {
		for _, r := range doc.refs {
			if c.lookup(r) == nil {
				out = append(out, string(doc.id)+" -> "+r.String())
			}
		}
	}
	slices.Sort(out)
	return out
}
