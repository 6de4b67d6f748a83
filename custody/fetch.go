package custody

import (
	"context"
	"net/url"

	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The reads a backup tool makes of a pod, exported for package backup.

// GetRepo downloads did's whole repository CAR (com.atproto.sync.getRepo).
// It is not verified here.
func (p *Pod) GetRepo(ctx context.Context, did syntax.DID) ([]byte, error) {
	d, err := p.download(ctx, "com.atproto.sync.getRepo", url.Values{"did": {string(did)}})
	return d.data, err
}

// ListBlobs lists every blob of did (com.atproto.sync.listBlobs, all
// pages).
func (p *Pod) ListBlobs(ctx context.Context, did syntax.DID) ([]cid.CID, error) {
	return p.listBlobs(ctx, did)
}
