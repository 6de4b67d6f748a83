package custody

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/rhizome-pds/rhizome"
	"github.com/rhizome-pds/rhizome/cid"
	"github.com/rhizome-pds/rhizome/plc"
	"github.com/rhizome-pds/rhizome/syntax"
)

// The XRPC methods of an account migration, as any PDS serves them.

// CreateSession signs in (com.atproto.server.createSession).
func (p *Pod) CreateSession(ctx context.Context, identifier, password string) (*Session, error) {
	var s Session
	in := map[string]string{"identifier": identifier, "password": password}
	if err := p.postJSON(ctx, "com.atproto.server.createSession", "", in, &s); err != nil {
		return nil, err
	}
	if s.DID == "" || s.AccessJWT == "" {
		return nil, rhizome.E(opPod, rhizome.Invalid, "createSession: the answer lacks a DID or token")
	}
	return &s, nil
}

// IsActive reports whether the session's account is active (a missing
// flag means active, as in older servers).
func (s *Session) IsActive() bool { return s.Active == nil || *s.Active }

// ServiceAuth asks the pod for a service token (getServiceAuth) addressed
// to aud for the method lxm, valid for life.
func (p *Pod) ServiceAuth(ctx context.Context, token, aud, lxm string, life time.Duration) (string, error) {
	q := url.Values{"aud": {aud}, "lxm": {lxm}, "exp": {strconv.FormatInt(time.Now().Add(life).Unix(), 10)}}
	var out struct{ Token string }
	if err := p.getJSONAs(ctx, "com.atproto.server.getServiceAuth", q, token, &out); err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", rhizome.E(opPod, rhizome.Invalid, "getServiceAuth: no token in the answer")
	}
	return out.Token, nil
}

// RepoStatus is sync.getRepoStatus's answer.
type RepoStatus struct {
	Active bool   `json:"active"`
	Status string `json:"status"`
	Rev    string `json:"rev"`
}

// RepoStatus reports whether the pod hosts did, and how; a NotFound
// error if it does not.
func (p *Pod) RepoStatus(ctx context.Context, did syntax.DID) (*RepoStatus, error) {
	var st RepoStatus
	if err := p.getJSON(ctx, "com.atproto.sync.getRepoStatus", url.Values{"did": {string(did)}}, &st); err != nil {
		if rhizome.NameOf(err) == "RepoNotFound" || rhizome.Is(err, rhizome.NotFound) {
			return nil, rhizome.E(opPod, rhizome.NotFound, err)
		}
		return nil, err
	}
	return &st, nil
}

// AccountStatus is checkAccountStatus's answer (the fields every server
// gives).
type AccountStatus struct {
	Activated  bool   `json:"activated"`
	RepoCommit string `json:"repoCommit"`
	RepoRev    string `json:"repoRev"`
}

// AccountStatus calls com.atproto.server.checkAccountStatus.
func (p *Pod) AccountStatus(ctx context.Context, token string) (*AccountStatus, error) {
	var st AccountStatus
	return &st, p.getJSONAs(ctx, "com.atproto.server.checkAccountStatus", nil, token, &st)
}

// Credentials are what a PLC operation must name for a pod to host an
// account (com.atproto.identity.getRecommendedDidCredentials).
type Credentials struct {
	RotationKeys        []string               `json:"rotationKeys"`
	AlsoKnownAs         []string               `json:"alsoKnownAs"`
	VerificationMethods map[string]string      `json:"verificationMethods"`
	Services            map[string]plc.Service `json:"services"`
}

// RecommendedCredentials asks the pod what the caller's DID should name.
func (p *Pod) RecommendedCredentials(ctx context.Context, token string) (*Credentials, error) {
	var c Credentials
	if err := p.getJSONAs(ctx, "com.atproto.identity.getRecommendedDidCredentials", nil, token, &c); err != nil {
		return nil, err
	}
	if c.VerificationMethods[plc.VerificationMethodAtproto] == "" || c.Services[plc.ServiceAtprotoPDS].Endpoint == "" {
		return nil, rhizome.E(opPod, rhizome.Invalid, "getRecommendedDidCredentials: no signing key or PDS in the answer")
	}
	return &c, nil
}

// MissingBlobs lists up to limit blobs the caller's records reference
// that the pod lacks (com.atproto.repo.listMissingBlobs, first page).
func (p *Pod) MissingBlobs(ctx context.Context, token string, limit int) ([]cid.CID, error) {
	var out struct {
		Blobs []struct {
			CID string `json:"cid"`
		} `json:"blobs"`
	}
	if err := p.getJSONAs(ctx, "com.atproto.repo.listMissingBlobs", url.Values{"limit": {strconv.Itoa(limit)}}, token, &out); err != nil {
		return nil, err
	}
	cids := make([]cid.CID, 0, len(out.Blobs))
	for _, b := range out.Blobs {
		c, err := cid.Parse(b.CID)
		if err != nil {
			return nil, rhizome.Errorf(opPod, rhizome.Invalid, "listMissingBlobs: %w", err)
		}
		cids = append(cids, c)
	}
	return cids, nil
}

// UploadBlob uploads data and checks the pod stored it under c.
func (p *Pod) UploadBlob(ctx context.Context, token, mimeType string, c cid.CID, data []byte) error {
	var out struct {
		Blob struct {
			Ref struct {
				Link string `json:"$link"`
			} `json:"ref"`
		} `json:"blob"`
	}
	if err := p.upload(ctx, "com.atproto.repo.uploadBlob", token, mimeType, data, &out); err != nil {
		return err
	}
	if out.Blob.Ref.Link != c.String() {
		return rhizome.Errorf(opPod, rhizome.Corrupt, "uploaded blob %s, the pod stored %q", c, out.Blob.Ref.Link)
	}
	return nil
}

// GetBlob downloads a blob and checks it hashes to c.
func (p *Pod) GetBlob(ctx context.Context, did syntax.DID, c cid.CID) (data []byte, mimeType string, err error) {
	got, err := p.download(ctx, "com.atproto.sync.getBlob", url.Values{"did": {string(did)}, "cid": {c.String()}})
	if err != nil {
		return nil, "", err
	}
	if !c.Matches(got.data) {
		return nil, "", rhizome.Errorf(opPod, rhizome.Corrupt, "blob %s: the pod sent bytes that do not hash to it", c)
	}
	return got.data, got.mimeType, nil
}

// Preferences reads the account's private preferences (as JSON).
func (p *Pod) Preferences(ctx context.Context, token string) (json.RawMessage, error) {
	var out struct {
		Preferences json.RawMessage `json:"preferences"`
	}
	if err := p.getJSONAs(ctx, "app.bsky.actor.getPreferences", nil, token, &out); err != nil {
		return nil, err
	}
	if len(out.Preferences) == 0 {
		out.Preferences = json.RawMessage("[]")
	}
	return out.Preferences, nil
}

// PutPreferences replaces the account's private preferences.
func (p *Pod) PutPreferences(ctx context.Context, token string, prefs json.RawMessage) error {
	return p.postJSON(ctx, "app.bsky.actor.putPreferences", token, map[string]any{"preferences": prefs}, nil)
}

// DeactivateAccount calls com.atproto.server.deactivateAccount.
func (p *Pod) DeactivateAccount(ctx context.Context, token string) error {
	return p.postJSON(ctx, "com.atproto.server.deactivateAccount", token, map[string]any{}, nil)
}

// RequestPLCSignature asks the pod to send the account the token that
// SignPLCOperation needs (com.atproto.identity.requestPlcOperationSignature).
func (p *Pod) RequestPLCSignature(ctx context.Context, token string) error {
	return p.postEmpty(ctx, "com.atproto.identity.requestPlcOperationSignature", token)
}

// SignPLCOperation asks the pod to sign, with its rotation key, the
// operation that makes the DID name c (com.atproto.identity.signPlcOperation).
func (p *Pod) SignPLCOperation(ctx context.Context, token, plcToken string, c *Credentials) (*plc.Operation, error) {
	in := map[string]any{"token": plcToken, "rotationKeys": c.RotationKeys, "alsoKnownAs": c.AlsoKnownAs,
		"verificationMethods": c.VerificationMethods, "services": c.Services}
	var out struct {
		Operation *plc.Operation `json:"operation"`
	}
	if err := p.postJSON(ctx, "com.atproto.identity.signPlcOperation", token, in, &out); err != nil {
		return nil, err
	}
	if out.Operation == nil {
		return nil, rhizome.E(opPod, rhizome.Invalid, "signPlcOperation: no operation in the answer")
	}
	return out.Operation, nil
}

// SubmitPLCOperation hands a signed operation to the pod, which checks it
// names the pod and sends it to the directory
// (com.atproto.identity.submitPlcOperation).
func (p *Pod) SubmitPLCOperation(ctx context.Context, token string, op *plc.Operation) error {
	return p.postJSON(ctx, "com.atproto.identity.submitPlcOperation", token, map[string]any{"operation": op}, nil)
}

// notImplemented reports whether err says the pod lacks the method.
func notImplemented(err error) bool {
	switch rhizome.NameOf(err) {
	case "MethodNotImplemented", "Not Found", "Not Implemented":
		return true
	}
	return false
}
