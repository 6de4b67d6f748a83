package lexicon

import (
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome/syntax"
)

// arraySchema is a list with bounds on its length.
type arraySchema struct {
	items          schema
	minLen, maxLen int64
}

func (s *arraySchema) validate(v any, c *Catalog, depth int) error {
	l, ok := v.([]any)
	if !ok {
		return mismatch("an array", v)
	}
	switch n := int64(len(l)); {
	case n < s.minLen:
		return invalidf("must have at least %d elements, not %d", s.minLen, n)
	case n > s.maxLen:
		return invalidf("must have at most %d elements, not %d", s.maxLen, n)
	}
	if err := enter(depth); err != nil {
		return err
	}
	for i, e := range l {
		if err := s.items.validate(e, c, depth+1); err != nil {
			return atIndex(err, i)
		}
	}
	return nil
}

// property is one property of an object schema.
type property struct {
	name     string
	s        schema
	nullable bool
}

// objectSchema is a map with known properties, sorted by name. Keys it
// does not know are ignored.
type objectSchema struct {
	props    []property
	required []string
}

func (s *objectSchema) validate(v any, c *Catalog, depth int) error {
	m, ok := v.(map[string]any)
	if !ok || m["$type"] == "blob" {
		return mismatch("an object", v)
	}
	if err := enter(depth); err != nil {
		return err
	}
	for _, r := range s.required {
		if _, ok := m[r]; !ok {
			return invalidf("must have the property %q", r)
		}
	}
	for i := range s.props {
		p := &s.props[i]
		pv, ok := m[p.name]
		if !ok || (pv == nil && p.nullable) {
			continue
		}
		if err := p.s.validate(pv, c, depth+1); err != nil {
			return at(err, p.name)
		}
	}
	return nil
}

// refSchema stands for the definition it names.
type refSchema struct {
	to ref
}

func (s *refSchema) validate(v any, c *Catalog, depth int) error {
	if err := enter(depth); err != nil {
		return err
	}
	d := c.lookup(s.to)
	if d == nil {
		return invalidf("schema %s is not in the catalog", s.to)
	}
	return d.s.validate(v, c, depth+1)
}

// unionSchema is a map whose $type says which of several object or record
// definitions it follows.
type unionSchema struct {
	refs   []ref
	closed bool
}

func (s *unionSchema) validate(v any, c *Catalog, depth int) error {
	m, ok := v.(map[string]any)
	if !ok || m["$type"] == "blob" {
		return mismatch("an object with a $type", v)
	}
	t, ok := m["$type"].(string)
	if !ok || t == "" {
		return invalidf("must have a $type naming its variant")
	}
	r, err := typeRef(t)
	if err != nil {
		return err
	}
	if !slices.Contains(s.refs, r) {
		if s.closed {
			return invalidf("$type %q is not one of %s", clip(t), s.refList())
		}
		return nil
	}
	return s.variant(r, v, c, depth)
}

// variant validates v against the listed definition r.
func (s *unionSchema) variant(r ref, v any, c *Catalog, depth int) error {
	if err := enter(depth); err != nil {
		return err
	}
	d := c.lookup(r)
	if d == nil {
		return invalidf("schema %s is not in the catalog", r)
	}
	switch d.s.(type) {
	case *objectSchema, *recordSchema:
		return d.s.validate(v, c, depth+1)
	}
	return invalidf("union variant %s is not an object or record type", r)
}

func (s *unionSchema) refList() string {
	names := make([]string, len(s.refs))
	for i, r := range s.refs {
		names[i] = r.String()
	}
	return strings.Join(names, ", ")
}

// unknownSchema accepts any map that is not a blob.
type unknownSchema struct{}

func (unknownSchema) validate(v any, _ *Catalog, _ int) error {
	m, ok := v.(map[string]any)
	if !ok || m["$type"] == "blob" {
		return mismatch("an object", v)
	}
	return nil
}

// tokenSchema is a named value with no data representation.
type tokenSchema struct {
	name string
}

func (s *tokenSchema) validate(any, *Catalog, int) error {
	return invalidf("token %s is not a data type", s.name)
}

// recordSchema is the main definition of a record type.
type recordSchema struct {
	nsid   syntax.NSID
	key    string
	object *objectSchema
}

// validate checks a record, here or nested: it always carries its $type.
func (s *recordSchema) validate(v any, c *Catalog, depth int) error {
	m, ok := v.(map[string]any)
	if !ok {
		return mismatch("a record object", v)
	}
	if t, _ := m["$type"].(string); t != string(s.nsid) {
		return at(invalidf("must be %q", s.nsid), "$type")
	}
	return s.object.validate(v, c, depth)
}

// xrpcSchema is a query, procedure or subscription. Its parts are parsed
// so that malformed documents are refused, and kept for validating method
// bodies later.
type xrpcSchema struct {
	kind                   string
	params                 *objectSchema
	input, output, message schema
}

func (s *xrpcSchema) validate(any, *Catalog, int) error {
	return invalidf("a %s is not a data type", s.kind)
}

// permissionSetSchema is a bundle of OAuth permissions.
type permissionSetSchema struct {
	title, detail string
	permissions   []rawPermission
}

func (s *permissionSetSchema) validate(any, *Catalog, int) error {
	return invalidf("a permission-set is not a data type")
}
