package pds

import (
	"context"
	"sync"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// ReservedKeys keeps repository signing keys reserved for DIDs that are
// not (yet) accounts of the pod (com.atproto.server.reserveSigningKey):
// the key a DID's owner names in a PLC operation before the account
// exists here. Keys are stored sealed by the pod's keyring, bound to the
// DID, so a store never holds them in clear.
type ReservedKeys interface {
	// Reserve stores sealed for did unless a key is reserved for it
	// already, and returns the key that is reserved now.
	Reserve(ctx context.Context, did syntax.DID, sealed []byte) ([]byte, error)
	// Reserved returns did's reserved key; NotFound if there is none.
	Reserved(ctx context.Context, did syntax.DID) ([]byte, error)
	// Release forgets did's reserved key, if any.
	Release(ctx context.Context, did syntax.DID) error
}

// MaxReservedKeys bounds the in-memory reservations (reserveSigningKey is
// a public method).
const MaxReservedKeys = 10_000

// memReserved is the default ReservedKeys: reservations live as long as
// the process.
type memReserved struct {
	mu sync.Mutex
	m  map[syntax.DID][]byte
}

func (r *memReserved) Reserve(_ context.Context, did syntax.DID, sealed []byte) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if got, ok := r.m[did]; ok {
		return got, nil
	}
	if len(r.m) >= MaxReservedKeys {
		return nil, rhizome.E("reserve signing key", rhizome.Unavailable, "too many reserved keys; try later")
	}
	r.m[did] = sealed
	return sealed, nil
}

func (r *memReserved) Reserved(_ context.Context, did syntax.DID) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if got, ok := r.m[did]; ok {
		return got, nil
	}
	return nil, rhizome.Errorf("read reserved key", rhizome.NotFound, "no key is reserved for %s", did)
}

func (r *memReserved) Release(_ context.Context, did syntax.DID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.m, did)
	return nil
}

// ReserveSigningKey reserves a repository signing key for did and returns
// its public half, the same key on every call until an account for did is
// created with it. The DID's owner names it as the #atproto key in the
// operation that moves the DID to this pod.
func (p *PDS) ReserveSigningKey(ctx context.Context, did syntax.DID) (keys.PublicKey, error) {
	const op = "reserve signing key"
	if _, err := p.store.Account(ctx, did); err == nil {
		return nil, rhizome.Errorf(op, rhizome.Exists, "%s already has an account here", did)
	}
	s, err := keys.Generate(keys.K256)
	if err != nil {
		return nil, err
	}
	sealed, err := p.keyring.Seal(s, string(did))
	if err != nil {
		return nil, err
	}
	got, err := p.reserved.Reserve(ctx, did, sealed)
	if err != nil {
		return nil, rhizome.E(op, rhizome.KindOf(err), err)
	}
	kept, err := p.keyring.Open(got, string(did))
	if err != nil {
		return nil, rhizome.E(op, rhizome.Corrupt, err)
	}
	return kept.PublicKey(), nil
}

// takeReserved returns the signer reserved for did, or nil if none is.
func (p *PDS) takeReserved(ctx context.Context, did syntax.DID) (keys.Signer, error) {
	sealed, err := p.reserved.Reserved(ctx, did)
	if rhizome.Is(err, rhizome.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return p.keyring.Open(sealed, string(did))
}
