package lexicon

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rhizome-pds/rhizome/syntax"
)

// rawDocument is a Lexicon document as JSON has it.
type rawDocument struct {
	Lexicon     *int64                     `json:"lexicon"`
	ID          *string                    `json:"id"`
	Description string                     `json:"description"`
	Defs        map[string]json.RawMessage `json:"defs"`
}

// parser turns one document's JSON into schemas, recording the
// references it meets.
type parser struct {
	id   syntax.NSID
	refs []ref
}

// parseDocument parses and checks one Lexicon document.
func parseDocument(b []byte) (*document, error) {
	var raw rawDocument
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	id, err := checkHeader(&raw)
	if err != nil {
		return nil, err
	}
	p := parser{id: id}
	doc := &document{id: id, description: raw.Description, defs: map[string]*def{}}
	for _, name := range sortedKeys(raw.Defs) {
		d, err := p.namedDef(name, raw.Defs[name])
		if err != nil {
			return nil, errors.New(rooted("defs/"+name, err))
		}
		doc.defs[name] = d
	}
	doc.refs = p.refs
	return doc, nil
}

// decodeJSON unmarshals b into v, rejecting trailing data.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	if dec.More() {
		return errors.New("decode json: trailing data after the document")
	}
	return nil
}

// checkHeader checks the fields around the definitions and returns the
// document's NSID.
func checkHeader(raw *rawDocument) (syntax.NSID, error) {
	switch {
	case raw.Lexicon == nil:
		return "", errors.New("lexicon: missing")
	case *raw.Lexicon != 1:
		return "", fmt.Errorf("lexicon: version %d is not supported (want 1)", *raw.Lexicon)
	case raw.ID == nil:
		return "", errors.New("id: missing")
	case len(raw.Defs) == 0:
		return "", errors.New("defs: a lexicon needs at least one definition")
	}
	id, err := syntax.ParseNSID(*raw.ID)
	if err != nil {
		return "", fmt.Errorf("id: %s", syntaxReason(err))
	}
	return id, nil
}

// primaryTypes may only be the main definition of a document.
var primaryTypes = map[string]bool{
	"record": true, "query": true, "procedure": true, "subscription": true, "permission-set": true,
}

// namedDef parses one entry of defs.
func (p *parser) namedDef(name string, b json.RawMessage) (*def, error) {
	if name == "" || strings.ContainsAny(name, "#") {
		return nil, invalidf("%q is not a definition name", name)
	}
	var raw rawDef
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	s, err := p.namedSchema(name, &raw)
	if err != nil {
		return nil, err
	}
	return &def{name: name, description: raw.Description, s: s}, nil
}

// namedSchema parses a definition that has a name: a primary type (as
// main only), a token, or a field type other than ref, union and unknown.
func (p *parser) namedSchema(name string, raw *rawDef) (schema, error) {
	switch t := raw.Type; {
	case primaryTypes[t] && name != "main":
		return nil, invalidf("type %s must be the main definition", t)
	case t == "record":
		return p.record(raw)
	case t == "query" || t == "procedure" || t == "subscription":
		return p.xrpc(raw)
	case t == "permission-set":
		return parsePermissionSet(raw)
	case t == "token":
		return &tokenSchema{name: ref{nsid: p.id, name: name}.String()}, nil
	case t == "ref" || t == "union" || t == "unknown" || t == "params" || t == "permission":
		return nil, invalidf("type %s cannot be a named definition", t)
	}
	return p.field(raw)
}

// ref names a definition: a document and a definition name in it.
type ref struct {
	nsid syntax.NSID
	name string
}

// String returns the reference in its data form: the bare NSID for main.
func (r ref) String() string {
	if r.name == "main" {
		return string(r.nsid)
	}
	return string(r.nsid) + "#" + r.name
}

// parseRef parses a reference in a schema: "#name", "nsid" or
// "nsid#name", relative to the document p parses.
func (p *parser) parseRef(s string) (ref, error) {
	doc, name, hasName := strings.Cut(s, "#")
	if hasName && (name == "" || strings.Contains(name, "#")) {
		return ref{}, invalidf("ref %q: bad definition name", s)
	}
	if !hasName {
		name = "main"
	}
	if doc == "" {
		if !hasName {
			return ref{}, invalidf("ref is empty")
		}
		return ref{nsid: p.id, name: name}, nil
	}
	nsid, err := syntax.ParseNSID(doc)
	if err != nil {
		return ref{}, invalidf("ref %q: %s", s, syntaxReason(err))
	}
	return ref{nsid: nsid, name: name}, nil
}

// addRef parses a reference and records it for resolution checks.
func (p *parser) addRef(s string) (ref, error) {
	r, err := p.parseRef(s)
	if err == nil {
		p.refs = append(p.refs, r)
	}
	return r, err
}

// typeRef reads a $type value of a union member as a reference. Data
// must name a main definition by its bare NSID.
func typeRef(t string) (ref, error) {
	doc, name, hasName := strings.Cut(t, "#")
	switch {
	case !hasName:
		return ref{nsid: syntax.NSID(doc), name: "main"}, nil
	case name == "main":
		return ref{}, invalidf("$type %q must name a main definition without #main", t)
	}
	return ref{nsid: syntax.NSID(doc), name: name}, nil
}
