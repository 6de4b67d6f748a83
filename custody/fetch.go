package custody

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/rhizome-pds/rhizome"
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

// GetBlob downloads one blob and checks it hashes to c; it returns the
// bytes and their media type.
func (p *Pod) GetBlob(ctx context.Context, did syntax.DID, c cid.CID) ([]byte, string, error) {
	d, err := p.download(ctx, "com.atproto.sync.getBlob", url.Values{"did": {string(did)}, "cid": {c.String()}})
	if err != nil {
		return nil, "", err
	}
	if !c.Matches(d.data) {
		return nil, "", rhizome.Errorf(opPod, rhizome.Corrupt, "blob %s: the pod sent bytes that do not hash to it", c)
	}
	return d.data, d.mimeType, nil
}

// CreateSession signs in (com.atproto.server.createSession) with an
// account or app password.
func (p *Pod) CreateSession(ctx context.Context, identifier, password string) (*Session, error) {
	var s Session
	in := map[string]string{"identifier": identifier, "password": password}
	if err := p.postJSON(ctx, "com.atproto.server.createSession", "", in, &s); err != nil {
		return nil, err
	}
	if s.AccessJWT == "" {
		return nil, rhizome.E(opPod, rhizome.Invalid, "createSession: the answer lacks a token")
	}
	return &s, nil
}

// GetPreferences reads the account's app.bsky preferences, the JSON array
// app.bsky.actor.getPreferences answers. A pod that does not serve the
// method answers an error named MethodNotImplemented.
func (p *Pod) GetPreferences(ctx context.Context, token string) (json.RawMessage, error) {
	resp, err := p.call(ctx, "GET", "app.bsky.actor.getPreferences", nil, token, "", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Preferences json.RawMessage `json:"preferences"`
	}
	if err := decode("app.bsky.actor.getPreferences", resp.Body, &out); err != nil {
		return nil, err
	}
	if len(out.Preferences) == 0 {
		out.Preferences = json.RawMessage("[]")
	}
	return out.Preferences, nil
}

// PutPreferences replaces the account's preferences
// (app.bsky.actor.putPreferences).
func (p *Pod) PutPreferences(ctx context.Context, token string, prefs json.RawMessage) error {
	return p.postJSON(ctx, "app.bsky.actor.putPreferences", token, map[string]json.RawMessage{"preferences": prefs}, nil)
}
