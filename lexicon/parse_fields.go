package lexicon

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
)

// rawDef is any schema definition as JSON has it: the union of the fields
// of every type. Which fields matter depends on Type.
type rawDef struct {
	Type        string `json:"type"`
	Description string `json:"description"`

	// record
	Key    string          `json:"key"`
	Record json.RawMessage `json:"record"`

	// object, params
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
	Nullable   []string                   `json:"nullable"`

	// array (items, lengths), string and bytes (lengths)
	Items     json.RawMessage `json:"items"`
	MinLength *int64          `json:"minLength"`
	MaxLength *int64          `json:"maxLength"`

	// boolean, integer, string
	Minimum *int64          `json:"minimum"`
	Maximum *int64          `json:"maximum"`
	Enum    json.RawMessage `json:"enum"`
	Const   json.RawMessage `json:"const"`
	Default json.RawMessage `json:"default"`

	// string
	Format       string   `json:"format"`
	MinGraphemes *int64   `json:"minGraphemes"`
	MaxGraphemes *int64   `json:"maxGraphemes"`
	KnownValues  []string `json:"knownValues"`

	// blob
	Accept  []string `json:"accept"`
	MaxSize *int64   `json:"maxSize"`

	// ref, union
	Ref    *string  `json:"ref"`
	Refs   []string `json:"refs"`
	Closed bool     `json:"closed"`

	// query, procedure, subscription
	Parameters json.RawMessage `json:"parameters"`
	Input      *rawBody        `json:"input"`
	Output     *rawBody        `json:"output"`
	Message    *rawBody        `json:"message"`
	Errors     []rawXRPCError  `json:"errors"`

	// permission-set
	Title       string            `json:"title"`
	TitleLang   map[string]string `json:"title:lang"`
	Detail      string            `json:"detail"`
	DetailLang  map[string]string `json:"detail:lang"`
	Permissions []rawPermission   `json:"permissions"`
}

// fieldJSON parses the JSON of a schema in a field position.
func (p *parser) fieldJSON(b json.RawMessage) (schema, error) {
	if len(b) == 0 {
		return nil, invalidf("missing")
	}
	var raw rawDef
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	switch raw.Type {
	case "ref":
		return p.ref(&raw)
	case "union":
		return p.union(&raw)
	case "unknown":
		return unknownSchema{}, nil
	}
	return p.field(&raw)
}

// field parses the types that may appear both as a field and as a named
// definition.
func (p *parser) field(raw *rawDef) (schema, error) {
	switch raw.Type {
	case "null":
		return nullSchema{}, nil
	case "boolean":
		return parseBoolean(raw)
	case "integer":
		return parseInteger(raw)
	case "string":
		return parseString(raw)
	case "bytes":
		return parseBytes(raw)
	case "cid-link":
		return cidLinkSchema{}, nil
	case "blob":
		return parseBlob(raw)
	case "array":
		return p.array(raw)
	case "object":
		return p.object(raw)
	case "":
		return nil, invalidf("type: missing")
	}
	return nil, invalidf("type %q is not allowed here", raw.Type)
}

// constant decodes the const, default and enum fields of a boolean,
// integer or string schema into T.
func constant[T any](b json.RawMessage, field string) (*T, error) {
	if len(b) == 0 {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, invalidf("%s: %v", field, err)
	}
	return v, nil
}

// constants decodes const and default, which exclude each other.
func constants[T any](raw *rawDef) (*T, error) {
	c, err := constant[T](raw.Const, "const")
	if err != nil {
		return nil, err
	}
	if _, err := constant[T](raw.Default, "default"); err != nil {
		return nil, err
	}
	if c != nil && len(raw.Default) > 0 {
		return nil, invalidf("const and default exclude each other")
	}
	return c, nil
}

func parseBoolean(raw *rawDef) (schema, error) {
	c, err := constants[bool](raw)
	return &boolSchema{constVal: c}, err
}

func parseInteger(raw *rawDef) (schema, error) {
	s := &intSchema{min: math.MinInt64, max: math.MaxInt64}
	var err error
	if s.constVal, err = constants[int64](raw); err != nil {
		return nil, err
	}
	if enum, err := constant[[]int64](raw.Enum, "enum"); err != nil {
		return nil, err
	} else if enum != nil {
		s.enum = *enum
	}
	if raw.Minimum != nil {
		s.min = *raw.Minimum
	}
	if raw.Maximum != nil {
		s.max = *raw.Maximum
	}
	if s.min > s.max {
		return nil, invalidf("minimum %d is above maximum %d", s.min, s.max)
	}
	return s, nil
}

func parseString(raw *rawDef) (schema, error) {
	s := &stringSchema{format: raw.Format}
	var err error
	if s.constVal, err = constants[string](raw); err != nil {
		return nil, err
	}
	if enum, err := constant[[]string](raw.Enum, "enum"); err != nil {
		return nil, err
	} else if enum != nil {
		s.enum = *enum
	}
	if raw.Format != "" {
		if s.check = formats[raw.Format]; s.check == nil {
			return nil, invalidf("format %q is not a Lexicon string format", raw.Format)
		}
	}
	if s.minLen, s.maxLen, err = bounds(raw.MinLength, raw.MaxLength, "Length"); err != nil {
		return nil, err
	}
	s.minGraphemes, s.maxGraphemes, err = bounds(raw.MinGraphemes, raw.MaxGraphemes, "Graphemes")
	return s, err
}

func parseBytes(raw *rawDef) (schema, error) {
	minLen, maxLen, err := bounds(raw.MinLength, raw.MaxLength, "Length")
	return &bytesSchema{minLen: minLen, maxLen: maxLen}, err
}

// bounds reads an optional minimum and maximum count: both non-negative,
// in order, with 0 and MaxInt64 standing for absent.
func bounds(lo, hi *int64, what string) (int64, int64, error) {
	minV, maxV := int64(0), int64(math.MaxInt64)
	if lo != nil {
		minV = *lo
	}
	if hi != nil {
		maxV = *hi
	}
	switch {
	case minV < 0 || maxV < 0:
		return 0, 0, invalidf("min%s and max%s must not be negative", what, what)
	case minV > maxV:
		return 0, 0, invalidf("min%s %d is above max%s %d", what, minV, what, maxV)
	}
	return minV, maxV, nil
}

func parseBlob(raw *rawDef) (schema, error) {
	s := &blobSchema{accept: raw.Accept, maxSize: math.MaxInt64}
	for _, a := range raw.Accept {
		if !validAccept(a) {
			return nil, invalidf("accept: %q is not a MIME type or type/* pattern", a)
		}
	}
	if raw.MaxSize != nil {
		if *raw.MaxSize < 0 {
			return nil, invalidf("maxSize must not be negative")
		}
		s.maxSize = *raw.MaxSize
	}
	return s, nil
}

// validAccept reports whether a is "type/subtype", "type/*" or "*/*".
func validAccept(a string) bool {
	typ, sub, ok := strings.Cut(a, "/")
	switch {
	case !ok || typ == "" || sub == "" || strings.Contains(sub, "/"):
		return false
	case typ == "*":
		return sub == "*"
	}
	return !strings.Contains(typ, "*") && (sub == "*" || !strings.Contains(sub, "*"))
}

func (p *parser) array(raw *rawDef) (schema, error) {
	items, err := p.fieldJSON(raw.Items)
	if err != nil {
		return nil, at(err, "items")
	}
	minLen, maxLen, err := bounds(raw.MinLength, raw.MaxLength, "Length")
	return &arraySchema{items: items, minLen: minLen, maxLen: maxLen}, err
}

func (p *parser) object(raw *rawDef) (*objectSchema, error) {
	if raw.Properties == nil {
		return nil, invalidf("properties: missing")
	}
	s := &objectSchema{required: raw.Required}
	for _, name := range sortedKeys(raw.Properties) {
		fs, err := p.fieldJSON(raw.Properties[name])
		if err != nil {
			return nil, at(at(err, name), "properties")
		}
		nullable := slices.Contains(raw.Nullable, name)
		s.props = append(s.props, property{name: name, s: fs, nullable: nullable})
	}
	for _, r := range raw.Required {
		if _, ok := raw.Properties[r]; !ok {
			return nil, invalidf("required: %q is not a property", r)
		}
	}
	return s, nil
}

func (p *parser) ref(raw *rawDef) (schema, error) {
	if raw.Ref == nil {
		return nil, invalidf("ref: missing")
	}
	r, err := p.addRef(*raw.Ref)
	return &refSchema{to: r}, err
}

func (p *parser) union(raw *rawDef) (schema, error) {
	if raw.Refs == nil {
		return nil, invalidf("refs: missing")
	}
	if raw.Closed && len(raw.Refs) == 0 {
		return nil, invalidf("a closed union needs at least one ref")
	}
	s := &unionSchema{closed: raw.Closed, refs: make([]ref, 0, len(raw.Refs))}
	for _, rs := range raw.Refs {
		r, err := p.addRef(rs)
		if err != nil {
			return nil, err
		}
		s.refs = append(s.refs, r)
	}
	return s, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
