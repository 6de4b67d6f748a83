package pds

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/identity"
	"github.com/rhizome-pds/rhizome/syntax"
)

// IdentityCache is implemented by Identities that remember resolutions.
// Purge forgets what is remembered about id (for a DID, its document and
// the handle that document claimed; for a handle, its DID), so the next
// lookup asks the directory or host afresh. Identities without it have
// nothing to forget.
type IdentityCache interface {
	Purge(id syntax.AtIdentifier)
}

// IdentityInfo is an identity as com.atproto.identity.defs#identityInfo
// reports it: the DID, its handle if the handle resolves back to the DID
// (else syntax.HandleInvalid), and the DID document as resolved.
type IdentityInfo struct {
	DID    syntax.DID      `json:"did"`
	Handle syntax.Handle   `json:"handle"`
	Doc    json.RawMessage `json:"didDoc"`
}

// ResolveDID returns did's current document through the pod's resolver
// (cached). A DID with no document fails as DidNotFound, a tombstoned
// did:plc as DidDeactivated; an unsupported or malformed DID is Invalid.
func (p *PDS) ResolveDID(ctx context.Context, did syntax.DID) (json.RawMessage, error) {
	doc, err := p.ids.Document(ctx, did)
	if err != nil {
		return nil, didError(did, err)
	}
	return doc, nil
}

// didError names a failed DID resolution as the identity lexicons do.
func didError(did syntax.DID, err error) error {
	const op = "resolve did"
	switch {
	case errors.Is(err, identity.ErrDeactivated):
		return rhizome.Errorf(op, rhizome.NotFound, "%s is deactivated", did).Named("DidDeactivated")
	case rhizome.Is(err, rhizome.NotFound):
		return rhizome.Errorf(op, rhizome.NotFound, "%s not found", did).Named("DidNotFound")
	}
	return err
}

// ResolveIdentity resolves a DID or a handle to the DID, its document and
// its handle checked in both directions: the handle the document claims
// (or, for a handle given, that handle) must resolve back to the DID,
// else the handle is reported as handle.invalid. Handles of the pod's
// own accounts are answered from the store, others through the resolver.
// A handle that resolves to no DID fails as HandleNotFound; the DID's
// failures are those of ResolveDID.
func (p *PDS) ResolveIdentity(ctx context.Context, id syntax.AtIdentifier) (*IdentityInfo, error) {
	if did, ok := id.AsDID(); ok {
		return p.identityOfDID(ctx, did)
	}
	h, _ := id.AsHandle()
	h = h.Normalize()
	did, err := p.handleDID(ctx, h)
	if err != nil {
		return nil, err
	}
	info, err := p.identityOfDID(ctx, did)
	if err == nil && info.Handle != h {
		info.Handle = syntax.HandleInvalid
	}
	return info, err
}

// RefreshIdentity is ResolveIdentity after forgetting what the pod's
// resolver remembers about id and, for a handle, about the DID it now
// resolves to, so both directions are looked up afresh.
func (p *PDS) RefreshIdentity(ctx context.Context, id syntax.AtIdentifier) (*IdentityInfo, error) {
	c, ok := p.ids.(IdentityCache)
	if !ok {
		return p.ResolveIdentity(ctx, id)
	}
	c.Purge(id)
	if h, isHandle := id.AsHandle(); isHandle {
		if did, err := p.handleDID(ctx, h.Normalize()); err == nil {
			c.Purge(did.AtIdentifier())
		}
	}
	return p.ResolveIdentity(ctx, id)
}

// identityOfDID resolves did's document and checks the handle it claims.
func (p *PDS) identityOfDID(ctx context.Context, did syntax.DID) (*IdentityInfo, error) {
	raw, err := p.ResolveDID(ctx, did)
	if err != nil {
		return nil, err
	}
	doc, err := identity.ParseDoc(did, raw)
	if err != nil {
		return nil, err
	}
	info := &IdentityInfo{DID: did, Handle: syntax.HandleInvalid, Doc: raw}
	if doc.Handle == "" {
		return info, nil
	}
	if back, err := p.handleDID(ctx, doc.Handle); err == nil && back == did {
		info.Handle = doc.Handle
	}
	return info, nil
}

// handleDID resolves h (normalised) one way, local accounts first. Every
// definite failure, including a handle under a TLD the resolver will not
// look up, is HandleNotFound; transient ones keep their kind.
func (p *PDS) handleDID(ctx context.Context, h syntax.Handle) (syntax.DID, error) {
	did, err := p.ResolveHandle(ctx, h)
	if err == nil {
		return did, nil
	}
	switch rhizome.KindOf(err) {
	case rhizome.Invalid, rhizome.Conflict, rhizome.Forbidden, rhizome.TooLarge:
		return "", rhizome.Errorf("resolve handle", rhizome.NotFound, "unable to resolve handle %s", h).Named("HandleNotFound")
	}
	return "", err
}
