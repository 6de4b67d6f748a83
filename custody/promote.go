package custody

import (
	"context"

	"github.com/rhizome-pds/rhizome/keys"
	"github.com/rhizome-pds/rhizome/syntax"
)

// Repoint makes the DID name endpoint as its PDS and key as its #atproto
// key, signed by signer (the user's rotation key), as a restore does; it
// is how a replica is promoted when its primary is gone. Unless
// keepRotation, only signer's key stays among the rotation keys (the old
// pod's go). It returns the change (nil if the DID named them already)
// and the rotation keys removed.
func (t *Tool) Repoint(ctx context.Context, did syntax.DID, signer keys.Signer, endpoint, key string, keepRotation bool) (*Change, []string, error) {
	tg := target{endpoint: endpoint, key: key}
	if !keepRotation {
		tg.rotation = onlyKey(signer.PublicKey().DIDKey())
	}
	return t.pointAt(ctx, did, signer, tg)
}
