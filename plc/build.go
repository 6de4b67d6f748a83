package plc

import (
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

const opBuild = "build plc operation"

// Genesis builds the unsigned genesis operation of an atproto account:
// rotationKeys (did:keys, highest priority first; the user's own key
// should come before the host's), the repo signing key as the "atproto"
// verification method, at://handle, and the PDS URL as "atproto_pds".
// Sign it with one of rotationKeys; its [Operation.DID] is then the new DID.
func Genesis(rotationKeys []string, signingKey string, handle syntax.Handle, pdsURL string) (*Operation, error) {
	op := &Operation{
		Type:                TypeOperation,
		RotationKeys:        slices.Clone(rotationKeys),
		VerificationMethods: map[string]string{VerificationMethodAtproto: signingKey},
		AlsoKnownAs:         []string{"at://" + string(handle)},
		Services:            map[string]Service{ServiceAtprotoPDS: {Type: ServiceTypePDS, Endpoint: pdsURL}},
	}
	if err := op.validateFields(); err != nil {
		return nil, err
	}
	return op, nil
}

// Update builds the unsigned operation that follows prev: a copy of prev's
// state (a legacy create is converted to plc_operation form) with prev's
// CID as Prev, then changed by mutate if it is not nil. Sign it with one of
// prev's rotation keys. To fork the log, pass the operation to fork from.
func Update(prev *Operation, mutate func(*Operation)) (*Operation, error) {
	if prev.Type == TypeTombstone {
		return nil, rhizome.E(opBuild, rhizome.Invalid, "a tombstoned DID cannot be updated")
	}
	id, err := prev.CID()
	if err != nil {
		return nil, err
	}
	op := regular(prev)
	op.Prev, op.Sig = id, ""
	if mutate != nil {
		mutate(op)
	}
	op.Type = TypeOperation
	if err := op.validateFields(); err != nil {
		return nil, err
	}
	return op, nil
}

// Tombstone builds the unsigned tombstone that deactivates the DID whose
// latest operation is prev.
func Tombstone(prev *Operation) (*Operation, error) {
	id, err := prev.CID()
	if err != nil {
		return nil, err
	}
	return &Operation{Type: TypeTombstone, Prev: id}, nil
}

// regular returns op's state as a plc_operation (a copy; the zero state for
// a tombstone).
func regular(op *Operation) *Operation {
	switch op.Type {
	case TypeCreate:
		return &Operation{
			Type:                TypeOperation,
			RotationKeys:        op.EffectiveRotationKeys(),
			VerificationMethods: map[string]string{VerificationMethodAtproto: op.SigningKey},
			AlsoKnownAs:         []string{withPrefix(op.Handle, "at://")},
			Services: map[string]Service{ServiceAtprotoPDS: {
				Type: ServiceTypePDS, Endpoint: withHTTPPrefix(op.ServiceEndpoint)}},
			Prev: op.Prev,
			Sig:  op.Sig,
		}
	case TypeOperation:
		return op.Clone()
	}
	return &Operation{Type: TypeOperation, RotationKeys: []string{}, AlsoKnownAs: []string{},
		VerificationMethods: map[string]string{}, Services: map[string]Service{}}
}

func withPrefix(s, p string) string {
	if strings.HasPrefix(s, p) {
		return s
	}
	return p + s
}

func withHTTPPrefix(s string) string {
	if strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") {
		return s
	}
	return "https://" + s
}
