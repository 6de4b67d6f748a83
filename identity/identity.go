package identity

import (
	"context"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Identity is an account as the network sees it: its DID, its current DID
// document, and its handle if that handle is confirmed in both directions.
type Identity struct {
	DID syntax.DID
	// Handle is the document's handle, lower-cased, if it resolves back to
	// DID; otherwise syntax.HandleInvalid.
	Handle syntax.Handle
	Doc    *Doc
}

// ResolveIdentity resolves an account named by DID or handle.
//
// For a DID it resolves the document and then checks the handle the
// document claims: if that handle does not resolve back to the DID, for
// whatever reason, Handle is syntax.HandleInvalid and there is no error.
// For a handle it is VerifyHandle.
func (r *Resolver) ResolveIdentity(ctx context.Context, id syntax.AtIdentifier) (*Identity, error) {
	const op = "resolve identity"
	if _, err := syntax.ParseAtIdentifier(string(id)); err != nil {
		return nil, rhizome.Errorf(op, rhizome.Invalid, "%w", err)
	}
	if h, ok := id.AsHandle(); ok {
		return r.VerifyHandle(ctx, h)
	}
	did, _ := id.AsDID()
	doc, err := r.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	ident := &Identity{DID: did, Handle: syntax.HandleInvalid, Doc: doc}
	if doc.Handle == "" {
		return ident, nil
	}
	if back, err := r.ResolveHandle(ctx, doc.Handle); err == nil && back == did {
		ident.Handle = doc.Handle
	}
	return ident, nil
}

// VerifyHandle checks h in both directions: h resolves to a DID whose
// document claims h as its handle. It fails with the errors of
// ResolveHandle and ResolveDID, and with kind NotFound if the document
// claims another handle or none.
func (r *Resolver) VerifyHandle(ctx context.Context, h syntax.Handle) (*Identity, error) {
	const op = "verify handle"
	did, err := r.ResolveHandle(ctx, h)
	if err != nil {
		return nil, err
	}
	doc, err := r.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	if doc.Handle != h.Normalize() {
		return nil, rhizome.Errorf(op, rhizome.NotFound, "%s resolves to %s, whose document claims %q", h, did, doc.Handle)
	}
	return &Identity{DID: did, Handle: doc.Handle, Doc: doc}, nil
}
