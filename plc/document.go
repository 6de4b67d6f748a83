package plc

import (
	"errors"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cbor"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ErrGone is the cause of the NotFound error for a tombstoned DID, so
// callers can tell "deactivated" (HTTP 410) from "never existed" (404)
// with errors.Is.
var ErrGone = errors.New("did is tombstoned")

// Data is the state of a DID as a directory's /{did}/data serves it: the
// fields of its latest operation, in plc_operation form.
type Data struct {
	DID                 syntax.DID         `json:"did"`
	VerificationMethods map[string]string  `json:"verificationMethods"`
	RotationKeys        []string           `json:"rotationKeys"`
	AlsoKnownAs         []string           `json:"alsoKnownAs"`
	Services            map[string]Service `json:"services"`
}

// DataFor returns the state op establishes for did. For a tombstone it
// returns a NotFound error wrapping [ErrGone].
func DataFor(did syntax.DID, op *Operation) (*Data, error) {
	if op.Type == TypeTombstone {
		return nil, rhizome.Errorf("plc data", rhizome.NotFound, "%s: %w", did, ErrGone)
	}
	r := regular(op)
	d := &Data{
		DID:                 did,
		VerificationMethods: r.VerificationMethods,
		RotationKeys:        nonNil(r.RotationKeys),
		AlsoKnownAs:         nonNil(r.AlsoKnownAs),
		Services:            r.Services,
	}
	if d.VerificationMethods == nil {
		d.VerificationMethods = map[string]string{}
	}
	if d.Services == nil {
		d.Services = map[string]Service{}
	}
	return d, nil
}

// Handle returns the handle of the first at:// alsoKnownAs entry, if it is
// a valid handle.
func (d *Data) Handle() (syntax.Handle, bool) {
	for _, a := range d.AlsoKnownAs {
		if rest, ok := strings.CutPrefix(a, "at://"); ok {
			h, err := syntax.ParseHandle(rest)
			return h, err == nil
		}
	}
	return "", false
}

// PDS returns the endpoint of the atproto_pds service.
func (d *Data) PDS() (string, bool) {
	s, ok := d.Services[ServiceAtprotoPDS]
	if !ok || s.Type != ServiceTypePDS {
		return "", false
	}
	return s.Endpoint, true
}

// SigningKey returns the atproto verification method, the repo signing key.
func (d *Data) SigningKey() (keys.PublicKey, error) {
	k, ok := d.VerificationMethods[VerificationMethodAtproto]
	if !ok {
		return nil, rhizome.Errorf("plc signing key", rhizome.NotFound, "%s has no atproto key", d.DID)
	}
	return keys.ParsePublicDIDKey(k)
}

// Document is a DID document as a PLC directory serves it.
type Document struct {
	Context            []string             `json:"@context"`
	ID                 syntax.DID           `json:"id"`
	AlsoKnownAs        []string             `json:"alsoKnownAs"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	Service            []DocService         `json:"service"`
}

// VerificationMethod is a DID document verification method.
type VerificationMethod struct {
	ID                 string     `json:"id"`
	Type               string     `json:"type"`
	Controller         syntax.DID `json:"controller"`
	PublicKeyMultibase string     `json:"publicKeyMultibase"`
}

// DocService is a DID document service entry.
type DocService struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	ServiceEndpoint string `json:"serviceEndpoint"`
}

// Contexts of DID documents.
const (
	contextDID       = "https://www.w3.org/ns/did/v1"
	contextMultikey  = "https://w3id.org/security/multikey/v1"
	contextK256      = "https://w3id.org/security/suites/secp256k1-2019/v1"
	contextP256      = "https://w3id.org/security/suites/ecdsa-2019/v1"
	mediaTypeDIDJSON = "application/did+ld+json"
)

// Document renders d as the DID document a directory serves: each
// verification method as a Multikey with id did#name, each service with id
// #name, entries in DRISL key order (as the public directory lists them).
func (d *Data) Document() *Document {
	doc := &Document{
		Context:            []string{contextDID, contextMultikey},
		ID:                 d.DID,
		AlsoKnownAs:        nonNil(slices.Clone(d.AlsoKnownAs)),
		VerificationMethod: []VerificationMethod{},
		Service:            []DocService{},
	}
	for _, name := range sortedKeys(d.VerificationMethods) {
		k := d.VerificationMethods[name]
		doc.addContext(k)
		doc.VerificationMethod = append(doc.VerificationMethod, VerificationMethod{
			ID: string(d.DID) + "#" + name, Type: keys.TypeMultikey, Controller: d.DID,
			PublicKeyMultibase: strings.TrimPrefix(k, "did:key:"),
		})
	}
	for _, name := range sortedKeys(d.Services) {
		s := d.Services[name]
		doc.Service = append(doc.Service, DocService{ID: "#" + name, Type: s.Type, ServiceEndpoint: s.Endpoint})
	}
	return doc
}

// addContext adds the suite context of a P-256 or secp256k1 key.
func (doc *Document) addContext(didKey string) {
	pub, err := keys.ParsePublicDIDKey(didKey)
	if err != nil {
		return
	}
	c := contextK256
	if pub.Curve() == keys.P256 {
		c = contextP256
	}
	if !slices.Contains(doc.Context, c) {
		doc.Context = append(doc.Context, c)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b string) int {
		switch {
		case cbor.KeyLess(a, b):
			return -1
		case cbor.KeyLess(b, a):
			return 1
		}
		return 0
	})
	return ks
}
