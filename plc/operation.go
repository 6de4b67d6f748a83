package plc

import (
	"crypto/sha256"
	"encoding/base32"
	"maps"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/data"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Type names the kind of an operation.
type Type string

// The operation types.
const (
	TypeOperation Type = "plc_operation" // create or update
	TypeTombstone Type = "plc_tombstone" // deactivate the DID for good
	TypeCreate    Type = "create"        // legacy genesis format, read-only
)

// Well-known names in atproto operations.
const (
	VerificationMethodAtproto = "atproto"     // the repo signing key
	ServiceAtprotoPDS         = "atproto_pds" // the PDS hosting the account
	ServiceTypePDS            = "AtprotoPersonalDataServer"
)

// Service is one entry of an operation's services map.
type Service struct {
	Type     string `json:"type"`
	Endpoint string `json:"endpoint"`
}

// Operation is a PLC operation of any type. Which fields are meaningful
// depends on Type; the others are ignored and zero after parsing.
type Operation struct {
	Type Type

	// plc_operation
	RotationKeys        []string          // did:key strings, highest priority first
	VerificationMethods map[string]string // id (no "#") -> did:key
	AlsoKnownAs         []string          // URIs, at://handle first
	Services            map[string]Service

	// create (legacy)
	SigningKey      string
	RecoveryKey     string
	Handle          string // bare handle, no at://
	ServiceEndpoint string // the "service" field: a PDS URL

	// every type: Prev is undefined for a genesis operation (never for a
	// tombstone); Sig is base64url without padding, empty when unsigned.
	Prev cid.CID
	Sig  string
}

const (
	opParse = "parse plc operation"
	opEnc   = "encode plc operation"
)

// fields lists the keys each type has besides "sig".
var fields = map[Type][]string{
	TypeOperation: {"type", "rotationKeys", "verificationMethods", "alsoKnownAs", "services", "prev"},
	TypeTombstone: {"type", "prev"},
	TypeCreate:    {"type", "signingKey", "recoveryKey", "handle", "service", "prev"},
}

// ParseOperation parses the DRISL encoding of an operation, signed or not.
// Only the exact fields of the operation's type are accepted, and the input
// must be the canonical encoding of what it parses to.
func ParseOperation(b []byte) (*Operation, error) {
	v, err := data.UnmarshalCBOR(b)
	if err != nil {
		return nil, rhizome.Errorf(opParse, rhizome.Invalid, "decode DRISL: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, rhizome.E(opParse, rhizome.Invalid, "not a map")
	}
	return fromMap(m)
}

// ParseOperationJSON parses the JSON form of an operation, as the directory
// API carries it, with the same strictness as [ParseOperation].
func ParseOperationJSON(b []byte) (*Operation, error) {
	m, err := data.UnmarshalJSONObject(b)
	if err != nil {
		return nil, rhizome.Errorf(opParse, rhizome.Invalid, "decode JSON: %w", err)
	}
	return fromMap(m)
}

func fromMap(m map[string]any) (*Operation, error) {
	typ, err := getString(m, "type")
	if err != nil {
		return nil, err
	}
	op := &Operation{Type: Type(typ)}
	want, ok := fields[op.Type]
	if !ok {
		return nil, rhizome.Errorf(opParse, rhizome.Invalid, "unknown type %q", typ)
	}
	if err := checkKeys(m, want, true); err != nil {
		return nil, err
	}
	if err := op.readFields(m); err != nil {
		return nil, err
	}
	if err := op.readPrevSig(m); err != nil {
		return nil, err
	}
	return op, nil
}

// checkKeys requires every key of want in m, and nothing else but, if
// allowed, "sig".
func checkKeys(m map[string]any, want []string, sig bool) error {
	for _, k := range want {
		if _, ok := m[k]; !ok {
			return rhizome.Errorf(opParse, rhizome.Invalid, "missing field %q", k)
		}
	}
	for k := range m {
		if !(sig && k == "sig") && !slices.Contains(want, k) {
			return rhizome.Errorf(opParse, rhizome.Invalid, "unexpected field %q", k)
		}
	}
	return nil
}

func (op *Operation) readFields(m map[string]any) error {
	var err error
	switch op.Type {
	case TypeOperation:
		if op.RotationKeys, err = getStrings(m, "rotationKeys"); err != nil {
			return err
		}
		if op.VerificationMethods, err = getStringMap(m, "verificationMethods"); err != nil {
			return err
		}
		if op.AlsoKnownAs, err = getStrings(m, "alsoKnownAs"); err != nil {
			return err
		}
		op.Services, err = getServices(m)
		return err
	case TypeCreate:
		return firstErr(
			getInto(m, "signingKey", &op.SigningKey), getInto(m, "recoveryKey", &op.RecoveryKey),
			getInto(m, "handle", &op.Handle), getInto(m, "service", &op.ServiceEndpoint))
	}
	return nil
}

func (op *Operation) readPrevSig(m map[string]any) error {
	switch p := m["prev"].(type) {
	case nil:
		if op.Type == TypeTombstone {
			return rhizome.E(opParse, rhizome.Invalid, "tombstone without prev")
		}
	case string:
		if op.Type == TypeCreate {
			return rhizome.E(opParse, rhizome.Invalid, "create operation with a prev")
		}
		c, err := cid.Parse(p)
		if err != nil || c.Codec() != cid.DagCBOR {
			return rhizome.Errorf(opParse, rhizome.Invalid, "prev %q is not a dag-cbor CID", p)
		}
		op.Prev = c
	default:
		return rhizome.E(opParse, rhizome.Invalid, "prev is neither a string nor null")
	}
	if _, ok := m["sig"]; !ok {
		return nil
	}
	if err := getInto(m, "sig", &op.Sig); err != nil {
		return err
	}
	if op.Sig == "" {
		return rhizome.E(opParse, rhizome.Invalid, "empty sig")
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func getInto(m map[string]any, k string, dst *string) error {
	s, err := getString(m, k)
	*dst = s
	return err
}

func getString(m map[string]any, k string) (string, error) {
	s, ok := m[k].(string)
	if !ok {
		return "", rhizome.Errorf(opParse, rhizome.Invalid, "%s is not a string", k)
	}
	return s, nil
}

func getStrings(m map[string]any, k string) ([]string, error) {
	l, ok := m[k].([]any)
	if !ok {
		return nil, rhizome.Errorf(opParse, rhizome.Invalid, "%s is not a list", k)
	}
	out := make([]string, len(l))
	for i, v := range l {
		if out[i], ok = v.(string); !ok {
			return nil, rhizome.Errorf(opParse, rhizome.Invalid, "%s[%d] is not a string", k, i)
		}
	}
	return out, nil
}

func getStringMap(m map[string]any, k string) (map[string]string, error) {
	in, ok := m[k].(map[string]any)
	if !ok {
		return nil, rhizome.Errorf(opParse, rhizome.Invalid, "%s is not a map", k)
	}
	out := make(map[string]string, len(in))
	for id, v := range in {
		if out[id], ok = v.(string); !ok {
			return nil, rhizome.Errorf(opParse, rhizome.Invalid, "%s[%q] is not a string", k, id)
		}
	}
	return out, nil
}

func getServices(m map[string]any) (map[string]Service, error) {
	in, ok := m["services"].(map[string]any)
	if !ok {
		return nil, rhizome.E(opParse, rhizome.Invalid, "services is not a map")
	}
	out := make(map[string]Service, len(in))
	for id, v := range in {
		sm, ok := v.(map[string]any)
		if !ok {
			return nil, rhizome.Errorf(opParse, rhizome.Invalid, "services[%q] is not a map", id)
		}
		var s Service
		err := firstErr(checkKeys(sm, []string{"type", "endpoint"}, false),
			getInto(sm, "type", &s.Type), getInto(sm, "endpoint", &s.Endpoint))
		if err != nil {
			return nil, rhizome.Errorf(opParse, rhizome.Invalid, "services[%q]: bad service", id)
		}
		out[id] = s
	}
	return out, nil
}

// toMap is the operation as a data-model value, with or without its sig.
func (op *Operation) toMap(withSig bool) (map[string]any, error) {
	m := map[string]any{"type": string(op.Type)}
	switch op.Type {
	case TypeOperation:
		m["rotationKeys"] = nonNil(op.RotationKeys)
		m["verificationMethods"] = anyMap(op.VerificationMethods)
		m["alsoKnownAs"] = nonNil(op.AlsoKnownAs)
		m["services"] = serviceMap(op.Services)
	case TypeCreate:
		m["signingKey"], m["recoveryKey"] = op.SigningKey, op.RecoveryKey
		m["handle"], m["service"] = op.Handle, op.ServiceEndpoint
	case TypeTombstone:
	default:
		return nil, rhizome.Errorf(opEnc, rhizome.Invalid, "unknown type %q", op.Type)
	}
	if err := op.putPrev(m); err != nil {
		return nil, err
	}
	if withSig {
		if op.Sig == "" {
			return nil, rhizome.E(opEnc, rhizome.Invalid, "operation is not signed")
		}
		m["sig"] = op.Sig
	}
	return m, nil
}

func (op *Operation) putPrev(m map[string]any) error {
	switch {
	case op.Prev.Defined() && op.Type == TypeCreate:
		return rhizome.E(opEnc, rhizome.Invalid, "create operation with a prev")
	case !op.Prev.Defined() && op.Type == TypeTombstone:
		return rhizome.E(opEnc, rhizome.Invalid, "tombstone without prev")
	case op.Prev.Defined():
		m["prev"] = op.Prev.String()
	default:
		m["prev"] = nil
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func anyMap(in map[string]string) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func serviceMap(in map[string]Service) map[string]any {
	out := make(map[string]any, len(in))
	for k, s := range in {
		out[k] = map[string]any{"type": s.Type, "endpoint": s.Endpoint}
	}
	return out
}

// Bytes returns the DRISL encoding of the signed operation, the bytes its
// CID (and, for a genesis operation, its DID) is computed from.
func (op *Operation) Bytes() ([]byte, error) { return op.encode(true) }

// UnsignedBytes returns the DRISL encoding without the sig field, the bytes
// the signature covers.
func (op *Operation) UnsignedBytes() ([]byte, error) { return op.encode(false) }

func (op *Operation) encode(withSig bool) ([]byte, error) {
	m, err := op.toMap(withSig)
	if err != nil {
		return nil, err
	}
	b, err := data.MarshalCBOR(m)
	if err != nil {
		return nil, rhizome.Errorf(opEnc, rhizome.Invalid, "%w", err)
	}
	return b, nil
}

// CID returns the dag-cbor CID of the signed operation.
func (op *Operation) CID() (cid.CID, error) {
	b, err := op.Bytes()
	if err != nil {
		return cid.CID{}, err
	}
	return cid.Sum(cid.DagCBOR, b), nil
}

// IsGenesis reports whether op can start a log: it has no prev and is not
// a tombstone.
func (op *Operation) IsGenesis() bool {
	return !op.Prev.Defined() && op.Type != TypeTombstone
}

// DID returns the DID a signed genesis operation creates.
func (op *Operation) DID() (syntax.DID, error) {
	if !op.IsGenesis() {
		return "", rhizome.E("compute plc did", rhizome.Invalid, "not a genesis operation")
	}
	b, err := op.Bytes()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	id := strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:idLen]
	return syntax.DID(didPrefix + id), nil
}

// EffectiveRotationKeys returns the keys that may sign the operation's
// successor: the rotation keys, [recoveryKey, signingKey] for a legacy
// create, none for a tombstone.
func (op *Operation) EffectiveRotationKeys() []string {
	switch op.Type {
	case TypeOperation:
		return op.RotationKeys
	case TypeCreate:
		return []string{op.RecoveryKey, op.SigningKey}
	}
	return nil
}

// Clone returns a deep copy of op.
func (op *Operation) Clone() *Operation {
	c := *op
	c.RotationKeys = slices.Clone(op.RotationKeys)
	c.AlsoKnownAs = slices.Clone(op.AlsoKnownAs)
	c.VerificationMethods = maps.Clone(op.VerificationMethods)
	c.Services = maps.Clone(op.Services)
	return &c
}

// MarshalJSON writes the operation in the directory API's JSON form.
func (op *Operation) MarshalJSON() ([]byte, error) {
	m, err := op.toMap(op.Sig != "")
	if err != nil {
		return nil, err
	}
	return data.MarshalJSON(m)
}

// UnmarshalJSON reads an operation with [ParseOperationJSON].
func (op *Operation) UnmarshalJSON(b []byte) error {
	p, err := ParseOperationJSON(b)
	if err != nil {
		return err
	}
	*op = *p
	return nil
}
