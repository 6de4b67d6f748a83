package identity

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// MaxDocSize is the largest DID document, in bytes, that ParseDoc and the
// resolver accept.
const MaxDocSize = 64 << 10

// Fragments and types of the atproto entries of a DID document.
const (
	SigningKeyID = "#atproto"                  // verification method of the repo signing key
	PDSServiceID = "#atproto_pds"              // service entry of the PDS
	PDSType      = "AtprotoPersonalDataServer" // type of the PDS service entry
)

// Doc is a parsed DID document: the DID and the atproto facts read from it.
// A Doc is immutable once parsed and safe for concurrent use.
type Doc struct {
	// DID is the document's id, equal to the DID it was resolved for.
	DID syntax.DID
	// Handle is the first valid "at://" handle of alsoKnownAs, normalised
	// to lower case, or "" if there is none. It is only a claim: a handle
	// is confirmed by resolving it back to DID (Resolver.ResolveIdentity).
	Handle syntax.Handle
	// SigningKey is the first valid "#atproto" verification method
	// controlled by DID, or nil if there is none (the account is broken).
	SigningKey keys.PublicKey
	// PDS is the endpoint of the "#atproto_pds" service, a URL of scheme,
	// host and optional port with no trailing slash, or "" if there is no
	// valid one.
	PDS string
	// Raw is the document exactly as received.
	Raw json.RawMessage

	methods  []verificationMethod
	services []service
}

// rawDoc is the part of a DID document the parser reads. Array elements
// are decoded one by one so that one malformed entry is skipped rather
// than failing the whole document.
type rawDoc struct {
	ID                 *string           `json:"id"`
	AlsoKnownAs        []json.RawMessage `json:"alsoKnownAs"`
	VerificationMethod []json.RawMessage `json:"verificationMethod"`
	Service            []json.RawMessage `json:"service"`
}

type verificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
}

type service struct {
	ID              string `json:"id"`
	Type            string `json:"type"`
	ServiceEndpoint string `json:"serviceEndpoint"`
}

// ParseDoc parses the DID document b resolved for did. It fails with kind
// rhizome.Invalid if b is not a JSON object or its id is not exactly did,
// and with rhizome.TooLarge if b is over MaxDocSize. Missing or malformed
// atproto entries are not errors: the matching Doc field is left empty.
func ParseDoc(did syntax.DID, b []byte) (*Doc, error) {
	const op = "parse did document"
	if len(b) > MaxDocSize {
		return nil, rhizome.Errorf(op, rhizome.TooLarge, "%s: %d bytes, limit %d", did, len(b), MaxDocSize)
	}
	var raw rawDoc
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s: %w", did, err)
	}
	if raw.ID == nil || *raw.ID != string(did) {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%s: document id %q does not match", did, clip(raw.ID))
	}
	d := &Doc{DID: did, Raw: bytes.Clone(b)}
	d.Handle = firstHandle(raw.AlsoKnownAs)
	d.methods = decodeEach[verificationMethod](raw.VerificationMethod)
	d.services = decodeEach[service](raw.Service)
	d.SigningKey, _ = d.VerificationKey(SigningKeyID)
	d.PDS, _ = d.ServiceEndpoint(PDSServiceID, PDSType)
	return d, nil
}

// firstHandle returns the first alsoKnownAs entry that is "at://" followed
// by a valid handle and nothing else, lower-cased, or "".
func firstHandle(aka []json.RawMessage) syntax.Handle {
	for _, s := range decodeEach[string](aka) {
		rest, ok := strings.CutPrefix(s, "at://")
		if !ok {
			continue
		}
		if h, err := syntax.ParseHandle(rest); err == nil {
			return h.Normalize()
		}
	}
	return ""
}

// decodeEach decodes every element of raw that unmarshals as a T, in
// order, skipping the others.
func decodeEach[T any](raw []json.RawMessage) []T {
	out := make([]T, 0, len(raw))
	for _, r := range raw {
		var v T
		if json.Unmarshal(r, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// VerificationKey returns the key of the first verification method with
// the given fragment (such as "#atproto" or "#atproto_label") that is
// controlled by the document's DID and parses, in the Multikey form or a
// legacy one.
func (d *Doc) VerificationKey(fragment string) (keys.PublicKey, bool) {
	for _, m := range d.methods {
		if !d.idMatches(m.ID, fragment) || m.Controller != string(d.DID) {
			continue
		}
		if k, err := keys.ParseVerificationMethod(m.Type, m.PublicKeyMultibase); err == nil {
			return k, true
		}
	}
	return nil, false
}

// ServiceEndpoint returns the endpoint of the first service with the given
// fragment (such as "#atproto_pds") and type, if that endpoint is a valid
// http or https server URL. It is returned without a trailing slash.
func (d *Doc) ServiceEndpoint(fragment, typ string) (string, bool) {
	for _, s := range d.services {
		if d.idMatches(s.ID, fragment) && s.Type == typ {
			return serverURL(s.ServiceEndpoint)
		}
	}
	return "", false
}

// Service returns the endpoint of the first service with the given
// fragment, whatever its type, as atproto-proxy resolution needs.
func (d *Doc) Service(fragment string) (string, bool) {
	for _, s := range d.services {
		if d.idMatches(s.ID, fragment) {
			return serverURL(s.ServiceEndpoint)
		}
	}
	return "", false
}

// idMatches reports whether id names fragment in this document, either
// relatively ("#atproto") or absolutely ("did:plc:...#atproto").
func (d *Doc) idMatches(id, fragment string) bool {
	return id == fragment || (strings.HasPrefix(id, string(d.DID)) && id[len(d.DID):] == fragment)
}

// serverURL checks that s is an http(s) URL of a host and optional port
// only, and returns it without a trailing slash.
func serverURL(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return "", false
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

// clip quotes at most 64 bytes of *s for an error message.
func clip(s *string) string {
	switch {
	case s == nil:
		return "<missing>"
	case len(*s) > 64:
		return (*s)[:64] + "..."
	}
	return *s
}
