package custody

import (
	"context"
	"reflect"
	"slices"
	"strings"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Change is an operation the tool submitted and verified.
type Change struct {
	DID syntax.DID
	Op  *plc.Operation
	CID cid.CID
	// Data is the DID's state after the change, read back from the
	// directory and verified.
	Data *plc.Data
	// Nullified lists the operations the change nullified (a recovery).
	Nullified []cid.CID
}

// Mutation edits a copy of the current state into the next one. It may
// refuse with an error.
type Mutation func(op *plc.Operation) error

// Update builds the operation that follows the DID's current state, edited
// by mutate, signs it with signer (which must be one of the current
// rotation keys), submits it and verifies the result.
func (t *Tool) Update(ctx context.Context, did syntax.DID, signer keys.Signer, mutate Mutation) (*Change, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	if err := l.Valid(); err != nil {
		return nil, err
	}
	if err := canSign(l, signer); err != nil {
		return nil, err
	}
	op, err := build(l.Current().Operation, mutate)
	if err != nil {
		return nil, err
	}
	return t.submit(ctx, did, op, signer, nil)
}

// canSign checks the signer is among the current rotation keys.
func canSign(l *Log, signer keys.Signer) error {
	mine := signer.PublicKey().DIDKey()
	if !slices.Contains(l.RotationKeys(), mine) {
		return rhizome.Errorf("check rotation key", rhizome.Forbidden,
			"%s is not a rotation key of %s (its keys are %v); if a host removed it within the last 72 hours, recover", mine, l.DID, l.RotationKeys())
	}
	return nil
}

// build applies mutate to a copy of prev's state, as the operation after
// prev.
func build(prev *plc.Operation, mutate Mutation) (*plc.Operation, error) {
	var merr error
	op, err := plc.Update(prev, func(o *plc.Operation) {
		if o.VerificationMethods == nil {
			o.VerificationMethods = map[string]string{}
		}
		if o.Services == nil {
			o.Services = map[string]plc.Service{}
		}
		if mutate != nil {
			merr = mutate(o)
		}
	})
	if merr != nil {
		return nil, merr
	}
	if err != nil {
		return nil, rhizome.Errorf("build plc operation", rhizome.KindOf(err), "%w", err)
	}
	return op, nil
}

// submit signs, submits and verifies op; nullify are the operations it
// must nullify.
func (t *Tool) submit(ctx context.Context, did syntax.DID, op *plc.Operation, signer keys.Signer, nullify []cid.CID) (*Change, error) {
	if err := op.Sign(signer); err != nil {
		return nil, err
	}
	if err := op.Validate(); err != nil {
		return nil, err
	}
	id, err := op.CID()
	if err != nil {
		return nil, err
	}
	if err := t.Dir.Submit(ctx, did, op); err != nil {
		return nil, rhizome.Errorf("submit plc operation", rhizome.KindOf(err), "the directory refused the operation: %w", err)
	}
	data, err := t.verifyApplied(ctx, did, id, nullify)
	if err != nil {
		return nil, err
	}
	return &Change{DID: did, Op: op, CID: id, Data: data, Nullified: nullify}, nil
}

const opVerify = "verify plc change"

// verifyApplied reads the log and the document back: the log must be
// valid, id its live head, nullify nullified, and the document the one
// the log implies.
func (t *Tool) verifyApplied(ctx context.Context, did syntax.DID, id cid.CID, nullify []cid.CID) (*plc.Data, error) {
	l, err := t.Fetch(ctx, did)
	if err != nil {
		return nil, err
	}
	if err := l.Valid(); err != nil {
		return nil, err
	}
	if got := l.Current().CID; got != id {
		return nil, rhizome.Errorf(opVerify, rhizome.Conflict, "the directory accepted %s but its latest operation is %s", id, got)
	}
	for _, n := range nullify {
		if e := l.find(n); e == nil || !e.Nullified {
			return nil, rhizome.Errorf(opVerify, rhizome.Conflict, "operation %s is not nullified after the recovery", n)
		}
	}
	data, err := l.Data()
	if err != nil {
		return nil, err
	}
	return data, t.checkDocument(ctx, data)
}

func (l *Log) find(id cid.CID) *Entry {
	for i := range l.Entries {
		if l.Entries[i].CID == id {
			return &l.Entries[i]
		}
	}
	return nil
}

// checkDocument compares the directory's DID document with the one the
// verified state implies: the same handle URIs in order, verification
// methods and services (ordering and @context aside, which directories
// may write differently).
func (t *Tool) checkDocument(ctx context.Context, data *plc.Data) error {
	doc, err := t.Dir.Resolve(ctx, data.DID)
	if err != nil {
		return rhizome.Errorf(opVerify, rhizome.KindOf(err), "resolve %s: %w", data.DID, err)
	}
	got, want := factsOf(doc), factsOf(data.Document())
	if !reflect.DeepEqual(got, want) {
		return rhizome.Errorf(opVerify, rhizome.Corrupt,
			"the directory serves a DID document for %s that its own log does not imply:\n got  %+v\n want %+v", data.DID, got, want)
	}
	return nil
}

// docFacts are the parts of a DID document that matter.
type docFacts struct {
	ID          syntax.DID
	AlsoKnownAs []string
	Methods     map[string]string // fragment -> publicKeyMultibase
	Services    map[string]plc.Service
}

func factsOf(d *plc.Document) docFacts {
	f := docFacts{ID: d.ID, AlsoKnownAs: slices.Clone(d.AlsoKnownAs),
		Methods: map[string]string{}, Services: map[string]plc.Service{}}
	for _, vm := range d.VerificationMethod {
		// Directories may write a key in a legacy form (the reference
		// directory: an uncompressed secp256k1 point, no multicodec);
		// compare the keys, not the spelling.
		mb := vm.PublicKeyMultibase
		if k, err := keys.ParseVerificationMethod(vm.Type, mb); err == nil {
			mb = k.Multibase()
		}
		f.Methods[fragment(vm.ID)] = mb
	}
	for _, s := range d.Service {
		f.Services[fragment(s.ID)] = plc.Service{Type: s.Type, Endpoint: s.ServiceEndpoint}
	}
	if f.AlsoKnownAs == nil {
		f.AlsoKnownAs = []string{}
	}
	return f
}

func fragment(id string) string {
	if i := strings.LastIndexByte(id, '#'); i >= 0 {
		return id[i+1:]
	}
	return id
}
