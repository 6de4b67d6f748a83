package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/identity"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/pds"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// plcDirectory is what the pod needs of a PLC directory; both the
// in-process plc.Directory and plc.Client (any directory URL) provide it.
type plcDirectory interface {
	Submit(ctx context.Context, did syntax.DID, op *plc.Operation) error
	LastOp(ctx context.Context, did syntax.DID) (*plc.Operation, error)
}

// identities implements pds.Identities: it creates and updates the pod's
// accounts' did:plc identities with the host rotation key, and resolves
// any DID or handle through an identity.Resolver.
type identities struct {
	dir      plcDirectory
	rotation keys.Signer
	pdsURL   string
	resolver *identity.Resolver
}

func (ids *identities) CreateDID(ctx context.Context, signing keys.PublicKey, handle syntax.Handle, recovery string) (syntax.DID, error) {
	rot := []string{ids.rotation.PublicKey().DIDKey()}
	if recovery != "" {
		rot = append([]string{recovery}, rot...)
	}
	op, err := plc.Genesis(rot, signing.DIDKey(), handle, ids.pdsURL)
	if err != nil {
		return "", err
	}
	if err := op.Sign(ids.rotation); err != nil {
		return "", err
	}
	did, err := op.DID()
	if err != nil {
		return "", err
	}
	return did, ids.dir.Submit(ctx, did, op)
}

func (ids *identities) UpdateHandle(ctx context.Context, did syntax.DID, h syntax.Handle) error {
	last, err := ids.dir.LastOp(ctx, did)
	if err != nil {
		return err
	}
	op, err := plc.Update(last, func(o *plc.Operation) {
		aka := []string{"at://" + string(h)}
		for _, a := range o.AlsoKnownAs {
			if len(a) < 5 || a[:5] != "at://" {
				aka = append(aka, a)
			}
		}
		o.AlsoKnownAs = aka
	})
	if err != nil {
		return err
	}
	if err := op.Sign(ids.rotation); err != nil {
		return err
	}
	if err := ids.dir.Submit(ctx, did, op); err != nil {
		return err
	}
	ids.resolver.Purge(syntax.AtIdentifier(did))
	return nil
}

func (ids *identities) SigningKey(ctx context.Context, did syntax.DID) (keys.PublicKey, error) {
	doc, err := ids.resolver.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	if doc.SigningKey == nil {
		return nil, rhizome.Errorf("resolve signing key", rhizome.NotFound, "%s has no atproto signing key", did)
	}
	return doc.SigningKey, nil
}

func (ids *identities) Document(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	doc, err := ids.resolver.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	return doc.Raw, nil
}

func (ids *identities) ResolveHandle(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	return ids.resolver.ResolveHandle(ctx, h)
}

// embeddedPLCHost is the host name under which the in-process directory is
// reached by the resolver, without any network.
const embeddedPLCHost = "plc.embedded.invalid"

// inProcess routes requests for one host to a handler and the rest to next.
type inProcess struct {
	host    string
	handler http.Handler
	next    http.RoundTripper
}

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != t.host {
		return t.next.RoundTrip(r)
	}
	rec := httptest.NewRecorder()
	t.handler.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// service finds a service endpoint for atproto-proxy.
func (ids *identities) service(ctx context.Context, did syntax.DID, fragment string) (string, error) {
	doc, err := ids.resolver.ResolveDID(ctx, did)
	if err != nil {
		return "", err
	}
	ep, ok := doc.Service(fragment)
	if !ok {
		return "", rhizome.Errorf("resolve service", rhizome.NotFound, "%s has no service %s", did, fragment)
	}
	return ep, nil
}

var _ pds.IdentityCache = (*identities)(nil)

// Purge forgets what the resolver remembers about id (pds.IdentityCache:
// refreshIdentity).
func (ids *identities) Purge(id syntax.AtIdentifier) { ids.resolver.Purge(id) }

var _ pds.PLCOperator = (*identities)(nil)

// RotationKey implements pds.PLCOperator: the host rotation key.
func (ids *identities) RotationKey() keys.PublicKey { return ids.rotation.PublicKey() }

// LastOp implements pds.PLCOperator.
func (ids *identities) LastOp(ctx context.Context, did syntax.DID) (*plc.Operation, error) {
	return ids.dir.LastOp(ctx, did)
}

// SignOp implements pds.PLCOperator with the host rotation key's signer.
func (ids *identities) SignOp(op *plc.Operation) error { return op.Sign(ids.rotation) }

// SubmitOp implements pds.PLCOperator.
func (ids *identities) SubmitOp(ctx context.Context, did syntax.DID, op *plc.Operation) error {
	if err := ids.dir.Submit(ctx, did, op); err != nil {
		return err
	}
	ids.resolver.Purge(syntax.AtIdentifier(did))
	return nil
}
