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

// HostedRepo is one entry of com.atproto.sync.listRepos.
type HostedRepo struct {
	DID    syntax.DID `json:"did"`
	Rev    string     `json:"rev"`
	Active bool       `json:"active"`
	Status string     `json:"status,omitempty"`
}

// ListRepos lists every repository the pod hosts (sync.listRepos, all
// pages).
func (p *Pod) ListRepos(ctx context.Context) ([]HostedRepo, error) {
	var all []HostedRepo
	q := url.Values{"limit": {"1000"}}
	for {
		var page struct {
			Cursor string       `json:"cursor"`
			Repos  []HostedRepo `json:"repos"`
		}
		if err := p.getJSON(ctx, "com.atproto.sync.listRepos", q, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Repos...)
		if page.Cursor == "" || len(page.Repos) == 0 {
			return all, nil
		}
		q.Set("cursor", page.Cursor)
	}
}
