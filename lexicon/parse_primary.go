package lexicon

import (
	"encoding/json"
	"strings"

	"github.com/rhizome-pds/rhizome/syntax"
)

// rawBody is the input or output of an XRPC method, or the message of a
// subscription.
type rawBody struct {
	Description string          `json:"description"`
	Encoding    string          `json:"encoding"`
	Schema      json.RawMessage `json:"schema"`
}

// rawXRPCError is one entry of an XRPC method's errors.
type rawXRPCError struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// rawPermission is one permission of a permission set.
type rawPermission struct {
	Type       string   `json:"type"`
	Resource   string   `json:"resource"`
	Collection []string `json:"collection"`
	Action     []string `json:"action"`
	LXM        []string `json:"lxm"`
	Aud        string   `json:"aud"`
	InheritAud bool     `json:"inheritAud"`
}

func (p *parser) record(raw *rawDef) (schema, error) {
	if err := checkKeyType(raw.Key); err != nil {
		return nil, at(err, "key")
	}
	if len(raw.Record) == 0 {
		return nil, invalidf("record: missing")
	}
	var obj rawDef
	if err := decodeJSON(raw.Record, &obj); err != nil {
		return nil, at(err, "record")
	}
	if obj.Type != "object" {
		return nil, at(invalidf("must have type object"), "record")
	}
	o, err := p.object(&obj)
	if err != nil {
		return nil, at(err, "record")
	}
	return &recordSchema{nsid: p.id, key: raw.Key, object: o}, nil
}

// checkKeyType checks the key of a record definition.
func checkKeyType(k string) error {
	switch k {
	case "tid", "nsid", "any":
		return nil
	case "":
		return invalidf("missing")
	}
	lit, ok := strings.CutPrefix(k, "literal:")
	if !ok {
		return invalidf("%q is not a record key type (tid, nsid, any or literal:<key>)", k)
	}
	if _, err := syntax.ParseRecordKey(lit); err != nil {
		return invalidf("literal key: %s", syntaxReason(err))
	}
	return nil
}

// xrpc parses a query, procedure or subscription. Only its shape is
// checked and kept; the pod validates records, not method bodies.
func (p *parser) xrpc(raw *rawDef) (schema, error) {
	s := &xrpcSchema{kind: raw.Type}
	var err error
	if s.params, err = p.params(raw.Parameters); err != nil {
		return nil, at(err, "parameters")
	}
	if err := checkXRPCErrors(raw.Errors); err != nil {
		return nil, at(err, "errors")
	}
	if raw.Type == "subscription" {
		return s, p.subscription(s, raw)
	}
	if raw.Message != nil {
		return nil, invalidf("message: only subscriptions have one")
	}
	if raw.Input != nil && raw.Type == "query" {
		return nil, invalidf("input: a query has none")
	}
	if s.input, err = p.body(raw.Input); err != nil {
		return nil, at(err, "input")
	}
	if s.output, err = p.body(raw.Output); err != nil {
		return nil, at(err, "output")
	}
	return s, nil
}

func (p *parser) subscription(s *xrpcSchema, raw *rawDef) error {
	if raw.Input != nil || raw.Output != nil {
		return invalidf("a subscription has a message, not input or output")
	}
	if raw.Message == nil || len(raw.Message.Schema) == 0 {
		return invalidf("message: schema is missing")
	}
	if t := typeOf(raw.Message.Schema); t != "union" {
		return at(invalidf("must be a union, not %q", t), "message/schema")
	}
	var err error
	if s.message, err = p.fieldJSON(raw.Message.Schema); err != nil {
		return at(err, "message/schema")
	}
	return nil
}

// body parses the input or output of a method, if there is one.
func (p *parser) body(b *rawBody) (schema, error) {
	if b == nil {
		return nil, nil
	}
	if b.Encoding == "" {
		return nil, invalidf("encoding: missing")
	}
	if len(b.Schema) == 0 {
		return nil, nil
	}
	switch t := typeOf(b.Schema); t {
	case "object", "ref", "union":
	default:
		return nil, at(invalidf("must be an object, ref or union, not %q", t), "schema")
	}
	s, err := p.fieldJSON(b.Schema)
	if err != nil {
		return nil, at(err, "schema")
	}
	return s, nil
}

// params parses the parameters of a method: an object-like schema whose
// properties are booleans, integers, strings, unknowns or arrays of the
// first three.
func (p *parser) params(b json.RawMessage) (*objectSchema, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var raw rawDef
	if err := decodeJSON(b, &raw); err != nil {
		return nil, err
	}
	if raw.Type != "params" {
		return nil, invalidf("must have type params, not %q", raw.Type)
	}
	for _, name := range sortedKeys(raw.Properties) {
		if err := checkParam(raw.Properties[name]); err != nil {
			return nil, at(at(err, name), "properties")
		}
	}
	raw.Nullable = nil
	return p.object(&raw)
}

// checkParam checks the type of one parameter.
func checkParam(b json.RawMessage) error {
	var raw struct {
		Type  string `json:"type"`
		Items struct {
			Type string `json:"type"`
		} `json:"items"`
	}
	if err := decodeJSON(b, &raw); err != nil {
		return err
	}
	switch raw.Type {
	case "boolean", "integer", "string", "unknown":
		return nil
	case "array":
		switch raw.Items.Type {
		case "boolean", "integer", "string":
			return nil
		}
		return invalidf("a parameter array holds booleans, integers or strings, not %q", raw.Items.Type)
	}
	return invalidf("type %q cannot be a parameter", raw.Type)
}

func checkXRPCErrors(errs []rawXRPCError) error {
	for i, e := range errs {
		if e.Name == "" || strings.ContainsAny(e.Name, " \t\r\n") {
			return atIndex(invalidf("name %q must be non-empty without whitespace", e.Name), i)
		}
	}
	return nil
}

// typeOf returns the type field of a schema's JSON, or "" if it has none.
func typeOf(b json.RawMessage) string {
	var raw struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(b, &raw) != nil {
		return ""
	}
	return raw.Type
}

func parsePermissionSet(raw *rawDef) (schema, error) {
	if raw.Permissions == nil {
		return nil, invalidf("permissions: missing")
	}
	for field, m := range map[string]map[string]string{"title:lang": raw.TitleLang, "detail:lang": raw.DetailLang} {
		for tag := range m {
			if _, err := syntax.ParseLanguage(tag); err != nil {
				return nil, at(invalidf("%s", syntaxReason(err)), field)
			}
		}
	}
	for i := range raw.Permissions {
		if err := checkPermission(&raw.Permissions[i]); err != nil {
			return nil, at(atIndex(err, i), "permissions")
		}
	}
	return &permissionSetSchema{title: raw.Title, detail: raw.Detail, permissions: raw.Permissions}, nil
}

// checkPermission checks one permission. Resources other than repo and
// rpc are left alone: services ignore those they do not support.
func checkPermission(pm *rawPermission) error {
	switch {
	case pm.Type != "permission":
		return invalidf("type must be permission, not %q", pm.Type)
	case pm.Resource == "":
		return invalidf("resource: missing")
	case pm.Resource == "repo":
		return checkRepoPermission(pm)
	case pm.Resource == "rpc":
		return checkRPCPermission(pm)
	}
	return nil
}

func checkRepoPermission(pm *rawPermission) error {
	if len(pm.Collection) == 0 {
		return invalidf("collection: at least one NSID is needed")
	}
	for _, c := range pm.Collection {
		if _, err := syntax.ParseNSID(c); err != nil {
			return invalidf("collection: %s", syntaxReason(err))
		}
	}
	for _, a := range pm.Action {
		if a != "create" && a != "update" && a != "delete" {
			return invalidf("action: %q is not create, update or delete", a)
		}
	}
	return nil
}

func checkRPCPermission(pm *rawPermission) error {
	if len(pm.LXM) == 0 {
		return invalidf("lxm: at least one NSID is needed")
	}
	wildcard := false
	for _, m := range pm.LXM {
		if m == "*" {
			wildcard = true
		} else if _, err := syntax.ParseNSID(m); err != nil {
			return invalidf("lxm: %s", syntaxReason(err))
		}
	}
	switch {
	case pm.Aud == "" && !pm.InheritAud:
		return invalidf("aud: missing, and inheritAud is not set")
	case pm.Aud == "*" && wildcard:
		return invalidf("aud and lxm cannot both be wildcards")
	}
	return nil
}
